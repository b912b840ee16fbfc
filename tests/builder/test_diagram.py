import pytest
from django.utils import translation

from labs import diagram, editing
from labs.forms import EDITORS
from tests.builder.helpers import demo_document, rule_data


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _boxes(drawing, cls):
    return [box for box in drawing.boxes if box.cls.split()[0] == cls]


def test_the_vpc_has_one_column_per_availability_zone_with_its_subnets():
    drawing = diagram.build(demo_document())
    zones = _boxes(drawing, "az")
    assert [zone.texts[0].text for zone in zones] == [
        "Availability Zone us-east-1a",
        "Availability Zone us-east-1b",
    ]
    subnets = {box.resource: box for box in _boxes(drawing, "subnet")}
    assert subnets["SubnetA"].x < subnets["SubnetB"].x
    assert subnets["SubnetA"].y == subnets["SubnetB"].y


def test_instances_sit_in_their_subnet_with_their_security_group_badges():
    drawing = diagram.build(demo_document())
    subnets = {box.resource: box for box in _boxes(drawing, "subnet")}
    instances = {box.resource: box for box in _boxes(drawing, "instance")}
    assert set(instances) == {"Web1", "Web2", "Web3"}
    inside = subnets["SubnetB"]
    assert inside.x < instances["Web3"].x < inside.x + inside.width
    assert inside.y < instances["Web3"].y < inside.y + inside.height
    assert [badge.text for badge in instances["Web1"].badges] == ["WebSecurityGroup"]


def test_the_load_balancer_has_a_node_in_each_enabled_zone():
    nodes = _boxes(diagram.build(demo_document()), "lb-node")
    assert [node.resource for node in nodes] == ["LoadBalancer", "LoadBalancer"]
    assert {node.texts[0].text for node in nodes} == {
        "LoadBalancer node 10.0.1.5",
        "LoadBalancer node 10.0.2.5",
    }


def test_rules_are_drawn_in_priority_order_with_the_default_last():
    document = demo_document()
    for name, priority, path in (("Late", 30, "/b"), ("Early", 10, "/a")):
        form = EDITORS["listener-rule"](
            rule_data(document, name, priority, path, "WebTargets"), document=document
        )
        assert form.is_valid()
        document = form.updated_document()
    rules = _boxes(diagram.build(document), "rule")
    assert [rule.resource for rule in rules] == ["Early", "Late", ""]
    assert [rule.y for rule in rules] == sorted(rule.y for rule in rules)
    assert rules[0].texts[1].text == "path /a"


def test_each_forward_draws_a_line_to_its_target_group():
    drawing = diagram.build(demo_document())
    group = _boxes(drawing, "target-group")[0]
    assert group.resource == "WebTargets"
    assert [t.text for t in group.texts[2:]] == [
        "Web1 · 10.0.1.10:80",
        "Web2 · 10.0.1.11:80",
        "Web3 · 10.0.2.10:80",
    ]
    forwards = [edge for edge in drawing.edges if "forward" in edge.cls]
    assert len(forwards) == 1
    assert forwards[0].path.endswith(f"{group.x},{group.y + 19}")


def test_the_same_document_draws_the_same_picture():
    assert diagram.build(demo_document()) == diagram.build(demo_document())


def test_an_unused_target_group_says_so():
    document = demo_document()
    document["Resources"]["Spare"] = {"Type": editing.TARGET_GROUP, "Properties": {"Port": 80}}
    spare = next(b for b in diagram.build(document).boxes if b.resource == "Spare")
    assert spare.cls == "target-group unused"


def test_an_empty_document_draws_nothing():
    assert diagram.build({}).empty
