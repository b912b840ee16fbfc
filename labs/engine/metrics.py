"""CloudWatch-style metrics, one window per second (spec §4.5).

The runtime records each finished request; once a second it closes the window and
publishes the sums under CloudWatch's metric names, per load balancer and per target
group. ``RequestCount`` counts only requests for which a target was chosen, as AWS does.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


def _status_class(status: int) -> str:
    return f"{status // 100}XX"


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
    ) -> None:
        if target is not None:
            self.lb[lb, "RequestCount"] += 1
        if (target_status is None or target_status != elb_status) and elb_status >= 300:
            # The LB produced this status itself (no target answer, or it overrode one);
            # CloudWatch has ELB counts for 3XX, 4XX and 5XX only.
            self.lb[lb, f"HTTPCode_ELB_{_status_class(elb_status)}_Count"] += 1
            if elb_status in (500, 502, 503, 504):
                self.lb[lb, f"HTTPCode_ELB_{elb_status}_Count"] += 1
        if target_group is not None and target_status is not None:
            self.tg[target_group, f"HTTPCode_Target_{_status_class(target_status)}_Count"] += 1
            self.tg[target_group, "RequestCount"] += 1
            self.lb[lb, f"HTTPCode_Target_{_status_class(target_status)}_Count"] += 1
        if target_group is not None and target_seconds is not None:
            self.response_times[target_group].append(target_seconds)

    def close(self, t: float, healthy: dict[str, tuple[int, int]]) -> dict[str, Any]:
        """The ``metrics`` event for this window; ``healthy`` maps TG → (healthy, unhealthy)."""
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
        return {
            "type": "metrics",
            "t": round(t, 3),
            "load_balancers": dict(load_balancers),
            "target_groups": groups,
        }
