"""Which load balancer uses which target group, and whether they suit each other.

A target group belongs to at most one load balancer (§0, ``TargetGroupAssociationLimit``);
its protocol and target type must suit the load balancer's type and the listener's
protocol (§2.1, §6.5: ``IncompatibleProtocols``); weighted forwards have stickiness rules
(§1.4); Lambda targets need the ELB service's permission to invoke the function (§5).
"""

from __future__ import annotations

from collections.abc import Iterator

from labs.engine import spec

from .core import LAMBDA_PERMISSION, LISTENER, Context, article, reference, rule

ONE_LB = rule("target-group.one-load-balancer", code="TargetGroupAssociationLimit", source="§0")
PROTOCOL = rule(
    "target-group.protocol-suits-listener", code="IncompatibleProtocols", source="§2.1 §6.1"
)
TARGET_TYPE = rule(
    "target-group.target-type-suits-load-balancer", code="IncompatibleProtocols", source="§0"
)
VERSION_HTTPS = rule(
    "target-group.http2-grpc-need-https", code="IncompatibleProtocols", source="§2.2"
)
ALB_PORT = rule("target-group.alb-target-listener-port", source="§6.5")
ALB_TWO_NLBS = rule("target-group.alb-behind-at-most-two-nlbs", source="§6.5")
WEIGHTED_STICKY = rule(
    "action.weighted-stickiness", code="InvalidConfigurationRequest", source="§1.4"
)
LAMBDA_PERMISSION_NEEDED = rule(
    "target-group.lambda-invoke-permission", code="AccessDenied", source="§5"
)

# Listener protocol → target-group protocols it may forward to.
_SUITS = {
    "HTTP": ("HTTP", "HTTPS"),
    "HTTPS": ("HTTP", "HTTPS"),
    "TCP": ("TCP", "TCP_UDP"),
    "TLS": ("TCP", "TLS"),
    "UDP": ("UDP", "TCP_UDP"),
    "TCP_UDP": ("TCP_UDP",),
    "QUIC": ("QUIC", "TCP_QUIC"),
    "TCP_QUIC": ("TCP_QUIC",),
    "GENEVE": ("GENEVE",),
}
_TARGET_TYPES = {
    "application": ("instance", "ip", "lambda"),
    "network": ("instance", "ip", "alb"),
    "gateway": ("instance", "ip"),
}


def check(ctx: Context) -> None:
    owner: dict[str, str] = {}
    for lb, listener, logical_id, path, action in _forwards(ctx):
        for group_name, _ in action.target_groups:
            group = ctx.target_groups.get(group_name)
            if group is None:
                continue
            if owner.setdefault(group_name, lb) != lb:
                ctx.fail(
                    ONE_LB,
                    logical_id,
                    path,
                    f"The following target groups cannot be associated with more than "
                    f"one load balancer: {group_name} (already used by {owner[group_name]})",
                )
            _suits(ctx, ctx.load_balancers[lb], listener, group, logical_id, path)
        _weighted(ctx, action, logical_id, path)
    _alb_targets(ctx)
    _lambda_permissions(ctx)


def _forwards(ctx: Context) -> Iterator[tuple[str, spec.Listener, str, str, spec.Action]]:
    for name, (lb, listener) in ctx.listeners.items():
        for i, action in enumerate(listener.default_actions):
            if action.type == "forward":
                yield lb, listener, name, f"Properties.DefaultActions[{i}]", action
        for rule_ in ctx.rules.get(name, ()):
            for i, action in enumerate(rule_.actions):
                if action.type == "forward":
                    yield lb, listener, rule_.name, f"Properties.Actions[{i}]", action


