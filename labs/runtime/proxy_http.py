"""The Application Load Balancer node: an HTTP/1.1 reverse proxy on asyncio Protocols.

Per request the flow is plain method calls, no coroutine or Task: ``data_received`` →
httptools callbacks → ``routing.decide`` (the engine decides, once) →
one ``write`` to a pooled keep-alive connection to the target → httptools response
callbacks → one ``write`` back to the client. Only opening a new upstream connection
awaits. Finished exchanges go to ``record`` untouched; events are built later, off these
callbacks (``wire.EventSink``).

Targets are reached only through ``Sandbox.endpoint`` from the node's own loopback
address, so a target sees the node's (virtual private) address as its peer.

This module carries out the engine's decision (forward, redirect, fixed response, the
LB's own error); ``client_side`` speaks to clients and ``upstream`` to targets.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

from labs.engine import errors, lambda_targets, stickiness
from labs.engine.accesslog import target_group_arn
from labs.engine.actions import Redirect
from labs.engine.attributes import Stickiness, load_balancer_settings
from labs.engine.balancing import Algorithm, RoundRobin
from labs.engine.routing import (
    LAMBDA,
    NOT_ROUTED,
    Decision,
    GroupStates,
    decide,
    needs_cookies,
    plan,
)
from labs.engine.rules import NO_COOKIES, RequestFacts, Router
from labs.engine.spec import Action, Listener, LoadBalancer, Node, TargetGroup

from .client_side import FORWARDED, ClientConnection
from .clock import LabClock
from .exchange import Exchange
from .limits import CONNECT_TIMEOUT, REASONS
from .sandbox import Sandbox, SandboxViolation
from .tls import ListenerCertificates
from .upstream import UpstreamConnection, UpstreamPool
from .websocket import TunnelUpstream

REAP_SECONDS = 0.25  # wall seconds between looks for idle client connections


@dataclass(slots=True, kw_only=True)
class ProxyContext:
    """What every node of a run shares."""

    sandbox: Sandbox
    clock: LabClock
    groups: dict[str, TargetGroup]
    addresses: dict[str, list[str]]  # target group -> registered "ip:port"
    health: dict[str, dict[str, str]]  # target group -> target -> state
    algorithms: dict[str, Algorithm]
    outstanding: dict[str, int]
    record: Callable[[Exchange], None]
    rng: random.Random
    secret: bytes = b""  # signs stickiness cookies
    stickiness: dict[str, Stickiness] = field(default_factory=dict)  # per target group
    zones: dict[str, str] = field(default_factory=dict)  # target "ip:port" -> its AZ
    zonal_groups: frozenset[str] = frozenset()  # groups with cross-zone load balancing off
    new_algorithm: Callable[[str], Algorithm] = lambda group: RoundRobin()
    slow_start: dict[str, dict[str, float]] = field(default_factory=dict)  # group -> since
    slow_start_seconds: dict[str, float] = field(default_factory=dict)
    connections: set[asyncio.BaseTransport] = field(default_factory=set)
    # Security (spec §10), decided by labs.engine.security: whether a target admits a
    # source ("ip:port", virtual source ip), and why a client is dropped (None: admitted).
    target_admits: Callable[[str, str], bool] = lambda target, source: True
    client_dropped: Callable[[LoadBalancer, Node, int, str, bool], str | None] = (
        lambda lb, node, port, ip, through_nlb: None
    )
    # Real (host, port) of NLB upstream sockets: a connection from one came through an
    # NLB that has this ALB as its ``alb`` target (§6.5), whatever its source address.
    through_nlb: set[tuple[str, int]] = field(default_factory=set)


class AlbNode:
    """One node (one AZ) of one load balancer, serving one listener."""

    def __init__(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        ctx: ProxyContext,
        certificates: ListenerCertificates | None = None,
    ) -> None:
        self.lb = lb
        self.certificates = certificates  # HTTPS listeners: the certificates SNI picks from
        self.target_tls: ssl.SSLContext | None = None  # TLS to targets: Classic HTTPS only
        self.node = node
        self.listener = listener
        self.ctx = ctx
        self.host = ctx.sandbox.loopback(node.ip)
        self.port = 0  # the real port, once bound
        self._server: asyncio.Server | None = None
        self._pools: dict[str, UpstreamPool] = {}
        self.clients: set[ClientConnection] = set()
        self.waiting: set[UpstreamConnection] = set()  # sent a request, no answer yet
        self._reaper: asyncio.TimerHandle | None = None
        self.settings = load_balancer_settings(lb.attributes)
        self._router = Router(listener)
        self._needs_cookies = needs_cookies(self._router, ctx.stickiness)
        # Facts then come from the request line, Host and the connection alone.
        self._facts_alike = not self._needs_cookies and not self._router.needs_headers
        self._last_head: tuple[object, bytes] = ((), b"")  # (status, reason, headers), head
        # The last answer: (headers, body, status, reason, length, keep_alive, payload).
        self._last_reply: tuple[object, object, int, bytes, bytes | None, bool, bytes] = (
            None,
            None,
            0,
            b"",
            None,
            False,
            b"",
        )
        self._state = GroupStates(
            groups=ctx.groups,
            registered=ctx.addresses,
            health=ctx.health,
            algorithms=ctx.algorithms,
            stickiness=ctx.stickiness,
            secret=ctx.secret,
            node_az=node.az,
            zones=ctx.zones,
            zonal_groups=ctx.zonal_groups,
            new_algorithm=ctx.new_algorithm,
            slow_start=ctx.slow_start,
            slow_start_seconds=ctx.slow_start_seconds,
        )
        self._dropped: dict[tuple[str, bool], str | None] = {}  # why dropped (cached)
        proto, port = listener.protocol.lower(), listener.port
        self._forwarded = (  # per listener: what follows X-Forwarded-For, up to the trace id
            f"\r\nX-Forwarded-Proto: {proto}\r\nX-Forwarded-Port: {port}\r\nX-Amzn-Trace-Id: "
        ).encode()

    async def start(self, port: int = 0) -> None:
        """Listen on the node's loopback address (port 0: any free port)."""
        loop = asyncio.get_running_loop()
        context = self.certificates.default if self.certificates is not None else None
        self._server = await loop.create_server(
            lambda: ClientConnection(self), self.host, port, reuse_address=True, ssl=context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._reaper = loop.call_later(REAP_SECONDS, self._reap)

    def _reap(self) -> None:
        """Close client connections idle past the idle timeout (408 if mid-request) and
        ask for a close once a connection outlives client_keep_alive.seconds."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        idle = self.ctx.clock.wall(self.settings.idle_timeout)
        lifetime = self.ctx.clock.wall(self.settings.client_keep_alive)
        for client in list(self.clients):
            client.reap(now, idle, lifetime)
        for upstream in [u for u in self.waiting if u.deadline <= now]:
            upstream.timed_out()  # the target was silent for the idle timeout: 504
        self._reaper = loop.call_later(REAP_SECONDS, self._reap)

    def drops(self, client_ip: str, peer: tuple[str, int] | None = None) -> bool:
        """Whether a new connection from ``client_ip`` (real socket ``peer``) is dropped
        (scheme, LB SG)."""
        key = (client_ip, peer in self.ctx.through_nlb)
        if key not in self._dropped:
            self._dropped[key] = self.ctx.client_dropped(
                self.lb, self.node, self.listener.port, *key
            )
        return self._dropped[key] is not None

    def drained(self, target: str) -> None:
        """``target``'s deregistration delay expired: what is still in flight gets 502."""
        error = errors.DEREGISTRATION_DELAY_EXPIRED
        for upstream in [u for u in self.waiting if u.serving(target)]:
            upstream.cut(error.status, error.cause)

    def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self._server is not None:
            self._server.close()
        for pool in self._pools.values():
            pool.close()

    # --- routing -------------------------------------------------------------------------
    def dispatch(self, ex: Exchange) -> None:
        head = ex.head
        if head is not None and head.plan is not None and head.facts is not None:
            facts, planned = head.facts, head.plan  # a repeated head: both kept with it
        else:
            facts = self._facts(ex)
            planned = None
            if head is not None and head.facts is facts:  # the engine's plan, kept with them
                planned = head.plan = plan(facts, self._router)
        decision = decide(
            facts, self._router, self._state, self.ctx.clock.now(), self.ctx.rng, planned
        )
        ex.decision = decision
        ex.rule = decision.rule
        ex.action = None if decision.rule == NOT_ROUTED else decision.action.type
        ex.target_group = decision.target_group
        ex.group_reason = decision.group_why
        if decision.group_pin is not None:
            ex.add_cookies += stickiness.set_cookie_headers(
                stickiness.TG_COOKIE, stickiness.TG_COOKIE_CORS, decision.group_pin, ex.wall_start
            )
        issued = decision.authentication
        if issued is not None and issued.cookie is not None:  # a new authentication session
            ex.add_cookies.append(f"{issued.cookie}; Path=/; Secure; HttpOnly")
        if decision.lb_error is not None:
            self.answer_error(ex, decision.lb_error.status, decision.lb_error.cause)
        elif decision.redirect is not None:
            self._redirect(ex, decision.redirect)
        elif ex.action == "fixed-response":
            self._fixed_response(ex, decision.action)
        elif decision.why == LAMBDA:
            self._invoke_lambda(ex, self.ctx.groups[decision.target_group or ""], decision)
        else:
            self._forward(ex, decision.target or "", decision.why)

    def _facts(self, ex: Exchange) -> RequestFacts:
        head = ex.head
        if head is not None and head.facts is not None and self._facts_alike:
            return head.facts  # a repeated head (client_side.Head): facts read-only
        if self._facts_alike:
            # A connection usually repeats its request as the rules see it, and facts are
            # read-only: the last request's serve again (a tuple compare, no new object).
            seen = (ex.method, ex.host, ex.path, ex.query, ex.version, ex.upgrade)
            last: tuple[tuple[object, ...], RequestFacts] | None = ex.client.facts
            if last is not None and last[0] == seen:
                if head is not None:
                    head.facts = last[1]
                return last[1]
        facts = RequestFacts(
            method=ex.method,
            host=ex.host,
            path=ex.path,
            query=ex.query,
            headers=tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in ex.headers)
            if self._router.needs_headers
            else (),
            source_ip=ex.client_ip,
            cookies=self._cookies(ex) if self._needs_cookies else NO_COOKIES,
            version=ex.version,
            upgrade=ex.upgrade is not None,
        )
        if self._facts_alike:
            ex.client.facts = (seen, facts)
            if head is not None:
                head.facts = facts
        return facts

    def _fixed_response(self, ex: Exchange, action: Action) -> None:
        config = action.fixed_response or {}
        body = config.get("MessageBody", "").encode()
        # The default content type is undocumented (spec Appendix B): text/plain.
        content_type = config.get("ContentType", "text/plain").encode()
        status = int(config.get("StatusCode", "200"))
        self._reply(
            ex,
            status,
            REASONS.get(status, b""),
            [(b"Server", b"awselb/2.0"), (b"Content-Type", content_type)],
            body,
        )

    def _redirect(self, ex: Exchange, answer: Redirect) -> None:
        ex.redirect_url = answer.location
        headers = [
            (b"Server", b"awselb/2.0"),
            (b"Content-Type", b"text/html"),
            (b"Location", answer.location.encode("latin-1")),
        ]
        if ex.add_cookies:
            headers += [(b"Set-Cookie", c.encode("latin-1")) for c in ex.add_cookies]
        self._reply(ex, answer.status, REASONS[answer.status], headers, b"")

    def _cookies(self, ex: Exchange) -> dict[str, str]:
        if ex.cookies is None:
            ex.cookies = stickiness.cookies(
                [v.decode("latin-1") for k, v in ex.headers if k.lower() == b"cookie"]
            )
        return ex.cookies

    def _forward(self, ex: Exchange, target: str, why: str | None) -> None:
        """Carry a decided forward to its target: pooled connection, or a tunnel."""
        ctx = self.ctx
        ex.target = target
        ex.reason = why
        try:
            endpoint = ctx.sandbox.endpoint(target)
        except SandboxViolation:
            error = errors.TARGET_NOT_IN_SANDBOX
            self.answer_error(ex, error.status, error.cause)
            return
        pool = self._pools.get(target)
        admitted = ctx.target_admits(target, self.node.ip)  # its security group, as it is now
        if pool is None or pool.endpoint != endpoint:  # a stopped target moves (targets.py)
            pool = self._pools[target] = UpstreamPool(self, endpoint, admitted)
        pool.admitted = admitted
        ctx.outstanding[target] = ctx.outstanding.get(target, 0) + 1
        ex.t_dispatched = perf_counter()
        if ex.upgrade:
            self._open_tunnel(ex, pool.endpoint)
        else:
            pool.send(ex, self._upstream_request(ex))

    def _open_tunnel(self, ex: Exchange, endpoint: tuple[str, int]) -> None:
        """A WebSocket upgrade: a connection of its own to the target, never pooled."""
        task = asyncio.get_running_loop().create_task(self._tunnel(ex, endpoint))
        ex.client.hold(task)

    async def _tunnel(self, ex: Exchange, endpoint: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        client = ex.client

        def answered(status: int, received: bytes) -> None:
            self._release(ex)
            if not ex.abandoned:  # else logged 460 already, and that record stays
                ex.target_status = status
                ex.t_target_done = ex.t_responded = perf_counter()
                ex.elb_status = status
                ex.sent = len(received)
                self.ctx.record(ex)
            client.tunnel(upstream, received, upgraded=status == 101)

        upstream = TunnelUpstream(
            self._upstream_request(ex), answered, client.upstream_closed, self.ctx.connections
        )
        try:
            async with asyncio.timeout(self.ctx.clock.wall(CONNECT_TIMEOUT)):
                await loop.create_connection(lambda: upstream, *endpoint, local_addr=(self.host, 0))
        except TimeoutError:
            self.target_failed(ex, 504, "TargetConnectTimeout")
        except OSError:
            self.target_failed(ex, 502, "TargetConnectionError")

    def _invoke_lambda(self, ex: Exchange, group: TargetGroup, decision: Decision) -> None:
        """Call the group's built-in function in-process, as ALB invokes Lambda (spec §5)."""
        function = group.targets[0]  # decide() answers 503 for a group without a handler
        ex.reason = LAMBDA
        ex.target = decision.target
        ex.t_dispatched = perf_counter()
        multi_value = group.attributes.get("lambda.multi_value_headers.enabled") == "true"
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in ex.headers
            if k.lower() not in FORWARDED
        ]
        headers += [
            ("host", ex.host),
            ("x-amzn-trace-id", ex.trace_id),
            ("x-forwarded-port", str(self.listener.port)),
            ("x-forwarded-proto", self.listener.protocol.lower()),
        ]
        if ex.xff is not None:
            headers.append(("x-forwarded-for", ex.xff))
        try:
            event = lambda_targets.event(
                method=ex.method,
                path=ex.path,
                query=ex.query,
                headers=headers,
                body=ex.body,
                target_group_arn=target_group_arn(group.name),
                multi_value=multi_value,
            )
            answer = lambda_targets.invoke(
                function.handler or "",
                event,
                multi_value=multi_value,
                reserved_concurrency=function.reserved_concurrency,
            )
        except lambda_targets.LambdaError as error:
            self.answer_error(ex, error.status, error.reason)
            return
        ex.target_status = answer.status
        ex.t_target_done = perf_counter()
        self._reply(
            ex,
            answer.status,
            REASONS.get(answer.status, b""),
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers],
            answer.body,
        )

    def _upstream_request(self, ex: Exchange) -> bytes:
        head = ex.head
        if head is not None and not ex.upgrade and not ex.body:
            # A body-less request of a repeated head: only the trace id is new.
            start = head.to_target
            if start is None:
                start = head.to_target = self._request_start(ex)
            if ex.method in ("POST", "PUT", "PATCH"):
                return b"".join((start, ex.trace_id.encode(), _EMPTY_BODY))
            return b"".join((start, ex.trace_id.encode(), b"\r\n\r\n"))
        parts = [self._request_start(ex), ex.trace_id.encode(), b"\r\n"]
        if ex.upgrade:  # hop-by-hop, yet exactly what an upgrade must pass on
            parts += [b"Connection: Upgrade\r\nUpgrade: ", ex.upgrade, b"\r\n"]
        if ex.body or ex.method in ("POST", "PUT", "PATCH"):
            parts += [b"Content-Length: ", str(len(ex.body)).encode(), b"\r\n"]
        parts += [b"\r\n", ex.body]
        return b"".join(parts)

    def _request_start(self, ex: Exchange) -> bytes:
        """The target's request up to its trace id's value (what a repeat shares)."""
        # ex.passed: the client's headers but hop-by-hop and those the ALB writes, as sent.
        parts = [ex.method.encode(), b" ", ex.url, b" HTTP/1.1\r\n", ex.passed, b"Host: "]
        parts.append(ex.host.encode("latin-1"))
        if ex.xff is not None:
            parts += [b"\r\nX-Forwarded-For: ", ex.xff.encode("latin-1")]
        parts.append(self._forwarded)
        return b"".join(parts)

    # --- answers -------------------------------------------------------------------------
    def target_answered(
        self,
        ex: Exchange,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        length: bytes | None = None,
    ) -> None:
        """The target's answer; ``headers`` without hop-by-hop ones, ``length`` its
        Content-Length (what a response to HEAD reports)."""
        if ex.target is not None and ex.reason != LAMBDA:  # _release, inline
            self.ctx.outstanding[ex.target] -= 1
        if ex.abandoned:
            return  # logged 460 when the client left: that record stays as it was
        ex.target_status = status
        ex.t_target_done = perf_counter()
        policy = self.ctx.stickiness.get(ex.target_group or "")
        if policy is not None:
            self._pin(ex, policy, headers)
        if ex.add_cookies:
            headers = headers + [(b"Set-Cookie", c.encode("latin-1")) for c in ex.add_cookies]
        if ex.method == "HEAD":  # the target's length describes the body HEAD leaves out
            self._reply(ex, status, reason, headers, b"", length or b"0")
        else:
            self._reply(ex, status, reason, headers, body)

    def _pin(self, ex: Exchange, policy: Stickiness, headers: list[tuple[bytes, bytes]]) -> None:
        """Issue or renew the stickiness cookie after a target's answer (spec §2.7)."""
        if policy.type == "app_cookie":
            set_by_target = [v.decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"]
            pinned = (ex.reason or "").startswith("sticky:")
            if not pinned and not stickiness.response_sets_cookie(
                set_by_target, policy.cookie_name or ""
            ):
                return  # AWS issues AWSALBAPP only once the application sets its cookie
            name, cors = stickiness.APP_COOKIE, None
        else:
            name, cors = stickiness.LB_COOKIE, stickiness.LB_COOKIE_CORS
        value = stickiness.encode(
            stickiness.Pin(
                ex.target_group or "", ex.target or "", self.ctx.clock.now() + policy.duration
            ),
            self.ctx.secret,
        )
        ex.add_cookies += stickiness.set_cookie_headers(name, cors, value, ex.wall_start)

    def target_failed(self, ex: Exchange, status: int, error: str) -> None:
        self._release(ex)
        if not ex.abandoned:
            self.answer_error(ex, status, error)

    def _release(self, ex: Exchange) -> None:
        if ex.target is not None and ex.reason != LAMBDA:
            self.ctx.outstanding[ex.target] -= 1

    def answer_error(self, ex: Exchange, status: int, error: str) -> None:
        ex.error_reason = error
        body = (
            b"<html><body><h1>"
            + str(status).encode()
            + b" "
            + REASONS.get(status, b"")
            + b"</h1></body></html>\r\n"
        )
        self._reply(
            ex,
            status,
            REASONS.get(status, b""),
            [(b"Server", b"awselb/2.0"), (b"Content-Type", b"text/html")],
            body,
        )

    def _reply(
        self,
        ex: Exchange,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        length: bytes | None = None,
    ) -> None:
        if ex.abandoned:
            return  # logged as 460 when the client went away; the record must stay so
        ex.elb_status = status
        ex.response_headers = headers  # the event picks Location and Set-Cookie, per batch
        # The target's memo (upstream) hands over the same headers and body objects while
        # it answers alike: then the whole answer is the last one again.
        last = self._last_reply
        if (
            last[0] is headers
            and last[1] is body
            and last[2] == status
            and last[3] == reason
            and last[4] == length
            and last[5] == ex.keep_alive
        ):
            payload = last[6]
        else:
            payload = self._answer(status, reason, headers, body, length, ex.keep_alive)
            self._last_reply = (headers, body, status, reason, length, ex.keep_alive, payload)
        ex.sent = len(payload)
        ex.t_responded = perf_counter()
        ex.client.respond(ex, payload)
        self.ctx.record(ex)

    def _answer(
        self,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        length: bytes | None,
        keep_alive: bool,
    ) -> bytes:
        """The client's answer, as bytes."""
        # A target answers alike again and again: the head up to its Content-Length is
        # kept from the last answer while status, reason and headers are the same.
        seen = (status, reason, headers)
        last, head = self._last_head
        if seen != last:
            parts = [_status_line(status, reason)]
            for name, value in headers:
                parts += [name, b": ", value, b"\r\n"]
            parts.append(b"Content-Length: ")
            head = b"".join(parts)
            self._last_head = (seen, head)
        return b"".join(
            (
                head,
                length or b"%d" % len(body),
                b"\r\n\r\n" if keep_alive else b"\r\nConnection: close\r\n\r\n",
                body,
            )
        )


_EMPTY_BODY = b"\r\nContent-Length: 0\r\n\r\n"
_STATUS_LINES: dict[tuple[int, bytes], bytes] = {}


def _status_line(status: int, reason: bytes) -> bytes:
    line = _STATUS_LINES.get((status, reason))
    if line is None:
        line = b"HTTP/1.1 %d %s\r\n" % (status, reason)
        if len(_STATUS_LINES) < 1024:  # a target may make up reasons: stay bounded
            _STATUS_LINES[status, reason] = line
    return line
