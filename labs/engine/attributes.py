"""Typed views of AWS's string attributes, with AWS's defaults (spec §2.3, §4.1–4.2).

Templates carry attributes as AWS does — string keys, string values, only those the
author set. The data plane reads them once per run through these views.
"""

from collections.abc import Mapping
from dataclasses import dataclass


def _flag(attributes: Mapping[str, str], key: str, default: bool) -> bool:
    return attributes.get(key, str(default)).lower() == "true"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadBalancerSettings:
    idle_timeout: float = 60.0  # idle_timeout.timeout_seconds
    client_keep_alive: float = 3600.0  # client_keep_alive.seconds
    xff_mode: str = "append"  # routing.http.xff_header_processing.mode
    xff_client_port: bool = False  # routing.http.xff_client_port.enabled
    preserve_host: bool = False  # routing.http.preserve_host_header.enabled
    desync_mode: str = "defensive"  # routing.http.desync_mitigation_mode
    cross_zone: bool = True  # ALB: always on at the load-balancer level


def load_balancer_settings(attributes: Mapping[str, str]) -> LoadBalancerSettings:
    return LoadBalancerSettings(
        idle_timeout=float(attributes.get("idle_timeout.timeout_seconds", 60)),
        client_keep_alive=float(attributes.get("client_keep_alive.seconds", 3600)),
        xff_mode=attributes.get("routing.http.xff_header_processing.mode", "append"),
        xff_client_port=_flag(attributes, "routing.http.xff_client_port.enabled", False),
        preserve_host=_flag(attributes, "routing.http.preserve_host_header.enabled", False),
        desync_mode=attributes.get("routing.http.desync_mitigation_mode", "defensive"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Stickiness:
    type: str  # lb_cookie | app_cookie
    duration: float  # seconds of stickiness, renewed per response
    cookie_name: str | None = None  # app_cookie: the application's cookie


def stickiness(attributes: Mapping[str, str]) -> Stickiness | None:
    """The group's stickiness, or None when ``stickiness.enabled`` is not true."""
    if not _flag(attributes, "stickiness.enabled", False):
        return None
    kind = attributes.get("stickiness.type", "lb_cookie")
    return Stickiness(
        type=kind,
        duration=float(attributes.get(f"stickiness.{kind}.duration_seconds", 86400)),
        cookie_name=attributes.get("stickiness.app_cookie.cookie_name"),
    )


def cross_zone(attributes: Mapping[str, str], load_balancer_default: bool = True) -> bool:
    value = attributes.get("load_balancing.cross_zone.enabled", "use_load_balancer_configuration")
    if value == "use_load_balancer_configuration":
        return load_balancer_default
    return value == "true"


def deregistration_delay(attributes: Mapping[str, str]) -> float:
    return float(attributes.get("deregistration_delay.timeout_seconds", 300))


def slow_start(attributes: Mapping[str, str]) -> float:
    return float(attributes.get("slow_start.duration_seconds", 0))


# --- Network Load Balancer (spec §6.2–6.4, §9) ---------------------------------------------
def preserve_client_ip(attributes: Mapping[str, str], target_type: str, protocol: str) -> bool:
    """``preserve_client_ip.enabled``: on for instance targets and for UDP-family groups
    (where it cannot be turned off), off for ``ip`` targets over TCP or TLS (§6.3). An
    ``alb`` group's attributes are fixed: the client's address reaches the ALB."""
    if protocol in ("UDP", "TCP_UDP") or target_type == "alb":
        return True
    return _flag(attributes, "preserve_client_ip.enabled", target_type == "instance")


def proxy_protocol_v2(attributes: Mapping[str, str]) -> bool:
    return _flag(attributes, "proxy_protocol_v2.enabled", False)


def nlb_cross_zone(group: Mapping[str, str], load_balancer: Mapping[str, str]) -> bool:
    """The group's value wins; ``use_load_balancer_configuration`` defers to the LB's,
    which is off by default for an NLB (§9)."""
    return cross_zone(group, _flag(load_balancer, "load_balancing.cross_zone.enabled", False))


def tcp_idle_timeout(listener: Mapping[str, str]) -> float:
    return float(listener.get("tcp.idle_timeout.seconds", 350))
