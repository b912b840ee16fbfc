"""What the routing actions answer, besides forwarding (spec §1.4).

``redirect`` builds the ``Location`` from the original request: each omitted component
keeps the request's value, and ``#{protocol}``, ``#{host}``, ``#{port}``, ``#{path}``
and ``#{query}`` expand in the components AWS allows them in. ``#{path}`` is the path
without its leading ``/``, so the default ``/#{path}`` reproduces it. The port is always
written out, as ALB does (``https://example.com:443/``); an empty query emits no ``?``
(unverified in AWS's docs: spec Appendix B).
"""

from collections.abc import Mapping
from dataclasses import dataclass

_PLACEHOLDERS_ALLOWED = {
    "Protocol": ("protocol",),
    "Host": ("host",),
    "Port": ("port",),
    "Path": ("host", "path", "port"),
    "Query": ("protocol", "host", "port", "path", "query"),
}
_DEFAULTS = {
    "Protocol": "#{protocol}",
    "Host": "#{host}",
    "Port": "#{port}",
    "Path": "/#{path}",
    "Query": "#{query}",
}
STATUS = {"HTTP_301": 301, "HTTP_302": 302}
LOCATION_LIMIT = 8192  # bytes; longer ⇒ not completed (HTTP_Redirect_Url_Limit_Exceeded_Count)


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginalRequest:
    protocol: str  # "HTTP" | "HTTPS", the listener's
    host: str  # without port
    port: int  # the listener's
    path: str  # raw, with its leading "/"
    query: str  # raw, without "?"


@dataclass(frozen=True, slots=True)
class Redirect:
    status: int
    location: str


class RedirectTooLong(Exception):
    """The Location would exceed 8 KB: AWS does not complete the redirect."""


def _expand(template: str, component: str, values: Mapping[str, str]) -> str:
    for name in _PLACEHOLDERS_ALLOWED[component]:
        template = template.replace("#{" + name + "}", values[name])
    return template


def redirect(config: Mapping[str, str], request: OriginalRequest) -> Redirect:
    """The answer of a ``RedirectConfig`` to ``request``.

    Raises:
        RedirectTooLong: the ``Location`` is over 8 KB.
    """
    values = {
        "protocol": request.protocol.lower(),
        "host": request.host,
        "port": str(request.port),
        "path": request.path.removeprefix("/"),
        "query": request.query,
    }
    # An omitted component keeps the request's value; an empty Query drops the query.
    parts = {
        name: _expand(config[name] if config.get(name) is not None else default, name, values)
        for name, default in _DEFAULTS.items()
    }
    location = f"{parts['Protocol'].lower()}://{parts['Host']}:{parts['Port']}{parts['Path']}"
    if parts["Query"]:
        location += "?" + parts["Query"]
    if len(location.encode()) > LOCATION_LIMIT:
        raise RedirectTooLong(location[:100])
    return Redirect(STATUS[config.get("StatusCode", "HTTP_301")], location)


def changes_something(
    config: Mapping[str, str], listener_protocol: str, listener_port: int
) -> bool:
    """AWS's loop guard: protocol, host, port or path must be able to differ (not query)."""
    protocol = config.get("Protocol") or "#{protocol}"
    port = config.get("Port") or "#{port}"
    return (
        protocol not in ("#{protocol}", listener_protocol.upper())
        or port not in ("#{port}", str(listener_port))
        or (config.get("Host") or "#{host}") != "#{host}"
        or (config.get("Path") or "/#{path}") != "/#{path}"
    )
