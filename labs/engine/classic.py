"""The Classic Load Balancer: instance health, balancing and ``AWSELB`` stickiness (spec §8).

A Classic LB has no rules and no target groups: each listener forwards to the instances
registered on the load balancer itself, on the listener's ``InstancePort``. Everything the
CLB decides lives here, beside (not inside) the ELBv2 modules, because AWS gave it other
words and other rules:

- **Health** (§8 "Health check", API_InstanceState.html): an instance is ``InService`` or
  ``OutOfService``; ``ReasonCode`` is ``ELB``, ``Instance`` or ``N/A``, and the description
  is one of AWS's fixed sentences. A registered instance starts ``OutOfService`` ("Instance
  registration is still in progress.") and needs ``HealthyThreshold`` consecutive passes
  to come in service (the ELBv2 "one pass" rule is not the CLB's); ``UnhealthyThreshold``
  consecutive failures take it out. Deregistering with connection draining shows
  ``InService`` / "Instance deregistration currently in progress." until the draining
  timeout, then ``OutOfService`` / "Instance is not currently registered with the
  LoadBalancer." The machine is one table, ``(state, input type) -> transition``, fed the
  same inputs as ``labs.engine.health``; an input with no row raises ``HealthRefused``.
- **Balancing** (§8 "Routing"): least outstanding requests for HTTP/HTTPS listeners, round
  robin for TCP/SSL. Only ``InService`` instances are candidates: there is no fail open, so
  with none in service the CLB answers 503. Cross-zone off: a node uses its own zone's
  instances only (§9).
- **Stickiness** (§8 "Sticky sessions"): the ``AWSELB`` cookie. Duration-based
  (``LBCookieStickinessPolicy``): issued once, expiry from ``CookieExpirationPeriod`` (none:
  a session cookie), never refreshed, expiry not checked by the LB. Application-controlled
  (``AppCookieStickinessPolicy``): a new ``AWSELB`` only when the application sets its
  cookie, with that cookie's lifetime; when the pinned instance fails, the new pick is
  pinned from then on, even after the old one recovers.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from . import errors, stickiness
from .balancing import Algorithm, Choice
from .errors import LbError
from .health import (
    CheckFailed,
    CheckPassed,
    DelayExpired,
    Deregistered,
    HealthChanged,
    HealthEvent,
    HealthRefused,
    Registered,
    TargetHealth,
)
from .spec import HealthCheck, LoadBalancer, TargetGroup

COOKIE = "AWSELB"
# InstanceProtocol values with which the node speaks TLS to the instance (§8 "Listeners").
TLS_INSTANCE_PROTOCOLS = ("HTTPS", "SSL")
# Internal states; the two AWS shows are IN_SERVICE and OUT_OF_SERVICE (see ``SHOWN``).
IN_SERVICE, OUT_OF_SERVICE = "InService", "OutOfService"
DEREGISTERING, UNREGISTERED = "deregistering", "unregistered"
SHOWN = {
    IN_SERVICE: IN_SERVICE,
    OUT_OF_SERVICE: OUT_OF_SERVICE,
    DEREGISTERING: IN_SERVICE,  # §8: InService while connection draining runs
    UNREGISTERED: OUT_OF_SERVICE,
}
# ReasonCode (API_InstanceState.html): who is the cause of OutOfService.
ELB, INSTANCE, NOT_APPLICABLE = "ELB", "Instance", "N/A"
# Description: AWS's own sentences (API_InstanceState.html).
REGISTRATION_IN_PROGRESS = "Instance registration is still in progress."
FAILED_UNHEALTHY_THRESHOLD = (
    "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
)
NOT_PASSED_HEALTHY_THRESHOLD = (
    "Instance has not passed the configured HealthyThreshold number of health checks consecutively."
)
DEREGISTRATION_IN_PROGRESS = "Instance deregistration currently in progress."
NOT_REGISTERED = "Instance is not currently registered with the LoadBalancer."
NO_DESCRIPTION = "N/A"

NO_HEALTHY_INSTANCES = LbError(503, "NoHealthyInstances")  # §8 "Errors"
CROSS_ZONE_OFF = "cross_zone_off"
# The API and CloudFormation defaults (§8 "Health check"): TCP:80, 10 up, 2 down, 30 s, 5 s.
DEFAULT_HEALTH_CHECK = HealthCheck(
    protocol="TCP",
    port="80",
    path="/",
    interval_seconds=30,
    timeout_seconds=5,
    healthy_threshold=10,
    unhealthy_threshold=2,
    matcher="200",  # HTTP(S) checks: only 200 OK is healthy
)


def registered() -> TargetHealth:
    """A newly registered instance: out of service until it passes HealthyThreshold checks."""
    return TargetHealth(state=OUT_OF_SERVICE, reason=ELB, description=REGISTRATION_IN_PROGRESS)


# --- health ------------------------------------------------------------------------------
def _passed(health: TargetHealth, event: CheckPassed, check: HealthCheck) -> TargetHealth:
    passes = health.passes + 1
    if health.state == OUT_OF_SERVICE and passes >= check.healthy_threshold:
        return TargetHealth(
            state=IN_SERVICE, reason=NOT_APPLICABLE, description=NO_DESCRIPTION, passes=passes
        )
    return replace(health, passes=passes, failures=0)


def _failed(health: TargetHealth, event: CheckFailed, check: HealthCheck) -> TargetHealth:
    failures = health.failures + 1
    if failures >= check.unhealthy_threshold:
        return TargetHealth(
            state=OUT_OF_SERVICE,
            reason=INSTANCE,
            description=FAILED_UNHEALTHY_THRESHOLD,
            failures=failures,
        )
    return replace(health, passes=0, failures=failures)


def _stays(health: TargetHealth, event: HealthEvent, check: HealthCheck) -> TargetHealth:
    return health


def _to(state: str, reason: str, description: str) -> Callable[..., TargetHealth]:
    return lambda health, event, check: TargetHealth(
        state=state, reason=reason, description=description
    )


_REGISTER = _to(OUT_OF_SERVICE, ELB, REGISTRATION_IN_PROGRESS)
_TABLE: dict[str, dict[type, Callable[..., TargetHealth]]] = {
    OUT_OF_SERVICE: {
        CheckPassed: _passed,
        CheckFailed: _failed,
        # An instance out of service has nothing in flight to drain: it leaves at once.
        Deregistered: _to(UNREGISTERED, ELB, NOT_REGISTERED),
    },
    IN_SERVICE: {
        CheckPassed: _passed,
        CheckFailed: _failed,
        Deregistered: _to(DEREGISTERING, ELB, DEREGISTRATION_IN_PROGRESS),
    },
    DEREGISTERING: {
        CheckPassed: _stays,  # only the draining timeout ends a deregistration
        CheckFailed: _stays,
        DelayExpired: _to(UNREGISTERED, ELB, NOT_REGISTERED),
        Registered: _REGISTER,
    },
    UNREGISTERED: {
        DelayExpired: _stays,  # it left before the timeout (it was out of service)
        Registered: _REGISTER,
    },
}


def step(
    health: TargetHealth, event: HealthEvent, check: HealthCheck
) -> tuple[TargetHealth, HealthChanged | None]:
    """Apply one input to an instance's health (same contract as ``health.step``).

    Raises:
        HealthRefused: the state has no row for this input.
    """
    transition = _TABLE[health.state].get(type(event))
    if transition is None:
        raise HealthRefused(health, event)
    new = transition(health, event, check)
    if (new.state, new.description) == (health.state, health.description):
        return new, None
    return new, HealthChanged(
        state=SHOWN[new.state],
        previous=SHOWN[health.state],
        reason=new.reason,
        description=new.description,
        at=event.at,
    )


def drain_ended(state: str, previous: str | None, description: str) -> bool:
    """Whether a health event is the end of a draining (in-flight requests are cut)."""
    return (state, previous, description) == (OUT_OF_SERVICE, IN_SERVICE, NOT_REGISTERED)


# --- the topology as the ELBv2 machinery carries it ----------------------------------------
def instance_group(lb: LoadBalancer) -> TargetGroup:
    """The CLB's registered instances and health check, shaped as a target group.

    The runtime keeps registrations, health and draining per target group; a CLB has one
    set of instances, so it gets one group named after the load balancer. Connection
    draining becomes the deregistration delay (0 when draining is off: cut at once).
    """
    draining = lb.attributes.get("connection_draining.enabled") == "true"
    delay = lb.attributes.get("connection_draining.timeout", "300") if draining else "0"
    return TargetGroup(
        name=lb.name,
        protocol="HTTP",
        port=lb.instances[0].port if lb.instances else 80,
        target_type="instance",
        targets=lb.instances,
        health_check=lb.health_check or DEFAULT_HEALTH_CHECK,
        algorithm="least_outstanding_requests",
        attributes={"deregistration_delay.timeout_seconds": delay},
    )


def algorithm_name(listener_protocol: str) -> str:
    """§8: least outstanding requests for HTTP/HTTPS listeners, round robin for TCP/SSL."""
    if listener_protocol in ("HTTP", "HTTPS"):
        return "least_outstanding_requests"
    return "round_robin"


def cross_zone(lb: LoadBalancer) -> bool:
    return lb.attributes.get("load_balancing.cross_zone.enabled") == "true"


# --- stickiness -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Sticky:
    """A listener's stickiness policy (PolicyNames naming an LB or App cookie policy)."""

    type: str  # lb_cookie | app_cookie
    expiration: int | None = None  # lb_cookie: CookieExpirationPeriod; None/0: session
    cookie_name: str | None = None  # app_cookie: the application's cookie


