"""What every builder form shares: read a resource into fields, write fields back, and put
the template's problems next to the fields they concern.

A form edits one resource of a parsed CloudFormation document (or, for the traffic form,
the template's Metadata). ``updated_document()`` is the whole document with the edit
applied; ``services.save_document`` validates and saves it. Properties a form has no
field for are kept as they were, so editing in the builder never loses what a learner
wrote in the Template tab.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.forms.formsets import BaseFormSet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from labs import cfn, editing
from labs import messages as codes

Document = dict[str, Any]

_INDEX = re.compile(r"^\[(\d+)\]")


@dataclass(frozen=True)
class Section:
    """A fieldset of the form: a legend, its fields and row sets, and when it shows.

    ``items`` are field names, or ``@name`` for a row set. ``show_when`` is ``(field,
    values)``: the page's script hides the section unless that field has one of the
    values (separated by spaces).
    """

    legend: Promise | str
    items: tuple[str, ...]
    show_when: tuple[str, str] | None = None


@dataclass
class RowSet:
    """Rows (a formset) that write one list property, e.g. a security group's ingress."""

    formset: type[BaseFormSet[RowForm]]
    path: str  # where the list lives, e.g. "Properties.SecurityGroupIngress"
    row_label: Promise  # names one row: "Condition %(number)s"


def problem_text(problem: cfn.Problem) -> str:
    """One line for a problem: what is wrong (in the active language), then where and
    AWS's code, then cfn's English detail when the sentence is a translation."""
    line = codes.problem_line(
        problem.logical_id, problem.path, problem.code, problem.message, problem.rule
    )
    text = f"{line['sentence']} ({line['where']}, {line['code']})"
    return f"{text} — {line['detail']}" if line["detail"] else text


def choices_of(document: Document, *types: str, blank: bool = False) -> list[tuple[str, str]]:
    found = [(name, name) for name in editing.of_type(document, *types)]
    return [("", "—"), *found] if blank else found


def set_choices(form: forms.BaseForm, name: str, choices: list[tuple[str, Any]]) -> None:
    """Fill the choices of ``form``'s choice field ``name``, which come from the document."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field")
    field.choices = choices


def set_or_drop(properties: dict[str, Any], key: str, value: Any) -> None:
    """Sets ``key``, or removes it when the field was left empty (AWS's default applies)."""
    if value is None or value == "" or value == [] or value == {}:
        properties.pop(key, None)
    else:
        properties[key] = value


def key_values(text: str) -> list[dict[str, str]]:
    """``key=value`` lines → ``[{"Key": ..., "Value": ...}]`` (attributes, tags)."""
    pairs = []
    for line in text.splitlines():
        if line.strip():
            key, _sep, value = line.partition("=")
            pairs.append({"Key": key.strip(), "Value": value.strip()})
    return pairs


def key_value_lines(values: Any) -> str:
    if not isinstance(values, list):
        return ""
    pairs = [item for item in values if isinstance(item, dict)]
    return "\n".join(f"{item.get('Key', '')}={item.get('Value', '')}" for item in pairs)


class KeyValueField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value: Any) -> Any:
        text = super().clean(value)
        bad = [line for line in text.splitlines() if line.strip() and "=" not in line]
        if bad:
            raise forms.ValidationError(
                _("Write one key=value per line: %(line)s"), params={"line": bad[0]}
            )
        return text


class RowForm(forms.Form):
    """One row of a row set; ``document`` gives its choices.

    A row whose ``key_fields`` are all empty, or that is marked for deletion, writes
    nothing: that is how the spare rows stay out of the document and how a row goes.
    """

    key_fields: ClassVar[tuple[str, ...]]

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        self.document = document
        super().__init__(*args, **kwargs)

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("DELETE")) or not any(data.get(name) for name in self.key_fields)


def row_formset(
    form: type[RowForm], extra: int = 1, max_num: int = 50
) -> type[BaseFormSet[RowForm]]:
    return forms.formset_factory(form, extra=extra, max_num=max_num, can_delete=True)


