import random
from collections import Counter

import pytest

from labs.engine.balancing import (
    FAIL_OPEN,
    Choice,
    LeastOutstandingRequests,
    NoRegisteredTargets,
    NoTargetChecked,
    RoundRobin,
    WeightedRandom,
    choose,
    slow_start_share,
)
from labs.engine.health import HEALTHY, INITIAL, UNHEALTHY

A, B, C = "10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"
TARGETS = [A, B, C]
ALL_HEALTHY = {A: HEALTHY, B: HEALTHY, C: HEALTHY}
NONE_HEALTHY = {A: UNHEALTHY, B: UNHEALTHY, C: INITIAL}


def seeded(seed: int) -> WeightedRandom:
    return WeightedRandom(random.Random(seed))


def picks(n, health, algorithm, targets=TARGETS):
    return [choose(targets, health, algorithm) for _ in range(n)]


def test_round_robin_rotates_evenly_over_healthy_targets():
    assert picks(6, ALL_HEALTHY, RoundRobin()) == [
        Choice(target, "round_robin") for target in (A, B, C, A, B, C)
    ]


def test_round_robin_uses_only_the_healthy_targets():
    health = {A: HEALTHY, B: UNHEALTHY, C: HEALTHY}

    chosen = Counter(choice.target for choice in picks(10, health, RoundRobin()))

    assert chosen == {A: 5, C: 5}


def test_a_target_turning_unhealthy_is_skipped_from_the_next_request_on():
    health = dict(ALL_HEALTHY)
    rr = RoundRobin()
    assert [c.target for c in picks(3, health, rr)] == [A, B, C]

    health[B] = UNHEALTHY
    later = picks(6, health, rr)

    assert Counter(c.target for c in later) == {A: 3, C: 3}
    assert {c.reason for c in later} == {"round_robin"}


def test_targets_missing_from_the_health_map_do_not_count_as_healthy():
    assert {c.target for c in picks(4, {C: HEALTHY}, RoundRobin())} == {C}


def test_it_fails_open_over_all_registered_targets_when_none_is_healthy():
    assert picks(6, NONE_HEALTHY, RoundRobin()) == [
        Choice(target, FAIL_OPEN) for target in (A, B, C, A, B, C)
    ]


def test_fail_open_ends_as_soon_as_one_target_is_healthy():
    health = dict(NONE_HEALTHY)
    rr = RoundRobin()
    assert choose(TARGETS, health, rr).reason == FAIL_OPEN

    health[B] = HEALTHY

    assert picks(3, health, rr) == [Choice(B, "round_robin")] * 3


@pytest.mark.parametrize(
    "algorithm",
    [
        RoundRobin(),
        LeastOutstandingRequests({}),
        seeded(1),
    ],
    ids=lambda algorithm: algorithm.name,
)
def test_a_group_with_no_registered_targets_raises_no_registered_targets(algorithm):
    with pytest.raises(NoRegisteredTargets):
        choose([], {}, algorithm)


def test_least_outstanding_requests_picks_the_target_with_fewest_in_flight():
    lor = LeastOutstandingRequests({A: 3, B: 1, C: 2})

    assert choose(TARGETS, ALL_HEALTHY, lor) == Choice(B, "least_outstanding_requests")


def test_least_outstanding_requests_reads_the_counts_it_shares_with_the_caller():
    outstanding = {A: 3, B: 1, C: 2}
    lor = LeastOutstandingRequests(outstanding)
    assert choose(TARGETS, ALL_HEALTHY, lor).target == B

    outstanding[B] = 4

    assert choose(TARGETS, ALL_HEALTHY, lor).target == C


def test_least_outstanding_requests_counts_a_target_it_has_no_count_for_as_idle():
    lor = LeastOutstandingRequests({A: 1, B: 1})

    assert choose(TARGETS, ALL_HEALTHY, lor).target == C


def test_least_outstanding_requests_breaks_a_tie_in_registration_order():
    lor = LeastOutstandingRequests({A: 2, B: 0, C: 0})

    assert choose(TARGETS, ALL_HEALTHY, lor).target == B


def test_least_outstanding_requests_ignores_an_idle_unhealthy_target():
    lor = LeastOutstandingRequests({A: 5, B: 0, C: 2})
    health = {A: HEALTHY, B: UNHEALTHY, C: HEALTHY}

    assert choose(TARGETS, health, lor).target == C


def test_weighted_random_gives_the_same_picks_under_the_same_seed():
    first = picks(50, ALL_HEALTHY, seeded(42))
    second = picks(50, ALL_HEALTHY, seeded(42))

    assert first == second
    assert {c.reason for c in first} == {"weighted_random"}
    assert {c.target for c in first} == set(TARGETS)


def test_weighted_random_picks_only_healthy_targets():
    health = {A: HEALTHY, B: UNHEALTHY, C: HEALTHY}

    chosen = {c.target for c in picks(50, health, seeded(7))}

    assert chosen == {A, C}


def test_a_target_in_slow_start_gets_its_share_of_a_full_one():
    targets = ["a", "b", "c"]
    health = dict.fromkeys(targets, "healthy")
    algorithm, rng = RoundRobin(), random.Random(3)
    picks = Counter(choose(targets, health, algorithm, {"a": 0.1}, rng) for _ in range(3000))
    share_of_a = sum(n for choice, n in picks.items() if choice.target == "a") / 3000
    assert 0.02 < share_of_a < 0.08  # about a tenth of a full third
    assert {c.reason for c in picks if c.target == "a"} == {"slow_start"}
    assert slow_start_share(since=10, now=10, duration=100) == 0.05  # the floor
    assert slow_start_share(since=10, now=60, duration=100) == 0.5
    assert slow_start_share(since=10, now=500, duration=100) == 1.0


def test_it_does_not_fail_open_while_every_target_is_still_initial():
    """ELB_BEHAVIOUR.md §3.4–3.5: a target gets requests once it passes one health check;
    the ALB fails open only over unhealthy targets. All initial: nothing to fail open for."""
    with pytest.raises(NoTargetChecked):
        choose(TARGETS, {A: INITIAL, B: INITIAL, C: INITIAL}, RoundRobin())
    with pytest.raises(NoTargetChecked):
        choose(TARGETS, {}, RoundRobin())  # not even announced yet


def test_one_failed_target_among_initial_ones_makes_the_group_fail_open():
    choice = choose(TARGETS, {A: INITIAL, B: UNHEALTHY, C: INITIAL}, RoundRobin())
    assert choice.reason == FAIL_OPEN
