"""Changing a running lab: deregistration and draining, faults, traffic (spec §2.6)."""

import asyncio

import pytest

from labs.runtime.orchestrator import ControlError, LabRuntime, RunOptions

from .helpers import EventLog, of_type, topology

pytestmark = pytest.mark.timeout(30)
WEB1 = "10.0.1.10:80"


def _delay(seconds):
    def edit(document):
        document["Resources"]["WebTargets"]["Properties"]["TargetGroupAttributes"] = [
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(seconds)}
        ]

    return edit


class Lab(EventLog):
    """A running lab and what it emitted, for tests that steer it."""

    def __init__(self, topo, **options):
        super().__init__()
        # Long enough to outlast every wait a test makes: the test stops the run itself.
        options = {"duration": 120, "clock_speed": 30, "rps": 40, **options}
        self.runtime = LabRuntime(topo, RunOptions(**options), self.emit, sample_events=False)
        self.stop = asyncio.Event()

    async def __aenter__(self):
        await self.runtime.__aenter__()
        self.task = asyncio.get_running_loop().create_task(self.runtime.run(self.stop))
        return self

    async def __aexit__(self, *exc):
        self.stop.set()
        await self.task
        await self.runtime.__aexit__(*exc)

    def health(self, target, state):
        return lambda e: e["type"] == "health" and e["target"] == target and e["state"] == state


async def test_a_deregistered_target_drains_then_becomes_unused_and_gets_no_new_requests():
    async with Lab(topology(_delay(60))) as lab:
        await lab.wait_for(lambda e: e["type"] == "request" and e["target"] == WEB1)
        fault = lab.runtime.control(
            {"action": "deregister", "target_group": "WebTargets", "target": WEB1}
        )
        assert (fault["type"], fault["action"], fault["target"]) == ("fault", "deregister", WEB1)
        cutoff = lab.runtime.now()
        await lab.wait_for(lab.health(WEB1, "draining"))
        await lab.wait_for(lab.health(WEB1, "unused"))  # 60 lab-seconds later
    draining = next(e for e in lab.events if lab.health(WEB1, "draining")(e))
    unused = next(e for e in lab.events if lab.health(WEB1, "unused")(e))
    assert draining["reason"] == "Target.DeregistrationInProgress"
    assert unused["reason"] == "Target.NotRegistered"
    assert unused["t"] - draining["t"] >= 60
    late = [e for e in of_type(lab.events, "request") if e["t"] > cutoff + 0.5]
    assert late and WEB1 not in {e["target"] for e in late}


async def test_a_registered_target_starts_initial_and_passes_back_in():
    async with Lab(topology(_delay(0))) as lab:
        lab.runtime.control({"action": "deregister", "target_group": "WebTargets", "target": WEB1})
        await lab.wait_for(lab.health(WEB1, "unused"))
        lab.runtime.control({"action": "register", "target_group": "WebTargets", "target": WEB1})
        await lab.wait_for(
            lambda e: lab.health(WEB1, "healthy")(e) and e["previous"] == "initial" and e["t"] > 0.5
        )


@pytest.mark.parametrize(("mode", "reason"), [("unhealthy", "Target.ResponseCodeMismatch")])
async def test_a_fault_turns_a_target_unhealthy_with_awss_reason(mode, reason):
    async with Lab(topology(), rps=5) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        lab.runtime.control({"action": "fault", "target": WEB1, "mode": mode})
        await lab.wait_for(lab.health(WEB1, "unhealthy"))
        lab.runtime.control({"action": "fault", "target": WEB1, "mode": "normal"})
        await lab.wait_for(
            lambda e: lab.health(WEB1, "healthy")(e) and e["previous"] == "unhealthy"
        )
    unhealthy = next(e for e in lab.events if lab.health(WEB1, "unhealthy")(e))
    assert unhealthy["reason"] == reason
    faults = [e for e in lab.events if e["type"] == "fault"]
    assert [f["mode"] for f in faults] == [mode, "normal"]


