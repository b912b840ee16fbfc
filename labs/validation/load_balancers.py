"""Elastic Load Balancing v2 load balancers: ALB, NLB and GWLB (spec §0, §6, §7, §10).

One node per enabled Availability Zone, in the subnet given for that zone; its virtual
address is the subnet's first free one from ``.5`` on (two LBs in one subnet get two),
unless an internal NLB's ``SubnetMappings`` chose one.
An internet-facing NLB may give each node an Elastic IP (``AllocationId``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from labs.engine import spec

from . import attributes
from .core import EIP, LOAD_BALANCER, SECURITY_GROUP, SUBNET, Context, rule

NAME = rule("load-balancer.name", source="API CreateLoadBalancer")
SUBNETS_OR_MAPPINGS = rule("load-balancer.subnets-or-mappings", source="API CreateLoadBalancer")
TWO_ZONES = rule("load-balancer.alb-two-zones", source="§0")
ONE_PER_ZONE = rule("load-balancer.one-subnet-per-zone", source="§0")
GATEWAY_NO_SG = rule("load-balancer.gateway-no-security-groups", source="§7.1 §10")
GATEWAY_NO_SCHEME = rule("load-balancer.gateway-no-scheme", source="§7.1")
ALLOCATION = rule("load-balancer.allocation-id-internet-facing-nlb", source="§6.1")
PRIVATE_ADDRESS = rule("load-balancer.private-address-internal-nlb", source="§6.1")
EIP_ONCE = rule("load-balancer.elastic-ip-once", code="InvalidConfigurationRequest", source="§6.1")
IP_ADDRESS_TYPE = rule("load-balancer.ip-address-type", source="§10")

TYPES = ("application", "network", "gateway")


def check(ctx: Context) -> None:
    eips: dict[str, str] = {}
    for logical_id, props in ctx.of_type(LOAD_BALANCER):
        ctx.load_balancers[logical_id] = _load_balancer(ctx, logical_id, props, eips)


def _load_balancer(
    ctx: Context, logical_id: str, props: dict[str, Any], eips: dict[str, str]
) -> spec.LoadBalancer:
    p = "Properties."
    lb_type = ctx.choice(logical_id, p + "Type", props.get("Type"), TYPES, "application")
    _name(ctx, logical_id, props.get("Name"))
    if lb_type == "gateway" and "Scheme" in props:
        ctx.fail(
            GATEWAY_NO_SCHEME,
            logical_id,
            p + "Scheme",
            "A scheme cannot be specified for a Gateway Load Balancer",
        )
    scheme = ctx.choice(
        logical_id,
        p + "Scheme",
        props.get("Scheme"),
        ("internet-facing", "internal"),
        "internet-facing",
    )
    address_type = ctx.choice(
        logical_id,
        p + "IpAddressType",
        props.get("IpAddressType"),
        ("ipv4", "dualstack", "dualstack-without-public-ipv4"),
        "ipv4",
    )
    if address_type == "dualstack-without-public-ipv4" and (
        lb_type != "application" or scheme != "internet-facing"
    ):
        ctx.fail(
            IP_ADDRESS_TYPE,
            logical_id,
            p + "IpAddressType",
            "dualstack-without-public-ipv4 is for internet-facing Application Load Balancers only",
        )
    nodes = _nodes(ctx, logical_id, props, lb_type, scheme, eips)
    groups = ctx.refs(logical_id, p + "SecurityGroups", props.get("SecurityGroups"), SECURITY_GROUP)
    if lb_type == "gateway" and props.get("SecurityGroups"):
        ctx.fail(
            GATEWAY_NO_SG,
            logical_id,
            p + "SecurityGroups",
            "Security groups are not supported for load balancers with type 'gateway'",
        )
    attrs = attributes.read(
        ctx,
        logical_id,
        p + "LoadBalancerAttributes",
        props.get("LoadBalancerAttributes"),
        attributes.LOAD_BALANCER[lb_type],
        f"{lb_type} load balancer",
    )
    return spec.LoadBalancer(
        name=logical_id,
        type=lb_type,
        scheme=scheme,
        nodes=nodes,
        security_groups=tuple(groups),
        attributes=attrs,
        ip_address_type=address_type,
    )


def _name(ctx: Context, logical_id: str, name: Any) -> None:
    if name is None:
        return
    if not re.fullmatch(_NAME, str(name)) or str(name).startswith("internal-"):
        ctx.fail(
            NAME,
            logical_id,
            "Properties.Name",
            "A load balancer name must be 1-32 alphanumeric characters or hyphens, not "
            "starting or ending with a hyphen nor starting with internal-",
        )


def classic_name(ctx: Context, logical_id: str, name: Any) -> None:
    """A Classic LB's LoadBalancerName: the same characters, no internal- rule (CLB API)."""
    if name is not None and not re.fullmatch(_NAME, str(name)):
        ctx.fail(
            NAME,
            logical_id,
            "Properties.LoadBalancerName",
            "A load balancer name must be 1-32 alphanumeric characters or hyphens, not "
            "starting or ending with a hyphen",
        )


