"""An ALB as the target of an NLB (spec §6.5), on real loopback sockets: the starter."""

import json

import pytest

from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, starter

pytestmark = pytest.mark.timeout(60)
STARTER = "nlb-in-front-of-alb.yaml"


def _alb_nodes(topology):
    (alb,) = [lb for lb in topology.load_balancers if lb.type == "application"]
    return {f"{node.ip}:80": node.az for node in alb.nodes}


def _cross_zone_off(document):
    del document["Resources"]["NetworkLoadBalancer"]["Properties"]["LoadBalancerAttributes"]


async def test_a_request_goes_through_the_nlb_to_an_alb_node_and_by_its_rules_to_a_target():
    topology = starter(STARTER)
    events, lab = await run_script(
        topology, ScriptedRequest(url="http://nlb.example.com/users/42", client_ip="203.0.113.7")
    )
    answer = lab.answers[0]
    assert answer.status == 200
    (flow,) = [e for e in of_type(events, "flow") if e["state"] != "open"]
    assert flow["lb"] == "NetworkLoadBalancer"
    assert flow["target"] in _alb_nodes(topology)  # an ALB node, not the ALB's targets
    assert flow["source_seen_by_target"].startswith("203.0.113.7:")  # client IP kept
    (request,) = [e for e in of_type(events, "request") if e["path"] == "/users/42"]
    assert request["lb"] == "ApplicationLoadBalancer"
    assert request["target_group"] == "UsersTargets"  # the ALB's path rule
    assert request["client_ip"] == "203.0.113.7"  # the internal ALB admitted it
    echo = json.loads(answer.body)
    headers = {name.lower(): value for name, value in echo["headers"]}
    assert headers["x-forwarded-for"] == "203.0.113.7"


async def test_the_nlb_checks_each_alb_node_over_http_through_the_albs_rules():
    topology = starter(STARTER)
    events, _ = await run_script(
        topology, ScriptedRequest(url="http://nlb.example.com/", client_ip="203.0.113.7")
    )
    checks = [e for e in of_type(events, "health") if e["target_group"] == "AlbTargets"]
    healthy = {e["target"] for e in checks if e["state"] == "healthy"}
    assert healthy == set(_alb_nodes(topology))
    assert all(e["check"]["status"] == 200 for e in checks if e["check"])
    assert {e["instance"] for e in checks} == {"ApplicationLoadBalancer"}
    probes = [e for e in of_type(events, "request") if e["path"] == "/health"]
    (nlb,) = [lb for lb in topology.load_balancers if lb.type == "network"]
    assert {e["client_ip"] for e in probes} <= {node.ip for node in nlb.nodes}
    assert {e["target_group"] for e in probes} == {"WebTargets"}  # the ALB's default action
    # An NLB's HTTP check names the checking node's IP (and listener port, §3.2), not
    # the target's: the request event shows the Host header's name part.
    assert probes and all(e["host"] == e["client_ip"] for e in probes)


async def test_with_cross_zone_off_a_flow_stays_on_the_alb_node_in_its_own_zone():
    topology = starter(STARTER, _cross_zone_off)
    zones = _alb_nodes(topology)
    requests = [
        ScriptedRequest(url="http://nlb.example.com/users", client=f"c{n}") for n in range(8)
    ]
    events, lab = await run_script(topology, *requests)
    assert [a.status for a in lab.answers] == [200] * 8
    flows = [e for e in of_type(events, "flow") if e["state"] == "open"]
    assert len(flows) == 8
    assert all(zones[f["target"]] == f["node_az"] for f in flows)
    assert {f["reason"] for f in flows} == {"flow_hash:own_zone"}


def test_two_load_balancers_in_one_subnet_get_distinct_node_addresses():
    topology = starter(STARTER)
    addresses = [node.ip for lb in topology.load_balancers for node in lb.nodes]
    assert len(addresses) == len(set(addresses)) == 4


async def test_healthy_host_count_leaves_out_the_alb_target_group():
    events, _ = await run_script(
        starter(STARTER), ScriptedRequest(url="http://nlb.example.com/", client_ip="203.0.113.7")
    )
    groups = of_type(events, "metrics")[-1]["target_groups"]
    assert "AlbTargets" not in groups  # §6.5: HealthyHostCount excludes ALB targets
    assert groups["WebTargets"]["HealthyHostCount"] == 1


async def test_an_nlb_alb_run_leaves_no_listener_and_forgets_its_upstream_sockets():
    from .helpers import listening_ports

    before = listening_ports()
    _, lab = await run_script(starter(STARTER), ScriptedRequest(url="http://nlb.example.com/"))
    assert listening_ports() == before
    assert lab._ctx.through_nlb == set()  # every flow's socket was taken off the list
