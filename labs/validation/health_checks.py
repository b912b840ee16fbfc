"""Target-group health checks: defaults and ranges per target-group family (spec §3.1).

The family follows the target group's protocol (see attributes.py). Where the AWS
documents disagree the spec's choice is used: Lambda ``UnhealthyThresholdCount`` 5 (API
reference, not the ALB guide's 2); ALB timeout 5 s, NLB 6 s for HTTP and 10 s otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from labs.engine import spec

from .core import Context, boolean, rule

TIMEOUT_BELOW_INTERVAL = rule("health-check.timeout-below-interval", source="§3.1")
PATH = rule("health-check.path", source="§3.1")
PROTOCOL = rule("health-check.protocol", source="§3.1")
MATCHER = rule("health-check.matcher", source="§3.1 API Matcher")
MATCHER_KIND = rule("health-check.matcher-grpc-by-protocol-version", source="§2.2 §3.1 API Matcher")
ALWAYS_ON = rule("health-check.always-enabled", source="§3.1")
HTTP_ONLY = rule("health-check.http-settings-need-http", source="§3.1")


# A space or a control byte would end or split the probe's request line (GET <path>
# HTTP/1.1): the path could smuggle headers or a second request into every check.
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")


def unsendable(path: str) -> str | None:
    """Why ``path`` cannot be sent as a health check's request target, or None."""
    found = _UNSENDABLE.search(path)
    if found is None:
        return None
    return f"{path!r} must not contain spaces or control characters (found {found.group()!r})"


@dataclass(frozen=True, slots=True)
class Defaults:
    protocols: tuple[str, ...]  # allowed HealthCheckProtocol values, default first
    port: str
    interval: int
    timeout: int | None  # None: depends on the protocol (NLB)
    unhealthy: int
    matcher: str
    codes: tuple[int, int]  # allowed Matcher.HttpCode range
    label: str = "ALB"
    enabled: bool = True
    can_disable: bool = False


FAMILIES = {
    "application": Defaults(("HTTP", "HTTPS"), "traffic-port", 30, 5, 2, "200", (200, 499)),
    "lambda": Defaults(
        ("HTTP", "HTTPS"),
        "traffic-port",
        35,
        30,
        5,
        "200",
        (200, 499),
        label="Lambda",
        enabled=False,
        can_disable=True,
    ),
    "network": Defaults(
        ("TCP", "HTTP", "HTTPS"), "traffic-port", 30, None, 2, "200-399", (200, 599), label="NLB"
    ),
    # GWLB: the matcher must be 200-399, so the allowed range is exactly that.
    "gateway": Defaults(
        ("TCP", "HTTP", "HTTPS"), "80", 10, 5, 2, "200-399", (200, 399), label="GWLB"
    ),
}


def read(
    ctx: Context,
    logical_id: str,
    props: dict[str, Any],
    family: str,
    target_type: str,
    version: str = "HTTP1",
) -> spec.HealthCheck:
    d = FAMILIES[family]
    p = "Properties."
    enabled = boolean(props.get("HealthCheckEnabled"))
    if enabled is False and not d.can_disable:
        ctx.fail(
            ALWAYS_ON,
            logical_id,
            p + "HealthCheckEnabled",
            f"Health checks cannot be disabled for target groups with target type {target_type}",
        )
    protocols = ("HTTP", "HTTPS") if target_type == "alb" else d.protocols
    protocol = ctx.choice(
        logical_id,
        p + "HealthCheckProtocol",
        props.get("HealthCheckProtocol"),
        protocols,
        protocols[0],
        PROTOCOL,
    )
    port = props.get("HealthCheckPort", d.port)
    if port != "traffic-port":
        port = str(ctx.integer(logical_id, p + "HealthCheckPort", port, 1, 65535))
    timeout_default = d.timeout or (6 if protocol == "HTTP" else 10)
    interval = ctx.integer(
        logical_id,
        p + "HealthCheckIntervalSeconds",
        props.get("HealthCheckIntervalSeconds"),
        5,
        300,
        d.interval,
    )
    timeout = ctx.integer(
        logical_id,
        p + "HealthCheckTimeoutSeconds",
        props.get("HealthCheckTimeoutSeconds"),
        2,
        120,
        timeout_default,
    )
    # GWLB allows a timeout equal to the interval; the others need it strictly smaller.
    if timeout > interval or (timeout == interval and family != "gateway"):
        ctx.fail(
            TIMEOUT_BELOW_INTERVAL,
            logical_id,
            p + "HealthCheckTimeoutSeconds",
            "Health check timeout must be smaller than the interval",
        )
    http = protocol in ("HTTP", "HTTPS")
    path = props.get("HealthCheckPath")
    if path is not None and not http:
        ctx.fail(
            HTTP_ONLY,
            logical_id,
            p + "HealthCheckPath",
            f"a health check path needs an HTTP or HTTPS health check, not {protocol}",
        )
    elif path is not None and (not str(path).startswith("/") or len(str(path)) > 1024):
        ctx.fail(
            PATH,
            logical_id,
            p + "HealthCheckPath",
            "must start with / and be at most 1024 characters",
        )
    elif path is not None and (why := unsendable(str(path))):
        ctx.fail(PATH, logical_id, p + "HealthCheckPath", why)
    matcher = _matcher(ctx, logical_id, props.get("Matcher"), d, http, version == "GRPC")
    return spec.HealthCheck(
        protocol=protocol,
        port=port,
        path=str(path or "/"),
        interval_seconds=interval,
        timeout_seconds=timeout,
        healthy_threshold=ctx.integer(
            logical_id, p + "HealthyThresholdCount", props.get("HealthyThresholdCount"), 2, 10, 5
        ),
        unhealthy_threshold=ctx.integer(
            logical_id,
            p + "UnhealthyThresholdCount",
            props.get("UnhealthyThresholdCount"),
            2,
            10,
            d.unhealthy,
        ),
        matcher=matcher,
        enabled=d.enabled if enabled is None else enabled,
    )


