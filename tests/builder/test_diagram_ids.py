"""The diagram's data-* ids: every LB node, rule, target group and target a run's events
name can be found on the drawing by the names those events use (issue 10, the live lab)."""

from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from labs import cfn, diagram

STARTERS = Path(__file__).resolve().parents[2] / "labs" / "starters"
RUNNABLE = sorted(path.stem for path in STARTERS.glob("*.yaml"))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _document(name):
    return cfn.parse_document((STARTERS / f"{name}.yaml").read_text("utf-8"))


def _boxes(drawing, cls):
    return [box for box in drawing.boxes if box.cls.split()[0] == cls]


def _target_texts(drawing):
    return [text for box in drawing.boxes for text in box.texts if "target-id" in text.data]


def test_each_load_balancer_node_names_its_load_balancer_and_zone():
    nodes = _boxes(diagram.build(_document("path-routing")), "lb-node")
    assert [node.data for node in nodes] == [
        {"lb": "LoadBalancer", "az": "us-east-1a"},
        {"lb": "LoadBalancer", "az": "us-east-1b"},
    ]


def test_each_rule_names_its_listener_port_and_priority_as_events_do():
    rules = _boxes(diagram.build(_document("path-routing")), "rule")
    assert [(rule.resource, rule.data) for rule in rules] == [
        (
            "UsersRule",
            {"lb": "LoadBalancer", "listener-port": "80", "listener": "HttpListener", "rule": "10"},
        ),
        (
            "PostsRule",
            {"lb": "LoadBalancer", "listener-port": "80", "listener": "HttpListener", "rule": "20"},
        ),
        (
            "",
            {
                "lb": "LoadBalancer",
                "listener-port": "80",
                "listener": "HttpListener",
                "rule": "default",
            },
        ),
    ]


def test_target_groups_and_their_targets_carry_the_ids_a_run_gives_them():
    drawing = diagram.build(_document("path-routing"))
    groups = _boxes(drawing, "target-group")
    assert [group.data for group in groups] == [
        {"target-group": "UsersTargets"},
        {"target-group": "PostsTargets"},
    ]
    assert [text.data for text in _target_texts(drawing)] == [
        {"target-group": "UsersTargets", "target-id": "Users1", "target-port": "80"},
        {"target-group": "UsersTargets", "target-id": "Users2", "target-port": "80"},
        {"target-group": "PostsTargets", "target-id": "Posts1", "target-port": "80"},
        {"target-group": "PostsTargets", "target-id": "Posts2", "target-port": "80"},
    ]
    instances = {box.resource: box.data for box in _boxes(drawing, "instance")}
    assert instances["Users2"] == {"instance": "Users2", "az": "us-east-1b"}


@pytest.mark.parametrize("starter", RUNNABLE)
def test_every_target_and_node_of_a_starters_run_is_on_its_diagram(starter):
    topology = cfn.load_topology(_document(starter))
    drawing = diagram.build(_document(starter))
    drawn = {(t.data["target-group"], t.data["target-id"]) for t in _target_texts(drawing)}
    for group in topology.target_groups:
        for target in group.targets:
            assert (group.name, target.id) in drawn
    for lb in topology.load_balancers:  # a Classic LB is its own "group" in events
        for instance in lb.instances:
            assert (lb.name, instance.id) in drawn
    nodes = {(box.data["lb"], box.data["az"]) for box in _boxes(drawing, "lb-node")}
    for lb in topology.load_balancers:
        assert {(lb.name, node.az) for node in lb.nodes} <= nodes


def test_targets_on_one_instance_are_told_apart_by_port():
    drawing = diagram.build(_document("containers-dynamic-ports"))
    ports = [t.data["target-port"] for t in _target_texts(drawing)]
    assert ports == ["32768", "32769", "32770"]


def test_an_ip_target_is_named_by_its_address():
    document = _document("path-routing")
    document["Resources"]["UsersTargets"]["Properties"].update(
        TargetType="ip", Targets=[{"Id": "10.0.1.99", "Port": 8080}]
    )
    drawing = diagram.build(document)
    ip_target = {"target-group": "UsersTargets", "target-id": "10.0.1.99", "target-port": "8080"}
    assert ip_target in [text.data for text in _target_texts(drawing)]


def test_the_ids_reach_the_svg_as_data_attributes_that_draw_nothing():
    drawing = diagram.build(_document("path-routing"))
    svg = render_to_string("labs/_diagram.html", {"diagram": drawing})
    assert 'data-lb="LoadBalancer" data-az="us-east-1a"' in svg
    assert 'data-listener-port="80" data-listener="HttpListener" data-rule="20"' in svg
    posts2 = 'data-target-group="PostsTargets" data-target-id="Posts2" data-target-port="80"'
    assert f'class="target" {posts2}' in svg
    assert svg.count("data-rule=") == 3


def test_a_classic_load_balancers_instances_carry_their_ids():
    document = _document("classic-lb")
    registered = next(
        box for box in _boxes(diagram.build(document), "rule") if "classic" in box.cls
    )
    lb = registered.resource
    assert registered.data == {"lb": lb}
    instances = document["Resources"][lb]["Properties"]["Instances"]
    assert [t.data for t in registered.texts if t.data] == [
        {"target-group": lb, "target-id": instance["Ref"]} for instance in instances
    ]
