"""Sticky sessions: which cookie pins a client to which target (spec §2.7, §1.4).

AWS's cookies are opaque and encrypted; ours are signed (HMAC with the run's secret) and
readable, because a learner decoding ``AWSALB`` to see the pinned target is the point.
A cookie carries the target group, the target and the lab-clock time the stickiness
expires. A cookie that is forged, expired, for another group, or names a target that is
gone or unhealthy pins nothing: the algorithm picks again and the cookie is rewritten.

- ``lb_cookie``: ``AWSALB`` + ``AWSALBCORS`` (``SameSite=None; Secure``), issued on the
  first response, stickiness lifetime ``stickiness.lb_cookie.duration_seconds`` renewed
  on every response; the cookie attribute itself always expires in 7 days (``Expires``).
- ``app_cookie``: ``AWSALBAPP-0`` issued only once the target's response sets a cookie
  named ``stickiness.app_cookie.cookie_name``; lifetime renewed per response.
- target-group stickiness on a weighted forward: ``AWSALBTG`` + ``AWSALBTGCORS``.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

LB_COOKIE = "AWSALB"
LB_COOKIE_CORS = "AWSALBCORS"
APP_COOKIE = "AWSALBAPP-0"
TG_COOKIE = "AWSALBTG"
TG_COOKIE_CORS = "AWSALBTGCORS"
COOKIE_LIFETIME = timedelta(days=7)  # the Expires attribute, fixed by AWS
_MAC = 12  # bytes of HMAC-SHA256 kept in a cookie


@dataclass(frozen=True, slots=True)
class Pin:
    group: str
    target: str  # "ip:port", or a target group name for AWSALBTG
    expires: float  # lab-clock seconds

    def __post_init__(self) -> None:
        if "|" in self.group or "|" in self.target:
            raise ValueError("a pin's group and target cannot contain '|' (the separator)")


def encode(pin: Pin, secret: bytes) -> str:
    payload = f"{pin.group}|{pin.target}|{pin.expires:.3f}".encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()[:_MAC]
    return base64.urlsafe_b64encode(payload + b"|" + mac).decode().rstrip("=")


def decode(value: str, secret: bytes) -> Pin | None:
    """The pin a cookie value carries, or None when it is not one of ours (or tampered)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        # The MAC is binary and may hold a "|" itself: cut it by length, not by separator.
        payload, separator, mac = raw[: -_MAC - 1], raw[-_MAC - 1 : -_MAC], raw[-_MAC:]
        if separator != b"|":
            return None
        group, target, expires = payload.decode().split("|")
        if not hmac.compare_digest(mac, hmac.new(secret, payload, hashlib.sha256).digest()[:_MAC]):
            return None
        return Pin(group, target, float(expires))
    except ValueError:  # bad base64, bad UTF-8, wrong shape: all binascii/ValueError kinds
        return None


def valid_pin(value: str | None, *, group: str, now: float, secret: bytes) -> Pin | None:
    """A cookie value's pin if it belongs to ``group`` and has not expired at ``now``."""
    if not value:
        return None
    pin = decode(value, secret)
    if pin is None or pin.group != group or pin.expires <= now:
        return None
    return pin


def set_cookie_headers(name: str, cors_name: str | None, value: str, wall_now: float) -> list[str]:
    """``Set-Cookie`` values as ALB sends them: ``Expires`` 7 days out, ``Path=/``."""
    expires = (datetime.fromtimestamp(wall_now, UTC) + COOKIE_LIFETIME).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    headers = [f"{name}={value}; Expires={expires}; Path=/"]
    if cors_name is not None:
        headers.append(f"{cors_name}={value}; Expires={expires}; Path=/; SameSite=None; Secure")
    return headers


def cookies(header_values: list[str]) -> dict[str, str]:
    """Name → value from ``Cookie`` headers (first occurrence wins)."""
    found: dict[str, str] = {}
    for header in header_values:
        for item in header.split(";"):
            name, sep, value = item.strip().partition("=")
            if sep and name not in found:
                found[name] = value
    return found


def response_sets_cookie(set_cookie_values: list[str], name: str) -> bool:
    """Whether a target's response sets a cookie called ``name`` (value and expiry unchecked)."""
    return any(value.split("=", 1)[0].strip() == name for value in set_cookie_values)
