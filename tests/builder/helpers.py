"""What a browser would post for a builder form, built from the form itself."""

from typing import Any

from labs import cfn
from labs.forms import EDITORS
from tests.factories import DEMO_TEMPLATE


def demo_document() -> dict[str, Any]:
    return cfn.parse_document(DEMO_TEMPLATE)


def form_data(form: Any, **changes: Any) -> dict[str, Any]:
    """The form's fields as posted, unchanged, plus ``changes`` (field name → value)."""
    original_id = getattr(form, "original_id", "") or ""
    data: dict[str, Any] = {"kind": form.kind, "original_id": original_id}
    forms = [form]
    for formset in form.rows.values():
        forms += [formset.management_form, *formset.forms]
    for each in forms:
        for bound in each:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value
    return {**data, **changes}


def editor(kind: str, document: dict[str, Any], original_id: str | None = None) -> Any:
    return EDITORS[kind](document=document, original_id=original_id)


def rule_data(document: dict[str, Any], name: str, priority: int, path: str, group: str) -> dict:
    """A path-pattern rule on the demo's HTTP listener that forwards to ``group``."""
    return form_data(
        editor("listener-rule", document),
        logical_id=name,
        listener="HttpListener",
        priority=str(priority),
        **{
            "conditions-0-field": "path-pattern",
            "conditions-0-values": path,
            "forward-0-target_group": group,
        },
    )
