import dataclasses

import pytest

from labs.engine.health import (
    FAILED_HEALTH_CHECKS,
    HEALTHY,
    INITIAL,
    INITIAL_HEALTH_CHECKING,
    REGISTRATION_IN_PROGRESS,
    RESPONSE_CODE_MISMATCH,
    TIMEOUT,
    UNHEALTHY,
    CheckFailed,
    CheckPassed,
    HealthChanged,
    TargetHealth,
    parse_matcher,
    step,
)
from labs.engine.spec import HealthCheck

MISMATCH_500 = "Health checks failed with these codes: [500]"


def passed(at: float) -> CheckPassed:
    return CheckPassed(at=at, status=200, latency_ms=3.0)


def failed(at: float, reason: str = TIMEOUT, description: str = "") -> CheckFailed:
    return CheckFailed(at=at, reason=reason, description=description)


def healthy_target(check: HealthCheck) -> TargetHealth:
    health, _ = step(TargetHealth(), passed(0.0), check)
    assert health.state == HEALTHY
    return health


def unhealthy_target(check: HealthCheck) -> TargetHealth:
    health = TargetHealth()
    for n in range(check.unhealthy_threshold):
        health, _ = step(health, failed(float(n)), check)
    assert health.state == UNHEALTHY
    return health


def test_a_registered_target_starts_initial_with_registration_in_progress():
    assert TargetHealth() == TargetHealth(
        state=INITIAL, reason=REGISTRATION_IN_PROGRESS, description="", passes=0, failures=0
    )


def test_one_passing_check_brings_an_initial_target_in_whatever_the_healthy_threshold():
    check = HealthCheck(healthy_threshold=10, unhealthy_threshold=2)

    health, change = step(TargetHealth(), passed(30.0), check)

    assert health == TargetHealth(state=HEALTHY, reason=None, passes=1, failures=0)
    assert change == HealthChanged(
        state=HEALTHY, previous=INITIAL, reason=None, description="", at=30.0
    )


def test_an_initial_target_stays_initial_after_one_failure_then_turns_unhealthy_on_the_second():
    check = HealthCheck(healthy_threshold=5, unhealthy_threshold=2)

    health, change = step(TargetHealth(), failed(30.0, TIMEOUT), check)
    assert health == TargetHealth(state=INITIAL, reason=INITIAL_HEALTH_CHECKING, failures=1)
    assert change is None

    health, change = step(health, failed(60.0, RESPONSE_CODE_MISMATCH, MISMATCH_500), check)
    assert health == TargetHealth(
        state=UNHEALTHY, reason=RESPONSE_CODE_MISMATCH, description=MISMATCH_500, failures=2
    )
    assert change == HealthChanged(
        state=UNHEALTHY,
        previous=INITIAL,
        reason=RESPONSE_CODE_MISMATCH,
        description=MISMATCH_500,
        at=60.0,
    )


def test_an_initial_target_that_failed_once_still_needs_only_one_pass():
    check = HealthCheck(healthy_threshold=5, unhealthy_threshold=3)
    health, _ = step(TargetHealth(), failed(30.0), check)

    health, change = step(health, passed(60.0), check)

    assert health == TargetHealth(state=HEALTHY, reason=None, passes=1, failures=0)
    assert change == HealthChanged(
        state=HEALTHY, previous=INITIAL, reason=None, description="", at=60.0
    )


@pytest.mark.parametrize("threshold", [2, 3, 10])
def test_a_healthy_target_turns_unhealthy_after_exactly_unhealthy_threshold_failures(threshold):
    check = HealthCheck(healthy_threshold=5, unhealthy_threshold=threshold)
    health = healthy_target(check)

    for n in range(1, threshold):
        health, change = step(health, failed(float(n)), check)
        assert health == TargetHealth(state=HEALTHY, reason=None, passes=0, failures=n)
        assert change is None

    health, change = step(health, failed(99.0, FAILED_HEALTH_CHECKS, "connection refused"), check)
    assert health == TargetHealth(
        state=UNHEALTHY,
        reason=FAILED_HEALTH_CHECKS,
        description="connection refused",
        failures=threshold,
    )
    assert change == HealthChanged(
        state=UNHEALTHY,
        previous=HEALTHY,
        reason=FAILED_HEALTH_CHECKS,
        description="connection refused",
        at=99.0,
    )


def test_a_pass_between_failures_resets_the_consecutive_failure_count():
    check = HealthCheck(healthy_threshold=5, unhealthy_threshold=2)
    health = healthy_target(check)

    health, change = step(health, failed(30.0), check)
    assert (health, change) == (TargetHealth(state=HEALTHY, reason=None, failures=1), None)

    health, change = step(health, passed(60.0), check)
    assert (health, change) == (TargetHealth(state=HEALTHY, reason=None, passes=1), None)

    health, change = step(health, failed(90.0), check)
    assert (health, change) == (TargetHealth(state=HEALTHY, reason=None, failures=1), None)

    health, change = step(health, failed(120.0), check)
    assert health == TargetHealth(state=UNHEALTHY, reason=TIMEOUT, failures=2)
    assert change == HealthChanged(
        state=UNHEALTHY, previous=HEALTHY, reason=TIMEOUT, description="", at=120.0
    )


