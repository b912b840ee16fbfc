"""export(import(x)) is x: a real-shaped template keeps its parameters, mappings,
conditions, outputs and the resources the playground does not simulate, through the
builder's export and through a builder edit, and still passes cfn-lint."""

from pathlib import Path

import pytest
from cfnlint.api import lint

from labs import cfn, editing
from labs.forms import EDITORS, RESOURCE_EDITORS
from tests.builder.helpers import form_data

HERE = Path(__file__).parent
TEMPLATES = sorted(path.name for path in HERE.glob("*.yaml"))
KEPT = ("Parameters", "Mappings", "Conditions", "Outputs", "Transform")


def lint_errors(text: str) -> list[str]:
    """cfn-lint's errors (E…); warnings such as a deprecated type are the template's own."""
    return [
        f"{match.rule.id} line {match.linenumber}: {match.message}"
        for match in lint(text)
        if match.rule.id.startswith("E")
    ]


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("dump", [editing.dump_yaml, cfn.dump_json], ids=["yaml", "json"])
def test_the_exported_template_is_the_imported_one_and_passes_cfn_lint(name, dump):
    text = (HERE / name).read_text()
    document = cfn.parse_document(text)

    exported = dump(document)

    assert cfn.parse_document(exported) == document
    assert lint_errors(text) == []
    assert lint_errors(exported) == []


def kept(before: dict, after: dict) -> None:
    """``after`` has everything of ``before`` a builder edit has no form for."""
    for key in KEPT:
        assert after.get(key) == before.get(key), key
    resources = before["Resources"]
    assert list(after["Resources"]) == list(resources)
    unmodelled = [k for k, r in resources.items() if r["Type"] not in cfn.SUPPORTED]
    assert {k: after["Resources"][k] for k in unmodelled} == {k: resources[k] for k in unmodelled}


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_traffic_edit_keeps_the_whole_template(name):
    document = cfn.parse_document((HERE / name).read_text())
    unchanged = EDITORS["traffic"](document=document)
    form = EDITORS["traffic"](form_data(unchanged, paths="/\n/health"), document=document)
    assert form.is_valid(), form.errors

    exported = editing.dump_yaml(form.updated_document())

    again = cfn.parse_document(exported)
    kept(document, again)
    assert again["Resources"] == document["Resources"]
    assert lint_errors(exported) == []


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_load_balancer_edit_keeps_what_the_builder_does_not_edit(name):
    document = cfn.parse_document((HERE / name).read_text())
    resources = document["Resources"]
    logical_id, resource = next(
        (k, r) for k, r in resources.items() if r["Type"].endswith("LoadBalancer")
    )
    form_class = RESOURCE_EDITORS[resource["Type"]]
    unchanged = form_class(document=document, original_id=logical_id)
    form = form_class(form_data(unchanged), document=document, original_id=logical_id)
    assert form.is_valid(), form.errors

    exported = editing.dump_yaml(form.updated_document())

    kept(document, cfn.parse_document(exported))
    assert lint_errors(exported) == []
