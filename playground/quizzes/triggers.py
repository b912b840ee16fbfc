"""When a lab run shows a concept happening, which topic to ask about.

Rules and theory of operation: every in-lab trigger is one row of ``TRIGGERS`` — a code,
the topics to ask about (first with published questions wins), and a pure predicate over
one event of DESIGN.md's wire contract and the ``Watch`` of what this viewer has seen of
the run so far. ``Watch.scan`` feeds it each batch, in order, and queues the codes that
matched. Each trigger fires at most once per run and viewer; how often a queued trigger
becomes a question (QUIZ_MIN_LAB_SECONDS) and which question it becomes is decided by
``playground.quizzes.services.lab``. Nothing here touches the database or the clock.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from labs.engine import classic, flows, gateway

Event = dict[str, Any]

# Cross-zone imbalance needs enough requests that a 2:1 split is not chance.
CROSS_ZONE_MIN_REQUESTS = 60
CROSS_ZONE_MIN_RATIO = 1.6


@dataclass
class Watch:
    """One viewer's view of one run: what fired, what waits, what the counts are."""

    fired: set[str] = field(default_factory=set)
    pending: list[str] = field(default_factory=list)
    zones_by_target: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    requests_by_target: Counter[str] = field(default_factory=Counter)

    def scan(self, events: Iterable[Event]) -> list[str]:
        """Feed a batch; returns the trigger codes it fired (also queued in ``pending``)."""
        fired = []
        for event in events:
            for trigger in TRIGGERS:
                if trigger.code in self.fired or not trigger.matches(event, self):
                    continue
                self.fired.add(trigger.code)
                self.pending.append(trigger.code)
                fired.append(trigger.code)
        return fired


def _first_unhealthy(event: Event, watch: Watch) -> bool:
    return event.get("type") == "health" and event.get("state") == "unhealthy"


def _classic(event: Event) -> bool:
    """A Classic Load Balancer's request: its trace says so (labs.engine.classic.render)."""
    trace = event.get("trace")
    return isinstance(trace, dict) and trace.get("load_balancer_type") == "classic"


def _lb_error(status: int) -> Callable[[Event, Watch], bool]:
    """The load balancer's own ``status`` (503: no target to send to; 504: the target did
    not answer in time). A target's own 503 is forwarded with target_status_code set; the
    LB's has none. One trigger per status, so a 504 never asks about a 503's cause. A
    Classic Load Balancer's 503 means something else (no fail-open): ``_clb_503``."""

    def matches(event: Event, watch: Watch) -> bool:
        return (
            event.get("type") == "request"
            and event.get("elb_status_code") == status
            and event.get("target_status_code") is None
            and not _classic(event)
        )

    return matches


def _sticky(event: Event, watch: Watch) -> bool:
    return (
        event.get("type") == "request"
        and str(event.get("reason") or "").startswith("sticky:")
        and not _classic(event)
    )


def _redirect(event: Event, watch: Watch) -> bool:
    return event.get("type") == "request" and event.get("action") == "redirect"


def _fail_open(event: Event, watch: Watch) -> bool:
    return event.get("type") == "request" and event.get("reason") == "fail_open"


# --- Network Load Balancer: its ``flow`` events (labs.runtime.proxy_tcp, proxy_udp) -------
def _nlb_flow(event: Event) -> bool:
    """An NLB's flow: hashed (a GWLB's carries ``inner``, a CLB's TCP flow hash ``-``)."""
    return (
        event.get("type") == "flow"
        and event.get("inner") is None
        and event.get("hash") not in (None, "", "-")
        and bool(event.get("target"))
    )


def _nlb_flow_hash(event: Event, watch: Watch) -> bool:
    return _nlb_flow(event) and event.get("reason") in (flows.HASH, flows.HASH_OWN_ZONE)


def _seen_host(event: Event) -> str | None:
    seen = event.get("source_seen_by_target")
    return str(seen).rsplit(":", 1)[0] if seen else None