def sticky_policy(attributes: Mapping[str, str]) -> Sticky | None:
    """The listener's policy from its attributes (set by ``labs.validation.classic``)."""
    kind = attributes.get("stickiness.type")
    if kind == "lb_cookie":
        expiration = attributes.get("stickiness.lb_cookie.expiration_period")
        return Sticky(type=kind, expiration=int(expiration) if expiration else None)
    if kind == "app_cookie":
        return Sticky(type=kind, cookie_name=attributes.get("stickiness.app_cookie.cookie_name"))
    return None


# --- the decision -------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class State:
    """What one CLB node (one listener, one AZ) decides from; dicts shared with the runtime."""

    lb: str
    node_az: str
    registered: list[str]  # instance "ip:port", registration order (deregistered leave)
    health: Mapping[str, str]  # instance -> internal state
    zones: Mapping[str, str]  # instance -> AZ
    cross_zone: bool
    algorithm: Algorithm
    policy: Sticky | None
    secret: bytes


@dataclass(slots=True, kw_only=True)
class Decision:
    """Which instance gets the request (or the 503), and what it was chosen from."""

    lb: str
    target: str | None
    why: str | None  # least_outstanding_requests, round_robin, sticky:AWSELB
    choice: Choice | None
    zonal: bool  # cross-zone off: only this node's zone was a candidate
    cookie: str | None  # the AWSELB the request carried, decoded: its pinned instance
    cookie_outcome: str | None  # honoured, no_cookie, invalid, other_lb, target_not_in_service
    lb_error: LbError | None = None
    repin: bool = False  # app cookie: the pinned instance failed, pin the new pick

    @property
    def non_sticky(self) -> bool:
        """A sticky listener's request the cookie did not pin (``NonStickyRequestCount``)."""
        return self.cookie_outcome is not None and self.why != f"sticky:{COOKIE}"


