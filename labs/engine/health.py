"""Target health: everything that changes a target's health state lives in this file.

AWS's ELBv2 model (spec §3.3–3.4): a registered target starts ``initial``; **one** passing
check makes it ``healthy`` ("not in service until it passes one health check");
``UnhealthyThresholdCount`` consecutive failures make a ``healthy`` (or ``initial``) target
``unhealthy``; ``HealthyThresholdCount`` consecutive passes bring an ``unhealthy`` one back.
The reason code of an unhealthy target is the last failure's.

The machine is a table keyed by (state, input type); each entry returns the next state.
Inputs are facts (``CheckPassed``, ``CheckFailed``); outputs are ``HealthChanged`` decisions.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from .spec import HealthCheck

INITIAL, HEALTHY, UNHEALTHY = "initial", "healthy", "unhealthy"

# AWS reason codes (API_TargetHealth.html).
REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
TIMEOUT = "Target.Timeout"
RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckPassed:
    at: float  # lab-clock seconds
    status: int | None = None
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFailed:
    at: float
    reason: str  # TIMEOUT, RESPONSE_CODE_MISMATCH or FAILED_HEALTH_CHECKS
    description: str = ""
    status: int | None = None
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.reason not in (TIMEOUT, RESPONSE_CODE_MISMATCH, FAILED_HEALTH_CHECKS):
            raise ValueError(f"not a failed-check reason code: {self.reason}")


CheckEvent = CheckPassed | CheckFailed


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetHealth:
    state: str = INITIAL
    reason: str | None = REGISTRATION_IN_PROGRESS
    description: str = ""
    passes: int = 0  # consecutive
    failures: int = 0  # consecutive


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthChanged:
    state: str
    previous: str
    reason: str | None
    description: str
    at: float


def _on_pass(health: TargetHealth, event: CheckPassed, check: HealthCheck) -> TargetHealth:
    passes = health.passes + 1
    needed = 1 if health.state == INITIAL else check.healthy_threshold
    if health.state != HEALTHY and passes >= needed:
        return TargetHealth(state=HEALTHY, reason=None, passes=passes)
    reason = INITIAL_HEALTH_CHECKING if health.state == INITIAL else health.reason
    return replace(health, passes=passes, failures=0, reason=reason)


def _on_fail(health: TargetHealth, event: CheckFailed, check: HealthCheck) -> TargetHealth:
    failures = health.failures + 1
    if health.state == UNHEALTHY or failures >= check.unhealthy_threshold:
        return TargetHealth(
            state=UNHEALTHY,
            reason=event.reason,
            description=event.description,
            failures=failures,
        )
    reason = INITIAL_HEALTH_CHECKING if health.state == INITIAL else health.reason
    return replace(health, passes=0, failures=failures, reason=reason)


_TRANSITIONS: dict[type, Callable[..., TargetHealth]] = {
    CheckPassed: _on_pass,
    CheckFailed: _on_fail,
}


def step(
    health: TargetHealth, event: CheckEvent, check: HealthCheck
) -> tuple[TargetHealth, HealthChanged | None]:
    """Apply one check result.

    Returns:
        The new health, and a ``HealthChanged`` when the state changed (else ``None``).
    """
    new = _TRANSITIONS[type(event)](health, event, check)
    if new.state == health.state:
        return new, None
    change = HealthChanged(
        state=new.state,
        previous=health.state,
        reason=new.reason,
        description=new.description,
        at=event.at,
    )
    return new, change


def parse_matcher(matcher: str) -> Callable[[int], bool]:
    """AWS's ``Matcher.HttpCode``: ``"200"``, ``"200,202"`` or ``"200-299"``."""
    accepted: list[tuple[int, int]] = []
    for part in matcher.split(","):
        low, _, high = part.strip().partition("-")
        accepted.append((int(low), int(high or low)))

    def matches(status: int) -> bool:
        return any(low <= status <= high for low, high in accepted)

    return matches
