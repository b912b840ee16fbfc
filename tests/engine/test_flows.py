"""NLB flow hashing, flow lifetimes and cross-zone shares (spec §6.1, §6.2, §3.5, §9)."""

import random
from collections import Counter
from fractions import Fraction

import pytest

from labs.engine.flows import (
    EXISTING,
    FAIL_OPEN,
    HASH,
    HASH_OWN_ZONE,
    NO_TARGET,
    TCP,
    UDP,
    FlowKey,
    FlowTable,
    Pool,
    flow_hash,
    shares,
)
from labs.engine.health import HEALTHY, INITIAL, UNHEALTHY

A1, A2 = "10.0.1.10:80", "10.0.1.11:80"
B_TARGETS = [f"10.0.2.{n}:80" for n in range(10, 18)]
ZONES = {A1: "a", A2: "a", **{t: "b" for t in B_TARGETS}}
TARGETS = [A1, A2, *B_TARGETS]


def pool(cross_zone=False, health=None, targets=TARGETS):
    return Pool(
        targets=targets,
        zones=ZONES,
        health=health if health is not None else dict.fromkeys(targets, HEALTHY),
        cross_zone=cross_zone,
    )


def key(port=40000, protocol=TCP, source="198.51.100.10", node="10.0.1.5"):
    return FlowKey(
        protocol=protocol,
        source_ip=source,
        source_port=port,
        destination_ip=node,
        destination_port=80,
    )


def test_the_same_five_tuple_always_hashes_to_the_same_target():
    first, second = FlowTable(node_az="a", seed=b"s"), FlowTable(node_az="a", seed=b"s")
    for port in range(40000, 40050):
        one = first.route(key(port), pool(cross_zone=True), now=0)
        other = second.route(key(port), pool(cross_zone=True), now=5)
        assert (one.target, one.hash, one.reason) == (other.target, other.hash, HASH)


def test_every_field_of_the_five_tuple_is_in_the_hash():
    base = key()
    variants = [
        key(port=40001),
        key(protocol=UDP),
        key(source="198.51.100.11"),
        key(node="10.0.2.5"),
        FlowKey(
            protocol=TCP,
            source_ip=base.source_ip,
            source_port=base.source_port,
            destination_ip=base.destination_ip,
            destination_port=443,
        ),
    ]
    assert len({flow_hash(k, b"s") for k in [base, *variants]}) == 6
    assert flow_hash(base, b"s") != flow_hash(base, b"other run")


def test_new_flows_spread_evenly_over_the_candidates():
    table = FlowTable(node_az="a", seed=b"seed")
    rng = random.Random(7)
    counts = Counter(
        table.route(
            key(rng.randrange(1024, 65536), source=f"203.0.113.{n % 250}"),
            pool(cross_zone=True),
            now=0,
        ).target
        for n in range(20_000)
    )
    assert set(counts) == set(TARGETS)
    assert all(abs(c / 20_000 - 0.1) < 0.01 for c in counts.values())


def test_a_flow_keeps_its_target_when_the_candidates_change():
    table = FlowTable(node_az="a", seed=b"s")
    first = table.route(key(), pool(cross_zone=True), now=0)
    others = {t: (UNHEALTHY if t != first.target else HEALTHY) for t in TARGETS}
    moved = pool(
        cross_zone=True, targets=[first.target, *[t for t in TARGETS if t != first.target]]
    )
    again = table.route(key(), moved, now=1)
    assert (again.target, again.reason) == (first.target, EXISTING)
    # A new target list with the flow's target unhealthy would hash elsewhere, the flow stays:
    only_a2 = pool(health={**others, first.target: UNHEALTHY, A2: HEALTHY})
    assert table.route(key(), only_a2, now=2).target == first.target


def test_a_closed_tcp_flow_is_forgotten_and_hashed_again():
    table = FlowTable(node_az="a", seed=b"s")
    table.route(key(), pool(), now=0)
    assert len(table) == 1
    table.close(key())
    assert len(table) == 0
    assert table.route(key(), pool(), now=1).reason == HASH_OWN_ZONE


def test_a_udp_flow_expires_after_120_idle_seconds_and_may_move():
    table = FlowTable(node_az="a", seed=b"s")
    udp = key(protocol=UDP)
    first = table.route(udp, pool(), now=0)
    assert table.route(udp, pool(), now=100).reason == EXISTING
    assert table.route(udp, pool(), now=220).reason == EXISTING  # 120 s after the last one
    other = A2 if first.target == A1 else A1
    after = table.route(udp, pool(health={first.target: UNHEALTHY, other: HEALTHY}), now=341)
    assert (after.target, after.reason) == (other, HASH_OWN_ZONE)


def test_idle_tcp_flows_expire_after_the_listener_idle_timeout():
    table = FlowTable(node_az="a", seed=b"s", tcp_idle_timeout=350)
    table.route(key(1), pool(), now=0)
    table.route(key(2), pool(), now=0)
    table.seen(key(2), now=300)
    assert table.expire(now=350) == []
    assert table.expire(now=351) == [key(1)]
    assert table.expire(now=651) == [key(2)]
    assert len(table) == 0


def test_cross_zone_off_keeps_a_node_in_its_own_zone():
    table = FlowTable(node_az="a", seed=b"s")
    seen = {table.route(key(p), pool(), now=0).target for p in range(2000, 2200)}
    assert seen == {A1, A2}
    assert table.route(key(1), pool(), now=0).reason == HASH_OWN_ZONE


def test_cross_zone_off_shares_are_awss_worked_example():
    exact = shares(pool(cross_zone=False), ["a", "b"])
    assert exact[A1] == exact[A2] == Fraction(1, 4)
    assert all(exact[t] == Fraction(1, 16) for t in B_TARGETS)
    assert sum(exact.values()) == 1