def _suits(
    ctx: Context,
    lb: spec.LoadBalancer,
    listener: spec.Listener,
    group: spec.TargetGroup,
    logical_id: str,
    path: str,
) -> None:
    if group.target_type not in _TARGET_TYPES.get(lb.type, ()):
        ctx.fail(
            TARGET_TYPE,
            logical_id,
            path,
            f"target group {group.name} has target type {group.target_type}, which a "
            f"{lb.type} load balancer cannot use",
        )
        return
    if group.target_type == "lambda" or ctx.reported(group.name, "Properties.Protocol"):
        return
    if group.protocol not in _SUITS.get(listener.protocol, ()):
        ctx.fail(
            PROTOCOL,
            logical_id,
            path,
            f"target group {group.name} uses {group.protocol}; {article(listener.protocol)} "
            f"listener forwards to {' or '.join(_SUITS.get(listener.protocol, ()))}",
        )
    elif group.protocol_version != "HTTP1" and listener.protocol != "HTTPS":
        ctx.fail(
            VERSION_HTTPS,
            logical_id,
            path,
            f"target group {group.name} uses protocol version {group.protocol_version}, "
            "which needs an HTTPS listener",
        )


def _weighted(ctx: Context, action: spec.Action, logical_id: str, path: str) -> None:
    if len(action.target_groups) < 2:
        return
    groups = [
        ctx.target_groups[name] for name, _ in action.target_groups if name in ctx.target_groups
    ]
    sticky = [g.name for g in groups if g.attributes.get("stickiness.enabled") == "true"]
    if sticky and not (action.stickiness and action.stickiness[0]):
        ctx.fail(
            WEIGHTED_STICKY,
            logical_id,
            path,
            f"{sticky[0]} has stickiness on, so this weighted forward needs "
            "ForwardConfig.TargetGroupStickinessConfig enabled",
        )
    app_cookie = [g.name for g in groups if g.attributes.get("stickiness.type") == "app_cookie"]
    if app_cookie:
        ctx.fail(
            WEIGHTED_STICKY,
            logical_id,
            path,
            f"{app_cookie[0]} uses app_cookie stickiness, which does not work with "
            "weighted target groups",
        )


def _alb_targets(ctx: Context) -> None:
    behind: dict[str, list[str]] = {}
    # A listener whose load balancer or port is already wrong leaves the ALB's ports
    # unknown; "no listener on port N" would be a second line for the same mistake.
    unsure = any(
        ctx.reported(name, "Properties.LoadBalancerArn") or ctx.reported(name, "Properties.Port")
        for name, _ in ctx.of_type(LISTENER)
    )
    for group in ctx.target_groups.values():
        if group.target_type != "alb":
            continue
        for target in group.targets:
            alb = ctx.load_balancers.get(target.id)
            if alb is None:
                continue
            behind.setdefault(alb.name, []).append(group.name)
            ports = [
                listener.port for name, (lb, listener) in ctx.listeners.items() if lb == alb.name
            ]
            if alb.type != "application":
                ctx.fail(
                    ALB_PORT,
                    group.name,
                    "Properties.Targets",
                    f"{alb.name} is a {alb.type} load balancer; alb targets are ALBs",
                )
            elif target.port not in ports and not unsure:
                ctx.fail(
                    ALB_PORT,
                    group.name,
                    "Properties.Targets",
                    f"{alb.name} has no listener on port {target.port}",
                )
    for name, groups in behind.items():
        if len(groups) > 2:
            ctx.fail(
                ALB_TWO_NLBS,
                groups[2],
                "Properties.Targets",
                f"{name} is already the target of {groups[0]} and {groups[1]}; an ALB can "
                "sit behind at most two Network Load Balancers",
            )


def _lambda_permissions(ctx: Context) -> None:
    allowed = set()
    for name, props in ctx.of_type(LAMBDA_PERMISSION):
        if ctx.reported(name, "Properties.FunctionName"):
            return  # which function it allows is unknown; that line says why
        if (
            props.get("Principal") == "elasticloadbalancing.amazonaws.com"
            and props.get("Action") == "lambda:InvokeFunction"
        ):
            allowed.add(reference(props.get("FunctionName"))[0])
    for group in ctx.target_groups.values():
        for target in group.targets:
            if target.handler is not None and target.id not in allowed:
                ctx.fail(
                    LAMBDA_PERMISSION_NEEDED,
                    group.name,
                    "Properties.Targets",
                    f"elasticloadbalancing principal does not have permission to invoke "
                    f"{target.id}: add an AWS::Lambda::Permission for "
                    "elasticloadbalancing.amazonaws.com",
                )
