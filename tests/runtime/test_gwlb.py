"""The Gateway Load Balancer on real loopback UDP sockets (spec §7): GENEVE on the wire,
appliance verdicts, flow stickiness, no fail-open, target failover, MTU."""

import dataclasses
import socket

import pytest

from labs.engine import geneve, packets
from labs.engine.health import UNHEALTHY
from labs.engine.spec import IngressRule, SecurityGroup

from .gwlb_helpers import APP, DNS, Gwlb, appliance

pytestmark = pytest.mark.timeout(30)

A1, A2 = appliance("10.0.1.10"), appliance("10.0.1.11")


def _packet_from(client):
    return lambda e: e["client_ip"] == client[0] and e["client_port"] == client[1]


async def test_a_packet_goes_client_node_appliance_node_destination_in_geneve():
    async with Gwlb([A1, A2]) as lb:
        packet = lb.send(("198.51.100.7", 40000), payload=b"inspect me")
        (event,) = await lb.wait_for(lambda e: e["state"] == "delivered")
        assert await lb.delivered("10.0.3.10:80") == [packet]  # the inner packet, unchanged
        chosen = lb.fleet.appliances[event["target"]]
        node = lb.node
        on_the_wire = bytes.fromhex(
            "0800 0800 00000000"  # Ver 0, Opt Len 8 words, O=C=0, inner IPv4, VNI 0
            f"0108 0102 {node.endpoint_id:016x}"  # AWS class, type 1: the endpoint id
            f"0108 0202 {node.attachment_id:016x}"  # type 2: the attachment id
            f"0108 0301 {event['flow_cookie']}"  # type 3: the flow cookie
        )
        assert list(chosen.received) == [on_the_wire + packet]
        assert event["inner"] == {
            "protocol": "TCP",
            "source": "198.51.100.7:40000",
            "destination": "10.0.3.10:80",
            "bytes": len(packet),
        }
        assert (event["verdict"], event["reason"]) == ("allow", "flow_hash:own_zone")
        assert event["bytes_from_client"] == event["bytes_from_target"] == len(packet)
        assert (event["lb"], event["node_az"], event["target_group"]) == (
            "Gwlb",
            "us-east-1a",
            "Appliances",
        )


async def test_an_appliances_drop_rule_drops_the_packet_and_names_the_rule():
    firewall = appliance("10.0.1.10", drop=("udp/53",))
    async with Gwlb([firewall]) as lb:
        lb.send(("198.51.100.7", 40001), DNS, protocol="UDP")
        lb.send(("198.51.100.7", 40002), APP)
        dropped = await lb.wait_for(lambda e: e["state"] == "dropped")
        await lb.wait_for(lambda e: e["state"] == "delivered")
        assert [(e["verdict"], e["rule"], e["inner"]["destination"]) for e in dropped] == [
            ("drop", "udp/53", "10.0.3.10:53")
        ]
        assert len(await lb.delivered("10.0.3.10:80")) == 1
        assert lb.fleet.destinations["10.0.3.10:53"].count == 0
        assert lb.fleet.appliances[firewall.address].counts == {"drop": 1, "allow": 1}


async def test_an_appliances_latency_delays_the_packet_but_it_arrives():
    async with Gwlb([appliance("10.0.1.10", latency_ms=50)]) as lb:
        lb.send(("198.51.100.7", 40003))
        (event,) = await lb.wait_for(lambda e: e["state"] == "delivered")
        assert event["verdict"] == "allow"


async def test_a_flow_keeps_its_appliance_and_other_flows_spread():
    async with Gwlb([A1, A2]) as lb:
        for _ in range(8):
            lb.send(("198.51.100.7", 41000))
        same = await lb.wait_for(_packet_from(("198.51.100.7", 41000)), count=8)
        assert len({e["target"] for e in same}) == 1
        assert [e["reason"] for e in same][1:] == ["existing_flow"] * 7
        assert len({e["flow_cookie"] for e in same}) == 1
        for port in range(42000, 42024):
            lb.send(("198.51.100.7", port))
        spread = await lb.wait_for(lambda e: e["client_port"] >= 42000, count=24)
        assert {e["target"] for e in spread} == {A1.address, A2.address}


async def test_the_2_tuple_keeps_every_flow_of_a_client_on_one_appliance():
    sticky = {"stickiness.enabled": "true", "stickiness.type": "source_ip_dest_ip"}
    async with Gwlb([A1, A2], attributes=sticky) as lb:
        for port in range(43000, 43012):
            lb.send(("198.51.100.8", port))
        lb.send(("198.51.100.8", 9), DNS, protocol="UDP")
        events = await lb.wait_for(lambda e: e["client_ip"] == "198.51.100.8", count=13)
        assert len({e["target"] for e in events}) == 1
        assert all(e["hash"].endswith("(2-tuple)") for e in events)