_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"


def _nodes(
    ctx: Context,
    logical_id: str,
    props: dict[str, Any],
    lb_type: str,
    scheme: str,
    eips: dict[str, str],
) -> tuple[spec.Node, ...]:
    p = "Properties."
    if ("Subnets" in props) == ("SubnetMappings" in props):
        ctx.fail(
            SUBNETS_OR_MAPPINGS,
            logical_id,
            p + "Subnets",
            "specify either Subnets or SubnetMappings, not both and not neither",
        )
        return ()
    nodes = []
    refused = False  # a subnet that its own checks refused, reported there
    if "Subnets" in props:
        for name in ctx.refs(logical_id, p + "Subnets", props["Subnets"], SUBNET):
            if name in ctx.subnets:
                nodes.append(subnet_node(ctx.subnets[name], taken=taken_addresses(ctx)))
            else:
                refused = True
    for i, item in ctx.mappings(logical_id, p + "SubnetMappings", props.get("SubnetMappings")):
        node = _mapping(ctx, logical_id, f"{p}SubnetMappings[{i}]", item, lb_type, scheme, eips)
        if node is not None:
            nodes.append(node)
    zones = [node.az for node in nodes]
    where = p + ("Subnets" if "Subnets" in props else "SubnetMappings")
    if len(set(zones)) != len(zones):
        ctx.fail(
            ONE_PER_ZONE, logical_id, where, "You can specify only one subnet per Availability Zone"
        )
    elif (
        len(zones) < 2
        and lb_type == "application"
        and not refused
        and not ctx.reported(logical_id, where)
    ):
        ctx.fail(
            TWO_ZONES,
            logical_id,
            where,
            "At least two subnets in two different Availability Zones must be specified",
        )
    return tuple(nodes)


def subnet_node(
    subnet: spec.Subnet,
    ip: str | None = None,
    eip: str | None = None,
    taken: frozenset[str] = frozenset(),
) -> spec.Node:
    """A node at ``ip``, else the subnet's first free address from ``.5`` on: two load
    balancers in one subnet (an NLB in front of an ALB) get distinct network interfaces."""
    base = ipaddress.IPv4Network(subnet.cidr).network_address
    address = ip or next(str(base + n) for n in range(5, 256) if str(base + n) not in taken)
    return spec.Node(
        az=subnet.az, ip=address, subnet=subnet.name, elastic_ip=eip, public=subnet.public
    )


def taken_addresses(ctx: Context) -> frozenset[str]:
    """Node addresses the load balancers built so far already hold."""
    return frozenset(node.ip for lb in ctx.load_balancers.values() for node in lb.nodes)


def _mapping(
    ctx: Context,
    logical_id: str,
    path: str,
    item: dict[str, Any],
    lb_type: str,
    scheme: str,
    eips: dict[str, str],
) -> spec.Node | None:
    subnet = ctx.ref(logical_id, f"{path}.SubnetId", item.get("SubnetId"), SUBNET)
    eip = None
    if "AllocationId" in item:
        if lb_type != "network" or scheme != "internet-facing":
            ctx.fail(
                ALLOCATION,
                logical_id,
                f"{path}.AllocationId",
                "Elastic IP addresses can be assigned only to internet-facing Network "
                "Load Balancers",
            )
        eip = ctx.ref(
            logical_id, f"{path}.AllocationId", item["AllocationId"], EIP, attribute="AllocationId"
        )
        if eip is not None and eip in eips:
            ctx.fail(
                EIP_ONCE,
                logical_id,
                f"{path}.AllocationId",
                f"Elastic IP {eip} is already assigned to {eips[eip]}",
            )
        elif eip is not None:
            eips[eip] = f"{logical_id}.{path}"
    ip = item.get("PrivateIPv4Address")
    if subnet not in ctx.subnets:
        return None
    if ip is not None:
        ip = _private_address(
            ctx, logical_id, f"{path}.PrivateIPv4Address", ip, lb_type, scheme, ctx.subnets[subnet]
        )
    return subnet_node(ctx.subnets[subnet], ip, eip, taken=taken_addresses(ctx))


def _private_address(
    ctx: Context,
    logical_id: str,
    path: str,
    value: Any,
    lb_type: str,
    scheme: str,
    subnet: spec.Subnet,
) -> str | None:
    if lb_type != "network" or scheme != "internal":
        ctx.fail(
            PRIVATE_ADDRESS,
            logical_id,
            path,
            "A private IPv4 address can be specified only for internal Network Load Balancers",
        )
        return None
    cidr = ipaddress.IPv4Network(subnet.cidr)
    try:
        ip = ipaddress.IPv4Address(str(value))
    except ValueError:
        ip = None
    if (
        ip is None
        or ip not in cidr
        or int(ip) - int(cidr.network_address) < 4
        or ip == cidr.broadcast_address
    ):
        ctx.fail(
            PRIVATE_ADDRESS,
            logical_id,
            path,
            f"{value!r} is not a usable address of subnet {subnet.name} ({cidr})",
        )
        return None
    return str(ip)
