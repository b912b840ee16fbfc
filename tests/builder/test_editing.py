from labs import editing
from tests.builder.helpers import demo_document


def test_renaming_a_resource_renames_every_reference_to_it():
    document = demo_document()
    resource = document["Resources"]["WebTargets"]
    document["Resources"]["Other"] = {
        "Type": "X",
        "DependsOn": ["WebTargets"],
        "Properties": {"A": {"Fn::GetAtt": ["WebTargets", "Arn"]}},
    }
    renamed = editing.put_resource(document, "AppTargets", resource, "WebTargets")
    names = list(renamed["Resources"])
    assert "WebTargets" not in names
    assert names.index("AppTargets") == list(document["Resources"]).index("WebTargets")
    listener = renamed["Resources"]["HttpListener"]["Properties"]
    assert listener["DefaultActions"][0]["TargetGroupArn"] == {"Ref": "AppTargets"}
    other = renamed["Resources"]["Other"]
    assert other["DependsOn"] == ["AppTargets"]
    assert other["Properties"]["A"] == {"Fn::GetAtt": ["AppTargets", "Arn"]}
    assert "WebTargets" in document["Resources"], "the original document is left alone"


def test_a_new_resource_goes_last():
    document = editing.put_resource(demo_document(), "Extra", {"Type": "AWS::EC2::VPC"})
    assert list(document["Resources"])[-1] == "Extra"


def test_deleting_leaves_the_references_for_validation_to_name():
    document = editing.delete_resource(demo_document(), "WebTargets")
    assert "WebTargets" not in document["Resources"]
    listener = document["Resources"]["HttpListener"]["Properties"]
    assert listener["DefaultActions"][0]["TargetGroupArn"] == {"Ref": "WebTargets"}


def test_ref_name_reads_ref_and_getatt_in_both_spellings():
    assert editing.ref_name({"Ref": "A"}) == "A"
    assert editing.ref_name({"Fn::GetAtt": ["B", "Arn"]}) == "B"
    assert editing.ref_name({"Fn::GetAtt": "C.Arn"}) == "C"
    assert editing.ref_name("10.0.1.10") is None


def test_dumped_yaml_reads_back_the_same():
    from labs import cfn

    document = demo_document()
    assert cfn.parse_document(editing.dump_yaml(document)) == document
    assert cfn.parse_document(editing.dump_json(document)) == document