def decide(cookies: Mapping[str, str], state: State) -> Decision:
    """Everything a CLB node decides about one request or connection.

    Args:
        cookies: the request's cookies (empty for TCP/SSL listeners: no cookies there).
        state: the node's view of its instances (its rotation turns).
    """
    candidates = [t for t in state.registered if state.health.get(t) == IN_SERVICE]
    zonal = not state.cross_zone
    if zonal:  # §9: each node only its own zone's instances
        candidates = [t for t in candidates if state.zones.get(t) == state.node_az]
    pinned, outcome = _cookie(cookies, state) if state.policy else (None, None)
    common: dict[str, Any] = {"lb": state.lb, "zonal": zonal, "cookie": pinned}
    if not candidates:
        return Decision(
            **common,
            target=None,
            why=None,
            choice=None,
            cookie_outcome=outcome,
            lb_error=NO_HEALTHY_INSTANCES,
        )
    if pinned is not None and outcome == "honoured" and pinned in candidates:
        return Decision(
            **common, target=pinned, why=f"sticky:{COOKIE}", choice=None, cookie_outcome=outcome
        )
    if pinned is not None and outcome == "honoured":
        outcome = "target_not_in_service"  # §8: chosen as if there were no cookie
    choice = _pick(candidates, state.algorithm)
    return Decision(
        **common,
        target=choice.target,
        why=choice.reason,
        choice=choice,
        cookie_outcome=outcome,
        repin=outcome == "target_not_in_service",
    )


def _pick(candidates: Sequence[str], algorithm: Algorithm) -> Choice:
    before = algorithm.state(candidates)
    target = algorithm.pick(candidates)
    return Choice(target, algorithm.name, algorithm.name, candidates, before)


