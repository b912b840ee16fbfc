"""GWLB flows: stickiness tuples, no fail-open, target failover, MTU, appliance rules (§7)."""

import random

import pytest

from labs.engine import gateway
from labs.engine.flows import Pool
from labs.engine.gateway import (
    DROP,
    EXISTING,
    EXISTING_FAILED,
    FIVE_TUPLE,
    FORWARD,
    HASH,
    HASH_OWN_ZONE,
    MTU_EXCEEDED,
    NO_HEALTHY,
    NO_TARGET,
    REBALANCED,
    THREE_TUPLE,
    TWO_TUPLE,
    GatewayFlows,
    Settings,
    inspect,
    settings,
)
from labs.engine.health import DRAINING, HEALTHY, INITIAL, UNHEALTHY, UNUSED
from labs.engine.packets import Summary

A1, A2, B1 = "10.0.1.10:6081", "10.0.1.11:6081", "10.0.2.10:6081"
ZONES = {A1: "a", A2: "a", B1: "b"}


def pool(health=None, cross_zone=False):
    return Pool(
        targets=[A1, A2, B1],
        zones=ZONES,
        health=health if health is not None else dict.fromkeys(ZONES, HEALTHY),
        cross_zone=cross_zone,
    )


def packet(sport=40000, dport=80, protocol="TCP", src="198.51.100.7", dst="10.0.3.10", size=60):
    ports = protocol in ("TCP", "UDP")
    return Summary(
        protocol=protocol,
        source_ip=src,
        source_port=sport if ports else None,
        destination_ip=dst,
        destination_port=dport if ports else None,
        length=size,
    )


def flows(**kw):
    return GatewayFlows(node_az="a", settings=Settings(**kw), seed=b"seed")


RNG = random.Random(1)


def spread(table, packets, p=None):
    return {table.route(pk, p or pool(), 0.0, RNG).target for pk in packets}


# --- stickiness ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, FIVE_TUPLE),
        ({"stickiness.enabled": "false", "stickiness.type": "source_ip_dest_ip"}, FIVE_TUPLE),
        ({"stickiness.enabled": "true", "stickiness.type": "source_ip_dest_ip_proto"}, THREE_TUPLE),
        ({"stickiness.enabled": "true", "stickiness.type": "source_ip_dest_ip"}, TWO_TUPLE),
    ],
)
def test_stickiness_type_picks_the_flow_tuple(attributes, expected):
    assert settings(attributes).tuple == expected


def test_the_default_5_tuple_spreads_a_clients_ports_over_appliances():
    assert spread(flows(), [packet(sport=p) for p in range(40000, 40040)]) == {A1, A2}


def test_the_3_tuple_keeps_every_port_of_one_protocol_on_one_appliance():
    table = flows(tuple=THREE_TUPLE)
    assert len(spread(table, [packet(sport=p, dport=p % 7) for p in range(40000, 40040)])) == 1
    key = table.route(packet(), pool(), 0.0, RNG).key
    assert (key.protocol, key.source_port, key.destination_port) == ("TCP", None, None)


def test_the_3_tuple_still_tells_protocols_apart_and_the_2_tuple_does_not():
    three, two = flows(tuple=THREE_TUPLE), flows(tuple=TWO_TUPLE)
    sources = [f"198.51.100.{n}" for n in range(1, 40)]
    split = [
        three.route(packet(src=s, protocol="TCP"), pool(), 0, RNG).target
        != three.route(packet(src=s, protocol="UDP"), pool(), 0, RNG).target
        for s in sources
    ]
    assert any(split)
    for s in sources:
        tcp = two.route(packet(src=s, protocol="TCP"), pool(), 0, RNG)
        udp = two.route(packet(src=s, protocol="UDP", sport=9, dport=53), pool(), 0, RNG)
        icmp = two.route(packet(src=s, protocol="ICMP"), pool(), 0, RNG)
        assert tcp.target == udp.target == icmp.target
        assert udp.reason == EXISTING and udp.cookie == tcp.cookie  # one flow


