"""A stopped target's port leaves the run's address map (the sandbox is sacred)."""

import asyncio

import pytest

from .helpers import of_type, topology
from .test_control import WEB1, Lab

pytestmark = pytest.mark.timeout(30)


class _Intruder(asyncio.Protocol):
    """Someone else's listener: it counts what reaches it."""

    connections = 0

    def connection_made(self, transport):
        type(self).connections += 1
        transport.close()


async def test_a_listener_on_a_stopped_targets_freed_port_receives_nothing():
    async with Lab(topology(), rps=40) as lab:
        await lab.wait_for(lab.health(WEB1, "healthy"))
        freed = lab.runtime.sandbox.endpoint(WEB1)
        lab.runtime.control({"action": "fault", "target": WEB1, "mode": "stopped"})
        stopped_at = lab.runtime.now()
        intruder = await asyncio.get_running_loop().create_server(
            _Intruder, *freed, reuse_address=True
        )
        try:
            # Health checks and requests keep being sent to the stopped target until it
            # is unhealthy, then on; none of them may reach the stranger on its old port.
            await lab.wait_for(lab.health(WEB1, "unhealthy"))
            await lab.wait_for(lambda e: e["type"] == "metrics" and e["t"] > stopped_at + 30)
            lab.runtime.control({"action": "fault", "target": WEB1, "mode": "normal"})
            await lab.wait_for(
                lambda e: lab.health(WEB1, "healthy")(e) and e["previous"] == "unhealthy"
            )
            assert lab.runtime.sandbox.endpoint(WEB1) != freed  # it found another port
        finally:
            intruder.close()
            await intruder.wait_closed()
    assert _Intruder.connections == 0
    unhealthy = next(e for e in lab.events if lab.health(WEB1, "unhealthy")(e))
    assert unhealthy["reason"] == "Target.FailedHealthChecks"  # refused, as a stopped instance
    refused = [
        e
        for e in of_type(lab.events, "request")
        if e["target"] == WEB1 and stopped_at < e["t"] and e["elb_status_code"] == 502
    ]
    assert all(e["error_reason"] == "TargetConnectionError" for e in refused)
