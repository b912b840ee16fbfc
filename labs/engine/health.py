"""Target health: everything that changes a target's health state lives in this file.

ELB_BEHAVIOUR.md §3.3–3.4 (and §2.6 for deregistration). A registered target starts
``initial``; **one** passing check makes it ``healthy`` ("not in service until it passes
one health check"); ``UnhealthyThresholdCount`` consecutive failures make a ``healthy``
(or ``initial``) target ``unhealthy``; ``HealthyThresholdCount`` consecutive passes bring
an ``unhealthy`` one back. The reason code of an unhealthy target is the last failure's.
Deregistering makes a target ``draining`` until its delay expires, then ``unused``
(``Target.NotRegistered``); a group no listener rule uses shows ``unused``
(``Target.NotInUse``); a group with checks off shows ``unavailable``. A stopped instance
is ``unused`` (``Target.InvalidState``) until it starts again; an IP that belongs to a load
balancer is ``unused`` (``Target.IpUnusable``) from its registration; a health checker
that itself fails makes the target ``unavailable`` (``Elb.InternalError``) until a check
result comes in again. An NLB target whose group keeps the flows of unhealthy targets
(connection termination off) fails into ``unhealthy.draining`` and becomes ``unhealthy``
when its draining interval expires.

The machine is one table, h11-style: ``(state, input type) -> transition``. An input with
no row is refused with ``HealthRefused`` and the health is left as it was. Check results
that arrive while a target drains keep it draining: only the delay ends a deregistration.
Inputs are facts (``CheckPassed``, ``Deregistered``); outputs are ``HealthChanged``.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from .spec import HealthCheck

INITIAL, HEALTHY, UNHEALTHY = "initial", "healthy", "unhealthy"
UNUSED, DRAINING, UNAVAILABLE = "unused", "draining", "unavailable"
UNHEALTHY_DRAINING = "unhealthy.draining"  # NLB only (§3.3)
STATES = (INITIAL, HEALTHY, UNHEALTHY, UNHEALTHY_DRAINING, UNUSED, DRAINING, UNAVAILABLE)

# AWS reason codes (§3.3, API_TargetHealth.html).
REGISTRATION_IN_PROGRESS = "Elb.RegistrationInProgress"
INITIAL_HEALTH_CHECKING = "Elb.InitialHealthChecking"
TIMEOUT = "Target.Timeout"
RESPONSE_CODE_MISMATCH = "Target.ResponseCodeMismatch"
FAILED_HEALTH_CHECKS = "Target.FailedHealthChecks"
NOT_REGISTERED = "Target.NotRegistered"
NOT_IN_USE = "Target.NotInUse"
DEREGISTRATION_IN_PROGRESS = "Target.DeregistrationInProgress"
HEALTH_CHECK_DISABLED = "Target.HealthCheckDisabled"
INVALID_STATE = "Target.InvalidState"  # the instance is stopped or terminated
IP_UNUSABLE = "Target.IpUnusable"  # the IP belongs to a load balancer
INTERNAL_ERROR = "Elb.InternalError"  # the load balancer's own checking failed

# The description AWS's DescribeTargetHealth pairs with each reason code. A failed
# check's description is built from what the probe saw (see ``CheckFailed``).
DESCRIPTIONS = {
    REGISTRATION_IN_PROGRESS: "Target registration is in progress",
    INITIAL_HEALTH_CHECKING: "Initial health checks in progress",
    NOT_REGISTERED: "Target is not registered to the target group",
    NOT_IN_USE: "Target group is not configured to receive traffic from the load balancer",
    DEREGISTRATION_IN_PROGRESS: "Target deregistration is in progress",
    HEALTH_CHECK_DISABLED: "Health checks are disabled",
    INVALID_STATE: "Target is in the stopped or terminated state",
    IP_UNUSABLE: "The target IP address is reserved for use by a load balancer",
    INTERNAL_ERROR: "Health checks failed due to an internal error",
}
# A probe the LB itself could not make (no socket on the checking node) is a failed check
# with Elb.InternalError: it counts towards UnhealthyThresholdCount like any other.
_FAILED_CHECK_REASONS = (TIMEOUT, RESPONSE_CODE_MISMATCH, FAILED_HEALTH_CHECKS, INTERNAL_ERROR)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckPassed:
    at: float  # lab-clock seconds
    status: int | None = None
    latency_ms: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckFailed:
    """A failed probe; a timed-out one carries ``Target.Timeout``."""

    at: float
    reason: str  # TIMEOUT, RESPONSE_CODE_MISMATCH or FAILED_HEALTH_CHECKS
    description: str = ""
    status: int | None = None
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.reason not in _FAILED_CHECK_REASONS:
            raise ValueError(f"not a failed-check reason code: {self.reason}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DrainingIntervalExpired:
    """An ``unhealthy.draining`` target's draining interval is over: its flows end."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Registered:
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Deregistered:
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DelayExpired:
    """The deregistration delay is over (``deregistration_delay.timeout_seconds``)."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupUnused:
    """No listener rule forwards to the target's group (any more)."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupInUse:
    """A listener rule forwards to the target's group again."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksDisabled:
    """``HealthCheckEnabled: false`` (a Lambda group's default, §3.1)."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceStopped:
    """The EC2 instance behind the target stopped (or was terminated)."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceStarted:
    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class IpReserved:
    """The registered IP is one of a load balancer's own (found at registration)."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckerFailed:
    """The health checker itself failed: the target's health is unknown."""

    at: float
    description: str = ""


CheckEvent = CheckPassed | CheckFailed
HealthEvent = (
    CheckPassed
    | CheckFailed
    | Registered
    | Deregistered
    | DelayExpired
    | GroupUnused
    | GroupInUse
    | ChecksDisabled
    | InstanceStopped
    | InstanceStarted
    | IpReserved
    | CheckerFailed
    | DrainingIntervalExpired
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetHealth:
    state: str = INITIAL
    reason: str | None = REGISTRATION_IN_PROGRESS
    description: str = ""  # a failed check's own words; else see ``describe``
    passes: int = 0  # consecutive
    failures: int = 0  # consecutive


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthChanged:
    state: str
    previous: str
    reason: str | None
    description: str
    at: float


class HealthRefused(Exception):
    """An input the state has no row for (a check on an unused target, a second
    deregistration): the health stays as it was."""

    def __init__(self, health: TargetHealth, event: HealthEvent) -> None:
        super().__init__(f"{type(event).__name__} is refused in state {health.state}")
        self.state = health.state
        self.event = event


def describe(health: TargetHealth) -> str:
    """AWS's description of a target's health: the failed check's, else its reason code's."""
    return health.description or DESCRIPTIONS.get(health.reason or "", "")


def _at(state: str, reason: str | None) -> TargetHealth:
    return TargetHealth(state=state, reason=reason)


def _passed(health: TargetHealth, event: CheckPassed, check: HealthCheck) -> TargetHealth:
    passes = health.passes + 1
    needed = 1 if health.state == INITIAL else check.healthy_threshold
    if health.state != HEALTHY and passes >= needed:
        return TargetHealth(state=HEALTHY, reason=None, passes=passes)
    if health.state == INITIAL:
        return _checking(health, passes=passes, failures=0)
    return replace(health, passes=passes, failures=0)


def _failed(health: TargetHealth, event: CheckFailed, check: HealthCheck) -> TargetHealth:
    failures = health.failures + 1
    if health.state in _FAILED_STATES or failures >= check.unhealthy_threshold:
        state = health.state if health.state in _FAILED_STATES else UNHEALTHY
        if health.state == HEALTHY and check.unhealthy_draining_seconds is not None:
            state = UNHEALTHY_DRAINING  # an NLB target keeps its flows a while (§3.3)
        return TargetHealth(
            state=state, reason=event.reason, description=event.description, failures=failures
        )
    if health.state == INITIAL:
        return _checking(health, passes=0, failures=failures)
    return replace(health, passes=0, failures=failures)


_FAILED_STATES = (UNHEALTHY, UNHEALTHY_DRAINING)


def _drained(health: TargetHealth, event: HealthEvent, check: HealthCheck) -> TargetHealth:
    return replace(health, state=UNHEALTHY)


def _checking(health: TargetHealth, *, passes: int, failures: int) -> TargetHealth:
    return replace(health, reason=INITIAL_HEALTH_CHECKING, passes=passes, failures=failures)


def _stays(health: TargetHealth, event: HealthEvent, check: HealthCheck) -> TargetHealth:
    return health


Transition = Callable[..., TargetHealth]  # (health, its input, the group's check) -> health


def _to(state: str, reason: str) -> Transition:
    return lambda health, event, check: _at(state, reason)


def _only_if(reason: str | tuple[str, ...], state: str, new_reason: str) -> Transition:
    """A row of ``unused`` (or ``unavailable``) that holds for some of its reasons only."""
    reasons = (reason,) if isinstance(reason, str) else reason

    def transition(health: TargetHealth, event: HealthEvent, check: HealthCheck) -> TargetHealth:
        if health.reason not in reasons:
            raise HealthRefused(health, event)
        return _at(state, new_reason)

    return transition


def _checker_failed(health: TargetHealth, event: CheckerFailed, check: HealthCheck) -> TargetHealth:
    return TargetHealth(state=UNAVAILABLE, reason=INTERNAL_ERROR, description=event.description)


def _checking_again(transition: Transition) -> Transition:
    """``unavailable`` with Elb.InternalError: the next check result counts as a first."""

    def again(health: TargetHealth, event: HealthEvent, check: HealthCheck) -> TargetHealth:
        if health.reason != INTERNAL_ERROR:
            raise HealthRefused(health, event)
        return transition(TargetHealth(reason=INITIAL_HEALTH_CHECKING), event, check)

    return again


_CHECKED: dict[type, Transition] = {  # rows every state that is health-checked shares
    CheckPassed: _passed,
    CheckFailed: _failed,
    Deregistered: _to(DRAINING, DEREGISTRATION_IN_PROGRESS),
    GroupUnused: _to(UNUSED, NOT_IN_USE),
    ChecksDisabled: _to(UNAVAILABLE, HEALTH_CHECK_DISABLED),
    InstanceStopped: _to(UNUSED, INVALID_STATE),
    CheckerFailed: _checker_failed,
}
_INITIAL: dict[type, Transition] = {**_CHECKED, IpReserved: _to(UNUSED, IP_UNUSABLE)}
_TABLE: dict[str, dict[type, Transition]] = {
    INITIAL: _INITIAL,
    HEALTHY: dict(_CHECKED),
    UNHEALTHY: dict(_CHECKED),
    # Back to healthy if it recovers (HealthyThresholdCount passes), else unhealthy when
    # the draining interval ends.
    UNHEALTHY_DRAINING: {**_CHECKED, DrainingIntervalExpired: _drained},
    DRAINING: {
        # The bug this table fixes: passing checks used to make a draining target healthy.
        CheckPassed: _stays,
        CheckFailed: _stays,
        GroupUnused: _stays,
        GroupInUse: _stays,
        InstanceStopped: _stays,  # the delay still ends the deregistration
        CheckerFailed: _stays,
        DelayExpired: _to(UNUSED, NOT_REGISTERED),
        # Instance targets may come back before the delay ends; it cancels the deregistration.
        Registered: _to(INITIAL, REGISTRATION_IN_PROGRESS),
    },
    UNUSED: {
        Registered: _only_if(NOT_REGISTERED, INITIAL, REGISTRATION_IN_PROGRESS),
        GroupInUse: _only_if(NOT_IN_USE, INITIAL, REGISTRATION_IN_PROGRESS),
        Deregistered: _only_if(
            (NOT_IN_USE, INVALID_STATE, IP_UNUSABLE), DRAINING, DEREGISTRATION_IN_PROGRESS
        ),
        InstanceStarted: _only_if(INVALID_STATE, INITIAL, REGISTRATION_IN_PROGRESS),
        GroupUnused: _stays,
    },
    UNAVAILABLE: {
        Deregistered: _to(DRAINING, DEREGISTRATION_IN_PROGRESS),
        GroupUnused: _to(UNUSED, NOT_IN_USE),
        CheckPassed: _checking_again(_passed),
        CheckFailed: _checking_again(_failed),
        CheckerFailed: _checking_again(_checker_failed),
    },
}


def step(
    health: TargetHealth, event: HealthEvent, check: HealthCheck
) -> tuple[TargetHealth, HealthChanged | None]:
    """Apply one input to a target's health.

    Returns:
        The new health, and a ``HealthChanged`` when the state changed (else ``None``).

    Raises:
        HealthRefused: the state has no row for this input.
    """
    transition = _TABLE[health.state].get(type(event))
    if transition is None:
        raise HealthRefused(health, event)
    new = transition(health, event, check)
    if new.state == health.state:
        return new, None
    change = HealthChanged(
        state=new.state,
        previous=health.state,
        reason=new.reason,
        description=describe(new),
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


def probe_host(*, target_ip: str, check_port: int, nlb: tuple[str, int] | None = None) -> str:
    """The ``Host`` header of an HTTP(S) check (§3.2): the target's IP and health-check
    port, as an ALB sends it; an NLB node sends its own IP and the listener's port
    (``nlb``: the checking node's virtual IP and that port)."""
    if nlb is not None:
        return f"{nlb[0]}:{nlb[1]}"
    return f"{target_ip}:{check_port}"