def test_a_protocol_without_ports_is_a_3_tuple_flow_by_default():
    decision = flows().route(packet(protocol="ICMP"), pool(), 0.0, RNG)
    assert decision.key.tuple == THREE_TUPLE
    assert str(decision.key) == "ICMP 198.51.100.7 → 10.0.3.10 (3-tuple)"


def test_a_flow_keeps_its_appliance_and_cookie_and_the_cookie_finds_the_flow():
    table = flows()
    first = table.route(packet(), pool(), 0.0, RNG)
    assert (first.action, first.reason, first.candidates) == (FORWARD, HASH_OWN_ZONE, (A1, A2))
    again = table.route(packet(), pool(health={A1: HEALTHY, A2: HEALTHY}), 1.0, RNG)
    assert (again.target, again.reason, again.cookie) == (first.target, EXISTING, first.cookie)
    assert table.returned(first.cookie) == first.key
    assert table.returned(first.cookie ^ 1) is None  # appliances cannot start flows


def test_cross_zone_on_hashes_over_every_zones_healthy_appliances():
    targets = spread(flows(), [packet(sport=p) for p in range(40000, 40060)], pool(cross_zone=True))
    assert targets == {A1, A2, B1}
    decision = flows().route(packet(), pool(cross_zone=True), 0.0, RNG)
    assert decision.reason == HASH


def test_an_idle_flow_is_forgotten_after_120_s_for_udp_and_350_s_for_tcp():
    table = flows()
    udp, tcp = packet(protocol="UDP"), packet(sport=1)
    table.route(udp, pool(), 0.0, RNG)
    table.route(tcp, pool(), 0.0, RNG)
    assert table.expire(120.0) == []
    assert [k.protocol for k in table.expire(120.5)] == ["UDP"]
    assert [k.protocol for k in table.expire(350.5)] == ["TCP"]
    assert len(table) == 0


# --- no fail-open ---------------------------------------------------------------------------
def test_no_healthy_appliance_pins_a_new_flow_to_a_random_one_and_drops_it():
    table = flows()
    down = {A1: UNHEALTHY, A2: UNHEALTHY, B1: HEALTHY}
    chosen = set()
    for sport in range(40000, 40030):
        decision = table.route(packet(sport=sport), pool(down), 0.0, random.Random(sport))
        assert (decision.action, decision.reason) == (DROP, NO_HEALTHY)
        chosen.add(decision.target)
    assert chosen == {A1, A2}  # random, within the zone: B1's health does not help zone a


def test_a_blind_flow_stays_dropped_until_its_own_target_recovers():
    table = flows()
    first = table.route(packet(), pool({A1: UNHEALTHY, A2: UNHEALTHY}), 0.0, random.Random(3))
    other = A2 if first.target == A1 else A1
    still = table.route(packet(), pool({first.target: UNHEALTHY, other: HEALTHY}), 1.0, RNG)
    assert (still.action, still.target, still.reason) == (DROP, first.target, NO_HEALTHY)
    back = table.route(packet(), pool({first.target: HEALTHY, other: HEALTHY}), 2.0, RNG)
    assert (back.action, back.target, back.reason) == (FORWARD, first.target, EXISTING)


@pytest.mark.parametrize("state", [UNUSED, DRAINING, INITIAL])
def test_appliances_that_are_not_registered_and_healthy_get_no_new_flows(state):
    table = flows()
    decision = table.route(packet(), pool({A1: state, A2: UNUSED, B1: HEALTHY}), 0.0, RNG)
    if state == INITIAL:
        assert (decision.action, decision.target, decision.reason) == (DROP, A1, NO_HEALTHY)
    else:
        assert (decision.action, decision.target, decision.reason) == (DROP, None, NO_TARGET)


# --- target failover ----------------------------------------------------------------------
def _pinned(table):
    first = table.route(packet(), pool(), 0.0, RNG)
    other = A2 if first.target == A1 else A1
    return first, other