class EditorForm(forms.Form):
    """A builder form. Subclasses say what they edit and how (ClassVars and read/write)."""

    kind: ClassVar[str]  # in URLs: ?form=listener-rule
    title: ClassVar[Promise]
    add_label: ClassVar[Promise | str] = ""
    sections: ClassVar[tuple[Section, ...]]
    row_sets: ClassVar[dict[str, RowSet]] = {}
    # Property path (prefix) → the field that edits it, for problems of this resource.
    field_paths: ClassVar[dict[str, str]] = {}
    template_problem_id = "Template"  # the logical id cfn gives problems outside Resources

    def __init__(self, data: Any = None, *, document: Document, initial: Any = None) -> None:
        self.document = document
        super().__init__(data, initial=initial)
        rows = getattr(self, "_initial_rows", {})
        self.rows = {
            name: row_set.formset(
                data, initial=rows.get(name, []), prefix=name, form_kwargs={"document": document}
            )
            for name, row_set in self.row_sets.items()
        }
        # Per row set: the formset row each written list entry came from, so a problem at
        # "Properties.Conditions[1]" lands on the row that made Conditions[1].
        self.written: dict[str, list[int]] = {name: [] for name in self.row_sets}

    def is_valid(self) -> bool:
        rows_valid = all(formset.is_valid() for formset in self.rows.values())
        return super().is_valid() and rows_valid

    def filled_rows(self, name: str) -> list[tuple[int, dict[str, Any]]]:
        """(row index, cleaned data) of each row that says something, in order."""
        return [
            (index, row.cleaned_data)
            for index, row in enumerate(self.rows[name].forms)
            if row.is_valid() and not row.is_blank()
        ]

    def write_rows(self, name: str, build: Callable[[dict[str, Any]], Any]) -> list[Any]:
        """The list property a row set makes: ``build`` turns each filled row into an entry."""
        entries = []
        self.written[name] = []
        for index, data in self.filled_rows(name):
            entries.append(build(data))
            self.written[name].append(index)
        return entries

    def layout(self) -> list[dict[str, Any]]:
        """The sections with bound fields and formsets, for the template."""
        return [
            {
                "legend": section.legend,
                "show_when": section.show_when,
                "items": [
                    self._row_set_layout(item[1:])
                    if item.startswith("@")
                    else {"field": self[item]}
                    for item in section.items
                ],
            }
            for section in self.sections
        ]

    def _row_set_layout(self, name: str) -> dict[str, Any]:
        label = self.row_sets[name].row_label
        formset = self.rows[name]
        return {
            "formset": formset,
            "name": name,
            "rows": [(str(label) % {"number": n}, row) for n, row in enumerate(formset, 1)],
        }

    @property
    def subject(self) -> str:
        """What a revision made from this form concerns (a logical id)."""
        return ""

    def problem_id(self) -> str:
        return self.template_problem_id

    def updated_document(self) -> Document:
        raise NotImplementedError

    def show_problems(self, problems: list[cfn.Problem]) -> list[cfn.Problem]:
        """Puts each problem this form can point at next to its field; returns the rest."""
        rest = []
        for problem in problems:
            if problem.logical_id != self.problem_id() or not self._place(problem):
                rest.append(problem)
        return rest

    def _place(self, problem: cfn.Problem) -> bool:
        text = problem_text(problem)
        for name, row_set in self.row_sets.items():
            if problem.path.startswith(row_set.path):
                match = _INDEX.match(problem.path[len(row_set.path) :])
                written = self.written[name]
                if match and int(match.group(1)) < len(written):
                    self.rows[name].forms[written[int(match.group(1))]].add_error(None, text)
                    return True
        matches = [path for path in self.field_paths if problem.path.startswith(path)]
        if not matches:
            return False
        self.add_error(self.field_paths[max(matches, key=len)], text)
        return True


class ResourceForm(EditorForm):
    """Edits one resource; ``original_id`` None means a new one."""

    resource_type: ClassVar[str]
    help: ClassVar[Promise | str] = ""

    logical_id = forms.CharField(
        label=_("Logical ID"),
        max_length=255,
        help_text=_("Letters and digits only, unique in the template, e.g. WebTargets."),
    )

    def __init__(
        self, data: Any = None, *, document: Document, original_id: str | None = None
    ) -> None:
        self.original_id = original_id
        self.document = document  # ``read`` may look at other resources
        existing = editing.resources(document).get(original_id) if original_id else None
        self.resource = copy.deepcopy(existing) if isinstance(existing, dict) else None
        initial: dict[str, Any] = self.defaults(document)
        self._initial_rows: dict[str, list[dict[str, Any]]] = {}
        if self.resource is not None:
            properties = self.resource.get("Properties") or {}
            initial = {"logical_id": original_id, **self.read(properties, self.resource)}
            self._initial_rows = self.read_rows(properties)
        super().__init__(data, document=document, initial=initial)

    # What subclasses provide -----------------------------------------------------------------
    def defaults(self, document: Document) -> dict[str, Any]:
        return {}

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        return {}

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {}

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        raise NotImplementedError

    # The edit ------------------------------------------------------------------------------------
    def clean_logical_id(self) -> str:
        logical_id: str = self.cleaned_data["logical_id"].strip()
        if not editing.LOGICAL_ID.match(logical_id):
            raise forms.ValidationError(
                _("A logical ID has only letters A–Z, a–z and digits 0–9."), code="logical_id"
            )
        if logical_id != self.original_id and logical_id in editing.resources(self.document):
            raise forms.ValidationError(
                _("The template already has a resource called %(name)s."),
                code="duplicate",
                params={"name": logical_id},
            )
        return logical_id

    @property
    def subject(self) -> str:
        cleaned = getattr(self, "cleaned_data", {})  # an unbound form has none
        return str(cleaned.get("logical_id") or self.original_id or "")

    def problem_id(self) -> str:
        return self.subject

    def updated_document(self) -> Document:
        resource = self.resource or {"Type": self.resource_type}
        resource = copy.deepcopy(resource)
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            properties = {}
        self.write(properties, resource)
        resource["Properties"] = properties
        document = editing.put_resource(
            self.document, self.cleaned_data["logical_id"], resource, self.original_id
        )
        return self.write_companions(document)

    def write_companions(self, document: Document) -> Document:
        """The resources created alongside this one (a function's permission, a load
        balancer's Elastic IPs…), put into ``document`` after the resource itself."""
        return document
