"""The Application Load Balancer node: an HTTP/1.1 reverse proxy on asyncio Protocols.

Per request the flow is plain method calls, no coroutine or Task: ``data_received`` →
httptools callbacks → ``rules.route`` and ``balancing.choose`` (the engine decides) →
one ``write`` to a pooled keep-alive connection to the target → httptools response
callbacks → one ``write`` back to the client. Only opening a new upstream connection
awaits. Finished exchanges go to ``record`` untouched; events are built per batch.

Targets are reached only through ``Sandbox.endpoint`` from the node's own loopback
address, so a target sees the node's (virtual private) address as its peer.

This module decides (routing, actions, answers); ``client_side`` speaks to clients and
``upstream`` to targets.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

from labs.engine import actions, lambda_targets, stickiness
from labs.engine.accesslog import target_group_arn
from labs.engine.attributes import Stickiness, load_balancer_settings
from labs.engine.balancing import (
    Algorithm,
    Choice,
    NoRegisteredTargets,
    RoundRobin,
    choose,
    slow_start_share,
)
from labs.engine.health import HEALTHY
from labs.engine.rules import RequestFacts, Router
from labs.engine.spec import Action, Listener, LoadBalancer, Node, TargetGroup

from .client_side import ClientConnection
from .clock import LabClock
from .exchange import Exchange
from .limits import CONNECT_TIMEOUT, REASONS
from .sandbox import Sandbox, SandboxViolation
from .tls import ListenerCertificates
from .upstream import UpstreamConnection, UpstreamPool
from .websocket import TunnelUpstream

REAP_SECONDS = 0.25  # wall seconds between looks for idle client connections
_FORWARDED = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-port",
        b"x-amzn-trace-id",
        b"expect",
    }
)  # the ALB writes (or answers) these
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
    }
)


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
        self.node = node
        self.listener = listener
        self.ctx = ctx
        self.host = ctx.sandbox.loopback(node.ip)
        self.port = 0  # the real port, once bound
        self._server: asyncio.Server | None = None
        self._pools: dict[str, UpstreamPool] = {}
        self.clients: set[ClientConnection] = set()
        self.waiting: set[UpstreamConnection] = set()  # sent a request, no answer yet
        self._zonal_algorithms: dict[str, Algorithm] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self.settings = load_balancer_settings(lb.attributes)
        self._router = Router(listener)
        self._xfp = listener.protocol.lower().encode()
        self._xfport = str(listener.port).encode()

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

    def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self._server is not None:
            self._server.close()
        for pool in self._pools.values():
            pool.close()

    # --- routing -------------------------------------------------------------------------
    def dispatch(self, ex: Exchange) -> None:
        headers = (
            tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in ex.headers)
            if self._router.needs_headers
            else ()
        )
        facts = RequestFacts(
            method=ex.method,
            host=ex.host,
            path=ex.path,
            query=ex.query,
            headers=headers,
            source_ip=ex.client_ip,
        )
        matched = self._router.route(facts)
        ex.rule = matched.rule
        action = matched.actions[0]
        ex.action = action.type
        if action.type == "forward":
            self._forward(ex, action)
        elif action.type == "redirect":
            self._redirect(ex, action)
        elif action.type == "fixed-response":
            self._fixed_response(ex, action)
        else:
            self.answer_error(ex, 500, "UnsupportedAction")

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

    def _redirect(self, ex: Exchange, action: Action) -> None:
        original = actions.OriginalRequest(
            protocol=self.listener.protocol,
            host=ex.host.split(":", 1)[0],
            port=self.listener.port,
            path=ex.path,
            query=ex.query,
        )
        try:
            answer = actions.redirect(action.redirect or {}, original)
        except actions.RedirectTooLong:
            self.answer_error(ex, 500, "RedirectUrlLimitExceeded")
            return
        ex.redirect_url = answer.location
        self._reply(
            ex,
            answer.status,
            REASONS[answer.status],
            [
                (b"Server", b"awselb/2.0"),
                (b"Content-Type", b"text/html"),
                (b"Location", answer.location.encode("latin-1")),
            ],
            b"",
        )

    def _pick_group(self, ex: Exchange, action: Action) -> str:
        groups = action.target_groups
        if len(groups) == 1:
            return groups[0][0]
        names = [name for name, _ in groups]
        sticky = action.stickiness is not None and action.stickiness[0]
        if sticky:
            pin = stickiness.valid_pin(
                self._cookies(ex).get(stickiness.TG_COOKIE),
                group="+".join(names),
                now=self.ctx.clock.now(),
                secret=self.ctx.secret,
            )
            if pin is not None and pin.target in names:
                ex.group_reason = f"sticky:{stickiness.TG_COOKIE}"
                return pin.target
        weights = [weight for _, weight in groups]
        ex.group_reason = "weighted"
        # All weights 0 is undocumented (spec Appendix B): we use the first group.
        choice = self.ctx.rng.choices(names, weights)[0] if any(weights) else names[0]
        if sticky and action.stickiness is not None:
            pin_value = stickiness.encode(
                stickiness.Pin(
                    "+".join(names), choice, self.ctx.clock.now() + action.stickiness[1]
                ),
                self.ctx.secret,
            )
            ex.add_cookies += stickiness.set_cookie_headers(
                stickiness.TG_COOKIE, stickiness.TG_COOKIE_CORS, pin_value, ex.wall_start
            )
        return choice

    def _cookies(self, ex: Exchange) -> dict[str, str]:
        if ex.cookies is None:
            ex.cookies = stickiness.cookies(
                [v.decode("latin-1") for k, v in ex.headers if k.lower() == b"cookie"]
            )
        return ex.cookies

    def _sticky_choice(self, ex: Exchange, group: str, policy: Stickiness) -> Choice | None:
        """The pinned target, when the client's cookie names a healthy one of this group."""
        name = stickiness.LB_COOKIE if policy.type == "lb_cookie" else stickiness.APP_COOKIE
        pin = stickiness.valid_pin(
            self._cookies(ex).get(name),
            group=group,
            now=self.ctx.clock.now(),
            secret=self.ctx.secret,
        )
        if pin is None or self.ctx.health[group].get(pin.target) != HEALTHY:
            return None
        return Choice(pin.target, f"sticky:{name}")

    def _forward(self, ex: Exchange, action: Action) -> None:
        ctx = self.ctx
        group = self._pick_group(ex, action)
        ex.target_group = group
        if ctx.groups[group].target_type == "lambda":
            self._invoke_lambda(ex, ctx.groups[group])
            return
        policy = ctx.stickiness.get(group)
        choice = self._sticky_choice(ex, group, policy) if policy is not None else None
        if choice is None:
            zonal = group in ctx.zonal_groups
            registered = ctx.addresses[group]
            if zonal:  # cross-zone off: this node only uses targets in its own zone (§9)
                registered = [t for t in registered if ctx.zones.get(t) == self.node.az]
            try:
                choice = choose(
                    registered,
                    ctx.health[group],
                    self._algorithm(group, zonal),
                    self._ramping(group),
                    ctx.rng,
                )
            except NoRegisteredTargets:
                self.answer_error(
                    ex,
                    503,
                    "NoTargetsInZone" if zonal and ctx.addresses[group] else "NoRegisteredTargets",
                )
                return
        ex.target = choice.target
        ex.reason = choice.reason
        try:
            endpoint = ctx.sandbox.endpoint(choice.target)
        except SandboxViolation:
            self.answer_error(ex, 502, "TargetNotInSandbox")
            return
        pool = self._pools.get(choice.target)
        if pool is None or pool.endpoint != endpoint:  # a stopped target moves (targets.py)
            pool = self._pools[choice.target] = UpstreamPool(self, endpoint)
        ctx.outstanding[choice.target] = ctx.outstanding.get(choice.target, 0) + 1
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
            ex.target_status = status
            ex.t_target_done = perf_counter()
            self._release(ex)
            ex.elb_status = status
            ex.sent = len(received)
            ex.t_responded = perf_counter()
            if not ex.abandoned:
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

    def _ramping(self, group: str) -> dict[str, float] | None:
        """Targets of ``group`` in slow start, with their share now; done ones leave."""
        since = self.ctx.slow_start.get(group)
        if not since:
            return None
        now, duration = self.ctx.clock.now(), self.ctx.slow_start_seconds[group]
        shares = {t: slow_start_share(start, now, duration) for t, start in since.items()}
        for target, share in shares.items():
            if share >= 1.0:
                del since[target]
        return shares

    def _algorithm(self, group: str, zonal: bool) -> Algorithm:
        if not zonal:
            return self.ctx.algorithms[group]
        # Each node balances its own zone's targets: a rotation of its own.
        algorithm = self._zonal_algorithms.get(group)
        if algorithm is None:
            algorithm = self._zonal_algorithms[group] = self.ctx.new_algorithm(group)
        return algorithm

    def _invoke_lambda(self, ex: Exchange, group: TargetGroup) -> None:
        """Call the group's built-in function in-process, as ALB invokes Lambda (spec §5)."""
        function = group.targets[0] if group.targets else None
        if function is None or function.handler is None:
            self.answer_error(ex, 503, "NoRegisteredTargets")
            return
        ex.reason = "lambda"
        ex.target = function.id
        ex.t_dispatched = perf_counter()
        multi_value = group.attributes.get("lambda.multi_value_headers.enabled") == "true"
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in ex.headers
            if k.lower() not in _FORWARDED
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
            answer = lambda_targets.invoke(function.handler, event, multi_value=multi_value)
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
        parts = [ex.method.encode(), b" ", ex.url, b" HTTP/1.1\r\n"]
        for name, value in ex.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP or lower in _FORWARDED:
                continue
            parts += [name, b": ", value, b"\r\n"]
        parts += [
            b"Host: ",
            ex.host.encode("latin-1"),
            b"\r\n",
        ]
        if ex.xff is not None:
            parts += [b"X-Forwarded-For: ", ex.xff.encode("latin-1"), b"\r\n"]
        parts += [
            b"X-Forwarded-Proto: ",
            self._xfp,
            b"\r\n",
            b"X-Forwarded-Port: ",
            self._xfport,
            b"\r\n",
            b"X-Amzn-Trace-Id: ",
            ex.trace_id.encode(),
            b"\r\n",
        ]
        if ex.upgrade:  # hop-by-hop, yet exactly what an upgrade must pass on
            parts += [b"Connection: Upgrade\r\nUpgrade: ", ex.upgrade, b"\r\n"]
        if ex.body or ex.method in ("POST", "PUT", "PATCH"):
            parts += [b"Content-Length: ", str(len(ex.body)).encode(), b"\r\n"]
        parts += [b"\r\n", ex.body]
        return b"".join(parts)

    # --- answers -------------------------------------------------------------------------
    def target_answered(
        self,
        ex: Exchange,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        ex.target_status = status
        ex.t_target_done = perf_counter()
        self._release(ex)
        kept = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        policy = self.ctx.stickiness.get(ex.target_group or "")
        if policy is not None:
            self._pin(ex, policy, headers)
        for cookie in ex.add_cookies:
            kept.append((b"Set-Cookie", cookie.encode("latin-1")))
        if ex.method == "HEAD":  # the target's length describes the body HEAD leaves out
            length = next((v for k, v in headers if k.lower() == b"content-length"), b"0")
            self._reply(ex, status, reason, kept, b"", length)
        else:
            self._reply(ex, status, reason, kept, body)

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
        self.answer_error(ex, status, error)

    def _release(self, ex: Exchange) -> None:
        if ex.target is not None and ex.reason != "lambda":
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
        parts = [b"HTTP/1.1 ", str(status).encode(), b" ", reason, b"\r\n"]
        for name, value in headers:
            parts += [name, b": ", value, b"\r\n"]
        parts += [b"Content-Length: ", length or str(len(body)).encode(), b"\r\n"]
        if not ex.keep_alive:
            parts.append(b"Connection: close\r\n")
        parts += [b"\r\n", body]
        ex.response_headers = headers  # the event picks Location and Set-Cookie, per batch
        payload = b"".join(parts)
        ex.sent = len(payload)
        ex.t_responded = perf_counter()
        ex.client.respond(ex, payload)
        self.ctx.record(ex)