def test_no_rebalance_keeps_sending_a_flow_to_its_failed_appliance():
    table = flows()
    first, other = _pinned(table)
    after = table.route(packet(), pool({first.target: UNHEALTHY, other: HEALTHY}), 5.0, RNG)
    assert (after.action, after.target, after.reason) == (FORWARD, first.target, EXISTING_FAILED)
    new = table.route(packet(sport=1), pool({first.target: UNHEALTHY, other: HEALTHY}), 5.0, RNG)
    assert new.target == other  # new flows go to healthy appliances


def test_rebalance_on_unhealthy_rehashes_the_flow_onto_a_healthy_appliance():
    table = flows(rebalance_unhealthy=True, rebalance_deregistered=True)
    first, other = _pinned(table)
    after = table.route(packet(), pool({first.target: UNHEALTHY, other: HEALTHY}), 5.0, RNG)
    assert (after.action, after.target, after.reason) == (FORWARD, other, REBALANCED)
    assert after.cookie == first.cookie  # the same flow, on another appliance
    stays = table.route(packet(), pool({first.target: HEALTHY, other: HEALTHY}), 6.0, RNG)
    assert (stays.target, stays.reason) == (other, EXISTING)


def test_rebalance_on_deregistration_waits_for_the_delay_to_end():
    table = flows(rebalance_unhealthy=True, rebalance_deregistered=True)
    first, other = _pinned(table)
    draining = table.route(packet(), pool({first.target: DRAINING, other: HEALTHY}), 5.0, RNG)
    assert (draining.target, draining.reason) == (first.target, EXISTING_FAILED)
    done = table.route(packet(), pool({first.target: UNUSED, other: HEALTHY}), 6.0, RNG)
    assert (done.target, done.reason) == (other, REBALANCED)


def test_rebalance_with_nothing_healthy_leaves_the_flow_where_it_is():
    table = flows(rebalance_unhealthy=True, rebalance_deregistered=True)
    first, other = _pinned(table)
    after = table.route(packet(), pool({first.target: UNHEALTHY, other: UNHEALTHY}), 5.0, RNG)
    assert (after.target, after.reason) == (first.target, EXISTING_FAILED)


def test_failover_attributes_are_read_as_aws_spells_them():
    read = settings(
        {
            "target_failover.on_unhealthy": "rebalance",
            "target_failover.on_deregistration": "rebalance",
        },
        {"tcp.idle_timeout.seconds": "600"},
    )
    assert (read.rebalance_unhealthy, read.rebalance_deregistered) == (True, True)
    assert read.tcp_idle_timeout == 600
    assert settings({}) == Settings()


# --- MTU ------------------------------------------------------------------------------------
def test_a_packet_over_8500_bytes_is_dropped_and_opens_no_flow():
    table = flows()
    assert table.route(packet(size=8500), pool(), 0.0, RNG).action == FORWARD
    big = table.route(packet(sport=2, size=8501), pool(), 0.0, RNG)
    assert (big.action, big.reason, big.target, big.key) == (DROP, MTU_EXCEEDED, None, None)
    assert len(table) == 1


# --- appliance rules ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rules", "pk", "action", "rule"),
    [
        ((), packet(), gateway.ALLOW, None),
        (("udp/53",), packet(protocol="UDP", dport=53), DROP, "udp/53"),
        (("udp/53",), packet(protocol="TCP", dport=53), gateway.ALLOW, None),
        (("tcp",), packet(dport=22), DROP, "tcp"),
        (("any/23", "icmp"), packet(dport=23), DROP, "any/23"),
        (("any/23", "icmp"), packet(protocol="ICMP"), DROP, "icmp"),
        (("tcp/443",), packet(protocol="ICMP"), gateway.ALLOW, None),
    ],
)
def test_an_appliance_drops_what_its_first_matching_rule_names(rules, pk, action, rule):
    assert inspect(rules, pk) == gateway.Verdict(action=action, rule=rule)


@pytest.mark.parametrize(
    ("rule", "ok"),
    [
        ("udp/53", True),
        ("TCP", True),
        ("icmp", True),
        ("icmp/3", False),
        ("gre", False),
        ("tcp/0", False),
        ("tcp/x", False),
        (53, False),
    ],
)
def test_appliance_rules_are_validated(rule, ok):
    assert gateway.valid_rule(rule) is ok
