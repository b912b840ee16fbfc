"""One request/response through a load balancer node, as the proxy records it.

The proxy fills an ``Exchange`` while it works and hands the finished object to the
event sink as is: turning it into an event dict and an access-log line happens later,
once per batch (``wire.py``), never on the proxy's per-request path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client_side import Head


# Who sent a request, to which node, how: the same for every request of a client
# connection (``ClientConnection.origin``). The client's IP and port, the load
# balancer's name, the node's AZ, the listener's port and protocol, and the TLS session
# (cipher, protocol, SNI name, the chosen certificate's domain) or None.
Origin = tuple[str, int, str, str, int, str, "tuple[str, str, str | None, str] | None"]
NO_ORIGIN: Origin = ("", 0, "", "", 0, "HTTP", None)  # a connection not yet connected


class Exchange:
    __slots__ = (
        "abandoned",
        "action",
        "add_cookies",
        "body",
        "classification",
        "client",
        "client_ip",
        "client_port",
        "close_after",
        "cookies",
        "decision",
        "elb_status",
        "error_reason",
        "group_reason",
        "head",
        "headers",
        "host",
        "keep_alive",
        "lb",
        "listener_port",
        "method",
        "node_az",
        "passed",
        "path",
        "protocol",
        "query",
        "reason",
        "received",
        "redirect_url",
        "refusal",
        "response_headers",
        "rule",
        "sent",
        "t",
        "t_dispatched",
        "t_responded",
        "t_start",
        "t_target_done",
        "target",
        "target_group",
        "target_status",
        "tls",
        "trace_id",
        "upgrade",
        "url",
        "user_agent",
        "version",
        "wall_start",
        "xff",
        "xff_received",
    )

    def __init__(
        self,
        client: Any,
        origin: Origin,
        method: str,
        url: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        version: str,
        keep_alive: bool,
        t_start: float,
        wall_start: float,
        t: float,
    ) -> None:
        self.client = client  # the client connection that must get the answer
        self.method = method
        self.url = url
        self.headers = headers
        self.passed = b""  # the headers the target gets as received ("Name: value\r\n"...)
        self.body = body
        self.version = version
        self.keep_alive = keep_alive
        self.t_start = t_start  # loop time, for latencies
        self.wall_start = wall_start  # epoch, for the access log
        self.t = t  # lab clock when the request arrived
        self.received = 0
        self.sent = 0
        (
            self.client_ip,
            self.client_port,
            self.lb,
            self.node_az,
            self.listener_port,
            self.protocol,
            self.tls,
        ) = origin
        self.host = ""
        self.path = "/"
        self.query = ""
        self.user_agent = ""
        self.rule: int | str | None = None
        self.action: str | None = None
        self.target_group: str | None = None
        self.target: str | None = None
        self.reason: str | None = None
        self.error_reason: str | None = None
        self.elb_status = 0
        self.target_status: int | None = None
        self.trace_id = ""
        self.xff: str | None = ""  # as sent to the target; None: not sent
        self.xff_received = ""
        self.response_headers: list[tuple[bytes, bytes]] = []  # as sent to the client
        self.add_cookies: list[str] = []  # Set-Cookie values the LB adds (stickiness)
        self.cookies: dict[str, str] | None = None  # parsed on demand, for stickiness
        self.decision: Any = None  # the engine's routing.Decision, rendered into the trace
        self.group_reason: str | None = None  # weighted forwards: how the group was chosen
        self.redirect_url: str | None = None
        self.refusal: Any = None  # the LbError of a request refused before routing
        self.abandoned = False  # the client left before the answer (460)
        self.classification: Any = None  # desync.Classification; None when Compliant
        self.close_after = False  # Ambiguous under defensive: close both connections after
        self.upgrade: bytes | None = None  # the Upgrade header of an upgrade request
        self.t_dispatched = -1.0
        self.t_target_done = -1.0
        self.t_responded = -1.0
        # The client connection's Head when this request repeated the last one byte for
        # byte: what was read off that head (and decided from it) is kept there.
        self.head: Head | None = None
