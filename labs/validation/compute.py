"""What answers requests: instances (and the dummy app they run), Lambda functions with a
built-in handler, and auto scaling groups.

An auto scaling group is materialised: the playground launches ``DesiredCapacity``
instances named ``<Group>-1``, ``<Group>-2``… spread round robin over its subnets, each with
the next free address, and registers them in the group's ``TargetGroupARNs`` on the target
group's port (done in target_groups.py). What the dummy app does lives under
``Metadata.Playground.App``: AWS has no property for it.
"""

from __future__ import annotations

import re
from typing import Any

from labs.engine import gateway, spec

from . import network
from .core import (
    AUTO_SCALING_GROUP,
    CLASSIC_LOAD_BALANCER,
    INSTANCE,
    LAMBDA_FUNCTION,
    LAMBDA_PERMISSION,
    LAUNCH_TEMPLATE,
    SECURITY_GROUP,
    SUBNET,
    TARGET_GROUP,
    Context,
    reference,
    rule,
)

APP = rule("app.behaviour", source="playground")
HANDLER = rule("lambda.built-in-handler", source="playground")
LAMBDA_CODE = rule(
    "lambda.runtime-and-handler", code="InvalidParameterValueException", source="Lambda"
)
LAMBDA_ROLE = rule("lambda.role-arn", source="Lambda")
PERMISSION = rule("lambda-permission.function", source="Lambda")
ASG_SIZES = rule("auto-scaling.capacity-within-sizes", source="Auto Scaling")
ASG_LAUNCH = rule("auto-scaling.launch-template", source="Auto Scaling")
ASG_SUBNETS = rule("auto-scaling.subnets", source="Auto Scaling")

HANDLERS = ("echo", "hello", "fail")
_MODES = ("normal", "reset", "hang", "garbage", "short-body")
# A header value's characters: visible ASCII, space and tab, and Latin-1's upper half.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def check(ctx: Context) -> None:
    used: dict[str, str] = {}
    for logical_id, props in ctx.of_type(INSTANCE):
        _instance(ctx, logical_id, props, used)
    for logical_id, props in ctx.of_type(LAUNCH_TEMPLATE):
        data = props.get("LaunchTemplateData")
        if not isinstance(data, dict):
            ctx.fail(
                ASG_LAUNCH,
                logical_id,
                "Properties.LaunchTemplateData",
                "is required: a mapping with ImageId, InstanceType and SecurityGroupIds",
            )
            continue
        ctx.refs(
            logical_id,
            "Properties.LaunchTemplateData.SecurityGroupIds",
            data.get("SecurityGroupIds"),
            SECURITY_GROUP,
        )
    for logical_id, props in ctx.of_type(AUTO_SCALING_GROUP):
        _auto_scaling_group(ctx, logical_id, props, used)
    for logical_id, props in ctx.of_type(LAMBDA_FUNCTION):
        _function(ctx, logical_id, props)
    for logical_id, props in ctx.of_type(LAMBDA_PERMISSION):
        _permission(ctx, logical_id, props)


def _instance(ctx: Context, logical_id: str, props: dict[str, Any], used: dict[str, str]) -> None:
    subnet = ctx.ref(logical_id, "Properties.SubnetId", props.get("SubnetId"), SUBNET)
    groups = ctx.refs(
        logical_id, "Properties.SecurityGroupIds", props.get("SecurityGroupIds"), SECURITY_GROUP
    )
    app = app_behaviour(ctx, logical_id)
    if subnet is None or subnet not in ctx.subnets:
        return
    where = ctx.subnets[subnet]
    ip = network.instance_ip(
        ctx, logical_id, "Properties.PrivateIpAddress", props.get("PrivateIpAddress"), where, used
    )
    if ip is None:
        return
    used[ip] = logical_id
    ctx.instances[logical_id] = spec.Instance(
        name=logical_id, subnet=subnet, az=where.az, ip=ip, security_groups=tuple(groups), app=app
    )