def test_cross_zone_on_gives_every_target_a_tenth():
    assert set(shares(pool(cross_zone=True), ["a", "b"]).values()) == {Fraction(1, 10)}


def test_three_zones_one_one_four_with_cross_zone_off():
    targets = ["x:1", "y:1", "z:1", "z:2", "z:3", "z:4"]
    zoned = Pool(
        targets=targets,
        zones={t: t[0] for t in targets},
        health=dict.fromkeys(targets, HEALTHY),
    )
    exact = shares(zoned, ["x", "y", "z"])
    assert exact == {
        "x:1": Fraction(1, 3),
        "y:1": Fraction(1, 3),
        **{t: Fraction(1, 12) for t in targets[2:]},
    }


def test_all_targets_unhealthy_fails_open_to_the_zones_targets():
    health = dict.fromkeys(TARGETS, UNHEALTHY) | {A2: INITIAL}
    table = FlowTable(node_az="a", seed=b"s")
    decisions = [table.route(key(p), pool(health=health), now=0) for p in range(100, 160)]
    assert {d.reason for d in decisions} == {FAIL_OPEN}
    assert {d.target for d in decisions} == {A1, A2}
    on = FlowTable(node_az="a", seed=b"s")
    spread = {on.route(key(p), pool(True, health), now=0).target for p in range(100, 400)}
    assert spread == set(TARGETS)


def test_a_zone_without_healthy_targets_gets_nothing_while_another_zone_has_some():
    health = dict.fromkeys(TARGETS, HEALTHY) | {A1: UNHEALTHY, A2: UNHEALTHY}
    decision = FlowTable(node_az="a", seed=b"s").route(key(), pool(health=health), now=0)
    assert (decision.target, decision.reason) == (None, NO_TARGET)
    assert shares(pool(health=health), ["a", "b"])[A1] == 0
    assert sum(shares(pool(health=health), ["a", "b"]).values()) == Fraction(1, 2)


def test_a_zone_with_no_registered_targets_gets_nothing():
    decision = FlowTable(node_az="c", seed=b"s").route(
        key(), pool(health=dict.fromkeys(TARGETS, UNHEALTHY)), now=0
    )
    assert (decision.target, decision.reason) == (None, NO_TARGET)


def test_a_flow_key_names_its_protocol():
    with pytest.raises(ValueError):
        key(protocol="ICMP")
    assert str(key()) == "TCP 198.51.100.10:40000 → 10.0.1.5:80"


def test_an_alb_target_is_the_albs_nodes_one_per_zone():
    from labs.engine.flows import alb_nodes
    from labs.engine.spec import LoadBalancer, Node, Target, TargetGroup

    alb = LoadBalancer(
        name="Alb",
        nodes=(Node(az="a", ip="10.0.1.6"), Node(az="b", ip="10.0.2.6")),
    )
    group = TargetGroup(
        name="AlbTargets",
        protocol="TCP",
        target_type="alb",
        targets=(Target(id="Alb", ip="", port=80, az="all"),),
    )
    expanded = alb_nodes(group, [alb])
    assert [(t.id, t.address, t.az) for t in expanded.targets] == [
        ("Alb", "10.0.1.6:80", "a"),
        ("Alb", "10.0.2.6:80", "b"),
    ]
    instances = TargetGroup(name="Web", targets=(Target(id="i", ip="10.0.1.10", port=80, az="a"),))
    assert alb_nodes(instances, [alb]) is instances


@pytest.mark.parametrize(
    ("attributes", "health", "ends"),
    [
        ({}, {A1: UNHEALTHY, A2: HEALTHY}, True),  # on by default
        (
            {"target_health_state.unhealthy.connection_termination.enabled": "false"},
            {A1: UNHEALTHY, A2: HEALTHY},
            False,
        ),
        ({}, {A1: UNHEALTHY, A2: UNHEALTHY}, False),  # the group fails open: flows carry on
    ],
)
def test_a_target_turning_unhealthy_ends_its_flows_unless_told_not_or_failing_open(
    attributes, health, ends
):
    from labs.engine.flows import ends_flows_of_unhealthy

    pool_ = Pool(targets=[A1, A2], zones=ZONES, health=health)
    assert ends_flows_of_unhealthy(attributes, pool_) is ends


def test_dns_leaves_out_a_zone_with_nothing_to_serve_unless_that_leaves_none():
    from labs.engine.flows import in_dns

    zones = ["a", "b"]
    b_down = {A1: HEALTHY, A2: HEALTHY, **dict.fromkeys(B_TARGETS, UNHEALTHY)}
    assert in_dns(pool(health=b_down), zones) == ("a",)
    assert in_dns(pool(health=b_down, cross_zone=True), zones) == ("a", "b")
    all_down = dict.fromkeys(TARGETS, UNHEALTHY)
    assert in_dns(pool(health=all_down), zones) == ("a", "b")  # fail open


@pytest.mark.parametrize(
    ("attributes", "protocol", "ends"),
    [
        ({}, "TCP", False),
        ({}, "TLS", False),
        ({}, "UDP", True),
        ({}, "TCP_UDP", True),
        ({"deregistration_delay.connection_termination.enabled": "true"}, "TCP", True),
        ({"deregistration_delay.connection_termination.enabled": "false"}, "UDP", False),
    ],
)
def test_a_drained_targets_flows_end_with_the_delay_per_protocol_default(
    attributes, protocol, ends
):
    from labs.engine.flows import ends_flows_when_drained

    assert ends_flows_when_drained(attributes, protocol) is ends
