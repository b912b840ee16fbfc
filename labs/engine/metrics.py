"""CloudWatch-style metrics, one window per second (spec §4.5).

The runtime records each finished request; once a second it closes the window and
publishes the sums under CloudWatch's metric names, per load balancer and per target
group. ``RequestCount`` counts only requests for which a target was chosen, as AWS does.
A redirect or fixed response counts when the LB carried it out (``HTTP_Redirect_Count``,
``HTTP_Fixed_Response_Count``); a request to a sticky group whose cookie pinned nothing
counts in ``NonStickyRequestCount``; a request that failed open (no healthy target) in
the group's ``UnhealthyRoutingRequestCount``.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .events import Metrics


def _status_class(status: int) -> str:
    return f"{status // 100}XX"


_ACTION_COUNTS = {"redirect": "HTTP_Redirect_Count", "fixed-response": "HTTP_Fixed_Response_Count"}
_FAILED_ACTION = {"RedirectUrlLimitExceeded": "HTTP_Redirect_Url_Limit_Exceeded_Count"}


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
            groups.setdefault(group, {})["TargetResponseTime"] = round(sum(times) / len(times), 6)
        return Metrics(
            t=round(t, 3),
            emitted=emitted,
            load_balancers=dict(load_balancers),
            target_groups=groups,
        )