def app_behaviour(ctx: Context, logical_id: str) -> spec.AppBehaviour:
    app = ctx.playground(logical_id).get("App") or {}
    path = "Metadata.Playground.App"
    if not isinstance(app, dict):
        ctx.fail(APP, logical_id, path, "must be a mapping")
        return spec.AppBehaviour()
    body = app.get("Body")
    set_cookie = app.get("SetCookie")
    if set_cookie is not None and (not isinstance(set_cookie, str) or "=" not in set_cookie):
        ctx.fail(APP, logical_id, f"{path}.SetCookie", "must look like name=value")
        set_cookie = None
    elif set_cookie is not None and not _HEADER_VALUE.fullmatch(set_cookie):
        # It becomes a Set-Cookie header: HTTP carries Latin-1 text there, and a line
        # break would end the header (RFC 9110 §5.5).
        ctx.fail(
            APP,
            logical_id,
            f"{path}.SetCookie",
            "must be Latin-1 text without control characters (it is sent as an HTTP header)",
        )
        set_cookie = None
    rate = app.get("ErrorRate", 0)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 <= rate <= 1:
        ctx.fail(APP, logical_id, f"{path}.ErrorRate", "must be a number from 0 to 1")
        rate = 0
    drop = app.get("Drop", [])
    if not isinstance(drop, list) or not all(gateway.valid_rule(rule) for rule in drop):
        ctx.fail(
            APP,
            logical_id,
            f"{path}.Drop",
            "must be a list of rules like udp/53, tcp/23, tcp, icmp or any/8080",
        )
        drop = []
    return spec.AppBehaviour(
        drop=tuple(str(rule).lower() for rule in drop),
        status=ctx.integer(logical_id, f"{path}.Status", app.get("Status"), 100, 599, 200, APP),
        body=None if body is None else str(body),
        latency_ms=ctx.integer(
            logical_id, f"{path}.LatencyMs", app.get("LatencyMs"), 0, 600_000, 0, APP
        ),
        health_status=ctx.integer(
            logical_id, f"{path}.HealthStatus", app.get("HealthStatus"), 100, 599, 200, APP
        ),
        error_rate=float(rate),
        mode=ctx.choice(logical_id, f"{path}.Mode", app.get("Mode"), _MODES, "normal", APP),
        set_cookie=set_cookie,
        latency_jitter_ms=ctx.integer(
            logical_id, f"{path}.LatencyJitterMs", app.get("LatencyJitterMs"), 0, 600_000, 0, APP
        ),
        startup_seconds=ctx.integer(
            logical_id, f"{path}.StartupSeconds", app.get("StartupSeconds"), 0, 3600, 0, APP
        ),
    )


def _auto_scaling_group(
    ctx: Context, logical_id: str, props: dict[str, Any], used: dict[str, str]
) -> None:
    p = "Properties."
    if not ctx.required(logical_id, props, "MinSize", "MaxSize"):
        return
    low = ctx.integer(logical_id, p + "MinSize", props["MinSize"], 0, 100)
    high = ctx.integer(logical_id, p + "MaxSize", props["MaxSize"], 0, 100)
    desired = ctx.integer(
        logical_id, p + "DesiredCapacity", props.get("DesiredCapacity"), 0, 100, low
    )
    if not low <= desired <= high:
        ctx.fail(
            ASG_SIZES,
            logical_id,
            p + "DesiredCapacity",
            f"Desired capacity:{desired} must be between the specified min size:{low} "
            f"and max size:{high}",
        )
    template = props.get("LaunchTemplate")
    groups: list[str] = []
    if not isinstance(template, dict):
        ctx.fail(
            ASG_LAUNCH,
            logical_id,
            p + "LaunchTemplate",
            "the playground launches instances from a LaunchTemplate {LaunchTemplateId, Version}",
        )
    else:
        name = ctx.ref(
            logical_id,
            p + "LaunchTemplate.LaunchTemplateId",
            template.get("LaunchTemplateId"),
            LAUNCH_TEMPLATE,
        )
        data = (
            (ctx.resources[name].get("Properties") or {}).get("LaunchTemplateData")
            if name
            else None
        )
        if isinstance(data, dict) and isinstance(data.get("SecurityGroupIds"), list):
            groups = [
                target
                for value in data["SecurityGroupIds"]
                if (target := reference(value)[0]) in ctx.resources
            ]
    subnets = ctx.refs(logical_id, p + "VPCZoneIdentifier", props.get("VPCZoneIdentifier"), SUBNET)
    if not subnets:
        ctx.fail(
            ASG_SUBNETS, logical_id, p + "VPCZoneIdentifier", "needs at least one subnet of the VPC"
        )
    target_groups = ctx.refs(
        logical_id, p + "TargetGroupARNs", props.get("TargetGroupARNs"), TARGET_GROUP
    )
    classic = ctx.refs(
        logical_id, p + "LoadBalancerNames", props.get("LoadBalancerNames"), CLASSIC_LOAD_BALANCER
    )
    check_type = ctx.choice(
        logical_id, p + "HealthCheckType", props.get("HealthCheckType"), ("EC2", "ELB"), "EC2"
    )
    grace = ctx.integer(
        logical_id, p + "HealthCheckGracePeriod", props.get("HealthCheckGracePeriod"), 0, 7200, 0
    )
    names = _launch(
        ctx, logical_id, [s for s in subnets if s in ctx.subnets], desired, tuple(groups), used
    )
    ctx.auto_scaling_groups.append(
        spec.AutoScalingGroup(
            name=logical_id,
            min_size=low,
            max_size=high,
            desired_capacity=desired,
            subnets=tuple(subnets),
            target_groups=tuple(target_groups),
            instances=tuple(names),
            load_balancer_names=tuple(classic),
            health_check_type=str(check_type),
            health_check_grace_period=grace,
        )
    )


