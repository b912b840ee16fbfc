"""Only our own pages may open a WebSocket: the Origin must be the site's own origin.

channels' ``AllowedHostsOriginValidator`` compares the Origin's host with ALLOWED_HOSTS
and ignores its port, so a page served from ``http://127.0.0.1:1`` (any other program on
the same machine) could open a socket with our visitor's session cookie. Here, as
Django's CSRF check does for forms, the Origin must name the host *and port* the browser
connected to (the request's Host header, itself in ALLOWED_HOSTS) or be listed exactly in
CSRF_TRUSTED_ORIGINS (a TLS-terminating proxy in front, say). Without a port, a Host
means the default port of the Origin's scheme. Browsers always send Host; a client that
sends none (a test's communicator) is taken to reach us on the default port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

_DEFAULT_PORTS = {"http": 80, "https": 443}

Scope = dict[str, Any]


def _origin(value: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an Origin header, or None if it is not one."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


def same_origin(scope: Scope) -> bool:
    """Whether the socket was opened by one of our own pages (see the module's comment)."""
    headers: dict[bytes, list[bytes]] = {}
    for name, value in scope.get("headers", ()):
        headers.setdefault(name.lower(), []).append(value)
    origins = headers.get(b"origin", [])
    if len(origins) != 1:
        return False
    raw_origin = origins[0].decode("latin-1")
    origin = _origin(raw_origin)
    if origin is None:
        return False
    if raw_origin.strip().lower() in {o.lower() for o in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    scheme, host, port = origin
    hosts = headers.get(b"host", [])
    if len(hosts) > 1:
        return False
    if hosts:
        domain, given_port = split_domain_port(hosts[0].decode("latin-1").lower())
    else:
        domain, given_port = host, ""
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    if given_port and not given_port.isdigit():
        return False
    expected_port = int(given_port) if given_port else _DEFAULT_PORTS[scheme]
    return domain.strip("[]") == host.strip("[]") and expected_port == port


class SameOriginValidator:
    """ASGI middleware: refuse a WebSocket whose Origin is not our own (before auth)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not same_origin(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
