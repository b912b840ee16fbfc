"""Every row of the target-health table, and every input it refuses (spec §3.3–3.4, §2.6)."""

import pytest

from labs.engine import health as h
from labs.engine.spec import HealthCheck

CHECK = HealthCheck(healthy_threshold=2, unhealthy_threshold=2)
INPUTS = {
    "passed": h.CheckPassed(at=7.0, status=200),
    "failed": h.CheckFailed(at=7.0, reason=h.RESPONSE_CODE_MISMATCH, description="codes: [500]"),
    "timed_out": h.CheckFailed(at=7.0, reason=h.TIMEOUT, description="Request timed out"),
    "registered": h.Registered(at=7.0),
    "deregistered": h.Deregistered(at=7.0),
    "delay_expired": h.DelayExpired(at=7.0),
    "group_unused": h.GroupUnused(at=7.0),
    "group_in_use": h.GroupInUse(at=7.0),
    "checks_disabled": h.ChecksDisabled(at=7.0),
    "internal_error": h.CheckFailed(at=7.0, reason=h.INTERNAL_ERROR, description="no socket"),
    "instance_stopped": h.InstanceStopped(at=7.0),
    "instance_started": h.InstanceStarted(at=7.0),
    "ip_reserved": h.IpReserved(at=7.0),
    "checker_failed": h.CheckerFailed(at=7.0, description="the checker broke"),
    "draining_expired": h.DrainingIntervalExpired(at=7.0),
}
START = {
    "initial": h.TargetHealth(),
    "healthy": h.TargetHealth(state=h.HEALTHY, reason=None, passes=1),
    "healthy_failed_once": h.TargetHealth(state=h.HEALTHY, reason=None, failures=1),
    "unhealthy": h.TargetHealth(state=h.UNHEALTHY, reason=h.TIMEOUT, failures=2),
    "unhealthy_passed_once": h.TargetHealth(state=h.UNHEALTHY, reason=h.TIMEOUT, passes=1),
    "draining": h.TargetHealth(state=h.DRAINING, reason=h.DEREGISTRATION_IN_PROGRESS),
    "not_registered": h.TargetHealth(state=h.UNUSED, reason=h.NOT_REGISTERED),
    "not_in_use": h.TargetHealth(state=h.UNUSED, reason=h.NOT_IN_USE),
    "unavailable": h.TargetHealth(state=h.UNAVAILABLE, reason=h.HEALTH_CHECK_DISABLED),
    "unhealthy_draining": h.TargetHealth(state=h.UNHEALTHY_DRAINING, reason=h.TIMEOUT, failures=2),
    "unhealthy_draining_passed_once": h.TargetHealth(
        state=h.UNHEALTHY_DRAINING, reason=h.TIMEOUT, passes=1
    ),
    "invalid_state": h.TargetHealth(state=h.UNUSED, reason=h.INVALID_STATE),
    "ip_unusable": h.TargetHealth(state=h.UNUSED, reason=h.IP_UNUSABLE),
    "internal_error": h.TargetHealth(state=h.UNAVAILABLE, reason=h.INTERNAL_ERROR),
}

