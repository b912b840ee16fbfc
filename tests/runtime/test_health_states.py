"""The health checker carries out the engine's health table on real sockets (spec §3.3)."""

import asyncio
import copy

import pytest

from labs.engine import health
from labs.engine.spec import HealthCheck, Target, TargetGroup
from labs.runtime.clock import LabClock
from labs.runtime.health_checker import TargetChecker
from labs.runtime.sandbox import Sandbox
from labs.runtime.targets import start_target

from .helpers import of_type, run_until, topology

pytestmark = pytest.mark.timeout(30)
WEB1 = Target(id="Web1", ip="10.0.1.10", port=80, az="us-east-1a")


async def test_passing_checks_leave_a_deregistered_target_draining():
    sandbox = Sandbox()
    server = await start_target(WEB1, sandbox, lambda source: True, frozenset({"/"}))
    reports: list[dict] = []

    def report(event):
        reports.append(event.wire())

    group = TargetGroup(
        name="WebTargets", targets=(WEB1,), health_check=HealthCheck(healthy_threshold=2)
    )
    states: dict[str, str] = {}
    checker = TargetChecker(
        group, WEB1, sandbox.loopback("10.0.1.250"), sandbox, LabClock(1), states, report
    )
    try:
        async with asyncio.timeout(10):
            assert await checker.check_once()  # one pass: healthy
            assert checker.apply(health.Deregistered(at=1.0))
            for _ in range(3):
                assert not await checker.check_once()
    finally:
        listening = server.server
        server.close()
        if listening is not None:
            await listening.wait_closed()

    assert states == {WEB1.address: "draining"}
    assert [r["check"]["status"] for r in reports[-3:]] == [200, 200, 200]
    assert {(r["state"], r["reason"]) for r in reports[-3:]} == {
        ("draining", "Target.DeregistrationInProgress")
    }


def _unused_group(document):
    resources = document["Resources"]
    spare = copy.deepcopy(resources["WebTargets"])
    spare["Properties"]["Targets"] = [{"Id": {"Ref": "Web3"}}]
    resources["SpareTargets"] = spare


async def test_a_group_no_rule_uses_is_unused_not_in_use_and_never_checked():
    events, _ = await run_until(
        topology(_unused_group),
        lambda events: len([e for e in of_type(events, "request") if e["target"]]) >= 3,
    )

    spare = [e for e in of_type(events, "health") if e["target_group"] == "SpareTargets"]
    assert [(e["state"], e["previous"], e["reason"], e["description"]) for e in spare] == [
        ("initial", None, "Elb.RegistrationInProgress", "Target registration is in progress"),
        (
            "unused",
            "initial",
            "Target.NotInUse",
            "Target group is not configured to receive traffic from the load balancer",
        ),
    ]
    assert all(e["check"] is None for e in spare)
