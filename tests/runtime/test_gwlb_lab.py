"""Whole GWLB runs (the starter) on real loopback sockets: checks, appliances, packets."""

import asyncio
from collections import Counter

import pytest

from labs.engine import events as contract
from labs.runtime.orchestrator import LabRuntime, RunOptions

from .helpers import EventLog, of_type, open_sockets, starter

pytestmark = pytest.mark.timeout(60)
APPLIANCES = ("Appliance1", "Appliance2", "Appliance3")


async def _run_until(topology, predicate, count=1, within=20.0):
    log = EventLog()
    async with LabRuntime(topology, RunOptions(duration=within, clock_speed=30), log.emit) as lab:
        stop = asyncio.Event()
        running = asyncio.get_running_loop().create_task(lab.run(stop))
        try:
            await log.wait_for(
                lambda _: sum(1 for e in log.events if predicate(e)) >= count, within
            )
        finally:
            stop.set()
            await running
    return log.events, lab


def _app(**behaviour):
    def edit(document):
        for name in APPLIANCES:
            document["Resources"][name]["Metadata"] = {"Playground": {"App": behaviour}}

    return edit


def _flow(state):
    return lambda e: e["type"] == "flow" and e["state"] == state


async def test_the_starter_checks_its_appliances_over_tcp_80_and_delivers_packets():
    events, lab = await _run_until(starter("gwlb-appliances.yaml"), _flow("delivered"), count=5)
    healthy = [e for e in of_type(events, "health") if e["state"] == "healthy"]
    assert {e["target"] for e in healthy} == {"10.0.1.10:6081", "10.0.1.11:6081", "10.0.2.10:6081"}
    assert all(e["check"]["status"] is None for e in healthy)  # TCP checks: no HTTP status
    for event in events:
        contract.validate(event)
    delivered = [e for e in of_type(events, "flow") if e["state"] == "delivered"]
    assert all(e["inner"]["destination"].startswith("10.0.3.10:") for e in delivered)
    assert lab.summary()["packets"]["delivered"] >= 5


async def test_an_appliance_drop_rule_in_playground_metadata_drops_dns():
    events, _ = await _run_until(
        starter("gwlb-appliances.yaml", _app(Drop=["udp/53"])), _flow("dropped"), count=3
    )
    flows = of_type(events, "flow")
    dropped = [e for e in flows if e["state"] == "dropped"]
    assert {(e["verdict"], e["rule"], e["protocol"]) for e in dropped} == {
        ("drop", "udp/53", "UDP")
    }
    assert all(
        e["inner"]["destination"] != "10.0.3.10:53" for e in flows if e["state"] == "delivered"
    )


def _failing_http_checks(document):
    _app(HealthStatus=500)(document)
    group = document["Resources"]["ApplianceTargets"]["Properties"]
    group["HealthCheckProtocol"] = "HTTP"


async def test_with_every_appliance_unhealthy_the_gwlb_drops_rather_than_failing_open():
    events, _ = await _run_until(
        starter("gwlb-appliances.yaml", _failing_http_checks), _flow("dropped"), count=5
    )
    unhealthy = [e for e in of_type(events, "health") if e["state"] == "unhealthy"]
    assert {e["reason"] for e in unhealthy} == {"Target.ResponseCodeMismatch"}
    flows = of_type(events, "flow")
    assert Counter(e["state"] for e in flows) == {"dropped": len(flows)}
    assert {e["reason"] for e in flows} == {"no_healthy_targets"}


async def test_a_gwlb_run_leaves_no_socket_open():
    before = open_sockets()
    await _run_until(starter("gwlb-appliances.yaml"), _flow("delivered"))
    assert open_sockets() <= before


def _rebalancing(document):
    group = document["Resources"]["ApplianceTargets"]["Properties"]
    group["TargetGroupAttributes"] = [
        {"Key": "target_failover.on_deregistration", "Value": "rebalance"},
        {"Key": "target_failover.on_unhealthy", "Value": "rebalance"},
        {"Key": "deregistration_delay.timeout_seconds", "Value": "0"},
    ]


async def test_deregistering_an_appliance_rebalances_its_flows_once_the_delay_ends():
    log = EventLog()
    topology = starter("gwlb-appliances.yaml", _rebalancing)
    zone_a = {"10.0.1.10:6081", "10.0.1.11:6081"}
    # The run's duration outlasts every wait below, so a slow machine fails on a wait, not
    # because the run ended first.
    async with LabRuntime(topology, RunOptions(duration=120, clock_speed=30), log.emit) as lab:
        stop = asyncio.Event()
        running = asyncio.get_running_loop().create_task(lab.run(stop))
        try:
            # Whichever zone-a appliance the flow hash gave a flow to first is the one to go.
            await log.wait_for(lambda e: _flow("delivered")(e) and e["target"] in zone_a, 20)
            gone = next(
                e["target"] for e in log.events if _flow("delivered")(e) and e["target"] in zone_a
            )
            lab.control(
                {"action": "deregister", "target_group": "ApplianceTargets", "target": gone}
            )
            await log.wait_for(lambda e: e["type"] == "health" and e["state"] == "unused", 10)
            cookies = {e["flow_cookie"] for e in of_type(log.events, "flow") if e["target"] == gone}
            await log.wait_for(
                lambda e: (
                    _flow("delivered")(e)
                    and e.get("flow_cookie") in cookies
                    and e["reason"] == "rebalance"
                ),
                20,
            )
        finally:
            stop.set()
            await running
    moved = [e for e in of_type(log.events, "flow") if e["reason"] == "rebalance"]
    assert {e["target"] for e in moved} == zone_a - {gone}  # the zone's other appliance