def _launch(
    ctx: Context,
    group: str,
    subnets: list[str],
    count: int,
    security_groups: tuple[str, ...],
    used: dict[str, str],
) -> list[str]:
    names = []
    app = app_behaviour(ctx, group)
    for n in range(count if subnets else 0):
        subnet = ctx.subnets[subnets[n % len(subnets)]]
        name = f"{group}-{n + 1}"
        ip = network.instance_ip(ctx, group, "Properties.VPCZoneIdentifier", None, subnet, used)
        if ip is None:
            break
        used[ip] = name
        names.append(name)
        ctx.instances[name] = spec.Instance(
            name=name,
            subnet=subnet.name,
            az=subnet.az,
            ip=ip,
            security_groups=security_groups,
            app=app,
            auto_scaling_group=group,
        )
    return names


def _function(ctx: Context, logical_id: str, props: dict[str, Any]) -> None:
    handler = ctx.playground(logical_id).get("Handler")
    if handler not in HANDLERS:
        ctx.fail(
            HANDLER,
            logical_id,
            "Metadata.Playground.Handler",
            f"{handler!r} is not one of the built-in handlers {', '.join(HANDLERS)}: "
            "the playground never runs code from a template",
        )
        handler = "fail"
    ctx.required(logical_id, props, "Code", "Role")
    code = props.get("Code")
    if (
        isinstance(code, dict)
        and "ImageUri" not in code
        and not (props.get("Runtime") and props.get("Handler"))
    ):
        ctx.fail(
            LAMBDA_CODE,
            logical_id,
            "Properties.Runtime",
            "Runtime and Handler are mandatory parameters for functions created with "
            "deployment packages.",
        )
    role = props.get("Role")
    if role is not None and not (isinstance(role, str) and role.startswith("arn:aws:iam::")):
        ctx.fail(
            LAMBDA_ROLE,
            logical_id,
            "Properties.Role",
            "must be an IAM role ARN, e.g. arn:aws:iam::123456789012:role/lambda-basic "
            "(the playground does not model IAM resources)",
        )
    ctx.integer(logical_id, "Properties.Timeout", props.get("Timeout"), 1, 900, 3)
    ctx.integer(logical_id, "Properties.MemorySize", props.get("MemorySize"), 128, 10240, 128)
    reserved = props.get("ReservedConcurrentExecutions")
    if reserved is not None:  # 0: every invocation is throttled (502 LambdaThrottling, §5)
        reserved = ctx.integer(
            logical_id, "Properties.ReservedConcurrentExecutions", reserved, 0, 1000, 0
        )
    ctx.lambdas[logical_id] = spec.LambdaFunction(
        name=logical_id, handler=str(handler), reserved_concurrency=reserved
    )


def _permission(ctx: Context, logical_id: str, props: dict[str, Any]) -> None:
    if not ctx.required(logical_id, props, "Action", "FunctionName", "Principal"):
        return
    target, attribute = reference(props["FunctionName"])
    if (
        target is None
        or ctx.type_of(target) not in (LAMBDA_FUNCTION, None)
        or attribute not in (None, "Arn")
    ):
        ctx.fail(
            PERMISSION,
            logical_id,
            "Properties.FunctionName",
            "must be a Ref or !GetAtt <Function>.Arn of an AWS::Lambda::Function",
        )
