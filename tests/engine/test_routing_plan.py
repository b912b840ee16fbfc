"""A kept ``routing.plan`` decides exactly as ``decide`` does without one (same picks,
same traces), and live state (health, registrations, stickiness) still counts at once."""

import random

from labs.engine import trace
from labs.engine.attributes import Stickiness
from labs.engine.balancing import LeastOutstandingRequests, RoundRobin
from labs.engine.routing import decide, plan

from .test_routing_trace import A, B, facts, listener, states


def _twins(**kw):
    """Two states alike, one decided with a kept plan and one without."""
    return states(**kw), states(**kw)


def _both(router, request, kept, fresh, planned, n=1):
    out = []
    for _ in range(n):
        with_plan = decide(request, router, kept, 10.0, random.Random(1), planned)
        without = decide(request, router, fresh, 10.0, random.Random(1))
        assert with_plan == without
        assert trace.render(with_plan, 200, None) == trace.render(without, 200, None)
        out.append(with_plan)
    return out


def test_a_kept_plan_rotates_as_decide_does_and_shares_decisions_alike():
    router, request = listener(), facts()
    kept, fresh = _twins()
    planned = plan(request, router)

    decisions = _both(router, request, kept, fresh, planned, n=6)

    assert [d.target for d in decisions] == [A, B, A, B, A, B]
    assert decisions[0] is decisions[2]  # read-only, so shared while decided alike
    assert decisions[0] is not decisions[1]


def test_a_health_change_counts_on_the_next_request_with_a_kept_plan():
    router, request = listener(), facts()
    kept, fresh = _twins()
    planned = plan(request, router)
    _both(router, request, kept, fresh, planned, n=2)

    for state in (kept, fresh):
        state.health["Web"][A] = "unhealthy"  # type: ignore[index]
    decisions = _both(router, request, kept, fresh, planned, n=3)
    assert {d.target for d in decisions} == {B}

    for state in (kept, fresh):
        state.health["Web"][B] = "unhealthy"  # type: ignore[index]
    (decision,) = _both(router, request, kept, fresh, planned)
    assert decision.why == "fail_open"


def test_a_kept_plan_reads_registrations_outstanding_counts_and_stickiness_live():
    router, request = listener(), facts()
    outstanding = {A: 3, B: 1}
    kept = states(algorithms={"Web": LeastOutstandingRequests(outstanding), "Api": RoundRobin()})
    fresh = states(algorithms={"Web": LeastOutstandingRequests(outstanding), "Api": RoundRobin()})
    planned = plan(request, router)
    assert [d.target for d in _both(router, request, kept, fresh, planned)] == [B]
    outstanding[B] = 5
    assert [d.target for d in _both(router, request, kept, fresh, planned)] == [A]

    for state in (kept, fresh):
        state.registered["Web"].remove(A)  # type: ignore[attr-defined]
    assert [d.target for d in _both(router, request, kept, fresh, planned)] == [B]

    policy = {"Web": Stickiness(type="lb_cookie", duration=60)}
    sticky_kept, sticky_fresh = _twins(stickiness=policy)
    (decision,) = _both(router, request, sticky_kept, sticky_fresh, planned)
    assert decision.sticky is not None  # the general path: the cookie was looked at