async def test_with_no_healthy_appliance_packets_are_dropped_not_failed_open():
    async with Gwlb([A1, A2]) as lb:
        lb.health.update({A1.address: UNHEALTHY, A2.address: UNHEALTHY})
        for port in (44000, 44001, 44002):
            lb.send(("198.51.100.9", port))
        events = await lb.wait_for(lambda e: e["state"] == "dropped", count=3)
        assert {e["reason"] for e in events} == {"no_healthy_targets"}
        assert {e.get("verdict") for e in events} == {None}  # it never reached an appliance
        assert all(e["target"] in (A1.address, A2.address) for e in events)  # pinned, random
        assert all(not a.received for a in lb.fleet.appliances.values())
        assert lb.fleet.destinations["10.0.3.10:80"].count == 0


@pytest.mark.parametrize(
    ("failover", "moves", "reason"),
    [("no_rebalance", False, "existing_flow:no_rebalance"), ("rebalance", True, "rebalance")],
)
async def test_a_flow_on_an_appliance_turned_unhealthy_follows_target_failover(
    failover, moves, reason
):
    attributes = {
        "target_failover.on_unhealthy": failover,
        "target_failover.on_deregistration": failover,
    }
    async with Gwlb([A1, A2], attributes=attributes) as lb:
        client = ("198.51.100.10", 45000)
        lb.send(client)
        (first,) = await lb.wait_for(_packet_from(client))
        lb.health[first["target"]] = UNHEALTHY
        lb.send(client)
        _, second = await lb.wait_for(_packet_from(client), count=2)
        assert (second["target"] != first["target"]) is moves
        assert (second["state"], second["reason"]) == ("delivered", reason)
        assert second["flow_cookie"] == first["flow_cookie"]


async def test_a_packet_over_the_8500_byte_mtu_is_dropped_at_the_gwlb():
    async with Gwlb([A1]) as lb:
        lb.send(("198.51.100.11", 46000), payload=b"x" * (8500 - 40))
        lb.send(("198.51.100.11", 46001), payload=b"x" * (8501 - 40))
        (big,) = await lb.wait_for(lambda e: e["state"] == "dropped")
        (fits,) = await lb.wait_for(lambda e: e["state"] == "delivered")
        assert (big["reason"], big["inner"]["bytes"], big["target"]) == ("mtu_exceeded", 8501, None)
        assert fits["inner"]["bytes"] == 8500
        assert len(lb.fleet.appliances[A1.address].received) == 1


async def test_an_appliance_refuses_geneve_without_awss_options():
    async with Gwlb([A1]) as lb:
        node = lb.node
        bare = geneve.encode(geneve.Header(), b"\x45\x00\x00\x14" + b"\0" * 16)
        node._tunnel.sendto(bare, lb.sandbox.endpoint(A1.address))
        lb.send(("198.51.100.12", 47000))  # after it, on the same path: waited for
        await lb.wait_for(lambda e: e["state"] == "delivered")
        assert lb.fleet.appliances[A1.address].counts == {"not_from_gwlb": 1, "allow": 1}


async def test_a_node_ignores_packets_for_flows_it_never_sent():
    async with Gwlb([A1]) as lb:
        tags = geneve.AwsTags(
            endpoint_id=lb.node.endpoint_id, attachment_id=lb.node.attachment_id, flow_cookie=7
        )
        forged = packets.build(protocol="UDP", source=("10.0.1.10", 1), destination=DNS)
        appliance_side = lb.fleet.appliances[A1.address]._socket
        appliance_side.sendto(geneve.encode(tags.header(), forged), lb.node.tunnel)
        lb.send(("198.51.100.13", 48000))
        await lb.wait_for(lambda e: e["state"] == "delivered")
        assert lb.node.counts["unknown_flow"] == 1
        assert lb.fleet.destinations["10.0.3.10:53"].count == 0


async def test_an_appliances_security_group_admits_its_gwlb_and_drops_strangers_silently():
    vpc_only = SecurityGroup(
        name="FromTheVpc",
        ingress=(IngressRule(protocol="udp", from_port=6081, to_port=6081, cidr="10.0.0.0/16"),),
    )
    guarded = dataclasses.replace(A1, security_groups=("FromTheVpc",))
    async with Gwlb([guarded], security_groups=(vpc_only,)) as lb:
        tags = geneve.AwsTags(endpoint_id=1, attachment_id=2, flow_cookie=3)
        inner = packets.build(protocol="UDP", source=("10.9.0.1", 1), destination=DNS)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
            stranger.bind((lb.sandbox.loopback("172.16.0.1"), 0))
            stranger.sendto(geneve.encode(tags.header(), inner), lb.sandbox.endpoint(A1.address))
        lb.send(("198.51.100.14", 49000))  # the GWLB node, inside the VPC: admitted
        await lb.wait_for(lambda e: e["state"] == "delivered")
        assert lb.fleet.appliances[A1.address].counts == {"denied": 1, "allow": 1}