def _cookie(cookies: Mapping[str, str], state: State) -> tuple[str | None, str]:
    value = cookies.get(COOKIE)
    if not value:
        return None, "no_cookie"
    pin = stickiness.decode(value, state.secret)
    if pin is None:
        return None, "invalid"
    if pin.group != state.lb:
        return pin.target, "other_lb"
    # §8: the LB does not check the cookie's expiry before use: the browser drops it.
    return pin.target, "honoured"


def set_cookies(
    decision: Decision,
    policy: Sticky | None,
    app_set_cookie: Sequence[str],
    secret: bytes,
    wall_now: float,
) -> list[str]:
    """The ``Set-Cookie`` values the CLB adds to an instance's answer (§8).

    Args:
        app_set_cookie: the instance's own ``Set-Cookie`` values.
        wall_now: epoch seconds (the cookie's ``Expires`` is wall-clock, as a browser reads it).
    """
    if policy is None or decision.target is None:
        return []
    value = stickiness.encode(stickiness.Pin(decision.lb, decision.target, 0.0), secret)
    if policy.type == "lb_cookie":
        if decision.why == f"sticky:{COOKIE}":
            return []  # never refreshed: the first cookie's expiry stands
        if not policy.expiration:
            return [f"{COOKIE}={value};PATH=/"]  # a browser-session cookie
        expires = _http_date(wall_now + policy.expiration)
        return [f"{COOKIE}={value};PATH=/;EXPIRES={expires}"]
    lifetime = _app_cookie_lifetime(app_set_cookie, policy.cookie_name or "")
    if lifetime is None and not decision.repin:
        return []  # a new AWSELB only with a new application cookie
    return [f"{COOKIE}={value};PATH=/{lifetime or ''}"]


def _app_cookie_lifetime(values: Sequence[str], name: str) -> str | None:
    """The application cookie's Expires/Max-Age attributes, if the answer sets it."""
    for value in values:
        if value.rstrip().endswith(";"):
            continue  # §8: a Set-Cookie with a trailing ';' is ignored
        cookie_name = value.split("=", 1)[0].strip()
        if cookie_name != name:
            continue
        kept = re.findall(r";\s*((?:expires|max-age)=[^;]*)", value, flags=re.IGNORECASE)
        return "".join(f";{attribute.upper()}" for attribute in kept)
    return None


def _http_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%a, %d-%b-%Y %H:%M:%S GMT")


# --- the trace ----------------------------------------------------------------------------
_COOKIE_WHY = {
    "honoured": "the AWSELB cookie pins {pinned}, which is InService",
    "no_cookie": "the request carried no AWSELB cookie",
    "invalid": "the AWSELB cookie is not one this load balancer issued",
    "other_lb": "the AWSELB cookie belongs to another load balancer",
    "target_not_in_service": (
        "the AWSELB cookie pins {pinned}, which is not InService: chosen as if there were no cookie"
    ),
}
_ALGORITHM_WHY = {
    "least_outstanding_requests": "the InService instance with the fewest requests in flight",
    "round_robin": "the next InService instance in turn",
}


def render(decision: Decision, status: int, error: str | None) -> dict[str, Any]:
    """The ``trace`` of a CLB request: no rules, the instance choice and why."""
    trace: dict[str, Any] = {"rules": [], "load_balancer_type": "classic"}
    target: dict[str, Any] = {
        "target": decision.target,
        "reason": decision.why,
        "cross_zone": not decision.zonal,
    }
    if decision.zonal:
        target["zone_why"] = "cross-zone load balancing is off: only this node's zone"
    if decision.cookie_outcome is not None:
        target["cookie"] = {
            "name": COOKIE,
            "outcome": decision.cookie_outcome,
            "why": _COOKIE_WHY[decision.cookie_outcome].format(pinned=decision.cookie),
        }
    if decision.choice is not None:
        target["candidates"] = list(decision.choice.candidates)
        target["algorithm"] = decision.choice.algorithm
        target["why"] = _ALGORITHM_WHY.get(decision.choice.algorithm, decision.choice.algorithm)
    elif decision.why is not None:
        target["why"] = _COOKIE_WHY["honoured"].format(pinned=decision.cookie)
    trace["target"] = target
    if error is not None:
        trace["error"] = {"status": status, "cause": error, "why": errors.explain(status, error)}
    return trace
