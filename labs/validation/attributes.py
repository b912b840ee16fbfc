"""Attribute tables: ``TargetGroupAttributes``, ``LoadBalancerAttributes`` and
``ListenerAttributes`` keys per load balancer type, each with its value check.

Keys and ranges come from ELB_BEHAVIOUR.md §2.3 (ALB target groups), §4.1–4.2 (ALB), §6
(NLB), §7.4 (GWLB) and §9 (cross-zone). A key that is not in the table for the resource's
type is rejected, as the API rejects it. The message wording for an unknown key is ours:
AWS's exact text is not documented (spec appendix B).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .core import Context, rule

KEY = rule("attributes.key-known", source="§2.3 §4.2 §6.1 §7.4")
VALUE = rule("attributes.value-valid", source="§2.3 §4.2 §6.1 §7.4")
DUPLICATE = rule("attributes.key-once", source="API")

Check = Callable[[str], str | None]  # an error message, or None when the value is valid


def _bool(value: str) -> str | None:
    return None if value in ("true", "false") else "must be true or false"


def _ints(*ranges: tuple[int, int], words: tuple[str, ...] = ()) -> Check:
    said = " or ".join(
        [*(f"{low}" if low == high else f"{low}-{high}" for low, high in ranges), *words]
    )

    def check(value: str) -> str | None:
        if value in words or (
            # ASCII only: "²" is a digit to isdigit() but not to int(); "６０" is to both.
            value.isascii()
            and value.isdigit()
            and any(low <= int(value) <= high for low, high in ranges)
        ):
            return None
        return f"must be {said}"

    return check


def _one_of(*allowed: str) -> Check:
    return lambda value: None if value in allowed else f"must be one of {', '.join(allowed)}"


def _text(value: str) -> str | None:
    return None if value else "must not be empty"


def _app_cookie_name(value: str) -> str | None:
    # AWSALB, AWSALBAPP and AWSALBTG are the load balancer's own cookies (§2.3).
    if value.upper().startswith("AWSALB"):
        return "must not start with AWSALB, AWSALBAPP or AWSALBTG (reserved for the load balancer)"
    if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}", value):
        return "must be a cookie name: 1-256 token characters"
    return None


_COUNT_OR_OFF = _ints((1, 100_000), words=("off",))
_PERCENT_OR_OFF = _ints((1, 100), words=("off",))
_CROSS_ZONE_TG = _one_of("true", "false", "use_load_balancer_configuration")
_TG_HEALTH = {
    "target_group_health.dns_failover.minimum_healthy_targets.count": _COUNT_OR_OFF,
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": _PERCENT_OR_OFF,
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": _ints(
        (1, 100_000)
    ),
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": (
        _PERCENT_OR_OFF
    ),
}
_DEREGISTRATION = {"deregistration_delay.timeout_seconds": _ints((0, 3600))}

# Target-group families follow the TG protocol: HTTP/HTTPS → application, TCP/TLS/UDP/
# TCP_UDP → network, GENEVE → gateway, no protocol (Lambda) → lambda.
TARGET_GROUP: dict[str, dict[str, Check]] = {
    "application": {
        **_DEREGISTRATION,
        **_TG_HEALTH,
        "slow_start.duration_seconds": _ints((0, 0), (30, 900)),
        "load_balancing.algorithm.type": _one_of(
            "round_robin", "least_outstanding_requests", "weighted_random"
        ),
        "load_balancing.algorithm.anomaly_mitigation": _one_of("on", "off"),
        "load_balancing.cross_zone.enabled": _CROSS_ZONE_TG,
        "stickiness.enabled": _bool,
        "stickiness.type": _one_of("lb_cookie", "app_cookie"),
        "stickiness.lb_cookie.duration_seconds": _ints((1, 604800)),
        "stickiness.app_cookie.cookie_name": _app_cookie_name,
        "stickiness.app_cookie.duration_seconds": _ints((1, 604800)),
    },
    "lambda": {"lambda.multi_value_headers.enabled": _bool},
    "network": {
        **_DEREGISTRATION,
        **_TG_HEALTH,
        "deregistration_delay.connection_termination.enabled": _bool,
        "preserve_client_ip.enabled": _bool,
        "proxy_protocol_v2.enabled": _bool,
        "stickiness.enabled": _bool,
        "stickiness.type": _one_of("source_ip"),
        "load_balancing.cross_zone.enabled": _CROSS_ZONE_TG,
        "target_health_state.unhealthy.connection_termination.enabled": _bool,
        "target_health_state.unhealthy.draining_interval_seconds": _ints((0, 360000)),
    },
    "gateway": {
        **_DEREGISTRATION,
        "stickiness.enabled": _bool,
        "stickiness.type": _one_of("source_ip_dest_ip", "source_ip_dest_ip_proto"),
        "target_failover.on_deregistration": _one_of("rebalance", "no_rebalance"),
        "target_failover.on_unhealthy": _one_of("rebalance", "no_rebalance"),
        "send_tcp_reset.on_unhealthy.enabled": _bool,
        "send_tcp_reset.on_deregistration.enabled": _bool,
    },
}

_COMMON_LB = {
    "deletion_protection.enabled": _bool,
    "access_logs.s3.enabled": _bool,
    "access_logs.s3.bucket": _text,
    "access_logs.s3.prefix": lambda _value: None,
    "zonal_shift.config.enabled": _bool,
}
LOAD_BALANCER: dict[str, dict[str, Check]] = {
    "application": {
        **_COMMON_LB,
        "idle_timeout.timeout_seconds": _ints((1, 4000)),
        "client_keep_alive.seconds": _ints((60, 604800)),
        "routing.http.desync_mitigation_mode": _one_of("monitor", "defensive", "strictest"),
        "routing.http.drop_invalid_header_fields.enabled": _bool,
        "routing.http.preserve_host_header.enabled": _bool,
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": _bool,
        "routing.http.xff_client_port.enabled": _bool,
        "routing.http.xff_header_processing.mode": _one_of("append", "preserve", "remove"),
        "routing.http2.enabled": _bool,
        "waf.fail_open.enabled": _bool,
        # Always on for an ALB: "The default ... is true, and can't be changed" (§9).
        "load_balancing.cross_zone.enabled": _one_of("true"),
    },
    "network": {
        **_COMMON_LB,
        "load_balancing.cross_zone.enabled": _bool,
        "dns_record.client_routing_policy": _one_of(
            "availability_zone_affinity",
            "partial_availability_zone_affinity",
            "any_availability_zone",
        ),
        "secondary_ips.auto_assigned.per_subnet": _ints((0, 7)),
        "ipv6.deny_all_igw_traffic": _bool,
    },
    "gateway": {
        "deletion_protection.enabled": _bool,
        "load_balancing.cross_zone.enabled": _bool,
    },
}

LISTENER: dict[str, dict[str, Check]] = {
    # ALB listener attributes are response-header settings (routing.http.response.*),
    # checked by prefix below; NLB TCP and GWLB listeners take the TCP idle timeout (§6.2).
    "application": {},
    "network": {"tcp.idle_timeout.seconds": _ints((60, 6000))},
    "gateway": {"tcp.idle_timeout.seconds": _ints((60, 6000))},
}


def read(
    ctx: Context, logical_id: str, path: str, values: Any, table: dict[str, Check], noun: str
) -> dict[str, str]:
    """Validated ``{Key: Value}`` of a ``[{Key, Value}]`` attribute list."""
    attributes: dict[str, str] = {}
    for i, item in ctx.mappings(logical_id, path, values):
        where = f"{path}[{i}]"
        key, value = item.get("Key"), item.get("Value")
        if not isinstance(key, str) or value is None:
            ctx.fail(KEY, logical_id, where, "each attribute needs Key and Value")
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        check = table.get(key)
        if (
            check is None
            and noun == "application listener"
            and key.startswith("routing.http.response.")
        ):
            check = _text
        if check is None:
            ctx.fail(
                KEY,
                logical_id,
                f"{where}.Key",
                f"{noun.capitalize()} attribute key '{key}' is not recognized",
            )
        elif key in attributes:
            ctx.fail(DUPLICATE, logical_id, f"{where}.Key", f"attribute '{key}' is set twice")
        elif (message := check(text)) is not None:
            ctx.fail(
                VALUE,
                logical_id,
                f"{where}.Value",
                f"'{text}' is not a valid value for {key}: {message}",
            )
        else:
            attributes[key] = text
    return attributes