def _nlb_client_ip_preserved(event: Event, watch: Watch) -> bool:
    return _nlb_flow(event) and _seen_host(event) == event.get("client_ip")


def _nlb_client_ip_not_preserved(event: Event, watch: Watch) -> bool:
    return _nlb_flow(event) and _seen_host(event) == event.get("node_ip")


def _nlb_cross_zone_off(event: Event, watch: Watch) -> bool:
    return _nlb_flow(event) and event.get("reason") == flows.HASH_OWN_ZONE


def _nlb_fail_open(event: Event, watch: Watch) -> bool:
    return _nlb_flow(event) and event.get("reason") == flows.FAIL_OPEN


def _nlb_tls(event: Event, watch: Watch) -> bool:
    return _nlb_flow(event) and bool(event.get("tls"))


# --- Gateway Load Balancer: one ``flow`` event per inner packet (labs.runtime.gateway) -----
def _gwlb(event: Event) -> bool:
    return event.get("type") == "flow" and event.get("inner") is not None


def _gwlb_drop(event: Event, watch: Watch) -> bool:
    return _gwlb(event) and event.get("verdict") == gateway.DROP


def _gwlb_sticky(event: Event, watch: Watch) -> bool:
    # A later packet of a flow the GWLB already placed: same appliance, whatever the hash.
    return _gwlb(event) and event.get("reason") == gateway.EXISTING


def _gwlb_no_fail_open(event: Event, watch: Watch) -> bool:
    return _gwlb(event) and event.get("reason") == gateway.NO_HEALTHY


# --- Classic Load Balancer (labs.engine.classic) -------------------------------------------
def _clb_503(event: Event, watch: Watch) -> bool:
    return (
        event.get("type") == "request"
        and _classic(event)
        and event.get("elb_status_code") == 503
        and event.get("target_status_code") is None
    )


def _clb_sticky(event: Event, watch: Watch) -> bool:
    return event.get("type") == "request" and event.get("reason") == f"sticky:{classic.COOKIE}"


def _clb_draining(event: Event, watch: Watch) -> bool:
    return (
        event.get("type") == "health"
        and event.get("description") == classic.DEREGISTRATION_IN_PROGRESS
    )


def _clb_out_of_service(event: Event, watch: Watch) -> bool:
    # ReasonCode Instance: the instance failed UnhealthyThreshold checks in a row.
    return (
        event.get("type") == "health"
        and event.get("state") == classic.OUT_OF_SERVICE
        and event.get("reason") == classic.INSTANCE
    )


def _draining(event: Event, watch: Watch) -> bool:
    return event.get("type") == "health" and event.get("state") == "draining"


def _health_check_blocked(event: Event, watch: Watch) -> bool:
    # A security group drops the probe silently, so it times out (spec §10).
    return (
        event.get("type") == "health"
        and event.get("state") == "unhealthy"
        and event.get("reason") == "Target.Timeout"
    )


def _cross_zone_imbalance(event: Event, watch: Watch) -> bool:
    """Each target only ever served by its own zone's node, and the shares clearly uneven:
    what cross-zone load balancing switched off looks like (spec §9)."""
    target, zone = event.get("target"), event.get("node_az")
    if event.get("type") != "request" or not target or not zone:
        return False
    watch.zones_by_target[target].add(zone)
    watch.requests_by_target[target] += 1
    counts = watch.requests_by_target
    if counts.total() < CROSS_ZONE_MIN_REQUESTS or len(counts) < 2:
        return False
    zones = set().union(*watch.zones_by_target.values())
    if len(zones) < 2 or any(len(seen) > 1 for seen in watch.zones_by_target.values()):
        return False
    return max(counts.values()) >= CROSS_ZONE_MIN_RATIO * min(counts.values())


@dataclass(frozen=True)
class Trigger:
    code: str
    label: Promise  # what happened, in the viewer's language
    topics: tuple[str, ...]
    matches: Callable[[Event, Watch], bool]