# (start, input) -> (state, reason) afterwards
ROWS = {
    ("initial", "passed"): (h.HEALTHY, None),
    ("initial", "failed"): (h.INITIAL, h.INITIAL_HEALTH_CHECKING),
    ("initial", "timed_out"): (h.INITIAL, h.INITIAL_HEALTH_CHECKING),
    ("initial", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("initial", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    ("initial", "checks_disabled"): (h.UNAVAILABLE, h.HEALTH_CHECK_DISABLED),
    ("healthy", "passed"): (h.HEALTHY, None),
    ("healthy", "failed"): (h.HEALTHY, None),
    ("healthy_failed_once", "failed"): (h.UNHEALTHY, h.RESPONSE_CODE_MISMATCH),
    ("healthy_failed_once", "timed_out"): (h.UNHEALTHY, h.TIMEOUT),
    ("healthy", "timed_out"): (h.HEALTHY, None),
    ("healthy", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("healthy", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    ("healthy", "checks_disabled"): (h.UNAVAILABLE, h.HEALTH_CHECK_DISABLED),
    ("unhealthy", "passed"): (h.UNHEALTHY, h.TIMEOUT),
    ("unhealthy_passed_once", "passed"): (h.HEALTHY, None),
    ("unhealthy", "failed"): (h.UNHEALTHY, h.RESPONSE_CODE_MISMATCH),
    ("unhealthy", "timed_out"): (h.UNHEALTHY, h.TIMEOUT),
    ("unhealthy", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("unhealthy", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    ("unhealthy", "checks_disabled"): (h.UNAVAILABLE, h.HEALTH_CHECK_DISABLED),
    ("draining", "passed"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("draining", "failed"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("draining", "timed_out"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("draining", "delay_expired"): (h.UNUSED, h.NOT_REGISTERED),
    ("draining", "registered"): (h.INITIAL, h.REGISTRATION_IN_PROGRESS),
    ("draining", "group_unused"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("draining", "group_in_use"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("not_registered", "registered"): (h.INITIAL, h.REGISTRATION_IN_PROGRESS),
    ("not_registered", "group_unused"): (h.UNUSED, h.NOT_REGISTERED),
    ("not_in_use", "group_in_use"): (h.INITIAL, h.REGISTRATION_IN_PROGRESS),
    ("not_in_use", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("not_in_use", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    ("unavailable", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("unavailable", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    # A probe the LB itself could not make, a stopped instance, an LB's own IP, a broken
    # checker (§3.3 Elb.InternalError, Target.InvalidState, Target.IpUnusable).
    ("initial", "internal_error"): (h.INITIAL, h.INITIAL_HEALTH_CHECKING),
    ("initial", "instance_stopped"): (h.UNUSED, h.INVALID_STATE),
    ("initial", "ip_reserved"): (h.UNUSED, h.IP_UNUSABLE),
    ("initial", "checker_failed"): (h.UNAVAILABLE, h.INTERNAL_ERROR),
    ("healthy", "internal_error"): (h.HEALTHY, None),
    ("healthy_failed_once", "internal_error"): (h.UNHEALTHY, h.INTERNAL_ERROR),
    ("healthy", "instance_stopped"): (h.UNUSED, h.INVALID_STATE),
    ("healthy", "checker_failed"): (h.UNAVAILABLE, h.INTERNAL_ERROR),
    ("unhealthy", "internal_error"): (h.UNHEALTHY, h.INTERNAL_ERROR),
    ("unhealthy", "instance_stopped"): (h.UNUSED, h.INVALID_STATE),
    ("unhealthy", "checker_failed"): (h.UNAVAILABLE, h.INTERNAL_ERROR),
    ("draining", "internal_error"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("draining", "instance_stopped"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("draining", "checker_failed"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("invalid_state", "instance_started"): (h.INITIAL, h.REGISTRATION_IN_PROGRESS),
    ("invalid_state", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("invalid_state", "group_unused"): (h.UNUSED, h.INVALID_STATE),
    ("ip_unusable", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("ip_unusable", "group_unused"): (h.UNUSED, h.IP_UNUSABLE),
    ("internal_error", "passed"): (h.HEALTHY, None),  # the next result counts as a first
    ("internal_error", "failed"): (h.INITIAL, h.INITIAL_HEALTH_CHECKING),
    ("internal_error", "timed_out"): (h.INITIAL, h.INITIAL_HEALTH_CHECKING),
    ("internal_error", "internal_error"): (h.INITIAL, h.INITIAL_HEALTH_CHECKING),
    ("internal_error", "checker_failed"): (h.UNAVAILABLE, h.INTERNAL_ERROR),
    ("internal_error", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("internal_error", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    # NLB, connection termination off (§3.3 unhealthy.draining).
    ("unhealthy_draining", "passed"): (h.UNHEALTHY_DRAINING, h.TIMEOUT),
    ("unhealthy_draining_passed_once", "passed"): (h.HEALTHY, None),
    ("unhealthy_draining", "failed"): (h.UNHEALTHY_DRAINING, h.RESPONSE_CODE_MISMATCH),
    ("unhealthy_draining", "timed_out"): (h.UNHEALTHY_DRAINING, h.TIMEOUT),
    ("unhealthy_draining", "internal_error"): (h.UNHEALTHY_DRAINING, h.INTERNAL_ERROR),
    ("unhealthy_draining", "draining_expired"): (h.UNHEALTHY, h.TIMEOUT),
    ("unhealthy_draining", "deregistered"): (h.DRAINING, h.DEREGISTRATION_IN_PROGRESS),
    ("unhealthy_draining", "group_unused"): (h.UNUSED, h.NOT_IN_USE),
    ("unhealthy_draining", "checks_disabled"): (h.UNAVAILABLE, h.HEALTH_CHECK_DISABLED),
    ("unhealthy_draining", "instance_stopped"): (h.UNUSED, h.INVALID_STATE),
    ("unhealthy_draining", "checker_failed"): (h.UNAVAILABLE, h.INTERNAL_ERROR),
}
# Starts that only restate another start's rows for the threshold cases above.
_THRESHOLD_STARTS = {
    "healthy_failed_once",
    "unhealthy_passed_once",
    "unhealthy_draining_passed_once",
}
REFUSED = [
    (start, name)
    for start in START
    for name in INPUTS
    if (start, name) not in ROWS and start not in _THRESHOLD_STARTS
]


@pytest.mark.parametrize(("start", "name"), sorted(ROWS))
def test_each_row_of_the_table_gives_its_state_and_reason(start, name):
    before = START[start]

    after, change = h.step(before, INPUTS[name], CHECK)

    assert (after.state, after.reason) == ROWS[start, name]
    if after.state == before.state:
        assert change is None
    else:
        assert change == h.HealthChanged(
            state=after.state,
            previous=before.state,
            reason=after.reason,
            description=h.describe(after),
            at=7.0,
        )


@pytest.mark.parametrize(("start", "name"), REFUSED)
def test_an_input_without_a_row_is_refused_and_changes_nothing(start, name):
    before = START[start]

    with pytest.raises(h.HealthRefused, match=f"refused in state {before.state}") as refused:
        h.step(before, INPUTS[name], CHECK)

    assert refused.value.state == before.state
    assert refused.value.event is INPUTS[name]


def test_every_state_and_input_is_either_a_row_or_refused():
    base_starts = [s for s in START if s not in _THRESHOLD_STARTS]
    assert {START[s].state for s in base_starts} == set(h.STATES)
    for start in base_starts:
        for name in INPUTS:
            assert ((start, name) in ROWS) != ((start, name) in REFUSED)


def test_two_passing_checks_leave_a_draining_target_draining():
    draining, _ = h.step(
        h.TargetHealth(state=h.HEALTHY, reason=None), h.Deregistered(at=1.0), CHECK
    )
    for at in (2.0, 3.0, 4.0):
        draining, change = h.step(draining, h.CheckPassed(at=at, status=200), CHECK)
        assert change is None
    assert draining == h.TargetHealth(state=h.DRAINING, reason=h.DEREGISTRATION_IN_PROGRESS)


def test_a_group_no_rule_uses_shows_unused_not_in_use_until_a_rule_uses_it():
    unused, change = h.step(h.TargetHealth(), h.GroupUnused(at=0.0), CHECK)
    assert change == h.HealthChanged(
        state=h.UNUSED,
        previous=h.INITIAL,
        reason=h.NOT_IN_USE,
        description="Target group is not configured to receive traffic from the load balancer",
        at=0.0,
    )
    back, change = h.step(unused, h.GroupInUse(at=5.0), CHECK)
    assert back == h.TargetHealth()
    assert change is not None and change.previous == h.UNUSED


@pytest.mark.parametrize(
    ("reason", "description"),
    [
        (h.REGISTRATION_IN_PROGRESS, "Target registration is in progress"),
        (h.INITIAL_HEALTH_CHECKING, "Initial health checks in progress"),
        (h.NOT_REGISTERED, "Target is not registered to the target group"),
        (h.DEREGISTRATION_IN_PROGRESS, "Target deregistration is in progress"),
        (h.HEALTH_CHECK_DISABLED, "Health checks are disabled"),
    ],
)
def test_each_fixed_reason_code_is_described_as_aws_describes_it(reason, description):
    assert h.describe(h.TargetHealth(state=h.INITIAL, reason=reason)) == description


def test_a_failed_checks_own_description_wins_over_the_codes():
    unhealthy = h.TargetHealth(state=h.UNHEALTHY, reason=h.TIMEOUT, description="Request timed out")
    assert h.describe(unhealthy) == "Request timed out"
