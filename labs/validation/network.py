"""The network: one VPC, its subnets (one AZ each), security groups and Elastic IPs.

EC2's rules: VPC and subnet CIDR blocks are /16 to /28; a subnet lies inside its VPC and
overlaps no other subnet (``InvalidSubnet.Conflict``). The playground runs one VPC, so a
template has exactly one, in a private range (the sandbox gives every address a loopback
twin, and only private ranges are safe to impersonate).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from labs.engine import spec

from .core import EIP, SECURITY_GROUP, SUBNET, VPC, Context, TemplateError, rule

ONE_VPC = rule("vpc.exactly-one", source="playground")
VPC_PRIVATE = rule("vpc.private-cidr", source="playground")
VPC_SIZE = rule("vpc.cidr-size", code="InvalidVpc.Range", source="EC2")
SUBNET_AZ = rule("subnet.availability-zone", source="playground")
SUBNET_IN_VPC = rule("subnet.inside-vpc", code="InvalidSubnet.Range", source="EC2")
SUBNET_SIZE = rule("subnet.cidr-size", code="InvalidSubnet.Range", source="EC2")
SUBNET_CONFLICT = rule("subnet.no-overlap", code="InvalidSubnet.Conflict", source="EC2")
SG_DESCRIPTION = rule("security-group.description", source="EC2")
SG_PROTOCOL = rule("security-group.ingress-protocol", source="EC2")
SG_PORTS = rule("security-group.ingress-ports", code="InvalidParameterValue", source="EC2")
SG_SOURCE = rule("security-group.ingress-source", code="InvalidParameterCombination", source="EC2")
EIP_DOMAIN = rule("eip.domain", source="EC2")
INSTANCE_IP = rule("instance.ip-in-subnet", source="EC2")
INSTANCE_IP_RESERVED = rule("instance.ip-not-reserved", source="EC2")
INSTANCE_IP_IN_USE = rule("instance.ip-unique", source="EC2")

# EC2 accepts protocol names and numbers; the engine speaks names.
_PROTOCOLS = {
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "-1": "-1",
}
_SOURCES = ("CidrIp", "CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId")


def check(ctx: Context) -> None:
    ctx.vpc = _vpc(ctx)
    _subnets(ctx, ctx.vpc)
    ctx.security_groups = [
        _security_group(ctx, logical_id, props) for logical_id, props in ctx.of_type(SECURITY_GROUP)
    ]
    for logical_id, props in ctx.of_type(EIP):
        ctx.choice(
            logical_id, "Properties.Domain", props.get("Domain"), ("vpc",), "vpc", EIP_DOMAIN
        )


def _vpc(ctx: Context) -> ipaddress.IPv4Network:
    vpcs = list(ctx.of_type(VPC))
    if len(vpcs) != 1:
        ctx.fail(ONE_VPC, "Template", "Resources", f"needs exactly one {VPC}; found {len(vpcs)}")
        raise TemplateError(ctx.problems)
    logical_id, props = vpcs[0]
    cidr = ctx.network(logical_id, "Properties.CidrBlock", props.get("CidrBlock"))
    if cidr is None:
        raise TemplateError(ctx.problems)
    if not cidr.is_private:
        ctx.fail(VPC_PRIVATE, logical_id, "Properties.CidrBlock", f"{cidr} is not a private range")
    elif not 16 <= cidr.prefixlen <= 28:
        ctx.fail(
            VPC_SIZE,
            logical_id,
            "Properties.CidrBlock",
            f"The CIDR '{cidr}' is invalid: the block size must be between /16 and /28",
        )
    return cidr


def _subnets(ctx: Context, vpc: ipaddress.IPv4Network) -> None:
    networks: dict[str, ipaddress.IPv4Network] = {}
    for logical_id, props in ctx.of_type(SUBNET):
        ctx.ref(logical_id, "Properties.VpcId", props.get("VpcId"), VPC)
        cidr = ctx.network(logical_id, "Properties.CidrBlock", props.get("CidrBlock"))
        az = props.get("AvailabilityZone")
        if not isinstance(az, str) or not az:
            ctx.fail(
                SUBNET_AZ,
                logical_id,
                "Properties.AvailabilityZone",
                "the playground needs each subnet's Availability Zone, e.g. us-east-1a",
            )
            continue
        if cidr is None:
            continue
        clash = next((name for name, other in networks.items() if cidr.overlaps(other)), None)
        path = "Properties.CidrBlock"
        if not cidr.subnet_of(vpc):
            ctx.fail(SUBNET_IN_VPC, logical_id, path, f"{cidr} is not inside the VPC {vpc}")
        elif not 16 <= cidr.prefixlen <= 28:
            ctx.fail(
                SUBNET_SIZE,
                logical_id,
                path,
                f"The CIDR '{cidr}' is invalid: the block size must be between /16 and /28",
            )
        elif clash is not None:
            ctx.fail(
                SUBNET_CONFLICT,
                logical_id,
                path,
                f"The CIDR '{cidr}' conflicts with another subnet ({clash})",
            )
        else:
            networks[logical_id] = cidr
            ctx.subnets[logical_id] = spec.Subnet(name=logical_id, az=az, cidr=str(cidr))


def _security_group(ctx: Context, logical_id: str, props: dict[str, Any]) -> spec.SecurityGroup:
    description = props.get("GroupDescription")
    if not isinstance(description, str) or not 0 < len(description) <= 255:
        ctx.fail(
            SG_DESCRIPTION,
            logical_id,
            "Properties.GroupDescription",
            "is required: up to 255 characters",
        )
    ctx.ref(logical_id, "Properties.VpcId", props.get("VpcId"), VPC)
    rules = []
    for i, item in ctx.mappings(
        logical_id, "Properties.SecurityGroupIngress", props.get("SecurityGroupIngress")
    ):
        rule_ = _ingress(ctx, logical_id, f"Properties.SecurityGroupIngress[{i}]", item)
        if rule_ is not None:
            rules.append(rule_)
    return spec.SecurityGroup(name=logical_id, ingress=tuple(rules))


def _ingress(
    ctx: Context, logical_id: str, path: str, item: dict[str, Any]
) -> spec.IngressRule | None:
    protocol = _PROTOCOLS.get(str(item.get("IpProtocol", "")).lower())
    if protocol is None:
        ctx.fail(
            SG_PROTOCOL,
            logical_id,
            f"{path}.IpProtocol",
            "must be tcp, udp, icmp, -1 or their numbers 6, 17, 1",
        )
        return None
    low = ctx.integer(logical_id, f"{path}.FromPort", item.get("FromPort", -1), -1, 65535)
    high = ctx.integer(logical_id, f"{path}.ToPort", item.get("ToPort", -1), -1, 65535)
    if protocol in ("tcp", "udp") and not 0 <= low <= high:
        ctx.fail(
            SG_PORTS,
            logical_id,
            path,
            f"Invalid port range {low}-{high}: FromPort must not exceed ToPort",
        )
    sources = [key for key in _SOURCES if key in item]
    if len(sources) != 1:
        ctx.fail(
            SG_SOURCE,
            logical_id,
            path,
            "needs exactly one of CidrIp, CidrIpv6, SourcePrefixListId, SourceSecurityGroupId",
        )
        return None
    source = cidr = None
    if sources[0] == "SourceSecurityGroupId":
        source = ctx.ref(
            logical_id,
            f"{path}.SourceSecurityGroupId",
            item["SourceSecurityGroupId"],
            SECURITY_GROUP,
        )
    elif sources[0] == "CidrIp" and ctx.network(logical_id, f"{path}.CidrIp", item["CidrIp"]):
        cidr = str(item["CidrIp"])
    if protocol in ("tcp", "udp"):
        low, high = max(low, 0), max(high, 0)
    return spec.IngressRule(
        protocol=protocol, from_port=low, to_port=high, cidr=cidr, source_group=source
    )


def instance_ip(
    ctx: Context, logical_id: str, path: str, value: Any, subnet: spec.Subnet, used: dict[str, str]
) -> str | None:
    """A private address for an instance in ``subnet``: the given one checked, or the next
    free host from .10 (AWS would assign one; ours are predictable for the lesson)."""
    cidr = ipaddress.IPv4Network(subnet.cidr)
    if value is None:
        for host in list(cidr.hosts())[9:]:
            if str(host) not in used:
                return str(host)
        ctx.fail(INSTANCE_IP, logical_id, path, f"no free address left in {cidr}")
        return None
    try:
        ip = ipaddress.IPv4Address(str(value))
    except ValueError:
        ctx.fail(INSTANCE_IP, logical_id, path, f"{value!r} is not an IPv4 address")
        return None
    if ip not in cidr:
        ctx.fail(INSTANCE_IP, logical_id, path, f"{ip} is not inside the instance's subnet {cidr}")
        return None
    # AWS reserves the first four and the last address of every subnet.
    if int(ip) - int(cidr.network_address) < 4 or ip == cidr.broadcast_address:
        ctx.fail(
            INSTANCE_IP_RESERVED, logical_id, path, f"{ip} is reserved by AWS in subnet {cidr}"
        )
        return None
    if str(ip) in used:
        ctx.fail(INSTANCE_IP_IN_USE, logical_id, path, f"{ip} is already used by {used[str(ip)]}")
        return None
    return str(ip)
