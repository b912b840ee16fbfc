"""CloudWatch-style metrics, one window per second (spec §4.5).

The runtime records each finished request; once a second it closes the window and
publishes the sums under CloudWatch's metric names, per load balancer and per target
group. ``RequestCount`` counts only requests for which a target was chosen, as AWS does.
A redirect or fixed response counts when the LB carried it out (``HTTP_Redirect_Count``,
``HTTP_Fixed_Response_Count``); a request to a sticky group whose cookie pinned nothing
counts in ``NonStickyRequestCount``; a request that failed open (no healthy target) in
the group's ``UnhealthyRoutingRequestCount``.

A Network Load Balancer has no requests: its ``flow`` events give ``NewFlowCount`` (and
``NewFlowCount_TCP/_TLS/_UDP``), the resets by who sent them (``TCP_Client_Reset_Count``,
``TCP_Target_Reset_Count``, ``TCP_ELB_Reset_Count`` for the LB's own: idle timeout, no
target, the run's end) and ``UnhealthyRoutingFlowCount`` for a flow that failed open; the
nodes' gauges give ``ActiveFlowCount`` (flows alive as the window closes) and
``ProcessedBytes`` (bytes both ways in the window) (§6.5 metrics).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from .events import Metrics


class FlowFacts(Protocol):
    """What the counters read of a ``flow`` event: an ``events.Flow``, or a flow the
    runtime keeps as a compact note until its batch is drained."""

    @property
    def state(self) -> str: ...
    @property
    def lb(self) -> str: ...
    @property
    def protocol(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def closed_by(self) -> str | None: ...
    @property
    def tls(self) -> dict[str, str | bool | None] | None: ...


def _status_class(status: int) -> str:
    return f"{status // 100}XX"


_ACTION_COUNTS = {"redirect": "HTTP_Redirect_Count", "fixed-response": "HTTP_Fixed_Response_Count"}
_FAILED_ACTION = {"RedirectUrlLimitExceeded": "HTTP_Redirect_Url_Limit_Exceeded_Count"}
# Authenticate actions (§4.5): a session issued at the end of the flow is a success; the
# IdP denying the user a failure; a flow that could not be completed an error.
_AUTH_COUNTS = {
    "session_issued": "ELBAuthSuccess",
    "AuthInvalidGrantError": "ELBAuthFailure",
    "AuthIdpError": "ELBAuthFailure",
    "AuthMissingCodeParam": "ELBAuthError",
    "AuthTokenEpRequestConnectionError": "ELBAuthError",
}
_RESET_BY = {"client": "TCP_Client_Reset_Count", "target": "TCP_Target_Reset_Count"}
_ELB_RESET = "TCP_ELB_Reset_Count"


PERCENTILES = (50, 95, 99)


def _percentile(ordered: list[float], p: int) -> float:
    """The nearest-rank percentile of a sorted, non-empty list."""
    rank = max(1, -(-p * len(ordered) // 100))  # ceil(p/100 * n)
    return ordered[rank - 1]


@dataclass(slots=True)
class MetricsWindow:
    lb: Counter[tuple[str, str]] = field(default_factory=Counter)
    tg: Counter[tuple[str, str]] = field(default_factory=Counter)
    response_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def record(
        self,
        *,
        lb: str,
        target_group: str | None,
        target: str | None,
        elb_status: int,
        target_status: int | None,
        target_seconds: float | None,
        action: str | None = None,
        error: str | None = None,
        non_sticky: bool = False,
        fail_open: bool = False,
        non_compliant: bool = False,
        authentication: str | None = None,
        count: int = 1,
    ) -> None:
        """Count ``count`` requests alike in all of these (the sink records them grouped)."""
        if target is not None:
            self.lb[lb, "RequestCount"] += count
        if action in _ACTION_COUNTS:
            # Only an action the LB carried out counts; an overlong redirect has its own.
            name = _ACTION_COUNTS[action] if error is None else _FAILED_ACTION.get(error)
            if name is not None:
                self.lb[lb, name] += count
        if non_sticky:
            self.lb[lb, "NonStickyRequestCount"] += count
        if authentication is not None:  # an authenticate action ran (auth.Outcome.result)
            name = _AUTH_COUNTS.get(error or authentication)
            if name is not None:
                self.lb[lb, name] += count
        if non_compliant:  # desync classification other than Compliant (§4.2)
            self.lb[lb, "DesyncMitigationMode_NonCompliant_Request_Count"] += count
        if fail_open and target_group is not None:
            self.tg[target_group, "UnhealthyRoutingRequestCount"] += count
        if (target_status is None or target_status != elb_status) and elb_status >= 300:
            # The LB produced this status itself (no target answer, or it overrode one);
            # CloudWatch has ELB counts for 3XX, 4XX and 5XX only.
            self.lb[lb, f"HTTPCode_ELB_{_status_class(elb_status)}_Count"] += count
            if elb_status in (500, 502, 503, 504):
                self.lb[lb, f"HTTPCode_ELB_{elb_status}_Count"] += count
        if target_group is not None and target_status is not None:
            self.tg[target_group, f"HTTPCode_Target_{_status_class(target_status)}_Count"] += count
            self.tg[target_group, "RequestCount"] += count
            self.lb[lb, f"HTTPCode_Target_{_status_class(target_status)}_Count"] += count
        if target_group is not None and target_seconds is not None:
            self.response_times[target_group].append(target_seconds)

    def flow(self, event: FlowFacts) -> None:
        """Count one NLB ``flow`` event (opened, reset, closed or dropped)."""
        family = "TLS" if event.tls is not None else event.protocol
        if event.state == "open":
            self.lb[event.lb, "NewFlowCount"] += 1
            self.lb[event.lb, f"NewFlowCount_{family}"] += 1
            if event.reason == "fail_open":
                self.lb[event.lb, "UnhealthyRoutingFlowCount"] += 1
        elif event.state == "reset":
            self.lb[event.lb, _RESET_BY.get(event.closed_by or "", _ELB_RESET)] += 1

    def tls_error(self, lb: str) -> None:
        """Count one client TLS handshake that failed (``ClientTLSNegotiationErrorCount``)."""
        self.lb[lb, "ClientTLSNegotiationErrorCount"] += 1

    def flows(self, lb: str, *, active: int, processed_bytes: int) -> None:
        """An NLB's gauges as the window closes: live flows, and bytes moved in it."""
        self.lb[lb, "ActiveFlowCount"] = active
        self.lb[lb, "ProcessedBytes"] += processed_bytes

    def close(self, t: float, healthy: dict[str, tuple[int, int]], *, emitted: float) -> Metrics:
        """The ``metrics`` event for this window; ``healthy`` maps TG → (healthy, unhealthy).

        ``t`` is lab-clock seconds, ``emitted`` the worker's wall clock (epoch seconds).
        """
        load_balancers: dict[str, dict[str, float]] = defaultdict(dict)
        for (lb, name), value in self.lb.items():
            load_balancers[lb][name] = value
        groups: dict[str, dict[str, float]] = {
            name: {"HealthyHostCount": up, "UnHealthyHostCount": down}
            for name, (up, down) in healthy.items()
        }
        for (group, name), value in self.tg.items():
            groups.setdefault(group, {})[name] = value
        for group, times in self.response_times.items():
            shown = groups.setdefault(group, {})
            shown["TargetResponseTime"] = round(sum(times) / len(times), 6)
            # CloudWatch's percentile statistics of the same metric (p50, p95, p99).
            ordered = sorted(times)
            for p in PERCENTILES:
                shown[f"TargetResponseTime.p{p}"] = round(_percentile(ordered, p), 6)
        return Metrics(
            t=round(t, 3),
            emitted=emitted,
            load_balancers=dict(load_balancers),
            target_groups=groups,
        )
