"""The Network Load Balancer node: a TCP pass-through on asyncio Protocols (spec §6).

A client connects to the node's own loopback address (its static IP). The node hands the
connection's 5-tuple to the engine (``flows.FlowTable.route``), which picks the target
and says why; the node then opens one upstream connection and copies bytes both ways,
untouched, with flow control (a full write buffer on one side pauses reading on the
other). Half-closes pass through; a reset on one side resets the other.

Client IP preservation is real: with ``preserve_client_ip.enabled`` the upstream socket
is bound to the client's own loopback address and port, so the target's socket sees the
client as its peer, exactly what an instance behind an NLB sees. Off, it is bound to the
node's address. (Sharing the client's port needs SO_REUSEADDR on both sockets; a client
that did not set it keeps its address but the kernel picks the port.) With
``proxy_protocol_v2.enabled`` the node writes a PPv2 header before the first byte.

Every flow is reported twice as a ``flow`` event: when it is set up (``state: open``,
or ``reset`` when there was nowhere to send it) and when it ends (``closed``/``reset``).
Idle flows are reset after the listener's idle timeout on the lab clock (§6.2).

A TLS listener (§6.5) terminates TLS with certificates from the run's CA (SNI picks one,
as ``tls.ListenerCertificates`` does for ALB) and opens plain TCP to a TCP target group
or a new TLS session to a TLS one, without validating the target's certificate. TLS has
no half-close: a client's close_notify ends the flow.
"""

from __future__ import annotations

import _socket
import asyncio
import errno
import os
import socket
import ssl
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from labs.engine import attributes, events, proxy_protocol
from labs.engine.events import Wire
from labs.engine.flows import (
    DEREGISTERED,
    TCP,
    UNHEALTHY_TARGET,
    FlowDecision,
    FlowKey,
    FlowTable,
    Pool,
    ends_flows_of_unhealthy,
    ends_flows_when_drained,
)
from labs.engine.spec import Listener, LoadBalancer, Node

from .limits import CONNECT_TIMEOUT
from .proxy_http import ProxyContext
from .sandbox import SandboxViolation
from .sockets import wait_connected

if TYPE_CHECKING:  # the UDP node builds its flow events here too
    from .proxy_udp import UdpNlbNode
from .tls import ListenerCertificates
from .wire import DeferredFlow

REAP_SECONDS = 0.25  # wall seconds between looks for idle flows
Report = Callable[[events.Flow | DeferredFlow], None]
_LINGER_ZERO = struct.pack("ii", 1, 0)  # close() then sends RST, not FIN
_IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux 4.2+


