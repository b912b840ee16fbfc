"""How the diagram draws NLBs, GWLBs, Classic LBs, Lambda targets and auto scaling groups."""

from pathlib import Path

import pytest
from django.utils import translation

from labs import cfn, diagram
from tests.builder.helpers import demo_document
from tests.builder.test_more_forms import _fleet

STARTERS = Path(__file__).resolve().parents[2] / "labs" / "starters"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _draw(name):
    return diagram.build(cfn.parse_document((STARTERS / f"{name}.yaml").read_text("utf-8")))


def _boxes(drawing, cls):
    return [box for box in drawing.boxes if box.cls.split()[0] == cls]


def _texts(box):
    return [text.text for text in box.texts]


def test_an_nlb_has_a_node_per_zone_with_its_elastic_ip():
    nodes = _boxes(_draw("nlb-static-ips"), "lb-node")
    assert [node.cls for node in nodes] == ["lb-node network"] * 2
    assert [_texts(node) for node in nodes] == [
        ["LoadBalancer node 10.0.1.5", "Elastic IP ElasticIpA"],
        ["LoadBalancer node 10.0.2.5", "Elastic IP ElasticIpB"],
    ]


def test_a_gwlb_listener_reads_geneve_and_its_check_tcp():
    drawing = _draw("gwlb-appliances")
    assert [node.cls for node in _boxes(drawing, "lb-node")] == ["lb-node gateway"] * 2
    assert _texts(_boxes(drawing, "listener")[0])[0] == "GENEVE:6081"
    lb = _boxes(drawing, "lb")[0]
    assert _texts(lb) == ["LoadBalancer", "gateway"]
    group = _boxes(drawing, "target-group")[0]
    assert _texts(group)[:2] == ["ApplianceTargets · GENEVE:6081", "health check TCP:80"]


def test_a_classic_lb_has_nodes_listeners_and_its_registered_instances():
    drawing = _draw("classic-lb")
    assert [node.resource for node in _boxes(drawing, "lb-node")] == ["LoadBalancer"] * 2
    assert _texts(_boxes(drawing, "listener")[0]) == ["HTTP:80", "→ HTTP:80"]
    registered = next(box for box in _boxes(drawing, "rule") if "classic" in box.cls)
    assert _texts(registered) == [
        "Registered instances",
        "Web1 · 10.0.1.10",
        "Web2 · 10.0.2.10",
        "health check HTTP:80/health",
    ]
    assert not _boxes(drawing, "target-group")


def test_a_lambda_function_is_drawn_as_its_target_groups_target():
    group = _boxes(_draw("lambda-target"), "target-group")[0]
    assert _texts(group)[0] == "FunctionTargets · lambda"
    assert _texts(group)[1:] == ["health checks off", "λ EchoFunction · echo"]


def test_an_auto_scaling_groups_instances_are_grouped_in_their_subnets():
    drawing = diagram.build(_fleet(demo_document()))
    subnets = {box.resource: box for box in _boxes(drawing, "subnet")}
    fleets = _boxes(drawing, "asg")
    assert [box.resource for box in fleets] == ["Fleet", "Fleet"]
    by_subnet = {
        next(name for name, s in subnets.items() if s.x < box.x < s.x + s.width): _texts(box)
        for box in fleets
    }
    assert by_subnet == {
        "SubnetA": ["Auto Scaling group Fleet", "Fleet-1", "Fleet-3"],
        "SubnetB": ["Auto Scaling group Fleet", "Fleet-2"],
    }
    for box in fleets:
        subnet = next(s for s in subnets.values() if s.x < box.x < s.x + s.width)
        assert box.y + box.height <= subnet.y + subnet.height
    group = next(box for box in _boxes(drawing, "target-group") if box.resource == "WebTargets")
    assert _texts(group)[-3:] == [f"Fleet-{n}:80 (ASG)" for n in (1, 2, 3)]
