"""What a browser may send on a run page's socket, before any handler sees it.

A frame is one JSON object, at most ``MAX_FRAME_BYTES`` of UTF-8 (text or binary frame),
nested at most ``MAX_DEPTH`` deep, whose numbers fit a database integer or are finite
floats and whose strings are real text (no lone surrogates). Anything else raises
``FrameError`` with a message for the viewer, in the active language: handlers never
meet ``inf`` as a question id, a recursion limit, or a string the database cannot store.
"""

from __future__ import annotations

import ipaddress
import json
import math
from typing import Any

from django.utils.translation import gettext as _

from labs.engine import spec

MAX_FRAME_BYTES = 64 * 1024
MAX_DEPTH = 32
_INT_LIMIT = 2**63  # a BigAutoField's range, the widest id a handler looks up


class FrameError(ValueError):
    """A frame we refuse; ``str(error)`` tells the viewer why."""


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> Any:
    """The frame's JSON value, checked as the module's comment says.

    Raises:
        FrameError: naming the first problem found.
    """
    if text_data is None:
        try:
            text_data = (bytes_data or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError(_("The message is not valid UTF-8 text.")) from None
    size = len(text_data.encode("utf-8", "surrogatepass"))
    if size > MAX_FRAME_BYTES:
        raise FrameError(
            _("The message is %(size)d bytes long; at most %(limit)d bytes are accepted.")
            % {"size": size, "limit": MAX_FRAME_BYTES}
        )
    if _depth(text_data) > MAX_DEPTH:
        raise FrameError(
            _("The message is nested more than %(limit)d levels deep.") % {"limit": MAX_DEPTH}
        )
    try:
        content = json.loads(
            text_data, parse_int=_int, parse_float=_float, parse_constant=_constant
        )
    except json.JSONDecodeError as error:
        raise FrameError(
            _("The message is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": error.lineno, "column": error.colno}
        ) from None
    _check_text(content)
    return content


def _depth(text: str) -> int:
    """How deep brackets nest outside strings (json.loads would recurse that deep)."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _out_of_range(literal: str) -> FrameError:
    shown = literal if len(literal) <= 24 else literal[:20] + "…"
    return FrameError(_("The number %(number)s is out of range.") % {"number": shown})


def _int(literal: str) -> int:
    try:
        value = int(literal)
    except ValueError:  # more digits than Python converts
        raise _out_of_range(literal) from None
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise _out_of_range(literal)
    return value


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e999
        raise _out_of_range(literal)
    return value


def _constant(literal: str) -> float:
    raise _out_of_range(literal)  # NaN, Infinity, -Infinity: not JSON


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800": a lone surrogate escape
            raise FrameError(_("The message contains text that is not valid Unicode.")) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


# --- the live lab's commands: the fields a viewer types -----------------------------------
# The console's request and the traffic mix reach real sockets as HTTP/1.1 bytes, so each
# field is checked for what would break the request line or smuggle a second request:
# CR, LF and other control characters, header names that are not RFC 9110 tokens,
# framing headers (Content-Length, Transfer-Encoding) the runtime writes itself, sizes.

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")
MAX_HEADERS = 20
MAX_COOKIES = 20
MAX_NAME = 64
MAX_VALUE = 1024
MAX_HOST = 253
MAX_PATH = 2048
MAX_QUERY = 2048
MAX_MIX = 10
MAX_WEIGHT = 100
MAX_CLIENTS = 200  # as Metadata.Playground.Traffic.Clients allows
# Headers the console writes itself, or that would change how bytes are framed.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "cookie",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "proxy-connection",
        "x-amzn-trace-id",
    }
)
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_COOKIE_VALUE = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('",;\\')
_HOST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:[]")
_ID = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
# Addresses no client on the internet has (RFC 6890): private, shared, loopback, ...
_NOT_PUBLIC = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
)


def checked_request(command: dict[str, Any], topology: spec.Topology) -> dict[str, Any]:
    """The console's request (``{"action": "request", ...}``), each field checked.

    Fields: ``id`` (the page's name for it), ``lb`` and ``listener`` (an HTTP(S)
    listener; default the first), ``method``, ``host`` (blank: the LB's DNS name),
    ``path``, ``query``, ``headers`` and ``cookies`` (lists of ``[name, value]``),
    ``client_ip``, ``forget_cookies``. Returns only those keys.

    Raises:
        FrameError: naming the field and what is wrong with it.
    """
    lb, listener = _console_listener(command, topology)
    method = command.get("method", "GET")
    if method not in METHODS:
        raise FrameError(_("Choose an HTTP method: %(methods)s.") % {"methods": ", ".join(METHODS)})
    path = _text(command, "path", MAX_PATH, _("Path")) or "/"
    if not path.startswith("/"):
        raise FrameError(_("The path must start with /."))
    if "?" in path:
        raise FrameError(_("The path contains ?: put the query string in its own field."))
    _no_url_breakers(path, _("Path"), "#")
    query = _text(command, "query", MAX_QUERY, _("Query string")).removeprefix("?")
    _no_url_breakers(query, _("Query string"), "#")
    host = _text(command, "host", MAX_HOST, _("Host header"))
    if host and not set(host) <= _HOST:
        raise FrameError(
            _("The Host header %(host)s may hold only letters, digits, '-', '.' and ':port'.")
            % {"host": _shown(host)}
        )
    return {
        "action": "request",
        "id": _request_id(command.get("id")),
        "lb": lb.name,
        "listener": listener.port,
        "method": method,
        "host": host,
        "path": path,
        "query": query,
        "headers": checked_headers(command.get("headers")),
        "cookies": _checked_cookies(command.get("cookies")),
        "client_ip": _client_ip(command.get("client_ip"), lb, topology),
        "forget_cookies": checked_flag(command, "forget_cookies", _("Forget cookies")),
    }


def console_listeners(topology: spec.Topology) -> list[tuple[spec.LoadBalancer, spec.Listener]]:
    """The listeners a console request can go to: HTTP(S) ones, and an NLB's TCP or TLS
    listener whose target group is an ALB (the ALB behind it reads the HTTP)."""
    alb_groups = {g.name for g in topology.target_groups if g.target_type == "alb"}
    found = []
    for lb in topology.load_balancers:
        for listener in lb.listeners:
            forwards = {name for a in listener.default_actions for name, _w in a.target_groups}
            speaks_http = listener.protocol in ("HTTP", "HTTPS") and lb.type != "network"
            if speaks_http or (lb.type == "network" and forwards & alb_groups):
                found.append((lb, listener))
    return found


def _console_listener(
    command: dict[str, Any], topology: spec.Topology
) -> tuple[spec.LoadBalancer, spec.Listener]:
    lb_name, port = command.get("lb"), command.get("listener")
    usable = console_listeners(topology)
    for lb, listener in usable:
        if lb_name in (None, "", lb.name) and port in (None, "", listener.port):
            return lb, listener
    asked = [
        (lb, listener)
        for lb in topology.load_balancers
        for listener in lb.listeners
        if lb_name in (None, "", lb.name) and port in (None, "", listener.port)
    ]
    if asked:
        lb, listener = asked[0]
        raise FrameError(
            _(
                "Listener %(port)s of %(lb)s is a %(protocol)s listener, not an HTTP one: "
                "it forwards connections or packets without reading HTTP, so there is no "
                "request to compose. The flows table shows each connection it placed."
            )
            % {"port": listener.port, "lb": lb.name, "protocol": listener.protocol}
        )
    raise FrameError(_("Choose one of this run's HTTP listeners."))


def checked_headers(headers: Any) -> list[list[str]]:
    """``[[name, value], ...]``: RFC 9110 token names, visible-ASCII values, no framing."""
    if headers in (None, ""):
        return []
    if not isinstance(headers, list) or len(headers) > MAX_HEADERS:
        raise FrameError(
            _("Send at most %(limit)d headers, as a list of [name, value] pairs.")
            % {"limit": MAX_HEADERS}
        )
    checked = []
    for pair in headers:
        name, value = _pair(pair, _("Each header is a [name, value] pair of text."))
        if not name or len(name) > MAX_NAME or not set(name) <= _TOKEN:
            raise FrameError(
                _(
                    "The header name %(name)s is not valid: use 1 to %(limit)d letters, "
                    "digits or !#$%%&'*+-.^_`|~, no spaces or colons."
                )
                % {"name": _shown(name), "limit": MAX_NAME}
            )
        if name.lower() in RESERVED_HEADERS:
            raise FrameError(
                _("The %(name)s header is set by the console itself; use its own field.")
                % {"name": name}
                if name.lower() in ("host", "cookie")
                else _("The %(name)s header cannot be set: the console writes it itself.")
                % {"name": name}
            )
        _checked_value(value, name, MAX_VALUE, allow_space=True)
        checked.append([name, value])
    return checked


def _checked_cookies(cookies: Any) -> list[list[str]]:
    if cookies in (None, ""):
        return []
    if not isinstance(cookies, list) or len(cookies) > MAX_COOKIES:
        raise FrameError(
            _("Send at most %(limit)d cookies, as a list of [name, value] pairs.")
            % {"limit": MAX_COOKIES}
        )
    checked = []
    for pair in cookies:
        name, value = _pair(pair, _("Each cookie is a [name, value] pair of text."))
        if not name or len(name) > MAX_NAME or not set(name) <= _TOKEN:
            raise FrameError(
                _("The cookie name %(name)s is not valid: use letters, digits, '-' or '_'.")
                % {"name": _shown(name)}
            )
        if len(value) > MAX_VALUE or not set(value) <= _COOKIE_VALUE:
            raise FrameError(
                _(
                    "The value of cookie %(name)s is not valid: at most %(limit)d characters, "
                    "no spaces, quotes, commas, semicolons or backslashes."
                )
                % {"name": name, "limit": MAX_VALUE}
            )
        checked.append([name, value])
    return checked


def _client_ip(value: Any, lb: spec.LoadBalancer, topology: spec.Topology) -> str:
    """An internet-facing LB's clients come from public addresses; an internal one's from
    inside the VPC (ELB user guide, "Load balancer scheme")."""
    try:
        address = ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        raise FrameError(
            _("The client IP %(ip)s is not an IPv4 address (the sandbox has no IPv6).")
            % {"ip": _shown(str(value))}
        ) from None
    taken = {node.ip for b in topology.load_balancers for node in b.nodes} | {
        t.ip for g in topology.target_groups for t in g.targets if t.ip
    }
    if str(address) in taken:
        raise FrameError(
            _("The client IP %(ip)s belongs to a load balancer node or a target of this run.")
            % {"ip": address}
        )
    if lb.scheme == "internal":
        if address not in ipaddress.IPv4Network(topology.vpc_cidr):
            raise FrameError(
                _(
                    "%(lb)s is internal: only clients inside the VPC (%(cidr)s) reach it. "
                    "Choose a client IP in %(cidr)s."
                )
                % {"lb": lb.name, "cidr": topology.vpc_cidr}
            )
    elif lb.nodes and not any(node.public for node in lb.nodes):
        if address not in ipaddress.IPv4Network(topology.vpc_cidr):
            raise FrameError(
                _(
                    "%(lb)s is internet-facing, but none of its subnets has a route to an "
                    "internet gateway: nothing on the internet reaches it. Choose a client "
                    "IP inside the VPC (%(cidr)s)."
                )
                % {"lb": lb.name, "cidr": topology.vpc_cidr}
            )
    elif any(address in network for network in _NOT_PUBLIC):
        raise FrameError(
            _(
                "%(lb)s is internet-facing: its clients have public addresses, and %(ip)s is "
                "not one. Try 203.0.113.25."
            )
            % {"lb": lb.name, "ip": address}
        )
    return str(address)


def checked_mix(mix: Any) -> list[dict[str, Any]]:
    """The generated traffic's mix: ``[{"path", "host", "headers", "weight"}, ...]``."""
    if not isinstance(mix, list) or not 1 <= len(mix) <= MAX_MIX:
        raise FrameError(
            _("The request mix is a list of 1 to %(limit)d kinds of request.") % {"limit": MAX_MIX}
        )
    checked = []
    for item in mix:
        if not isinstance(item, dict):
            raise FrameError(_("Each kind of request in the mix is an object with a path."))
        url = _text(item, "path", MAX_PATH + MAX_QUERY, _("Path"))
        path, _sep, query = url.partition("?")
        if not path.startswith("/"):
            raise FrameError(_("The path must start with /."))
        _no_url_breakers(path, _("Path"), "#")
        _no_url_breakers(query, _("Query string"), "#")
        host = _text(item, "host", MAX_HOST, _("Host header"))
        if host and not set(host) <= _HOST:
            raise FrameError(
                _("The Host header %(host)s may hold only letters, digits, '-', '.' and ':port'.")
                % {"host": _shown(host)}
            )
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 < weight <= MAX_WEIGHT:
            raise FrameError(
                _("A weight is a whole number from 1 to %(limit)d.") % {"limit": MAX_WEIGHT}
            )
        headers = checked_headers(item.get("headers"))
        checked.append({"path": url, "host": host, "headers": headers, "weight": weight})
    return checked


def checked_clients(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CLIENTS:
        raise FrameError(
            _("The number of clients is a whole number from 1 to %(limit)d.")
            % {"limit": MAX_CLIENTS}
        )
    return value


def checked_flag(command: dict[str, Any], key: str, label: str) -> bool:
    """``command[key]`` as a real JSON boolean (absent: false)."""
    value = command.get(key, False)
    if not isinstance(value, bool):
        raise FrameError(_("%(field)s is true or false.") % {"field": label})
    return value


def _request_id(value: Any) -> str:
    text = "" if value is None else str(value)
    if len(text) > MAX_NAME or not set(text) <= _ID:
        raise FrameError(_("The request id may hold only letters, digits, '-' and '_'."))
    return text


def _text(command: dict[str, Any], key: str, limit: int, label: str) -> str:
    value = command.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FrameError(_("%(field)s must be text.") % {"field": label})
    value = value.strip()
    if len(value) > limit:
        raise FrameError(
            _("%(field)s is %(size)d characters long; at most %(limit)d are accepted.")
            % {"field": label, "size": len(value), "limit": limit}
        )
    return value


def _no_url_breakers(value: str, label: str, forbidden: str) -> None:
    bad = next((c for c in value if ord(c) <= 0x20 or ord(c) >= 0x7F or c in forbidden), None)
    if bad is not None:
        raise FrameError(
            _(
                "%(field)s contains %(char)s, which cannot go into a request line: "
                "percent-encode it (a space is %%20)."
            )
            % {"field": label, "char": _char(bad)}
        )


def _checked_value(value: str, name: str, limit: int, *, allow_space: bool) -> None:
    if len(value) > limit:
        raise FrameError(
            _("The value of %(name)s is %(size)d characters long; at most %(limit)d are accepted.")
            % {"name": name, "size": len(value), "limit": limit}
        )
    allowed_space = " \t" if allow_space else ""
    bad = next(
        (c for c in value if (ord(c) < 0x20 and c not in allowed_space) or ord(c) >= 0x7F), None
    )
    if bad is not None:
        raise FrameError(
            _(
                "The value of %(name)s contains %(char)s: a header value is visible ASCII text "
                "on one line (a line break would start a header of its own)."
            )
            % {"name": name, "char": _char(bad)}
        )


def _pair(pair: Any, refusal: str) -> tuple[str, str]:
    if (
        not isinstance(pair, list | tuple)
        or len(pair) != 2
        or not all(isinstance(part, str) for part in pair)
    ):
        raise FrameError(refusal)
    return pair[0].strip(), pair[1].strip()


def _char(char: str) -> str:
    names = {"\r": "CR (\\r)", "\n": "LF (\\n)", "\t": "TAB", " ": _("a space")}
    if char in names:
        return names[char]
    return repr(char) if char.isprintable() and ord(char) < 0x7F else f"U+{ord(char):04X}"


def _shown(text: str) -> str:
    text = text if len(text) <= 40 else text[:37] + "…"
    return repr(text)
