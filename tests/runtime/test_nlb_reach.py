"""Who reaches an NLB node (§10, as for the ALB): an internal NLB has only private
addresses, so the generated clients, outside the VPC, never open a flow; an
internet-facing one in subnets that route to an internet gateway does."""

import pytest

from .helpers import of_type, starter
from .test_control import Lab

pytestmark = pytest.mark.timeout(90)
TARGETS = ("10.0.1.10:80", "10.0.2.10:80")


def _internal(document):
    lb = document["Resources"]["LoadBalancer"]["Properties"]
    lb["Scheme"] = "internal"
    lb["SubnetMappings"] = [{"SubnetId": m["SubnetId"]} for m in lb["SubnetMappings"]]


def _healthy(lab):
    states = {
        e["target"]: e["state"] for e in of_type(lab.events, "health") if e["target"] in TARGETS
    }
    return all(states.get(t) == "healthy" for t in TARGETS)


async def _clients_try_for_three_seconds(lab):
    """Until three metrics seconds have passed with every target healthy and the clients
    connecting all along."""
    await lab.wait_for(lambda _: _healthy(lab), within=30)
    since = len(lab.events)
    await lab.wait_for(
        lambda _: len([e for e in lab.events[since:] if e["type"] == "metrics"]) >= 3,
        within=30,
    )


async def test_clients_outside_the_vpc_never_reach_an_internal_nlb():
    async with Lab(starter("nlb-static-ips.yaml", _internal), rps=20) as lab:
        await _clients_try_for_three_seconds(lab)
    assert not of_type(lab.events, "flow")
    assert lab.runtime.topology.load_balancers[0].scheme == "internal"


async def test_the_same_nlb_internet_facing_gets_their_flows():
    async with Lab(starter("nlb-static-ips.yaml"), rps=20) as lab:
        await lab.wait_for(lambda e: e["type"] == "flow" and e["state"] == "open", within=30)


def _private_subnets(document):
    """An internet gateway is attached, but the subnets' route table has no 0.0.0.0/0
    route to it: the nodes' Elastic IPs are not reachable from the internet."""
    resources = document["Resources"]
    resources["Gateway"] = {"Type": "AWS::EC2::InternetGateway"}
    resources["GatewayAttachment"] = {
        "Type": "AWS::EC2::VPCGatewayAttachment",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Gateway"}},
    }
    resources["PrivateRoutes"] = {
        "Type": "AWS::EC2::RouteTable",
        "Properties": {"VpcId": {"Ref": "Vpc"}},
    }
    for subnet in ("SubnetA", "SubnetB"):
        resources[f"{subnet}Routes"] = {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": {"Ref": subnet}, "RouteTableId": {"Ref": "PrivateRoutes"}},
        }


async def test_an_internet_facing_nlb_in_subnets_without_an_internet_route_is_not_reached():
    async with Lab(starter("nlb-static-ips.yaml", _private_subnets), rps=20) as lab:
        await _clients_try_for_three_seconds(lab)
    assert not of_type(lab.events, "flow")
    nodes = lab.runtime.topology.load_balancers[0].nodes
    assert nodes and not any(node.public for node in nodes)