@pytest.mark.parametrize("threshold", [2, 5, 10])
def test_an_unhealthy_target_recovers_after_exactly_healthy_threshold_passes(threshold):
    check = HealthCheck(healthy_threshold=threshold, unhealthy_threshold=2)
    health = unhealthy_target(check)

    for n in range(1, threshold):
        health, change = step(health, passed(float(n)), check)
        # While recovering it keeps the reason it went down for.
        assert health == TargetHealth(state=UNHEALTHY, reason=TIMEOUT, passes=n, failures=0)
        assert change is None

    health, change = step(health, passed(99.0), check)
    assert health == TargetHealth(state=HEALTHY, reason=None, passes=threshold, failures=0)
    assert change == HealthChanged(
        state=HEALTHY, previous=UNHEALTHY, reason=None, description="", at=99.0
    )


def test_a_failure_while_recovering_restarts_the_pass_count():
    check = HealthCheck(healthy_threshold=3, unhealthy_threshold=2)
    health = unhealthy_target(check)

    for at in (10.0, 20.0):
        health, _ = step(health, passed(at), check)
    health, change = step(health, failed(30.0, RESPONSE_CODE_MISMATCH, MISMATCH_500), check)
    assert health == TargetHealth(
        state=UNHEALTHY, reason=RESPONSE_CODE_MISMATCH, description=MISMATCH_500, failures=1
    )
    assert change is None

    for at in (40.0, 50.0):
        health, change = step(health, passed(at), check)
        assert health.state == UNHEALTHY
    health, change = step(health, passed(60.0), check)
    assert health.state == HEALTHY
    assert change == HealthChanged(
        state=HEALTHY, previous=UNHEALTHY, reason=None, description="", at=60.0
    )


def test_an_unhealthy_target_reports_the_latest_failures_reason():
    check = HealthCheck(healthy_threshold=5, unhealthy_threshold=2)
    health = unhealthy_target(check)

    health, change = step(health, failed(90.0, FAILED_HEALTH_CHECKS, "connection reset"), check)

    assert health == TargetHealth(
        state=UNHEALTHY, reason=FAILED_HEALTH_CHECKS, description="connection reset", failures=3
    )
    assert change is None  # the state did not change


def test_step_leaves_the_health_it_was_given_untouched():
    check = HealthCheck()
    before = TargetHealth()

    step(before, failed(30.0), check)

    assert before == TargetHealth()


@pytest.mark.parametrize("reason", [TIMEOUT, RESPONSE_CODE_MISMATCH, FAILED_HEALTH_CHECKS])
def test_check_failed_accepts_the_aws_failed_check_reason_codes(reason):
    assert CheckFailed(at=0.0, reason=reason).reason == reason


@pytest.mark.parametrize(
    "reason",
    [
        "timeout",
        "Target.timeout",
        "",
        REGISTRATION_IN_PROGRESS,  # an AWS code, but not one a failed check gives
        "Target.NotRegistered",
    ],
)
def test_check_failed_rejects_a_reason_that_is_not_an_aws_failed_check_code(reason):
    with pytest.raises(ValueError, match="not a failed-check reason code"):
        CheckFailed(at=0.0, reason=reason)


def test_check_events_are_frozen():
    event = passed(1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.at = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("matcher", "status", "accepted"),
    [
        ("200", 200, True),
        ("200", 201, False),
        ("200", 199, False),
        ("200,202", 200, True),
        ("200,202", 202, True),
        ("200,202", 201, False),
        ("200-299", 200, True),
        ("200-299", 250, True),
        ("200-299", 299, True),
        ("200-299", 300, False),
        ("200-299", 199, False),
        ("200, 202", 202, True),
        ("200-204,301", 204, True),
        ("200-204,301", 301, True),
        ("200-204,301", 302, False),
    ],
)
def test_matcher_accepts_exactly_the_listed_codes_and_ranges(matcher, status, accepted):
    assert parse_matcher(matcher)(status) is accepted


@pytest.mark.parametrize("matcher", ["", "ok", "2OO", "200-abc"])
def test_matcher_rejects_what_is_not_a_code_list_or_range(matcher):
    with pytest.raises(ValueError):
        parse_matcher(matcher)


def test_an_alb_check_names_the_target_and_an_nlb_check_its_own_node_and_listener():
    from labs.engine.health import probe_host

    assert probe_host(target_ip="10.0.1.10", check_port=8080) == "10.0.1.10:8080"
    nlb = ("10.0.1.5", 443)
    assert probe_host(target_ip="10.0.1.10", check_port=8080, nlb=nlb) == "10.0.1.5:443"