def _matcher(ctx: Context, logical_id: str, value: Any, d: Defaults, http: bool, grpc: bool) -> str:
    if value is None:
        return d.matcher
    if not isinstance(value, dict) or set(value) - {"HttpCode", "GrpcCode"}:
        ctx.fail(MATCHER, logical_id, "Properties.Matcher", "must be {HttpCode} or {GrpcCode}")
        return d.matcher
    # API Matcher: "If the protocol version is gRPC, these are gRPC codes. Otherwise,
    # these are HTTP codes."
    wrong = "HttpCode" if grpc else "GrpcCode"
    if wrong in value:
        ctx.fail(
            MATCHER_KIND,
            logical_id,
            f"Properties.Matcher.{wrong}",
            "a target group with ProtocolVersion GRPC takes Matcher.GrpcCode, not HttpCode"
            if grpc
            else "Matcher.GrpcCode is only for target groups with ProtocolVersion GRPC; "
            "use HttpCode",
        )
        return d.matcher
    if grpc:
        # gRPC codes 0-99 (default 12); the playground's checks speak HTTP, so the value
        # is checked and the HTTP default kept.
        path = "Properties.Matcher.GrpcCode"
        _codes(
            ctx, logical_id, path, str(value.get("GrpcCode", "12")), (0, 99), "gRPC", "0,1 or 0-5"
        )
        return d.matcher
    path = "Properties.Matcher.HttpCode"
    matcher = str(value.get("HttpCode", d.matcher))
    if not http:
        ctx.fail(HTTP_ONLY, logical_id, path, "a matcher needs an HTTP or HTTPS health check")
        return d.matcher
    if d.label == "GWLB" and matcher != "200-399":
        ctx.fail(MATCHER, logical_id, path, f"{matcher!r}: GWLB success codes must be 200-399")
        return d.matcher
    if not _codes(ctx, logical_id, path, matcher, d.codes, d.label, "200,202 or 200-299"):
        return d.matcher
    return matcher


def _codes(
    ctx: Context,
    logical_id: str,
    path: str,
    matcher: str,
    codes: tuple[int, int],
    label: str,
    example: str,
) -> bool:
    low, high = codes
    for part in matcher.split(","):
        first, dash, last = part.strip().partition("-")
        # A range needs both ends, low first ("200-299"); "200-" or "299-200" is a
        # matcher the health checker could never satisfy as meant.
        last = last if dash else first
        if not (
            first.isascii()
            and last.isascii()
            and first.isdigit()
            and last.isdigit()
            and low <= int(first) <= int(last) <= high
        ):
            ctx.fail(
                MATCHER,
                logical_id,
                path,
                f"{matcher!r}: {label} success codes are values or ranges from {low} "
                f"to {high}, e.g. {example}",
            )
            return False
    return True
