"""Every event a real run emits keeps the one contract (labs.engine.events, DESIGN.md)."""

import asyncio
import time

import pytest

from labs.engine.events import TYPES, validate
from labs.runtime.orchestrator import ControlError

from .helpers import of_type, starter
from .test_control import Lab

pytestmark = pytest.mark.timeout(30)
WEB1 = "10.0.1.10:80"


async def _raw(lab, data: bytes) -> None:
    host, port = lab.runtime.entries()[0].nodes[0]
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(data)
    async with asyncio.timeout(10):
        await reader.read(65536)
    writer.close()


async def test_every_event_of_a_real_run_validates_against_the_contract():
    started = time.time()
    async with Lab(starter("basic-alb.yaml")) as lab:
        await lab.wait_for(lambda e: e["type"] == "request" and e["target"] == WEB1)
        lab.runtime.control({"action": "traffic", "rps": 20}, "learner")
        lab.runtime.control({"action": "fault", "target": WEB1, "mode": "unhealthy"})
        lab.runtime.control({"action": "deregister", "target_group": "WebTargets", "target": WEB1})
        with pytest.raises(ControlError):
            lab.runtime.control({"action": "fault", "target": "10.9.9.9:80", "mode": "hang"})
        await _raw(lab, b"GARBAGE\r\n\r\n")  # the LB's own answer, an event like any other
        await lab.wait_for(lambda e: e["type"] == "request" and e["elb_status_code"] == 400)
        await lab.wait_for(lambda e: e["type"] == "metrics")
        await lab.wait_for(lambda e: e["type"] == "health" and e["state"] == "draining")
    assert {e["type"] for e in lab.events} >= {"request", "health", "metrics", "fault"}
    for event in lab.events:
        validate(event)
        assert started <= event["emitted"] <= time.time()
    assert of_type(lab.events, "fault")[0]["by"] == "learner"


async def test_a_lambda_groups_unchecked_targets_report_through_the_contract():
    async with Lab(starter("lambda-target.yaml")) as lab:
        await lab.wait_for(lambda e: e["type"] == "request")
    unavailable = [e for e in of_type(lab.events, "health") if e["state"] == "unavailable"]
    assert unavailable and unavailable[0]["reason"] == "Target.HealthCheckDisabled"
    for event in lab.events:
        validate(event)
        assert event["type"] in TYPES
