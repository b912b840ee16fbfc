"""Import and export: parse(dump(parse(x))) == parse(x), in YAML and in JSON."""

from hypothesis import HealthCheck, given, settings

from labs.cfn import dump_json, dump_yaml, load_topology, parse_document, validate
from tests.document.helpers import EVERY_TYPE, every_type_document
from tests.document.strategies import documents, valid_documents


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_document_survives_yaml_and_json_export(document):
    assert parse_document(dump_yaml(document)) == document
    assert parse_document(dump_json(document)) == document


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_exporting_twice_gives_the_same_text(document):
    text = dump_yaml(document)

    assert dump_yaml(parse_document(text)) == text


@settings(max_examples=60, deadline=None)
@given(valid_documents())
def test_a_valid_topology_stays_valid_and_the_same_through_either_format(document):
    assert validate(document) == []

    topology = load_topology(document)

    assert load_topology(dump_yaml(document)) == topology
    assert load_topology(dump_json(document)) == topology


def test_json_and_yaml_of_the_every_type_template_are_the_same_document():
    document = parse_document(EVERY_TYPE)

    assert parse_document(dump_json(document)) == parse_document(dump_yaml(document)) == document
    assert load_topology(dump_json(document)) == load_topology(EVERY_TYPE)


def test_yaml_export_uses_short_forms_and_json_export_long_forms():
    document = every_type_document()

    yaml_text, json_text = dump_yaml(document), dump_json(document)

    assert "SubnetId: !Ref SubnetA" in yaml_text
    assert "AllocationId: !GetAtt EipA.AllocationId" in yaml_text
    assert "Value: !Sub https://${LoadBalancer.DNSName}/" in yaml_text
    assert '"SubnetId": {\n          "Ref": "SubnetA"\n        }' in json_text


def test_export_puts_the_top_level_keys_in_cloudformation_order_and_keeps_resource_order():
    document = every_type_document()
    shuffled = {
        "Outputs": document["Outputs"],
        "Resources": document["Resources"],
        "Metadata": document["Metadata"],
        "Description": document["Description"],
        "AWSTemplateFormatVersion": document["AWSTemplateFormatVersion"],
    }

    exported = parse_document(dump_json(shuffled))

    assert list(exported) == [
        "AWSTemplateFormatVersion",
        "Description",
        "Metadata",
        "Resources",
        "Outputs",
    ]
    assert list(exported["Resources"]) == list(document["Resources"])


def test_an_unquoted_template_version_stays_a_string():
    text = "AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n"

    assert parse_document(text)["AWSTemplateFormatVersion"] == "2010-09-09"


def test_a_multi_line_string_is_exported_as_a_literal_block():
    yaml_text = dump_yaml(every_type_document())

    assert "ZipFile: |\n          def handler(event, context):\n" in yaml_text
