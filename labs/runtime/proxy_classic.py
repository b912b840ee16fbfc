"""Classic Load Balancer nodes: the ALB's HTTP machinery without rules, and a TCP relay.

``ClassicHttpNode`` serves HTTP and HTTPS listeners. It is an ``AlbNode`` (the same client
side, keep-alive pools to instances, X-Forwarded-For/Proto/Port in append mode, TLS
termination) whose one call down is ``labs.engine.classic.decide`` instead of the ALB's
rules; it adds the ``AWSELB`` cookie the engine asks for to the instance's answer.

``ClassicTcpNode`` serves TCP and SSL listeners (SSL: TLS ends at the node): per
connection one ``decide`` (round robin, no cookies), then bytes are copied both ways
untouched — no headers added (§8 "TCP listener") — and one ``flow`` event is reported
when the connection ends. Both reach instances only through ``Sandbox.endpoint``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace

from labs.engine import classic, events
from labs.engine.rules import NO_COOKIES
from labs.engine.spec import Action, Listener, LoadBalancer, Node

from .exchange import Exchange
from .limits import CONNECT_TIMEOUT
from .proxy_http import AlbNode, ProxyContext
from .sandbox import SandboxViolation
from .tls import ListenerCertificates, unverified_client

CHUNK = 65536


class ClassicHttpNode(AlbNode):
    """One node (one AZ) of a Classic LB serving one HTTP or HTTPS listener."""

    def __init__(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        ctx: ProxyContext,
        state: classic.State,
        certificates: ListenerCertificates | None = None,
    ) -> None:
        # The ALB router needs a default action; a CLB's is "forward to the instances".
        forward = Action(type="forward", target_groups=((lb.name, 1),))
        super().__init__(lb, node, _with_default(listener, forward), ctx, certificates)
        self.classic = state
        # InstanceProtocol HTTPS: the upstream connections to instances speak TLS (§8).
        if listener.instance_protocol in classic.TLS_INSTANCE_PROTOCOLS:
            self.target_tls = unverified_client()

    def dispatch(self, ex: Exchange) -> None:
        cookies = self._cookies(ex) if self.classic.policy is not None else NO_COOKIES
        decision = classic.decide(cookies, self.classic)
        ex.decision = decision
        ex.rule = "default"  # a CLB has no rules: every request takes the listener's forward
        ex.action = "forward"
        ex.target_group = self.lb.name
        if decision.lb_error is not None:
            self.answer_error(ex, decision.lb_error.status, decision.lb_error.cause)
        else:
            self._forward(ex, decision.target or "", decision.why)

    def target_answered(
        self,
        ex: Exchange,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        length: bytes | None = None,
    ) -> None:
        decision = ex.decision
        if isinstance(decision, classic.Decision) and not ex.abandoned:
            set_by_app = [v.decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"]
            ex.add_cookies += classic.set_cookies(
                decision, self.classic.policy, set_by_app, self.ctx.secret, ex.wall_start
            )
        super().target_answered(ex, status, reason, headers, body, length)


def _with_default(listener: Listener, action: Action) -> Listener:
    return replace(listener, default_actions=(action,))


class ClassicTcpNode:
    """One node of a Classic LB serving one TCP or SSL listener: a byte relay."""

    def __init__(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        ctx: ProxyContext,
        state: classic.State,
        report: Callable[[events.Event], None],
        certificates: ListenerCertificates | None = None,
    ) -> None:
        self.lb = lb
        self.node = node
        self.listener = listener
        self.ctx = ctx
        self.classic = state
        self.certificates = certificates
        # InstanceProtocol SSL: the node opens a TLS connection of its own to the instance.
        self.target_tls = (
            unverified_client()
            if listener.instance_protocol in classic.TLS_INSTANCE_PROTOCOLS
            else None
        )
        self._report = report
        self.host = ctx.sandbox.loopback(node.ip)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._relays: set[asyncio.Task[None]] = set()
        self._by_target: dict[str, set[asyncio.Task[None]]] = {}

    async def start(self, port: int = 0) -> None:
        context = self.certificates.default if self.certificates is not None else None
        self._server = await asyncio.start_server(
            self._serve, self.host, port, reuse_address=True, ssl=context
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def drained(self, target: str) -> None:
        """Connection draining ended: connections still open to ``target`` are closed."""
        for task in list(self._by_target.get(target, ())):
            task.cancel()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._relays):
            task.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is None:  # never: start_server runs each client in a task of its own
            return
        self._relays.add(task)
        host, port = writer.get_extra_info("peername")[:2]
        client_ip = self.ctx.sandbox.virtual(host) or host
        decision = classic.decide(NO_COOKIES, self.classic)
        flow = _Flow()
        try:
            if decision.target is not None:
                held = self._by_target.setdefault(decision.target, set())
                held.add(task)
                try:
                    await self._relay(reader, writer, decision.target, flow)
                finally:
                    held.discard(task)
        except asyncio.CancelledError:
            flow.state, flow.closed_by = "reset", "load_balancer"
            raise
        finally:
            self._relays.discard(task)
            writer.close()
            self._report_flow(client_ip, port, decision, flow)

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        target: str,
        flow: _Flow,
    ) -> None:
        try:
            endpoint = self.ctx.sandbox.endpoint(target)
            async with asyncio.timeout(self.ctx.clock.wall(CONNECT_TIMEOUT)):
                up_reader, up_writer = await asyncio.open_connection(
                    *endpoint, local_addr=(self.host, 0), ssl=self.target_tls
                )
        except (SandboxViolation, OSError, TimeoutError):
            flow.state, flow.closed_by = "reset", "load_balancer"
            return
        self.ctx.outstanding[target] = self.ctx.outstanding.get(target, 0) + 1
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(_copy(reader, up_writer, flow, "client"))
                group.create_task(_copy(up_reader, writer, flow, "target"))
        finally:
            self.ctx.outstanding[target] -= 1
            up_writer.close()

    def _report_flow(
        self, client_ip: str, client_port: int, decision: classic.Decision, flow: _Flow
    ) -> None:
        candidates = list(decision.choice.candidates) if decision.choice else []
        self._report(
            events.Flow(
                t=round(self.ctx.clock.now(), 3),
                emitted=time.time(),
                client_ip=client_ip,
                client_port=client_port,
                protocol=self.listener.protocol,
                lb=self.lb.name,
                node_az=self.node.az,
                target=decision.target,
                hash="-",  # a CLB balances TCP round robin, no flow hash
                bytes=flow.from_client + flow.from_target,
                reason=decision.why or (decision.lb_error.cause if decision.lb_error else None),
                state=flow.state if decision.target else "reset",
                node_ip=self.node.ip,
                listener=self.listener.port,
                target_group=self.lb.name,
                hash_value="",
                candidates=candidates,
                source_seen_by_target=self.node.ip if decision.target else None,
                proxy_protocol=False,
                bytes_from_client=flow.from_client,
                bytes_from_target=flow.from_target,
                closed_by=flow.closed_by or ("load_balancer" if not decision.target else None),
            )
        )


class _Flow:
    __slots__ = ("closed_by", "from_client", "from_target", "state")

    def __init__(self) -> None:
        self.from_client = 0
        self.from_target = 0
        self.state = "closed"
        self.closed_by: str | None = None


async def _copy(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flow: _Flow, side: str
) -> None:
    """Copy one direction until EOF, then half-close the other side."""
    try:
        while data := await reader.read(CHUNK):
            if side == "client":
                flow.from_client += len(data)
            else:
                flow.from_target += len(data)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        flow.state = "reset"
        flow.closed_by = flow.closed_by or side
        writer.close()  # the other direction reads EOF and ends too
        return
    if flow.closed_by is None:
        flow.closed_by = side
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
        else:  # TLS has no half-close (an SSL instance protocol): close_notify ends both ways
            writer.close()
