"""Who the internet reaches: internet gateways, route tables and their subnets (spec §10).

A subnet is public when the route table associated with it sends ``0.0.0.0/0`` to an
internet gateway attached to the VPC; a subnet with no association uses the VPC's main
route table, which a template cannot give routes to (it has only the local route), so it is
private. ELB's own checks follow from that: an internet-facing load balancer in a VPC that
has no internet gateway is refused at creation (``InvalidSubnet``); one in subnets without
the route is created, but nothing on the internet reaches its nodes (the runtime drops them).

A template that declares none of these resources (the playground's starters) does not model
routing: every subnet counts as public, so it runs as it always did.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .core import (
    GATEWAY_ATTACHMENT,
    INTERNET_GATEWAY,
    LOAD_BALANCER,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    ROUTING,
    SUBNET,
    VPC,
    Context,
    reference,
    rule,
)

NO_INTERNET_GATEWAY = rule(
    "load-balancer.internet-facing-needs-internet-gateway",
    code="InvalidSubnet",
    source="API CreateLoadBalancer",
)
ROUTE_DESTINATION = rule("route.destination", source="EC2")
ONE_ROUTE_TABLE = rule("subnet.one-route-table", code="Resource.AlreadyAssociated", source="EC2")


def check(ctx: Context) -> None:
    """Marks each subnet public or private; runs after the network, before load balancers."""
    ctx.routing = any(resource.get("Type") in ROUTING for resource in ctx.resources.values())
    if not ctx.routing:
        return
    for logical_id, props in ctx.of_type(GATEWAY_ATTACHMENT):
        ctx.ref(logical_id, "Properties.VpcId", props.get("VpcId"), VPC)
        if "InternetGatewayId" in props:
            gateway = ctx.ref(
                logical_id,
                "Properties.InternetGatewayId",
                props["InternetGatewayId"],
                INTERNET_GATEWAY,
            )
            if gateway is not None:
                ctx.internet_gateways.append(gateway)
    to_internet: dict[str, str] = {}  # route table → the attached gateway it sends 0/0 to
    for logical_id, props in ctx.of_type(ROUTE_TABLE):
        ctx.ref(logical_id, "Properties.VpcId", props.get("VpcId"), VPC)
    for logical_id, props in ctx.of_type(ROUTE):
        table = ctx.ref(
            logical_id, "Properties.RouteTableId", props.get("RouteTableId"), ROUTE_TABLE
        )
        destination = props.get("DestinationCidrBlock")
        if (
            destination is None
            and props.get("DestinationIpv6CidrBlock") is None
            and (props.get("DestinationPrefixListId") is None)
        ):
            ctx.fail(
                ROUTE_DESTINATION,
                logical_id,
                "Properties.DestinationCidrBlock",
                "a route needs a destination: DestinationCidrBlock, DestinationIpv6CidrBlock "
                "or DestinationPrefixListId",
            )
            continue
        gateway = _gateway(ctx, props.get("GatewayId"))
        if table is not None and destination == "0.0.0.0/0" and gateway in ctx.internet_gateways:
            to_internet[table] = gateway
    associated: dict[str, str] = {}
    for logical_id, props in ctx.of_type(ROUTE_TABLE_ASSOCIATION):
        subnet = ctx.ref(logical_id, "Properties.SubnetId", props.get("SubnetId"), SUBNET)
        table = ctx.ref(
            logical_id, "Properties.RouteTableId", props.get("RouteTableId"), ROUTE_TABLE
        )
        if subnet is None or table is None:
            continue
        if subnet in associated and associated[subnet] != table:
            ctx.fail(
                ONE_ROUTE_TABLE,
                logical_id,
                "Properties.SubnetId",
                f"the specified association for route table {table} conflicts with an "
                f"existing association: {subnet} already uses {associated[subnet]}",
            )
            continue
        associated[subnet] = table
    for name, built in ctx.subnets.items():
        chosen = associated.get(name)
        gateway = to_internet.get(chosen) if chosen is not None else None
        ctx.subnets[name] = dataclasses.replace(
            built, public=gateway is not None, internet_gateway=gateway, route_table=chosen
        )


def _gateway(ctx: Context, value: Any) -> str | None:
    """The internet gateway a route's GatewayId names; anything else (a virtual private
    gateway the playground sets aside, a literal id) is no internet gateway here."""
    target, _attribute = reference(value)
    return target if target is not None and ctx.type_of(target) == INTERNET_GATEWAY else None


def load_balancers(ctx: Context) -> None:
    """An internet-facing load balancer needs an internet gateway on its VPC (runs after the
    load balancers are built)."""
    if not ctx.routing or ctx.internet_gateways:
        return
    vpc = next((name for name, _props in ctx.of_type(VPC)), "the VPC")
    for name, lb in ctx.load_balancers.items():
        if lb.scheme != "internet-facing" or lb.type == "gateway":
            continue
        props = ctx.resources[name].get("Properties") or {}
        if ctx.type_of(name) == LOAD_BALANCER and "SubnetMappings" in props:
            path = "Properties.SubnetMappings"
        else:
            path = "Properties.Subnets"
        ctx.fail(NO_INTERNET_GATEWAY, name, path, f"VPC {vpc} has no internet gateway")