async def test_a_traffic_command_pauses_and_resumes_generated_requests():
    async with Lab(topology()) as lab:
        await lab.wait_for(lambda e: e["type"] == "request")
        lab.runtime.control({"action": "traffic", "rps": 0})
        paused_at = lab.runtime.now()
        await lab.wait_for(lambda e: e["type"] == "metrics" and e["t"] > paused_at + 45)
        quiet = [e for e in of_type(lab.events, "request") if e["t"] > paused_at + 15]
        assert quiet == []
        lab.runtime.control({"action": "traffic", "rps": 40})
        resumed_at = lab.runtime.now()
        await lab.wait_for(lambda e: e["type"] == "request" and e["t"] > resumed_at)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ({"action": "explode"}, "ValidationError"),
        ({"action": "deregister", "target_group": "Nope", "target": WEB1}, "TargetGroupNotFound"),
        (
            {"action": "deregister", "target_group": "WebTargets", "target": "10.0.9.9:80"},
            "InvalidTarget",
        ),
        ({"action": "register", "target_group": "WebTargets", "target": WEB1}, "InvalidTarget"),
        # A bad mode or rate never gets here: labs.services.checked_command refuses it.
    ],
)
async def test_a_command_the_run_cannot_apply_is_refused_by_name(command, code):
    async with Lab(topology(), rps=1) as lab:
        with pytest.raises(ControlError) as caught:
            lab.runtime.control(command)
    assert caught.value.code == code


async def test_the_access_log_keeps_every_requests_line():
    async with Lab(topology(), rps=60) as lab:
        await lab.wait_for(lambda e: e["type"] == "request")
    lines = lab.runtime.access_log()
    assert len(lines) == len(of_type(lab.events, "request"))
    assert all(line.startswith("http ") for line in lines)


def _slow_start(seconds):
    def edit(document):
        document["Resources"]["WebTargets"]["Properties"]["TargetGroupAttributes"] = [
            {"Key": "slow_start.duration_seconds", "Value": str(seconds)},
            {"Key": "deregistration_delay.timeout_seconds", "Value": "0"},
        ]

    return edit


async def test_a_target_back_in_service_ramps_up_in_slow_start():
    async with Lab(topology(_slow_start(900)), rps=60, clock_speed=30) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        first = [e for e in of_type(lab.events, "request")]
        lab.runtime.control({"action": "deregister", "target_group": "WebTargets", "target": WEB1})
        await lab.wait_for(lab.health(WEB1, "unused"))
        lab.runtime.control({"action": "register", "target_group": "WebTargets", "target": WEB1})
        await lab.wait_for(lambda e: lab.health(WEB1, "healthy")(e) and e["t"] > 1)
        back = lab.runtime.now()
        await lab.wait_for(lambda e: e["type"] == "request" and e["t"] > back + 60)
    after = [e for e in of_type(lab.events, "request") if back < e["t"] <= back + 60]
    to_web1 = [e for e in after if e["target"] == WEB1]
    assert all(e["reason"] == "slow_start" for e in to_web1)
    # Early in a 900 s ramp WEB1 gets far less than its third of the traffic.
    assert len(to_web1) < len(after) / 6
    assert all(e["reason"] != "slow_start" for e in first)


async def test_a_sticky_client_is_re_pinned_when_its_target_turns_unhealthy():
    def sticky(document):
        document["Resources"]["WebTargets"]["Properties"]["TargetGroupAttributes"] = [
            {"Key": "stickiness.enabled", "Value": "true"}
        ]

    async with Lab(topology(sticky), rps=20) as lab:
        await lab.wait_for(lambda e: e["type"] == "request" and e["reason"] == "sticky:AWSALB")
        pinned = next(
            e["target"]
            for e in lab.events
            if e["type"] == "request" and e["reason"] == "sticky:AWSALB"
        )
        lab.runtime.control({"action": "fault", "target": pinned, "mode": "unhealthy"})
        await lab.wait_for(lab.health(pinned, "unhealthy"))
        turned = lab.runtime.now()
        await lab.wait_for(
            lambda e: (
                e["type"] == "request" and e["t"] > turned + 5 and e["reason"] == "sticky:AWSALB"
            )
        )
    after = [e for e in of_type(lab.events, "request") if e["t"] > turned]
    assert pinned not in {e["target"] for e in after}
    repinned = [e for e in after if e["reason"] == "round_robin"]
    assert repinned and all(
        any(c.startswith("AWSALB=") for c in e["response_headers"]["Set-Cookie"]) for e in repinned
    )
