"""Target groups: type, protocol and port, attributes, and the targets they register.

Which load balancer uses a group (and whether its protocol suits it) is checked in
associations.py, once listeners and rules are known. Here: what a target group is on its
own (spec §0, §2, §3) and what each target must be for its target type.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Any

from labs.engine import flows, spec

from . import attributes, health_checks
from .core import INSTANCE, LAMBDA_FUNCTION, LOAD_BALANCER, TARGET_GROUP, VPC, Context, rule

NAME = rule("target-group.name", source="§0")
LAMBDA_SETTINGS = rule("target-group.lambda-no-protocol-port-vpc", source="API CreateTargetGroup")
NEEDS_PROTOCOL = rule("target-group.protocol-port-vpc-required", source="API CreateTargetGroup")
GENEVE_PORT = rule("target-group.geneve-port-6081", source="§2.1")
PROTOCOL_VERSION = rule("target-group.protocol-version", source="§2.2")
SLOW_START_LOR = rule(
    "target-group.slow-start-not-with-lor", code="InvalidConfigurationRequest", source="§2.4"
)
ANOMALY = rule(
    "target-group.anomaly-mitigation-needs-weighted-random",
    code="InvalidConfigurationRequest",
    source="§2.3",
)
APP_COOKIE = rule("target-group.app-cookie-needs-name", source="§2.3")
FAILOVER_EQUAL = rule("target-group.target-failover-equal", source="§7.4")
STICKY_CROSS_ZONE = rule(
    "target-group.stickiness-needs-cross-zone", code="InvalidConfigurationRequest", source="§2.7 §9"
)
PRESERVE_CLIENT_IP = rule(
    "target-group.preserve-client-ip-udp-always-on",
    code="InvalidConfigurationRequest",
    source="§6.3",
)
ALB_TYPE_TCP = rule("target-group.alb-type-tcp", source="§6.5")
IPV6_IP_ONLY = rule(
    "target-group.ipv6-takes-ip-targets", code="InvalidConfigurationRequest", source="§0"
)
ALB_TYPE_ATTRIBUTES = rule("target-group.alb-type-attributes-fixed", source="§6.3 §6.5 §9")
FAILOVER_THRESHOLDS = rule(
    "target-group.dns-failover-at-least-routing-failover",
    code="InvalidConfigurationRequest",
    source="§2.3",
)
PRIVATE_IP = rule("target.ip-private", source="§0")
IP_IN_VPC = rule("target.ip-in-vpc", source="playground")
IP_AZ = rule("target.availability-zone", source="API TargetDescription")
ONE_FUNCTION = rule("target.one-lambda-function", code="TooManyTargets", source="§5")
ONE_ALB = rule("target.one-alb", code="TooManyTargets", source="§6.5")
NO_PORT = rule("target.no-port-for-lambda", source="API TargetDescription")
ASG_TARGET_TYPE = rule("auto-scaling.instance-target-group", source="Auto Scaling")

_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC", "GENEVE")
_FAMILY = {"HTTP": "application", "HTTPS": "application", "GENEVE": "gateway"}
# RFC 1918 and RFC 6598: the only IPv4 ranges an ip target may use (§0).
_PRIVATE = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


def family(protocol: str | None, target_type: str) -> str:
    if target_type == "lambda":
        return "lambda"
    return _FAMILY.get(protocol or "", "network")


def check(ctx: Context) -> None:
    for logical_id, props in ctx.of_type(TARGET_GROUP):
        ctx.target_groups[logical_id] = _target_group(ctx, logical_id, props)
    for group in ctx.auto_scaling_groups:
        for name in group.target_groups:
            _register_launched(ctx, group, name)


def _target_group(ctx: Context, logical_id: str, props: dict[str, Any]) -> spec.TargetGroup:
    p = "Properties."
    target_type = ctx.choice(
        logical_id,
        p + "TargetType",
        props.get("TargetType"),
        ("instance", "ip", "lambda", "alb"),
        "instance",
    )
    # IpAddressType was read by nobody: "banana" passed, and an ipv6 group ran IPv4 targets.
    address_type = ctx.choice(
        logical_id, p + "IpAddressType", props.get("IpAddressType"), ("ipv4", "ipv6"), "ipv4"
    )
    if address_type == "ipv6":
        ctx.fail(
            IPV6_IP_ONLY,
            logical_id,
            p + "IpAddressType",
            "an IPv6 target group takes only IPv6 ip targets"
            + ("" if target_type == "ip" else f", not {target_type} targets")
            + "; the playground's sandbox has no IPv6, so it runs IPv4 target groups only",
        )
    name = props.get("Name")
    if name is not None and not re.fullmatch(
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?", str(name)
    ):
        ctx.fail(
            NAME,
            logical_id,
            p + "Name",
            "Target group name must be 1-32 alphanumeric "
            "characters or hyphens, not starting or ending "
            "with a hyphen",
        )
    protocol, port = _protocol_and_port(ctx, logical_id, props, target_type)
    kind = family(protocol, target_type)
    if target_type == "alb":
        attrs = _alb_type(ctx, logical_id, props, protocol)
    else:
        attrs = attributes.read(
            ctx,
            logical_id,
            p + "TargetGroupAttributes",
            props.get("TargetGroupAttributes"),
            attributes.TARGET_GROUP[kind],
            f"{kind} target group",
        )
    _attribute_combinations(ctx, logical_id, attrs, protocol)
    version = _protocol_version(ctx, logical_id, props.get("ProtocolVersion"), kind)
    check = health_checks.read(ctx, logical_id, props, kind, target_type, version)
    if kind == "network":  # unhealthy.draining (§3.3): NLB only
        draining = flows.unhealthy_draining_seconds(attrs)
        check = dataclasses.replace(check, unhealthy_draining_seconds=draining)
    return spec.TargetGroup(
        name=logical_id,
        protocol=protocol or "",
        port=port,
        target_type=target_type,
        targets=tuple(_targets(ctx, logical_id, props.get("Targets"), port, target_type)),
        health_check=check,
        algorithm=attrs.get("load_balancing.algorithm.type", "round_robin"),
        attributes=attrs,
        protocol_version=version,
    )


def _protocol_version(ctx: Context, logical_id: str, version: Any, kind: str) -> str:
    if version is not None and (kind != "application" or version not in ("HTTP1", "HTTP2", "GRPC")):
        ctx.fail(
            PROTOCOL_VERSION,
            logical_id,
            "Properties.ProtocolVersion",
            "ProtocolVersion HTTP1, HTTP2 or GRPC applies only to HTTP and HTTPS target groups",
        )
        return "HTTP1"
    return str(version or "HTTP1")


def _protocol_and_port(
    ctx: Context, logical_id: str, props: dict[str, Any], target_type: str
) -> tuple[str | None, int]:
    p = "Properties."
    if target_type == "lambda":
        for key in ("Protocol", "Port", "VpcId"):
            if key in props:
                ctx.fail(
                    LAMBDA_SETTINGS,
                    logical_id,
                    p + key,
                    f"{key} is not supported for target groups of type lambda",
                )
        return None, 0
    missing = [key for key in ("Protocol", "Port", "VpcId") if key not in props]
    for key in missing:
        ctx.fail(
            NEEDS_PROTOCOL,
            logical_id,
            p + key,
            f"is required for target groups of type {target_type}",
        )
    protocol = ctx.choice(logical_id, p + "Protocol", props.get("Protocol"), _PROTOCOLS, "HTTP")
    port = ctx.integer(logical_id, p + "Port", props.get("Port"), 1, 65535, 80)
    if protocol == "GENEVE" and "Port" in props and port != 6081:
        ctx.fail(
            GENEVE_PORT, logical_id, p + "Port", f"GENEVE target groups use port 6081, not {port}"
        )
    if "VpcId" in props:
        ctx.ref(logical_id, p + "VpcId", props["VpcId"], VPC)
    return protocol, port


def _alb_type(
    ctx: Context, logical_id: str, props: dict[str, Any], protocol: str | None
) -> dict[str, str]:
    """An ``alb`` target group: TCP from an NLB, its attributes fixed at their defaults
    (§6.5; §9: it always inherits the NLB's cross-zone setting)."""
    if (
        protocol is not None
        and protocol != "TCP"
        and not ctx.reported(logical_id, "Properties.Protocol")
    ):
        ctx.fail(
            ALB_TYPE_TCP,
            logical_id,
            "Properties.Protocol",
            f"a target group of type alb uses TCP, not {protocol}",
        )
    path = "Properties.TargetGroupAttributes"
    for i, item in ctx.mappings(logical_id, path, props.get("TargetGroupAttributes")):
        ctx.fail(
            ALB_TYPE_ATTRIBUTES,
            logical_id,
            f"{path}[{i}].Key",
            f"'{item.get('Key')}' cannot be set on a target group of type alb: its "
            "attributes are fixed at their defaults",
        )
    return {}


def _attribute_combinations(
    ctx: Context, logical_id: str, attrs: dict[str, str], protocol: str | None
) -> None:
    where = "Properties.TargetGroupAttributes"
    # §6.3: "enabled (and can't be disabled)" for UDP, TCP_UDP, QUIC and TCP_QUIC groups.
    if attrs.get("preserve_client_ip.enabled") == "false" and protocol in (
        "UDP",
        "TCP_UDP",
        "QUIC",
        "TCP_QUIC",
    ):
        ctx.fail(
            PRESERVE_CLIENT_IP,
            logical_id,
            where,
            f"client IP preservation cannot be disabled for {protocol} target groups",
        )
    _failover_thresholds(ctx, logical_id, attrs)
    algorithm = attrs.get("load_balancing.algorithm.type", "round_robin")
    if (
        attrs.get("slow_start.duration_seconds", "0") != "0"
        and algorithm == "least_outstanding_requests"
    ):
        ctx.fail(
            SLOW_START_LOR,
            logical_id,
            where,
            "slow start cannot be combined with the least_outstanding_requests algorithm",
        )
    if (
        attrs.get("load_balancing.algorithm.anomaly_mitigation") == "on"
        and algorithm != "weighted_random"
    ):
        ctx.fail(
            ANOMALY, logical_id, where, "anomaly mitigation needs the weighted_random algorithm"
        )
    if (
        attrs.get("stickiness.type") == "app_cookie"
        and "stickiness.app_cookie.cookie_name" not in attrs
    ):
        ctx.fail(
            APP_COOKIE,
            logical_id,
            where,
            "app_cookie stickiness needs stickiness.app_cookie.cookie_name",
        )
    failover = {
        attrs.get(f"target_failover.{event}", "no_rebalance")
        for event in ("on_deregistration", "on_unhealthy")
    }
    if len(failover) > 1:
        ctx.fail(
            FAILOVER_EQUAL,
            logical_id,
            where,
            "target_failover.on_deregistration and target_failover.on_unhealthy must be equal",
        )
    if (
        attrs.get("stickiness.enabled") == "true"
        and attrs.get("load_balancing.cross_zone.enabled") == "false"
        and attrs.get("stickiness.type", "lb_cookie") in ("lb_cookie", "app_cookie")
    ):
        ctx.fail(
            STICKY_CROSS_ZONE,
            logical_id,
            where,
            "stickiness cannot be enabled while cross-zone load balancing is off",
        )


def _failover_thresholds(ctx: Context, logical_id: str, attrs: dict[str, str]) -> None:
    # §2.3: the DNS-failover threshold must be at least the routing-failover one; "off"
    # is no threshold, so only two numbers compare (defaults: count 1 and 1).
    for unit, default in (("count", "1"), ("percentage", "off")):
        dns = attrs.get(f"target_group_health.dns_failover.minimum_healthy_targets.{unit}", default)
        routing = attrs.get(
            f"target_group_health.unhealthy_state_routing.minimum_healthy_targets.{unit}", default
        )
        numbers = dns.isascii() and routing.isascii() and dns.isdigit() and routing.isdigit()
        if numbers and int(dns) < int(routing):
            ctx.fail(
                FAILOVER_THRESHOLDS,
                logical_id,
                "Properties.TargetGroupAttributes",
                f"the DNS failover minimum healthy targets {unit} ({dns}) must be at least "
                f"the unhealthy state routing one ({routing})",
            )


def _targets(
    ctx: Context, logical_id: str, values: Any, port: int, target_type: str
) -> list[spec.Target]:
    targets = []
    entries = list(ctx.mappings(logical_id, "Properties.Targets", values))
    limit = {"lambda": ONE_FUNCTION, "alb": ONE_ALB}.get(target_type)
    if limit is not None and len(entries) > 1:
        ctx.fail(
            limit,
            logical_id,
            "Properties.Targets",
            f"a target group of type {target_type} takes exactly one target",
        )
    for i, item in entries:
        path = f"Properties.Targets[{i}]"
        if target_type == "lambda":
            if "Port" in item:
                ctx.fail(NO_PORT, logical_id, f"{path}.Port", "Lambda targets take no port")
            function = ctx.ref(
                logical_id, f"{path}.Id", item.get("Id"), LAMBDA_FUNCTION, attribute="Arn"
            )
            if function in ctx.lambdas:
                found = ctx.lambdas[function]
                targets.append(
                    spec.Target(
                        id=function,
                        ip="",
                        port=0,
                        az="all",
                        handler=found.handler,
                        reserved_concurrency=found.reserved_concurrency,
                    )
                )
            continue
        target_port = ctx.integer(logical_id, f"{path}.Port", item.get("Port"), 1, 65535, port)
        if target_type in ("instance", "alb") and "AvailabilityZone" in item:
            ctx.fail(
                IP_AZ,
                logical_id,
                f"{path}.AvailabilityZone",
                f"AvailabilityZone is not supported for targets of type {target_type}",
            )
        if target_type == "alb":
            alb = ctx.ref(logical_id, f"{path}.Id", item.get("Id"), LOAD_BALANCER)
            if alb is not None:
                targets.append(spec.Target(id=alb, ip="", port=target_port, az="all"))
        elif target_type == "instance":
            instance = ctx.ref(logical_id, f"{path}.Id", item.get("Id"), INSTANCE)
            if instance in ctx.instances:
                targets.append(_instance_target(ctx.instances[instance], target_port))
        else:
            target = _ip_target(ctx, logical_id, path, item, target_port)
            if target is not None:
                targets.append(target)
    return targets


def _instance_target(instance: spec.Instance, port: int, az: str | None = None) -> spec.Target:
    return spec.Target(
        id=instance.name,
        ip=instance.ip,
        port=port,
        az=az or instance.az,
        app=instance.app,
        security_groups=instance.security_groups,
    )


def _ip_target(
    ctx: Context, logical_id: str, path: str, item: dict[str, Any], port: int
) -> spec.Target | None:
    value = item.get("Id")
    try:
        ip = ipaddress.IPv4Address(str(value))
    except ValueError:
        ctx.fail(PRIVATE_IP, logical_id, f"{path}.Id", f"{value!r} is not an IPv4 address")
        return None
    if not any(ip in network for network in _PRIVATE):
        ctx.fail(
            PRIVATE_IP,
            logical_id,
            f"{path}.Id",
            f"The IP address '{ip}' is not a valid private IP address: ip targets must "
            "be in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
        )
        return None
    # AWS also accepts private addresses outside the VPC (on-premises over a VPN); the
    # sandbox only reaches addresses it gave to an instance of this template.
    if ctx.vpc is not None and ip not in ctx.vpc:
        ctx.fail(
            IP_IN_VPC,
            logical_id,
            f"{path}.Id",
            f"{ip} is outside the VPC {ctx.vpc}: the sandbox only reaches addresses inside it",
        )
        return None
    instance = next((i for i in ctx.instances.values() if i.ip == str(ip)), None)
    if instance is None:
        ctx.fail(
            IP_IN_VPC,
            logical_id,
            f"{path}.Id",
            f"no instance in this template has the address {ip}",
        )
        return None
    az = item.get("AvailabilityZone")
    if az is not None and az not in ("all", instance.az):
        ctx.fail(
            IP_AZ,
            logical_id,
            f"{path}.AvailabilityZone",
            f"{ip} is in {instance.az}; AvailabilityZone must be {instance.az} or all",
        )
    target = _instance_target(instance, port, az)
    return spec.Target(
        id=str(ip),
        ip=target.ip,
        port=port,
        az=target.az,
        app=target.app,
        security_groups=target.security_groups,
    )


def _register_launched(ctx: Context, group: spec.AutoScalingGroup, name: str) -> None:
    target_group = ctx.target_groups.get(name)
    if target_group is None:
        return
    if target_group.target_type != "instance":
        ctx.fail(
            ASG_TARGET_TYPE,
            group.name,
            "Properties.TargetGroupARNs",
            f"{name} has target type {target_group.target_type}; an auto scaling group "
            "registers instances, so its target groups need target type instance",
        )
        return
    launched = tuple(_instance_target(ctx.instances[n], target_group.port) for n in group.instances)
    ctx.target_groups[name] = dataclasses.replace(
        target_group, targets=target_group.targets + launched
    )
