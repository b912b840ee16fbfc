"""Choosing a target inside one target group (spec §2.4, §3.5).

Which targets are candidates is the ALB's rule: healthy targets; when a group has
registered targets but none is healthy and some failed their checks, the ALB *fails
open* and uses all of them ("if a target group contains only unhealthy registered
targets"); a group with no registered targets answers 503, and so does one whose targets
are all still ``initial``: a target must pass one health check before it gets requests,
and none has failed one, so there is nothing to fail open for. Among candidates, the group's
algorithm picks. Each algorithm is one class with ``pick(candidates)`` and
``state(candidates)``: what the pick depends on, kept (as ints) for the trace.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .health import HEALTHY, INITIAL, UNUSED

FAIL_OPEN = "fail_open"
SLOW_START = "slow_start"
SLOW_START_FLOOR = 0.05  # the ramp's first share; AWS does not document it (Appendix B)


class NoRegisteredTargets(Exception):
    """The target group has no registered targets: the ALB answers 503."""


class NoTargetChecked(Exception):
    """Every registered target is still ``initial`` (none has passed or failed a check
    yet): the ALB does not fail open, it answers 503."""


AlgorithmState = int | tuple[int, ...] | None


class Algorithm(Protocol):
    name: str

    def pick(self, candidates: Sequence[str]) -> str: ...

    def state(self, candidates: Sequence[str]) -> AlgorithmState:
        """What the next ``pick`` depends on, read just before it."""
        ...


class RoundRobin:
    name = "round_robin"

    def __init__(self) -> None:
        self._turn = 0

    def pick(self, candidates: Sequence[str]) -> str:
        choice = candidates[self._turn % len(candidates)]
        self._turn += 1
        return choice

    def state(self, candidates: Sequence[str]) -> int:
        return self._turn % len(candidates)  # the position the rotation is at


class LeastOutstandingRequests:
    name = "least_outstanding_requests"

    def __init__(self, outstanding: dict[str, int]) -> None:
        self._outstanding = outstanding  # shared with whoever counts in-flight requests

    def pick(self, candidates: Sequence[str]) -> str:
        return min(candidates, key=lambda target: self._outstanding.get(target, 0))

    def state(self, candidates: Sequence[str]) -> tuple[int, ...]:
        return tuple(self._outstanding.get(target, 0) for target in candidates)


class WeightedRandom:
    name = "weighted_random"

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def pick(self, candidates: Sequence[str]) -> str:
        return self._rng.choice(candidates)

    def state(self, candidates: Sequence[str]) -> None:
        return None  # a fresh draw each time: nothing carries over


@dataclass(slots=True, unsafe_hash=True)  # hashed on target and reason, as when frozen
class Choice:
    """A pick and what it was made from (the latter for the trace, not for equality).

    Not frozen, like ``routing.Decision``: one is made per request on the proxy's path and
    a frozen dataclass pays ``object.__setattr__`` per field. Treat it as read-only.
    """

    target: str  # virtual "ip:port"
    reason: str  # the algorithm's name, SLOW_START or FAIL_OPEN
    algorithm: str = field(default="", compare=False)
    candidates: Sequence[str] = field(default=(), compare=False)
    state: AlgorithmState = field(default=None, compare=False)  # before the first pick
    shares: Mapping[str, float] | None = field(default=None, compare=False)  # slow start


def slow_start_share(since: float, now: float, duration: float) -> float:
    """How much of a full share a target in slow start gets: a linear ramp (spec §2.5)."""
    return min(1.0, max(SLOW_START_FLOOR, (now - since) / duration))


def choose(
    targets: Sequence[str],
    health: Mapping[str, str],
    algorithm: Algorithm,
    ramping: Mapping[str, float] | None = None,
    rng: random.Random | None = None,
) -> Choice:
    """Pick a target for one request.

    Args:
        targets: the group's registered targets ("ip:port"), in registration order.
        health: state per target (targets missing from it count as not healthy).
        algorithm: the group's balancing algorithm.
        ramping: targets in slow start and their current share (0–1]; the algorithm's
            pick of such a target stands with that probability, else it picks again.
        rng: draws for ``ramping``.

    Raises:
        NoRegisteredTargets: the group is empty (503).
        NoTargetChecked: every target is still ``initial`` (503, no fail-open).
    """
    if not targets:
        raise NoRegisteredTargets
    name = algorithm.name
    healthy = [target for target in targets if health.get(target) == HEALTHY]
    if not healthy:
        # Fail open goes to every target available, unhealthy included, never to one that
        # is ``unused`` (an LB's own IP, a stopped instance: §3.3), and only once a target
        # has been checked: one still ``initial`` has not passed a check yet (§3.4).
        targets = [target for target in targets if health.get(target) != UNUSED]
        if not targets:
            raise NoRegisteredTargets
        if all(health.get(target, INITIAL) == INITIAL for target in targets):
            raise NoTargetChecked
        state = algorithm.state(targets)
        return Choice(algorithm.pick(targets), FAIL_OPEN, name, targets, state)
    state = algorithm.state(healthy)
    pick = algorithm.pick(healthy)
    if ramping and rng is not None:
        for _ in range(len(healthy)):
            share = ramping.get(pick)
            if share is None:
                break
            if rng.random() < share:
                return Choice(pick, SLOW_START, name, healthy, state, ramping)
            pick = algorithm.pick(healthy)
        return Choice(pick, name, name, healthy, state, ramping)
    return Choice(pick, name, name, healthy, state)
