"""Classic Load Balancers (``AWS::ElasticLoadBalancing::LoadBalancer``, spec §8).

A Classic LB has no target groups: its listeners map a load-balancer port to an instance
port, it registers instances itself and runs one health check. Front-end HTTP/HTTPS pairs
with back-end HTTP/HTTPS, TCP/SSL with TCP/SSL.
"""

from __future__ import annotations

import re
from typing import Any

from labs.engine import spec

from .core import (
    CERTIFICATE,
    INSTANCE,
    REQUIRED,
    SECURITY_GROUP,
    SHAPE,
    SUBNET,
    Context,
    article,
    boolean,
    reference,
    rule,
)
from .health_checks import unsendable
from .load_balancers import classic_name, subnet_node, taken_addresses

LAYER = rule("classic.instance-protocol-same-layer", source="§8")
CERTIFICATE_NEEDED = rule("classic.https-ssl-certificate", source="§8")
DUPLICATE = rule("classic.duplicate-listener", code="DuplicateListener", source="§8")
TARGET = rule("classic.health-check-target", source="§8")
TIMEOUT = rule("classic.health-check-timeout-below-interval", source="§8")
SUBNETS = rule("classic.subnets", source="§8")
POLICY = rule("classic.listener-policy-defined", code="PolicyNotFound", source="§8")
STICKY_HTTP = rule(
    "classic.stickiness-needs-http-listener", code="InvalidConfigurationRequest", source="§8"
)
BOOLEAN = rule("classic.boolean", source="CloudFormation")

_LAYER = {
    "HTTP": ("HTTP", "HTTPS"),
    "HTTPS": ("HTTP", "HTTPS"),
    "TCP": ("TCP", "SSL"),
    "SSL": ("TCP", "SSL"),
}
CLASSIC = "AWS::ElasticLoadBalancing::LoadBalancer"


def check(ctx: Context) -> None:
    for logical_id, props in ctx.of_type(CLASSIC):
        ctx.load_balancers[logical_id] = _classic(ctx, logical_id, props)


def _classic(ctx: Context, logical_id: str, props: dict[str, Any]) -> spec.LoadBalancer:
    p = "Properties."
    scheme = ctx.choice(
        logical_id,
        p + "Scheme",
        props.get("Scheme"),
        ("internet-facing", "internal"),
        "internet-facing",
    )
    subnets = ctx.refs(logical_id, p + "Subnets", props.get("Subnets"), SUBNET)
    zones = [ctx.subnets[s].az for s in subnets if s in ctx.subnets]
    if not subnets:
        ctx.fail(
            SUBNETS,
            logical_id,
            p + "Subnets",
            "the playground runs a Classic LB in a VPC: name at least one subnet",
        )
    elif len(set(zones)) != len(zones):
        ctx.fail(
            SUBNETS,
            logical_id,
            p + "Subnets",
            "You can specify only one subnet per Availability Zone",
        )
    classic_name(ctx, logical_id, props.get("LoadBalancerName"))
    policies = _policies(ctx, logical_id, props)
    listeners = _listeners(ctx, logical_id, props.get("Listeners"), policies)
    groups = ctx.refs(logical_id, p + "SecurityGroups", props.get("SecurityGroups"), SECURITY_GROUP)
    port = listeners[0].instance_port if listeners else 80
    registered = ctx.refs(logical_id, p + "Instances", props.get("Instances"), INSTANCE)
    # An Auto Scaling group naming this load balancer in LoadBalancerNames registers its
    # instances with it, as it registers them with its target groups.
    registered += [
        name
        for group in ctx.auto_scaling_groups
        if logical_id in group.load_balancer_names
        for name in group.instances
    ]
    instances = tuple(
        spec.Target(
            id=i.name,
            ip=i.ip,
            port=port or 80,
            az=i.az,
            app=i.app,
            security_groups=i.security_groups,
        )
        for name in dict.fromkeys(registered)
        if (i := ctx.instances.get(name)) is not None
    )
    # The subnet's first free address from .5 on, as for ALB/NLB/GWLB nodes: several load
    # balancers in one subnet each get their own network interface.
    nodes: list[spec.Node] = []
    for s in subnets:
        if s in ctx.subnets:
            taken = taken_addresses(ctx) | {node.ip for node in nodes}
            nodes.append(subnet_node(ctx.subnets[s], taken=taken))
    return spec.LoadBalancer(
        name=logical_id,
        type="classic",
        scheme=scheme,
        nodes=tuple(nodes),
        listeners=listeners,
        security_groups=tuple(groups),
        instances=instances,
        health_check=_health_check(ctx, logical_id, props.get("HealthCheck")),
        attributes=_attributes(ctx, logical_id, props),
    )


