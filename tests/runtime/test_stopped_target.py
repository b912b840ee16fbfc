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
            # A stopped instance is unused (Target.InvalidState): neither checks nor
            # requests are sent to it, and none may reach the stranger on its old port.
            await lab.wait_for(lab.health(WEB1, "unused"))
            await lab.wait_for(lambda e: e["type"] == "metrics" and e["t"] > stopped_at + 30)
            lab.runtime.control({"action": "fault", "target": WEB1, "mode": "normal"})
            await lab.wait_for(
                lambda e: lab.health(WEB1, "healthy")(e) and e["previous"] == "initial"
            )
            assert lab.runtime.sandbox.endpoint(WEB1) != freed  # it found another port
        finally:
            intruder.close()
            await intruder.wait_closed()
    assert _Intruder.connections == 0
    unused = next(e for e in lab.events if lab.health(WEB1, "unused")(e))
    assert (unused["reason"], unused["previous"]) == ("Target.InvalidState", "healthy")
    restarted = next(e for e in lab.events if lab.health(WEB1, "initial")(e) and e["t"] > 0)
    assert restarted["reason"] == "Elb.RegistrationInProgress"
    while_stopped = [
        e
        for e in of_type(lab.events, "request")
        if e["target"] == WEB1 and unused["t"] < e["t"] < restarted["t"]
    ]
    assert while_stopped == []  # never routed to, not even failing open
