"""A target security group changed while the lab runs (spec §10), on real sockets.

Revoking the rule that admits the load balancer's security group drops its probes and
its new connections silently: the next check times out (``Target.Timeout``), the targets
turn unhealthy, a request ends in 504 after the connect timeout. Authorizing it again
brings them back. Each change is a ``fault`` event naming the rules it took or gave.
"""

import pytest

from labs.engine.events import validate
from labs.runtime.orchestrator import ControlError

from .helpers import of_type, topology
from .test_control import Lab

pytestmark = pytest.mark.timeout(60)
TARGETS = {"10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"}
INTERVAL, TIMEOUT = 30, 5  # the demo's target group: AWS's defaults (lab seconds)
REVOKE = {"action": "sg", "security_group": "WebSecurityGroup", "change": "revoke"}
AUTHORIZE = {**REVOKE, "change": "authorize"}


def all_in(lab, state, after):
    """Every target's latest health event after ``after`` is ``state``."""

    def holds(_event):
        latest = {}
        for e in of_type(lab.events, "health"):
            if e["t"] > after:
                latest[e["target"]] = e["state"]
        return all(latest.get(t) == state for t in TARGETS)

    return holds


async def test_revoking_the_lb_rule_times_checks_out_and_authorizing_it_brings_targets_back():
    # The run lasts 120 wall seconds (Lab's default), more than its waits together (70 s).
    async with Lab(topology(), rps=20) as lab:
        await lab.wait_for(all_in(lab, "healthy", -1))
        revoked = lab.runtime.control(REVOKE, "test")
        assert revoked["rules"] == ["tcp 80 from LoadBalancerSecurityGroup"]
        assert (revoked["action"], revoked["mode"]) == ("sg", "revoke")
        at = revoked["t"]
        await lab.wait_for(all_in(lab, "unhealthy", at), within=20)
        await lab.wait_for(
            lambda e: e["type"] == "request" and e["t"] > at and e["elb_status_code"] == 504
        )
        authorized = lab.runtime.control(AUTHORIZE, "test")
        assert authorized["rules"] == revoked["rules"]  # the revoked rule, given back
        back = authorized["t"]
        await lab.wait_for(all_in(lab, "healthy", back), within=20)
        await lab.wait_for(
            lambda e: (
                e["type"] == "request"
                and e["t"] > back
                and e["elb_status_code"] == 200
                and e["reason"] != "fail_open"
            )
        )
    events = lab.events
    for event in events:
        validate(event)
    checks = [e for e in of_type(events, "health") if e["check"] and at < e["t"] < back]
    failed = [e for e in checks if not e["check"]["passed"]]
    # Within one health interval (and its timeout) every target's check is dropped.
    for target in TARGETS:
        first = min(e["t"] for e in failed if e["target"] == target)
        assert first - at <= INTERVAL + TIMEOUT + 1
    unhealthy = [e for e in failed if e["state"] == "unhealthy"]
    assert {e["reason"] for e in unhealthy} == {"Target.Timeout"}
    timed_out = [e for e in of_type(events, "request") if at < e["t"] < back]
    assert {e["error_reason"] for e in timed_out if e["elb_status_code"] == 504} == {
        "TargetConnectTimeout"
    }


async def test_a_change_the_group_already_has_is_refused_with_ec2s_code():
    async with Lab(topology(), rps=1) as lab:
        with pytest.raises(ControlError) as duplicate:
            lab.runtime.control(AUTHORIZE)
        assert duplicate.value.code == "InvalidPermission.Duplicate"
        lab.runtime.control(REVOKE)
        with pytest.raises(ControlError) as missing:
            lab.runtime.control(REVOKE)
        assert missing.value.code == "InvalidPermission.NotFound"
