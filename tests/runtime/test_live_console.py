"""The live lab's faults, traffic settings and console, on real loopback sockets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labs.cfn import load_topology, parse_document
from labs.engine import events

from .helpers import of_type, topology
from .test_control import Lab

pytestmark = pytest.mark.timeout(40)
WEB1 = "10.0.1.10:80"
STARTERS = Path(__file__).resolve().parents[2] / "labs" / "starters"


def _starter(name: str, edit=None):
    document = parse_document((STARTERS / f"{name}.yaml").read_text())
    if edit is not None:
        edit(document)
    return load_topology(json.dumps(document))


def _idle_timeout(seconds: int):
    def edit(document):
        document["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": str(seconds)}
        ]

    return edit


def _requests_to(lab: Lab, target: str, after: float) -> list[dict]:
    return [e for e in of_type(lab.events, "request") if e["target"] == target and e["t"] > after]


def _group_metric(event: dict, name: str) -> float:
    return sum(group.get(name, 0) for group in event["target_groups"].values())


async def test_a_5xx_fault_makes_the_target_answer_500_and_the_5xx_count_rise():
    async with Lab(topology(), rps=20) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        fault = lab.runtime.control({"action": "fault", "target": WEB1, "mode": "5xx"})
        at = lab.runtime.now()
        await lab.wait_for(
            lambda e: (
                e["type"] == "metrics"
                and e["t"] > at
                and _group_metric(e, "HTTPCode_Target_5XX_Count") > 0
            )
        )
    assert (fault["type"], fault["mode"], fault["target"]) == ("fault", "5xx", WEB1)
    late = _requests_to(lab, WEB1, at + 0.5)
    assert late and {e["target_status_code"] for e in late} == {500}
    assert {e["elb_status_code"] for e in late} == {500}  # the ALB passes the target's 500
    # Its health path still answers 200: health checks do not see an app's 500s.
    assert not [e for e in lab.events if lab.health(WEB1, "unhealthy")(e)]


async def test_a_hung_target_gets_504s_and_fails_its_checks_with_target_timeout():
    async with Lab(topology(_idle_timeout(2)), rps=10) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        lab.runtime.control({"action": "fault", "target": WEB1, "mode": "hang"})
        at = lab.runtime.now()
        await lab.wait_for(lab.health(WEB1, "unhealthy"))
        await lab.wait_for(
            lambda e: (
                e["type"] == "request"
                and e["target"] == WEB1
                and e["t"] > at
                and e["elb_status_code"] == 504
            )
        )
    unhealthy = next(e for e in lab.events if lab.health(WEB1, "unhealthy")(e))
    assert unhealthy["reason"] == "Target.Timeout"


async def test_a_stopped_instance_is_unused_and_gets_no_more_requests():
    # AWS: a stopped instance is `unused` / Target.InvalidState in its target groups
    # (ELB_BEHAVIOUR.md §3.3), not a target failing its checks.
    async with Lab(topology(), rps=20) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        lab.runtime.control({"action": "fault", "target": WEB1, "mode": "stopped"})
        await lab.wait_for(lab.health(WEB1, "unused"))
        unused = next(e for e in lab.events if lab.health(WEB1, "unused")(e))
        await lab.wait_for(lambda e: e["type"] == "request" and e["t"] > unused["t"] + 1)
    assert unused["reason"] == "Target.InvalidState"
    late = [
        e
        for e in lab.events
        if e["type"] == "request" and e["t"] > unused["t"] + 0.5 and e["target"] == WEB1
    ]
    assert late == []


async def test_an_az_fault_hits_every_instance_in_that_zone_and_only_those():
    async with Lab(topology(), rps=10) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        fault = lab.runtime.control({"action": "fault", "az": "us-east-1a", "mode": "unhealthy"})
        await lab.wait_for(lab.health("10.0.1.10:80", "unhealthy"))
        await lab.wait_for(lab.health("10.0.1.11:80", "unhealthy"))
        cleared = lab.runtime.control({"action": "fault", "az": "us-east-1a", "mode": "normal"})
        await lab.wait_for(
            lambda e: lab.health("10.0.1.10:80", "healthy")(e) and e["previous"] == "unhealthy"
        )
    assert fault["az"] == "us-east-1a" and fault["targets"] == ["10.0.1.10:80", "10.0.1.11:80"]
    events.validate(fault)
    assert cleared["mode"] == "normal"
    assert not [e for e in lab.events if lab.health("10.0.2.10:80", "unhealthy")(e)]


async def test_the_request_mix_sends_weighted_paths_hosts_and_headers():
    async with Lab(topology(), rps=40) as lab:
        await lab.wait_for(lambda e: e["type"] == "request")
        event = lab.runtime.control(
            {
                "action": "traffic",
                "clients": 2,
                "keep_alive": False,
                "mix": [
                    {
                        "path": "/api/orders?x=1",
                        "host": "api.example.com",
                        "weight": 3,
                        "headers": [["X-Test", "yes"]],
                    },
                    {"path": "/", "weight": 1},
                ],
            }
        )
        at = lab.runtime.now()
        await lab.wait_for(
            lambda e: e["type"] == "request" and e["t"] > at + 1 and e["path"] == "/"
        )
        await lab.wait_for(
            lambda e: e["type"] == "request" and e["t"] > at and e["path"] == "/api/orders"
        )
    assert event["traffic"]["clients"] == 2 and event["traffic"]["keep_alive"] is False
    events.validate(event)
    late = [e for e in of_type(lab.events, "request") if e["t"] > at + 0.5]
    assert {e["path"] for e in late} <= {"/api/orders", "/"}
    api = [e for e in late if e["path"] == "/api/orders"]
    assert {(e["host"], e["query"]) for e in api} == {("api.example.com", "x=1")}
    assert len({e["client_ip"] for e in late}) <= 2


async def test_pause_keeps_the_rate_for_resume():
    async with Lab(topology(), rps=40) as lab:
        await lab.wait_for(lambda e: e["type"] == "request")
        paused = lab.runtime.control({"action": "traffic", "paused": True})
        at = lab.runtime.now()
        await lab.wait_for(lambda e: e["type"] == "metrics" and e["t"] > at + 30)
        assert [e for e in of_type(lab.events, "request") if e["t"] > at + 15] == []
        resumed = lab.runtime.control({"action": "traffic", "paused": False})
        again = lab.runtime.now()
        await lab.wait_for(lambda e: e["type"] == "request" and e["t"] > again)
    assert paused["traffic"]["paused"] is True and resumed["traffic"]["rps"] == 40


async def test_a_console_request_comes_back_with_its_answer_and_its_trace():
    async with Lab(topology(), rps=1) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        answer = await lab.runtime.send_request(
            {
                "id": "c-1",
                "method": "GET",
                "path": "/hello",
                "query": "a=1",
                "host": "shop.example.com",
                "headers": [["X-Debug", "1"]],
                "cookies": [],
                "client_ip": "203.0.113.7",
            }
        )
        root = answer["trace_root"]
        await lab.wait_for(lambda e: e["type"] == "request" and root in e["trace_id"])
    assert (answer["type"], answer["id"], answer["status"]) == ("console", "c-1", 200)
    events.validate(answer)  # the one definition of the event, labs.engine.events
    for fault in of_type(lab.events, "fault"):
        events.validate(fault)
    echo = json.loads(answer["body"])
    assert echo["path"] == "/hello" and echo["query"] == "a=1"
    assert ["X-Debug", "1"] in echo["headers"]
    request = next(e for e in of_type(lab.events, "request") if root in e["trace_id"])
    assert (request["client_ip"], request["host"]) == ("203.0.113.7", "shop.example.com")
    assert "console" in {e["type"] for e in lab.events}  # the answer is emitted too


async def test_the_console_cookie_jar_keeps_a_client_on_its_sticky_target():
    async with Lab(_starter("sticky-sessions"), rps=1) as lab:
        await lab.wait_for(lambda e: e["type"] == "health" and e["state"] == "healthy")
        ask = {"method": "GET", "path": "/shop/cart", "client_ip": "198.51.100.77"}
        first = await lab.runtime.send_request({**ask, "id": "1"})
        second = await lab.runtime.send_request({**ask, "id": "2"})
        roots = (first["trace_root"], second["trace_root"])
        await lab.wait_for(lambda e: e["type"] == "request" and roots[1] in e["trace_id"])
        other = await lab.runtime.send_request({**ask, "id": "3", "forget_cookies": True})
    assert "AWSALB" in first["cookies"] and "AWSALB" in second["cookies"]
    one, two = (
        next(e for e in of_type(lab.events, "request") if root in e["trace_id"]) for root in roots
    )
    assert one["target"] == two["target"]
    assert one["reason"] != "sticky:AWSALB"  # the first had no cookie yet
    assert two["reason"] == "sticky:AWSALB"  # the second's AWSALB cookie was honoured
    assert other["status"] == 200


async def test_a_console_request_names_a_missing_listener():
    async with Lab(topology(), rps=1) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        answer = await lab.runtime.send_request(
            {"id": "x", "method": "GET", "path": "/", "client_ip": "203.0.113.8", "listener": 81}
        )
    assert "status" not in answer
    assert "no HTTP listener" in answer["error"]


async def test_a_console_request_goes_through_a_classic_load_balancer_too():
    async with Lab(_starter("classic-lb"), rps=2) as lab:
        await lab.wait_for(lambda e: e["type"] == "request" and e["elb_status_code"] == 200)
        answer = await lab.runtime.send_request(
            {"id": "clb", "method": "GET", "path": "/", "client_ip": "198.51.100.200"}
        )
        root = answer["trace_root"]
        await lab.wait_for(lambda e: e["type"] == "request" and root in e["trace_id"])
    assert answer["status"] == 200
    request = next(e for e in of_type(lab.events, "request") if root in e["trace_id"])
    assert request["client_ip"] == "198.51.100.200" and request["target"]
