"""The labs page's order: the learner's own topologies, then the starters as a learning
path (one load balancer, then routing, then the other load balancer types), then the
what-if scenarios. Content, not code: a starter missing from the path goes after it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from labs.models import LabRun, Topology

LEARNING_PATH = (
    "basic-alb",
    "path-routing",
    "host-routing",
    "query-header-routing",
    "https-redirect",
    "sticky-sessions",
    "weighted-blue-green",
    "security-group-from-lb",
    "internal-and-internet-facing",
    "lambda-target",
    "containers-dynamic-ports",
    "nlb-static-ips",
    "nlb-in-front-of-alb",
    "gwlb-appliances",
    "classic-lb",
)
WHAT_IF_PREFIX = "whatif-"
WHAT_IFS = ("asg-replaces-failed-instance",)  # a what-if whose name does not say so


@dataclass
class Gallery:
    own: list[Topology] = field(default_factory=list)
    starters: list[Topology] = field(default_factory=list)
    what_ifs: list[Topology] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.own or self.starters or self.what_ifs)


def arrange(topologies: Iterable[Topology]) -> Gallery:
    gallery = Gallery()
    for topology in topologies:
        if not topology.is_starter:
            gallery.own.append(topology)
        elif topology.slug.startswith(WHAT_IF_PREFIX) or topology.slug in WHAT_IFS:
            gallery.what_ifs.append(topology)
        else:
            gallery.starters.append(topology)
    gallery.own.sort(key=lambda t: t.updated_at, reverse=True)
    place = {slug: n for n, slug in enumerate(LEARNING_PATH)}
    gallery.starters.sort(key=lambda t: (place.get(t.slug, len(place)), t.slug))
    gallery.what_ifs.sort(key=lambda t: t.slug)
    return gallery


@dataclass(frozen=True)
class Step:
    number: int  # 1 for the path's first starter
    topology: Topology


def next_step(user: Any) -> Step | None:
    """The first starter of the learning path the user has not run yet, as it is or as a
    copy of their own; None once they have run every one, or for a visitor."""
    if not user.is_authenticated:
        return None
    runs = LabRun.objects.filter(owner=user)
    done = set(runs.filter(topology__owner=None).values_list("topology__slug", flat=True))
    done |= set(
        runs.filter(topology__forked_from__owner=None).values_list(
            "topology__forked_from__slug", flat=True
        )
    )
    starters = {t.slug: t for t in Topology.objects.filter(owner=None, slug__in=LEARNING_PATH)}
    for number, slug in enumerate(LEARNING_PATH, start=1):
        if slug in starters and slug not in done:
            return Step(number, starters[slug])
    return None
