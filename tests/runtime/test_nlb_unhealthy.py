"""A target that turns unhealthy loses its NLB flows, by default (target group health)."""

import asyncio

import pytest

from .helpers import starter
from .test_control import Lab

pytestmark = pytest.mark.timeout(60)
WEB1 = "10.0.1.10:80"
DELAY = "deregistration_delay"


def _termination(enabled):
    def edit(document):
        document["Resources"]["TcpTargets"]["Properties"]["TargetGroupAttributes"] = [
            {
                "Key": "target_health_state.unhealthy.connection_termination.enabled",
                "Value": enabled,
            }
        ]

    return edit


def _flow_to_web1(e):
    return e["type"] == "flow" and e["state"] == "open" and e["target"] == WEB1


def _cut(e):
    return e["type"] == "flow" and e.get("closed_by") == "unhealthy_target"


async def _web1_fails(lab):
    await lab.wait_for(_flow_to_web1, within=25)
    lab.runtime.control({"action": "fault", "target": WEB1, "mode": "unhealthy"})
    await lab.wait_for(lab.health(WEB1, "unhealthy"), within=25)


async def test_by_default_the_nlb_resets_the_flows_of_a_target_that_turns_unhealthy():
    async with Lab(starter("nlb-static-ips.yaml"), rps=20) as lab:
        await _web1_fails(lab)
        cut = [e for e in lab.events if _cut(e)]
        assert cut and {e["target"] for e in cut} == {WEB1}
        assert {e["state"] for e in cut} == {"reset"}


async def test_with_termination_off_its_flows_carry_on():
    async with Lab(starter("nlb-static-ips.yaml", _termination("false")), rps=20) as lab:
        await _web1_fails(lab)
        assert not [e for e in lab.events if _cut(e)]
        live = {f.decision.target for n in lab.runtime._nodes for f in n.live.values()}
        assert WEB1 in live


async def test_clients_stop_using_the_node_of_a_zone_left_without_healthy_targets():
    web2 = "10.0.2.10:80"
    async with Lab(starter("nlb-static-ips.yaml"), rps=30) as lab:
        await lab.wait_for(lambda e: _opened(e) and e["node_az"] == "us-east-1b", within=15)
        lab.runtime.control({"action": "fault", "target": web2, "mode": "unhealthy"})
        await lab.wait_for(lab.health(web2, "unhealthy"), within=15)
        since = len(lab.events)
        # The clients of node b lost their flows (reset with Web2): they connect again,
        # to the node DNS still returns. Without that, node b would reset them (no target).
        await lab.wait_for(lambda e: any(_opened(x) for x in lab.events[since:]), within=10)
        later = [e for e in lab.events[since:] if _opened(e)]
        assert {e["node_az"] for e in later} == {"us-east-1a"}  # zone b is out of DNS


def _opened(e):
    return e["type"] == "flow" and e["state"] == "open"


def _short_delay(terminate=None):
    def edit(document):
        attributes = [{"Key": "deregistration_delay.timeout_seconds", "Value": "30"}]
        if terminate is not None:
            key = "deregistration_delay.connection_termination.enabled"
            attributes.append({"Key": key, "Value": terminate})
        document["Resources"]["TcpTargets"]["Properties"]["TargetGroupAttributes"] = attributes

    return edit


async def _held_flow_to_web1(lab):
    """A kept-alive connection through node A (cross-zone off: to Web1), held open.

    Generated clients would leave node A themselves once Web1 is gone (DNS), so the
    test holds its own connection."""
    await lab.wait_for(lab.health(WEB1, "healthy"), within=15)
    (entry,) = lab.runtime.entries()
    reader, writer = await asyncio.open_connection(
        *entry.nodes[0], local_addr=(lab.runtime.sandbox.loopback("198.51.100.40"), 0)
    )
    writer.write(b"GET / HTTP/1.1\r\nHost: nlb.example.com\r\n\r\n")
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    await lab.wait_for(_flow_to_web1)
    return writer


async def _deregister_web1(lab):
    lab.runtime.control({"action": "deregister", "target_group": "TcpTargets", "target": WEB1})
    await lab.wait_for(lab.health(WEB1, "unused"), within=20)
    return [e for e in lab.events if e["type"] == "flow" and e.get("closed_by") == DELAY]


async def test_with_termination_on_a_deregistered_targets_flows_end_with_the_delay():
    async with Lab(starter("nlb-static-ips.yaml", _short_delay("true")), rps=0) as lab:
        writer = await _held_flow_to_web1(lab)
        try:
            cut = await _deregister_web1(lab)
        finally:
            writer.close()
        assert [(e["state"], e["target"]) for e in cut] == [("reset", WEB1)]


async def test_by_default_a_deregistered_targets_tcp_flows_outlive_the_delay():
    async with Lab(starter("nlb-static-ips.yaml", _short_delay()), rps=0) as lab:
        writer = await _held_flow_to_web1(lab)
        try:
            assert await _deregister_web1(lab) == []
            live = {f.decision.target for n in lab.runtime._nodes for f in n.live.values()}
            assert WEB1 in live
        finally:
            writer.close()