class NlbNode:
    """One node (one AZ) of one Network Load Balancer, serving one TCP or TLS listener."""

    def __init__(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        ctx: ProxyContext,
        report: Report,
        seed: bytes = b"",
        certificates: ListenerCertificates | None = None,
    ) -> None:
        self.lb = lb
        self.certificates = certificates  # TLS listeners: the certificates SNI picks from
        self.node = node
        self.listener = listener
        self.ctx = ctx
        self.report = report
        self.host = ctx.sandbox.loopback(node.ip)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._reaper: asyncio.TimerHandle | None = None
        # An NLB listener forwards to exactly one target group (§6.1).
        self.group = ctx.groups[listener.default_actions[0].target_groups[0][0]]
        group = self.group
        self.cross_zone = attributes.nlb_cross_zone(group.attributes, lb.attributes)
        self.preserve_client_ip = attributes.preserve_client_ip(
            group.attributes, group.target_type, group.protocol
        )
        self.proxy_protocol = attributes.proxy_protocol_v2(group.attributes)
        self.target_tls = _no_verify() if group.protocol == "TLS" else None
        self.to_alb = group.target_type == "alb"  # its nodes admit what comes through us
        self.flows = FlowTable(
            node_az=node.az,
            seed=seed,
            tcp_idle_timeout=attributes.tcp_idle_timeout(listener.attributes),
        )
        self.live: dict[FlowKey, Flow] = {}
        self._pool: Pool | None = None  # what pool() last built
        self._dropped: dict[str, str | None] = {}  # client address -> why it is dropped
        self.processed = 0  # bytes both ways since the metrics window last took them
        self.loop: asyncio.AbstractEventLoop  # set by start()

    async def start(self, port: int = 0) -> None:
        self.loop = loop = asyncio.get_running_loop()
        context = self.certificates.default if self.certificates is not None else None
        self._server = await loop.create_server(
            lambda: _ClientSide(self), self.host, port, reuse_address=True, ssl=context
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._reaper = loop.call_later(REAP_SECONDS, self._reap)

    def drained(self, target: str) -> None:
        """``target``'s deregistration delay expired: the engine says whether its flows
        are reset (``deregistration_delay.connection_termination.enabled``)."""
        members = {t.address for t in self.group.targets}  # no longer registered
        if target in members and ends_flows_when_drained(
            self.group.attributes, self.group.protocol
        ):
            for flow in [f for f in self.live.values() if f.decision.target == target]:
                flow.reset(DEREGISTERED)

    def unhealthy(self, target: str) -> None:
        """``target`` turned unhealthy: the engine says whether its flows are reset."""
        if target not in self.ctx.addresses[self.group.name]:
            return
        if ends_flows_of_unhealthy(self.group.attributes, self.pool()):
            for flow in [f for f in self.live.values() if f.decision.target == target]:
                flow.reset(UNHEALTHY_TARGET)

    def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        if self._server is not None:
            self._server.close()
        for flow in list(self.live.values()):
            flow.reset("load_balancer")

    def pool(self) -> Pool:
        """The group as the engine reads it. The run changes the lists and dicts it holds
        in place or swaps them: the same Pool serves while they are the same objects."""
        name, ctx, pool = self.group.name, self.ctx, self._pool
        targets, health = ctx.addresses[name], ctx.health[name]
        if (
            pool is None
            or pool.targets is not targets
            or pool.health is not health
            or pool.zones is not ctx.zones
        ):
            pool = self._pool = Pool(
                targets=targets, zones=ctx.zones, health=health, cross_zone=self.cross_zone
            )
        return pool

    def _reap(self) -> None:
        for key in self.flows.expire(self.ctx.clock.now()):
            flow = self.live.get(key)
            if flow is not None:
                flow.reset("idle_timeout")
        self._reaper = asyncio.get_running_loop().call_later(REAP_SECONDS, self._reap)

    def accept(self, transport: asyncio.Transport) -> Flow | None:
        host, port = transport.get_extra_info("peername")[:2]
        source_ip = self.ctx.sandbox.virtual(host) or host
        if self._drops(source_ip):
            # Dropped as AWS drops the SYN (an internal NLB or a node with no internet
            # route, to a client outside the VPC; the NLB's own security groups): never
            # answered, no flow; the client's own timeout ends it.
            transport.pause_reading()
            self.ctx.connections.add(transport)
            return None
        key = FlowKey(
            protocol=TCP,
            source_ip=source_ip,
            source_port=port,
            destination_ip=self.node.ip,
            destination_port=self.listener.port,
        )
        decision = self.flows.route(key, self.pool(), self.ctx.clock.now())
        flow = Flow(self, decision, transport, (host, port))
        if self.certificates is not None:
            flow.tls = self._tls(transport)
        if decision.target is None:
            flow.reset(None)
        else:
            flow.connect()
        return flow

    def _drops(self, source_ip: str) -> bool:
        if source_ip not in self._dropped:
            self._dropped[source_ip] = self.ctx.client_dropped(
                self.lb, self.node, self.listener.port, source_ip, False
            )
        return self._dropped[source_ip] is not None

    def _tls(self, transport: asyncio.Transport) -> dict[str, str | bool | None] | None:
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is None or self.certificates is None:
            return None
        server_name = self.certificates.server_name(ssl_object)
        cipher = ssl_object.cipher()
        return {
            "server_name": server_name,
            "certificate": self.certificates.chosen(server_name)[0],
            "version": ssl_object.version(),
            "cipher": cipher[0] if cipher else None,
            "to_target": self.target_tls is not None,
        }


class _UpstreamSocket(socket.socket):
    """A socket born non-blocking (SOCK_NONBLOCK): the loop's ``setblocking(False)`` on it
    when it becomes a transport would be one more ioctl per flow. The loop reads its family
    and type: as plain ints, not the enum members socket.socket looks up each time."""

    __slots__ = ()

    def setblocking(self, flag: bool) -> None:
        if flag:
            super().setblocking(flag)

    @property
    def family(self) -> socket.AddressFamily:
        return cast(socket.AddressFamily, _socket.socket.family.__get__(self))

    @property
    def type(self) -> socket.SocketKind:
        return cast(socket.SocketKind, _socket.socket.type.__get__(self))


def _no_verify() -> ssl.SSLContext:
    """The node as a TLS client of its targets: certificates are not validated (§6.5)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Flow:
    """One client connection and its upstream connection, and what went through."""

    __slots__ = (
        "_client_eof",
        "_closed_first",
        "_early",
        "_names",
        "_source",
        "_target_eof",
        "client",
        "client_socket",
        "connecting",
        "decision",
        "ended",
        "from_client",
        "from_target",
        "key",
        "node",
        "seen_as",
        "target",
        "through_nlb",
        "tls",
    )

    def __init__(
        self,
        node: NlbNode,
        decision: FlowDecision,
        client: asyncio.Transport,
        client_socket: tuple[str, int],
    ) -> None:
        self.node = node
        self.decision = decision
        self.key = decision.key
        self.client = client
        self.client_socket = client_socket  # real (loopback host, port)
        self.target: asyncio.Transport | None = None
        self.connecting: asyncio.Task[None] | None = None
        self.from_client = 0
        self.from_target = 0
        self.seen_as: str | None = None  # the source address the target sees (virtual)
        self.through_nlb: tuple[str, int] | None = None  # our socket, as an ALB sees it
        self.tls: dict[str, str | bool | None] | None = None
        self.ended = False
        self._client_eof = False  # a FIN came from the client
        self._target_eof = False  # and from the target
        self._closed_first: str | None = None
        self._early: list[bytes] = []  # client bytes that came before the target connected
        self._source: tuple[str, int] | None = None  # our socket's address, when bound to it
        self._names: tuple[str, str] | None = None  # the 5-tuple and its hash, as events say
        # The loop's create_connection coroutine on the usual path, stepped by hand (no
        # Task), and the socket it wraps.
        node.live[self.key] = self
        node.ctx.connections.add(client)

    # --- setting up ------------------------------------------------------------------
    def connect(self) -> None:
        """Open the upstream socket. On loopback the handshake is over (or refused) by the
        time connect() returns, so the usual case needs no wait for writability: the
        socket goes straight to a transport (no timer, no pause of the client: what it
        sends meanwhile waits in _early). A TLS handshake to the target, or a
        PPv2 header the socket did not take, waits in a Task with the client paused.
        A handshake still under way (a full accept queue) takes the patient path."""
        node = self.node
        # Not the cheaper C _socket.socket: uvloop then closes its fd twice (EBADF once per
        # flow; with another thread opening files in between, someone else's descriptor).
        sock = _UpstreamSocket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        try:
            endpoint = node.ctx.sandbox.endpoint(self.decision.target or "")
            self._bind(sock)
            error = sock.connect_ex(endpoint)
            if error in (errno.EINPROGRESS, errno.EAGAIN):
                sock.getpeername()  # ENOTCONN: refused, or the handshake is not over
            elif error:
                raise OSError(error, os.strerror(error))
        except OSError as exc:
            if exc.errno == errno.ENOTCONN and not sock.getsockopt(
                socket.SOL_SOCKET, socket.SO_ERROR
            ):
                self.client.pause_reading()  # until the target is connected
                self.connecting = node.loop.create_task(self._wait(sock))
                return
            self._refused(sock)
            return
        except SandboxViolation:
            self._refused(sock)
            return
        header = self._ppv2() if node.proxy_protocol else b""
        if header:  # before any TLS: the target reads it first
            try:
                header = header[sock.send(header) :]
            except BlockingIOError:
                pass  # _attach sends it when the socket can take it
            except OSError:
                self._refused(sock)
                return
        if self._source is not None or node.to_alb or header or node.target_tls is not None:
            self._seen(sock)  # else the transport's own sockname says it, with no syscall
        # A TLS handshake to the target takes a few loop turns: hold the client's bytes in
        # its socket meanwhile rather than in _early.
        if node.target_tls is not None or header:
            self.client.pause_reading()
            self.connecting = node.loop.create_task(self._attach(sock, header, True))
            return
        self.connecting = node.loop.create_task(self._attach(sock, b"", paused=False))

    async def _wait(self, sock: socket.socket) -> None:
        try:
            async with asyncio.timeout(self.node.ctx.clock.wall(CONNECT_TIMEOUT)):
                await wait_connected(self.node.loop, sock)
        except (OSError, TimeoutError):
            self._refused(sock)
            return
        except BaseException:  # cancelled: the client went away first
            sock.close()
            raise
        self._seen(sock)
        header = self._ppv2() if self.node.proxy_protocol else b""
        await self._attach(sock, header, paused=True)

    async def _attach(self, sock: socket.socket, unsent: bytes, paused: bool) -> None:
        """The connected socket as a transport (after the TLS handshake to a TLS group);
        ``paused``: the client's reading resumes then."""
        node = self.node
        try:
            if node.target_tls is None and not unsent:
                transport, _ = await node.loop.create_connection(
                    lambda: _TargetSide(self), sock=sock
                )
            else:  # a TLS handshake, or a PPv2 header the socket did not take, may stall
                async with asyncio.timeout(node.ctx.clock.wall(CONNECT_TIMEOUT)):
                    if unsent:
                        await node.loop.sock_sendall(sock, unsent)
                    transport, _ = await node.loop.create_connection(
                        lambda: _TargetSide(self),
                        sock=sock,
                        ssl=node.target_tls,
                        server_hostname="" if node.target_tls else None,
                    )
        except (OSError, TimeoutError):
            self._refused(sock)
            return
        except BaseException:  # cancelled: the client went away first
            sock.close()
            raise
        self._attached(transport, paused)

    def _attached(self, transport: asyncio.Transport, paused: bool) -> None:
        node = self.node
        self.connecting = None
        self.target = transport
        node.ctx.connections.add(transport)
        if self._early:
            transport.writelines(self._early)
            self._early.clear()
        if self._client_eof:
            transport.write_eof()
        if self.seen_as is None:  # the kernel picked our port: the transport knows it
            self._note_seen(*transport.get_extra_info("sockname")[:2])
        node.report(FlowNote(self, "open", None))
        if paused and not self.client.is_closing():
            self.client.resume_reading()

    def _refused(self, sock: socket.socket) -> None:
        sock.close()
        self.connecting = None
        self.reset("target")  # refused or silent: the client gets a RST (§6.5 metrics)

    def _ppv2(self) -> bytes:
        return proxy_protocol.header(
            (self.key.source_ip, self.key.source_port),
            (self.key.destination_ip, self.key.destination_port),
        )

    def _bind(self, sock: socket.socket) -> None:
        node = self.node
        if not node.preserve_client_ip:
            # Leave the port to connect(): binding port 0 makes the kernel pick one without
            # knowing the destination, a search that costs more than the rest of the flow.
            sock.setsockopt(socket.IPPROTO_IP, _IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((node.host, 0))
            return
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(self.client_socket)
            self._source = self.client_socket
        except OSError:  # the client's socket would not share its port
            sock.bind((self.client_socket[0], 0))

    def _seen(self, sock: socket.socket) -> None:
        """Record our socket's address once connected (the kernel picked the port then,
        unless it is the client's own)."""
        self._note_seen(*(self._source or sock.getsockname()[:2]))

    def _note_seen(self, host: str, port: int) -> None:
        node = self.node
        if node.to_alb:  # the ALB admits it as coming from inside
            self.through_nlb = (host, port)
            node.ctx.through_nlb.add(self.through_nlb)
        self.seen_as = f"{node.ctx.sandbox.virtual(host) or host}:{port}"

    # --- bytes -----------------------------------------------------------------------
    def from_client_data(self, data: bytes) -> None:
        self.from_client += len(data)
        self.node.processed += len(data)
        self.node.flows.seen(self.key, self.node.ctx.clock.now())
        if self.target is not None:
            self.target.write(data)
        else:  # uvloop may deliver a first chunk before pause_reading takes hold
            self._early.append(data)

    def from_target_data(self, data: bytes) -> None:
        self.from_target += len(data)
        self.node.processed += len(data)
        self.node.flows.seen(self.key, self.node.ctx.clock.now())
        self.client.write(data)

    def eof(self, side: str) -> None:
        """A FIN from ``side``: pass the half-close on; both done ends the flow."""
        if self._closed_first is None:
            self._closed_first = side  # who closed: the first to send FIN
        if side == "client":
            self._client_eof = True
            other = self.target
        else:
            self._target_eof = True
            other = self.client
        if self._client_eof and self._target_eof:
            self.finish(side)
        elif other is not None and other.can_write_eof():
            other.write_eof()

    def lost(self, side: str, exc: Exception | None) -> None:
        if exc is not None:
            self.reset(side)
        else:
            self.finish(side)

    # --- ending ----------------------------------------------------------------------
    def finish(self, closed_by: str) -> None:
        """A clean end: close both sides (flushing what is buffered) and report."""
        if self.ended:
            return
        for transport in (self.client, self.target):
            if transport is not None:
                transport.close()
        self._end("closed", self._closed_first or closed_by)

    def reset(self, closed_by: str | None) -> None:
        """Send RST both ways: a side reset, the flow idled out, or had no target."""
        if self.ended:
            return
        for transport in (self.client, self.target):
            if transport is not None and not transport.is_closing():
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
                transport.close()
        self._end("reset", closed_by)

    def _end(self, state: str, closed_by: str | None) -> None:
        self.ended = True
        if self.connecting is not None:
            self.connecting.cancel()
        node = self.node
        node.flows.close(self.key)
        node.live.pop(self.key, None)
        if self.through_nlb is not None:
            node.ctx.through_nlb.discard(self.through_nlb)
        for transport in (self.client, self.target):
            if transport is not None:
                node.ctx.connections.discard(transport)
        node.report(FlowNote(self, state, closed_by))

    def names(self) -> tuple[str, str]:
        """The 5-tuple and its hash in hex, as the flow's events say them."""
        if self._names is None:  # the same for both of the flow's events
            self._names = (str(self.key), f"{self.decision.hash:016x}")
        return self._names


class FlowNote(DeferredFlow):
    """One of a TCP flow's two ``flow`` events (open; closed or reset), noted as the flow
    goes: its lab time, state and byte counts, and the flow, which holds the rest. Its wire
    object is built when the batch is drained (``wire_at``), the same as ``event()``'s."""

    __slots__ = ("closed_by", "flow", "from_client", "from_target", "state", "t")

    def __init__(self, flow: Flow, state: str, closed_by: str | None) -> None:
        self.t = round(flow.node.ctx.clock.now(), 3)
        self.flow = flow
        self.state = state
        self.closed_by = closed_by
        self.from_client = flow.from_client
        self.from_target = flow.from_target

    @property
    def lb(self) -> str:
        return self.flow.node.lb.name

    @property
    def protocol(self) -> str:
        return self.flow.key.protocol

    @property
    def reason(self) -> str | None:
        return self.flow.decision.reason

    @property
    def target(self) -> str | None:
        return self.flow.decision.target

    @property
    def tls(self) -> dict[str, str | bool | None] | None:
        return self.flow.tls

    def event(self, emitted: float) -> events.Flow:
        """The ``events.Flow`` this note stands for."""
        flow = self.flow
        return flow_event(
            flow.node,
            flow.key,
            flow.decision,
            self.state,
            names=flow.names(),
            seen_as=flow.seen_as,
            proxy_protocol=flow.node.proxy_protocol,
            from_client=self.from_client,
            from_target=self.from_target,
            closed_by=self.closed_by,
            tls=flow.tls,
            t=self.t,
            emitted=emitted,
        )

    def wire_at(self, emitted: float) -> Wire:
        return self.event(emitted).wire()


def flow_event(
    node: NlbNode | UdpNlbNode,
    key: FlowKey,
    decision: FlowDecision,
    state: str,
    *,
    seen_as: str | None,
    proxy_protocol: bool,
    from_client: int,
    from_target: int,
    closed_by: str | None = None,
    tls: dict[str, str | bool | None] | None = None,
    names: tuple[str, str] | None = None,
    t: float | None = None,
    emitted: float | None = None,
) -> events.Flow:
    """A ``flow`` event (DESIGN.md's event table, plus what a learner asks next).

    ``names``: ``str(key)`` and the hash in hex, when the caller kept them from the flow's
    first event. ``t`` and ``emitted``: when it happened and was sent, if not now (a note
    built at drain: given here, not by ``replace``, which would build the event twice)."""
    hash_text, hash_value = names or (str(key), f"{decision.hash:016x}")
    return events.Flow(
        t=round(node.ctx.clock.now(), 3) if t is None else t,
        emitted=time.time() if emitted is None else emitted,
        state=state,
        client_ip=key.source_ip,
        client_port=key.source_port,
        protocol=key.protocol,
        lb=node.lb.name,
        node_az=node.node.az,
        node_ip=node.node.ip,
        listener=node.listener.port,
        target_group=node.group.name,
        target=decision.target,
        hash=hash_text,
        hash_value=hash_value,
        reason=decision.reason,
        candidates=list(decision.candidates),
        source_seen_by_target=seen_as,
        proxy_protocol=proxy_protocol,
        bytes=from_client + from_target,
        bytes_from_client=from_client,
        bytes_from_target=from_target,
        closed_by=closed_by,
        tls=tls,
    )


class _ClientSide(asyncio.Protocol):
    def __init__(self, node: NlbNode) -> None:
        self._node = node
        self._flow: Flow | None = None
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._flow = self._node.accept(cast(asyncio.Transport, transport))

    def data_received(self, data: bytes) -> None:
        if self._flow is not None:
            self._flow.from_client_data(data)

    def eof_received(self) -> bool:
        if self._flow is not None:
            self._flow.eof("client")
        # Keep the write side open: the target may still answer (TLS cannot).
        return self._node.certificates is None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._flow is not None:
            self._flow.lost("client", exc)
        else:  # a dropped client: only its socket was kept
            self._node.ctx.connections.discard(self._transport)

    def pause_writing(self) -> None:
        if self._flow is not None and self._flow.target is not None:
            self._flow.target.pause_reading()

    def resume_writing(self) -> None:
        if self._flow is not None and self._flow.target is not None:
            self._flow.target.resume_reading()


class _TargetSide(asyncio.Protocol):
    def __init__(self, flow: Flow) -> None:
        self._flow = flow

    def data_received(self, data: bytes) -> None:
        self._flow.from_target_data(data)

    def eof_received(self) -> bool:
        self._flow.eof("target")
        return self._flow.node.target_tls is None

    def connection_lost(self, exc: Exception | None) -> None:
        self._flow.lost("target", exc)

    def pause_writing(self) -> None:
        self._flow.client.pause_reading()

    def resume_writing(self) -> None:
        self._flow.client.resume_reading()