TRIGGERS: tuple[Trigger, ...] = (
    Trigger(
        "first_unhealthy",
        _("A target just turned unhealthy."),
        ("health-checks",),
        _first_unhealthy,
    ),
    Trigger(
        "lb_503",
        _("The load balancer itself answered 503: it had no target to send the request to."),
        ("alb", "health-checks"),
        _lb_error(503),
    ),
    Trigger(
        "lb_504",
        _("The load balancer answered 504: the target did not answer in time."),
        ("alb", "health-checks"),
        _lb_error(504),
    ),
    Trigger("sticky", _("Stickiness pinned a client to one target."), ("stickiness",), _sticky),
    Trigger(
        "redirect", _("The load balancer answered with a redirect."), ("alb", "ssl"), _redirect
    ),
    Trigger(
        "fail_open",
        _("No target is healthy, so the load balancer failed open."),
        ("health-checks",),
        _fail_open,
    ),
    Trigger("draining", _("A target is draining."), ("health-checks", "clb"), _draining),
    Trigger(
        "health_check_blocked",
        _("A health check timed out: is a security group dropping it?"),
        ("security-groups", "health-checks"),
        _health_check_blocked,
    ),
    Trigger(
        "cross_zone_imbalance",
        _("Targets in different zones get very different shares."),
        ("cross-zone",),
        _cross_zone_imbalance,
    ),
    Trigger(
        "nlb_flow_hash",
        _("The Network Load Balancer hashed a new flow onto one target."),
        ("nlb",),
        _nlb_flow_hash,
    ),
    Trigger(
        "nlb_client_ip_preserved",
        _("The target saw the client's own IP address through the Network Load Balancer."),
        ("nlb",),
        _nlb_client_ip_preserved,
    ),
    Trigger(
        "nlb_client_ip_not_preserved",
        _("The target saw the Network Load Balancer node's address, not the client's."),
        ("nlb",),
        _nlb_client_ip_not_preserved,
    ),
    Trigger(
        "nlb_cross_zone_off",
        _("With cross-zone load balancing off, the node hashed the flow onto its own zone."),
        ("nlb", "cross-zone"),
        _nlb_cross_zone_off,
    ),
    Trigger(
        "nlb_fail_open",
        _("No target is healthy, so the Network Load Balancer failed open."),
        ("nlb", "health-checks"),
        _nlb_fail_open,
    ),
    Trigger(
        "nlb_tls",
        _("The Network Load Balancer terminated TLS for a flow."),
        ("nlb", "ssl"),
        _nlb_tls,
    ),
    Trigger(
        "gwlb_drop",
        _("An appliance behind the Gateway Load Balancer dropped a packet."),
        ("gwlb",),
        _gwlb_drop,
    ),
    Trigger(
        "gwlb_sticky",
        _("A later packet of a flow went to the same appliance."),
        ("gwlb",),
        _gwlb_sticky,
    ),
    Trigger(
        "gwlb_no_fail_open",
        _("No appliance is healthy, and the Gateway Load Balancer dropped the flow."),
        ("gwlb", "health-checks"),
        _gwlb_no_fail_open,
    ),
    Trigger(
        "clb_503",
        _("The Classic Load Balancer answered 503: no instance is InService."),
        ("clb",),
        _clb_503,
    ),
    Trigger(
        "clb_sticky",
        _("The AWSELB cookie pinned a client to one instance."),
        ("clb", "stickiness"),
        _clb_sticky,
    ),
    Trigger(
        "clb_draining",
        _("Connection draining: a deregistered instance finishes its requests."),
        ("clb",),
        _clb_draining,
    ),
    Trigger(
        "clb_out_of_service",
        _("An instance failed its health checks and is OutOfService."),
        ("clb", "health-checks"),
        _clb_out_of_service,
    ),
)

BY_CODE = {trigger.code: trigger for trigger in TRIGGERS}
TRIGGER_CHOICES = [(trigger.code, trigger.label) for trigger in TRIGGERS]