def _policies(ctx: Context, logical_id: str, props: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Stickiness policies by name, as the listener attributes ``labs.engine.classic`` reads."""
    names: dict[str, dict[str, str]] = {}
    for key in ("LBCookieStickinessPolicy", "AppCookieStickinessPolicy"):
        for i, item in ctx.mappings(logical_id, f"Properties.{key}", props.get(key)):
            where = f"Properties.{key}[{i}]"
            if key == "AppCookieStickinessPolicy" and not item.get("CookieName"):
                ctx.fail(REQUIRED, logical_id, f"{where}.CookieName", "is required")
            if not ctx.required(logical_id, item, "PolicyName", where=where):
                continue
            if key == "AppCookieStickinessPolicy":
                attributes = {
                    "stickiness.type": "app_cookie",
                    "stickiness.app_cookie.cookie_name": str(item.get("CookieName") or ""),
                }
            else:
                attributes = {"stickiness.type": "lb_cookie"}
                period = item.get("CookieExpirationPeriod")
                if period is not None:
                    attributes["stickiness.lb_cookie.expiration_period"] = str(
                        ctx.integer(logical_id, f"{where}.CookieExpirationPeriod", period, 0, 2**31)
                    )
            names[str(item["PolicyName"])] = attributes
    return names


def _listeners(
    ctx: Context, logical_id: str, values: Any, policies: dict[str, dict[str, str]]
) -> tuple[spec.Listener, ...]:
    listeners: list[spec.Listener] = []
    seen: dict[int, int] = {}
    if not values:
        ctx.fail(REQUIRED, logical_id, "Properties.Listeners", "is required")
    for i, item in ctx.mappings(logical_id, "Properties.Listeners", values):
        path = f"Properties.Listeners[{i}]"
        protocol = ctx.choice(
            logical_id,
            f"{path}.Protocol",
            str(item.get("Protocol", "")).upper() or None,
            tuple(_LAYER),
            "HTTP",
        )
        back = str(
            item.get("InstanceProtocol") or ("HTTP" if protocol in ("HTTP", "HTTPS") else "TCP")
        ).upper()
        if back not in _LAYER[protocol]:
            layer = " or ".join(_LAYER[protocol])
            ctx.fail(
                LAYER,
                logical_id,
                f"{path}.InstanceProtocol",
                f"{article(protocol)} listener forwards to {layer} instances, not {back}",
            )
        port = ctx.integer(
            logical_id, f"{path}.LoadBalancerPort", item.get("LoadBalancerPort"), 1, 65535
        )
        instance_port = ctx.integer(
            logical_id, f"{path}.InstancePort", item.get("InstancePort"), 1, 65535
        )
        if port in seen:
            ctx.fail(
                DUPLICATE,
                logical_id,
                f"{path}.LoadBalancerPort",
                f"port {port} is already used by Listeners[{seen[port]}]",
            )
        seen.setdefault(port, i)
        certificates = _certificate(ctx, logical_id, path, item, protocol)
        names = item.get("PolicyNames") or []
        if not isinstance(names, list):
            ctx.fail(SHAPE, logical_id, f"{path}.PolicyNames", "must be a list")
            names = []
        attributes: dict[str, str] = {}
        for j, name in enumerate(names):
            if not isinstance(name, str) or name not in policies:
                ctx.fail(
                    POLICY,
                    logical_id,
                    f"{path}.PolicyNames[{j}]",
                    f"There is no policy with name {name} for load balancer {logical_id}",
                )
            elif protocol not in ("HTTP", "HTTPS"):
                # Cookies need HTTP: a TCP or SSL listener never reads or sets one (§8).
                ctx.fail(
                    STICKY_HTTP,
                    logical_id,
                    f"{path}.PolicyNames[{j}]",
                    f"stickiness policy {name} needs an HTTP or HTTPS listener, not {protocol}",
                )
            else:
                attributes.update(policies[name])
        listeners.append(
            spec.Listener(
                name=f"{logical_id}:{port}",
                protocol=protocol,
                port=port,
                default_actions=(),
                certificates=certificates,
                instance_protocol=back,
                instance_port=instance_port,
                attributes=attributes,
            )
        )
    return tuple(listeners)


def _certificate(
    ctx: Context, logical_id: str, path: str, item: dict[str, Any], protocol: str
) -> tuple[str, ...]:
    value = item.get("SSLCertificateId")
    if protocol not in ("HTTPS", "SSL"):
        return ()
    if value is None:
        ctx.fail(
            CERTIFICATE_NEEDED,
            logical_id,
            f"{path}.SSLCertificateId",
            f"{article(protocol)} listener needs a server certificate",
        )
        return ()
    target, _ = reference(value)
    name = ctx.ref(logical_id, f"{path}.SSLCertificateId", value, CERTIFICATE) if target else None
    return (ctx.certificates[name].domain_name,) if name in ctx.certificates else ()


def _health_check(ctx: Context, logical_id: str, value: Any) -> spec.HealthCheck | None:
    if value is None:
        return None
    p = "Properties.HealthCheck"
    if not isinstance(value, dict) or not ctx.required(
        logical_id,
        value,
        "Target",
        "Interval",
        "Timeout",
        "HealthyThreshold",
        "UnhealthyThreshold",
        where=p,
    ):
        return None
    # ASCII digits only: int() would read other scripts' digits as a port.
    match = re.fullmatch(
        r"(TCP|SSL):([0-9]+)()|(HTTPS?):([0-9]+)(/.{0,1023})", str(value["Target"])
    )
    protocol, port, path = (
        ("TCP", "80", "")
        if match is None
        else (match.group(1) or match.group(4), match.group(2) or match.group(5), match.group(6))
    )
    if match is None or not 1 <= int(port) <= 65535:
        ctx.fail(
            TARGET,
            logical_id,
            f"{p}.Target",
            f"{value['Target']!r} must be TCP:port, SSL:port, HTTP:port/path or HTTPS:port/path",
        )
    elif why := unsendable(path or ""):
        ctx.fail(TARGET, logical_id, f"{p}.Target", why)
    interval = ctx.integer(logical_id, f"{p}.Interval", value["Interval"], 5, 300)
    timeout = ctx.integer(logical_id, f"{p}.Timeout", value["Timeout"], 2, 60)
    if timeout >= interval:
        ctx.fail(
            TIMEOUT,
            logical_id,
            f"{p}.Timeout",
            "Health check timeout must be smaller than the interval",
        )
    return spec.HealthCheck(
        protocol=protocol,
        port=port,
        path=path or "/",
        interval_seconds=interval,
        timeout_seconds=timeout,
        healthy_threshold=ctx.integer(
            logical_id, f"{p}.HealthyThreshold", value["HealthyThreshold"], 2, 10
        ),
        unhealthy_threshold=ctx.integer(
            logical_id, f"{p}.UnhealthyThreshold", value["UnhealthyThreshold"], 2, 10
        ),
    )


def _attributes(ctx: Context, logical_id: str, props: dict[str, Any]) -> dict[str, str]:
    p = "Properties."
    attrs = {}
    cross_zone = props.get("CrossZone")
    if cross_zone is not None and boolean(cross_zone) is None:
        ctx.fail(BOOLEAN, logical_id, p + "CrossZone", "must be true or false")
    # The API and CloudFormation default is off; only the console turns it on (§9).
    attrs["load_balancing.cross_zone.enabled"] = str(bool(boolean(cross_zone))).lower()
    draining = props.get("ConnectionDrainingPolicy")
    if isinstance(draining, dict) and ctx.required(
        logical_id, draining, "Enabled", where=p + "ConnectionDrainingPolicy"
    ):
        attrs["connection_draining.enabled"] = str(bool(boolean(draining["Enabled"]))).lower()
        attrs["connection_draining.timeout"] = str(
            ctx.integer(
                logical_id,
                p + "ConnectionDrainingPolicy.Timeout",
                draining.get("Timeout"),
                1,
                3600,
                300,
            )
        )
    settings = props.get("ConnectionSettings")
    if isinstance(settings, dict):
        attrs["idle_timeout.timeout_seconds"] = str(
            ctx.integer(
                logical_id,
                p + "ConnectionSettings.IdleTimeout",
                settings.get("IdleTimeout"),
                1,
                3600,
            )
        )
    return attrs
