"""The Network Load Balancer node: a TCP pass-through on asyncio Protocols (spec §6).

A client connects to the node's own loopback address (its static IP). The node hands the
connection's 5-tuple to the engine (``flows.FlowTable.route``), which picks the target
and says why; the node then opens one upstream connection and copies bytes both ways,
untouched, with flow control (what one side has not taken yet stops reading from the
other). Half-closes pass through; a reset on one side resets the other.

A TCP listener moves bytes on the loop's readiness callbacks, between two non-blocking
sockets (``SocketFlow``): a transport and protocol pair per socket cost twice the CPU
per connection. A TLS listener, or a TLS target group, needs the loop's TLS transports
(``TlsFlow``).

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
import contextlib
import errno
import os
import select
import socket
import ssl
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

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
from .sockets import connect_socket

if TYPE_CHECKING:  # the UDP node builds its flow events here too
    from .proxy_udp import UdpNlbNode
from .tls import ListenerCertificates
from .wire import DeferredFlow

REAP_SECONDS = 0.25  # wall seconds between looks for idle flows
ACCEPT_BATCH = 64  # connections accepted per readiness callback, the rest on the next turn
ACCEPT_RETRY_SECONDS = 1.0  # wall seconds without accepting after running out of descriptors
CHUNK = 262144  # bytes read from one side at a time: a 64 KB write's few segments at once
Report = Callable[[events.Flow | DeferredFlow], None]
_LINGER_ZERO = struct.pack("ii", 1, 0)  # close() then sends RST, not FIN
_IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux 4.2+
_AF_INET, _SOCK_STREAM = int(socket.AF_INET), int(socket.SOCK_STREAM)
_NONBLOCKING_STREAM = _SOCK_STREAM | int(socket.SOCK_NONBLOCK)
_TRY_AGAIN = (BlockingIOError, InterruptedError)


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
        self._server: asyncio.Server | None = None  # a TLS listener's
        self._listening: _socket.socket | None = None  # a TCP listener's
        self._held: list[_socket.socket] = []  # dropped clients' sockets, never answered
        self.poller: _Poller  # a TCP listener's flows' sockets: set by start()
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
        if self.certificates is None and self.target_tls is None:
            listening = self._listening = _socket.socket(_AF_INET, _NONBLOCKING_STREAM)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # Its clients' sockets inherit it (the kernel copies the listener's options).
            listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            listening.bind((self.host, port))
            listening.listen(socket.SOMAXCONN)
            loop.add_reader(listening.fileno(), self._accept_ready)
            self.poller = _Poller(loop)
            self.port = listening.getsockname()[1]
        else:
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
        if self._listening is not None:
            self.loop.remove_reader(self._listening.fileno())
            self._listening.close()
            self._listening = None
            self.poller.close()
        for held in self._held:
            held.close()
        self._held.clear()

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

    def _accept_ready(self) -> None:
        listening = cast(_socket.socket, self._listening)
        for _ in range(ACCEPT_BATCH):
            try:
                # The C socket's own accept: a descriptor and an address, no Python object.
                fd, address = listening._accept()  # type: ignore[attr-defined]
            except _TRY_AGAIN:
                return
            except OSError as exc:
                if exc.errno == errno.ECONNABORTED:  # the client gave up first
                    continue
                # Out of descriptors or memory: the socket stays readable, so stop looking
                # for a while rather than spin (as asyncio's own servers do).
                self.loop.remove_reader(listening.fileno())
                self.loop.call_later(ACCEPT_RETRY_SECONDS, self._resume_accepting)
                return
            client = _socket.socket(_AF_INET, _SOCK_STREAM, 0, fd)
            client.setblocking(False)
            decision = self._route(*address)
            if decision is None:
                self._held.append(client)
                continue
            flow = SocketFlow(self, decision, client, address)
            if decision.target is None:
                self.loop.call_soon(flow.reset, None)  # a turn later, as _refused says
            else:
                flow.connect()

    def _resume_accepting(self) -> None:
        if self._listening is not None:
            self.loop.add_reader(self._listening.fileno(), self._accept_ready)

    def accept(self, transport: asyncio.Transport) -> TlsFlow | None:
        """A TLS listener's client connection, as a transport (TLS is terminated)."""
        host, port = transport.get_extra_info("peername")[:2]
        decision = self._route(host, port)
        if decision is None:
            transport.pause_reading()
            self.ctx.connections.add(transport)
            return None
        flow = TlsFlow(self, decision, transport, (host, port))
        flow.tls = self._tls(transport)
        if decision.target is None:
            flow.reset(None)
        else:
            flow.connect()
        return flow

    def _route(self, host: str, port: int) -> FlowDecision | None:
        """The engine's choice for a new connection from (real) ``host:port``; None when it
        is dropped, as AWS drops the SYN (an internal NLB or a node with no internet route,
        to a client outside the VPC; the NLB's own security groups): never answered, no
        flow; the client's own timeout ends it."""
        source_ip = self.ctx.sandbox.virtual(host) or host
        if self._drops(source_ip):
            return None
        key = FlowKey(
            protocol=TCP,
            source_ip=source_ip,
            source_port=port,
            destination_ip=self.node.ip,
            destination_port=self.listener.port,
        )
        return self.flows.route(key, self.pool(), self.ctx.clock.now())

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


def _no_verify() -> ssl.SSLContext:
    """The node as a TLS client of its targets: certificates are not validated (§6.5)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Flow:
    """One client connection and its upstream connection, and what went through: what
    both kinds of flow share (the route, the counts, the source the target sees, the
    end). ``connect``, ``finish`` and ``reset`` are theirs."""

    __slots__ = (
        "_closed_first",
        "_names",
        "_source",
        "client_socket",
        "decision",
        "ended",
        "from_client",
        "from_target",
        "key",
        "node",
        "seen_as",
        "through_nlb",
        "tls",
    )

    def __init__(
        self, node: NlbNode, decision: FlowDecision, client_socket: tuple[str, int]
    ) -> None:
        self.node = node
        self.decision = decision
        self.key = decision.key
        self.client_socket = client_socket  # real (loopback host, port)
        self.from_client = 0
        self.from_target = 0
        self.seen_as: str | None = None  # the source address the target sees (virtual)
        self.through_nlb: tuple[str, int] | None = None  # our socket, as an ALB sees it
        self.tls: dict[str, str | bool | None] | None = None
        self.ended = False
        self._closed_first: str | None = None  # who sent the first FIN
        self._source: tuple[str, int] | None = None  # our socket's address, when bound to it
        self._names: tuple[str, str] | None = None  # the 5-tuple and its hash, as events say
        node.live[self.key] = self

    def connect(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """A clean end: both sides sent FIN and all they sent was delivered."""
        raise NotImplementedError

    def reset(self, closed_by: str | None) -> None:
        """Send RST both ways: a side reset, the flow idled out, or had no target."""
        raise NotImplementedError

    def _upstream_socket(self) -> _socket.socket:
        """A non-blocking socket bound as the target must see it (not yet connected)."""
        sock = _socket.socket(_AF_INET, _NONBLOCKING_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        node = self.node
        if not node.preserve_client_ip:
            # Leave the port to connect(): binding port 0 makes the kernel pick one without
            # knowing the destination, a search that costs more than the rest of the flow.
            sock.setsockopt(socket.IPPROTO_IP, _IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((node.host, 0))
            return sock
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(self.client_socket)
            self._source = self.client_socket
        except OSError:  # the client's socket would not share its port
            sock.bind((self.client_socket[0], 0))
        return sock

    def _ppv2(self) -> bytes:
        return proxy_protocol.header(
            (self.key.source_ip, self.key.source_port),
            (self.key.destination_ip, self.key.destination_port),
        )

    def _seen(self, sock: _socket.socket | socket.socket) -> None:
        """Record our socket's address once connected (the kernel picked the port then,
        unless it is the client's own)."""
        host, port = self._source or sock.getsockname()[:2]
        node = self.node
        if node.to_alb:  # the ALB admits it as coming from inside
            self.through_nlb = (host, port)
            node.ctx.through_nlb.add(self.through_nlb)
        self.seen_as = f"{node.ctx.sandbox.virtual(host) or host}:{port}"

    def _end(self, state: str, closed_by: str | None) -> None:
        self.ended = True
        node = self.node
        node.flows.close(self.key)
        node.live.pop(self.key, None)
        if self.through_nlb is not None:
            node.ctx.through_nlb.discard(self.through_nlb)
        node.report(FlowNote(self, state, closed_by))

    def names(self) -> tuple[str, str]:
        """The 5-tuple and its hash in hex, as the flow's events say them."""
        if self._names is None:  # the same for both of the flow's events
            self._names = (str(self.key), f"{self.decision.hash:016x}")
        return self._names


class _Poller:
    """A node's own epoll set, edge-triggered, for its flows' sockets; the loop watches
    only the set. A socket joins once (one epoll_ctl) and leaves when it is closed: the
    loop's add_reader/remove_reader cost three epoll_ctl calls a socket, and more each
    time flow control stops or resumes a side."""

    EVENTS = select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET
    BATCH = 256  # events taken per look

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._epoll = select.epoll()
        self.handlers: dict[int, Callable[[int], None]] = {}  # fd -> what its events call
        # Every pipe of the node reads into this: a pump sends what it read before another
        # pump runs (one loop, one thread); what a sink does not take is copied out.
        self.view = memoryview(bytearray(CHUNK))
        loop.add_reader(self._epoll.fileno(), self._ready)

    def watch(self, fd: int, handler: Callable[[int], None]) -> None:
        self.handlers[fd] = handler
        self._epoll.register(fd, self.EVENTS)

    def _ready(self) -> None:
        handlers = self.handlers
        for fd, mask in self._epoll.poll(0, self.BATCH):
            handler = handlers.get(fd)
            if handler is not None:  # else closed by an earlier event of this look
                handler(mask)

    def close(self) -> None:
        self.loop.remove_reader(self._epoll.fileno())
        self._epoll.close()


_READABLE = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
_WRITABLE = select.EPOLLOUT
_HUNG_UP = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR


class SocketFlow(Flow):
    """A TCP listener's flow: two non-blocking sockets in the node's ``_Poller`` and a
    ``_Pipe`` each way.

    On loopback the handshake to the target is over (or refused) by the time connect()
    returns, so the usual flow is open at once; one still under way (a full accept queue)
    waits for writability, up to the connect timeout. The client is read once it is."""

    __slots__ = ("_timer", "client", "down", "target", "up")

    def __init__(
        self,
        node: NlbNode,
        decision: FlowDecision,
        client: _socket.socket,
        client_socket: tuple[str, int],
    ) -> None:
        super().__init__(node, decision, client_socket)
        self.client = client
        self.target: _socket.socket | None = None
        self.up: _Pipe | None = None  # client to target
        self.down: _Pipe | None = None  # target to client
        self._timer: asyncio.TimerHandle | None = None  # a connect still under way

    def connect(self) -> None:
        node = self.node
        try:
            endpoint = node.ctx.sandbox.endpoint(self.decision.target or "")
            sock = self.target = self._upstream_socket()
            error = sock.connect_ex(endpoint)
            if error in (errno.EINPROGRESS, errno.EAGAIN):
                sock.getpeername()  # ENOTCONN: refused, or the handshake is not over
            elif error:
                raise OSError(error, os.strerror(error))
        except OSError as exc:
            target = self.target
            if (
                target is not None
                and exc.errno == errno.ENOTCONN
                and not target.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            ):
                node.poller.watch(target.fileno(), self._connected)
                wait = node.ctx.clock.wall(CONNECT_TIMEOUT)
                self._timer = node.loop.call_later(wait, self.reset, "target")
                return
            self._refused()
            return
        except SandboxViolation:
            self._refused()
            return
        self._open(sock, watched=False)

    def _refused(self) -> None:
        """Refused or silent: the client gets a RST (§6.5 metrics), a loop turn later, so
        that a client in this process sees its connect() succeed first, then the reset,
        as it does from another process."""
        self.node.loop.call_soon(self.reset, "target")

    def _connected(self, mask: int) -> None:
        sock = cast(_socket.socket, self.target)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.reset("target")
            return
        self._open(sock, watched=True)
        if not self.ended:
            self._target_ready(mask)  # what came with the handshake (a server speaks first)

    def _open(self, target: _socket.socket, *, watched: bool) -> None:
        """Connected: both sockets join the poller, which reports what is already there."""
        node, client = self.node, self.client
        self._seen(target)
        up = self.up = _Pipe(self, client, target, to_target=True)
        down = self.down = _Pipe(self, target, client, to_target=False)
        if node.proxy_protocol:  # the target reads it before the client's first byte
            up.unsent = self._ppv2()
            if not up.flush() and self.ended:  # the target reset it at once
                return
        node.report(FlowNote(self, "open", None))
        poller = node.poller
        poller.watch(up.source_fd, self._client_ready)
        if watched:
            poller.handlers[down.source_fd] = self._target_ready
        else:
            poller.watch(down.source_fd, self._target_ready)

    # An event's mask is the socket's whole state: writable comes with most of them, and
    # matters only to a pipe waiting for its sink.
    def _client_ready(self, mask: int) -> None:
        up, down = cast(_Pipe, self.up), cast(_Pipe, self.down)
        if mask & _READABLE:
            up.pump(mask & _HUNG_UP)
        if mask & _WRITABLE and down.unsent and not self.ended:
            down.pump(0)

    def _target_ready(self, mask: int) -> None:
        up, down = cast(_Pipe, self.up), cast(_Pipe, self.down)
        if mask & _READABLE:
            down.pump(mask & _HUNG_UP)
        if mask & _WRITABLE and up.unsent and not self.ended:
            up.pump(0)

    def eof(self, pipe: _Pipe) -> None:
        """A FIN came from ``pipe``'s source, after all it sent was passed on."""
        if self._closed_first is None:
            self._closed_first = pipe.source_side
        pipe.eof = True
        self.delivered_eof(pipe)

    def delivered_eof(self, pipe: _Pipe) -> None:
        """``pipe`` has passed on everything before its source's FIN: pass the FIN on, or
        end the flow if the other way is done too (close() sends that FIN itself)."""
        other = self.down if pipe is self.up else self.up
        if other is not None and other.eof and not other.unsent:
            self.finish()
            return
        with contextlib.suppress(OSError):  # the sink is gone: reading it says how
            pipe.sink.shutdown(socket.SHUT_WR)

    def finish(self) -> None:
        if not self.ended:
            self._close(False)
            self._end("closed", self._closed_first)

    def reset(self, closed_by: str | None) -> None:
        if not self.ended:
            self._close(True)
            self._end("reset", closed_by)

    def _close(self, reset: bool) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # The pipes point back at the flow: let go of them, so that reference counting
        # frees both (the flow once its events are drained), not the garbage collector.
        self.up = self.down = None
        handlers = self.node.poller.handlers
        for sock in (self.client, self.target):
            if sock is None:
                continue
            handlers.pop(sock.fileno(), None)  # closing it leaves the epoll set
            if reset:
                with contextlib.suppress(OSError):  # already reset by the peer
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
            sock.close()


class _Pipe:
    """One way of a ``SocketFlow``: what ``source`` sends goes to ``sink``. What the sink
    does not take at once waits here, and the source is not read until it has gone (flow
    control, as a transport's write buffer limits do). The poller is edge-triggered: a
    pump reads until the source has no more, or the sink takes no more."""

    __slots__ = (
        "eof",
        "flow",
        "sink",
        "sink_side",
        "source",
        "source_fd",
        "source_side",
        "to_target",
        "unsent",
        "view",
    )

    def __init__(
        self, flow: SocketFlow, source: _socket.socket, sink: _socket.socket, *, to_target: bool
    ) -> None:
        self.flow = flow
        self.source, self.source_fd = source, source.fileno()
        self.sink = sink
        self.to_target = to_target
        self.source_side, self.sink_side = (
            ("client", "target") if to_target else ("target", "client")
        )
        self.unsent = b""
        self.eof = False  # the source sent FIN
        self.view = flow.node.poller.view

    def pump(self, hung_up: int) -> None:
        """Pass on what the source has. A short read took all there was, and the next
        byte will be an edge, unless the source's FIN or RST came before this event
        (``hung_up``: its flags) or edges passed while the sink was full: then the source
        is read until it has nothing."""
        to_the_end = hung_up or self.unsent
        if self.unsent:
            if not self.flush():
                return
            if self.eof:
                self.flow.delivered_eof(self)
                return
        if self.eof:
            return
        flow, source, sink, view = self.flow, self.source, self.sink, self.view
        node = flow.node
        while True:
            try:
                size = source.recv_into(view)
            except _TRY_AGAIN:
                return
            except OSError:
                flow.reset(self.source_side)
                return
            if not size:
                flow.eof(self)
                return
            if self.to_target:
                flow.from_client += size
            else:
                flow.from_target += size
            node.processed += size
            node.flows.seen(flow.key, node.ctx.clock.now())
            data = view[:size]
            try:
                sent = sink.send(data)
            except _TRY_AGAIN:
                sent = 0
            except OSError:
                flow.reset(self.sink_side)
                return
            if sent < size:
                self.unsent = bytes(data[sent:])  # the buffer is the next read's
                return
            if size < CHUNK and not to_the_end:
                return

    def flush(self) -> bool:
        """Send what waits; whether it has all gone (False also when the sink is gone)."""
        try:
            sent = self.sink.send(self.unsent)
        except _TRY_AGAIN:
            return False
        except OSError:
            self.flow.reset(self.sink_side)
            return False
        self.unsent = self.unsent[sent:]
        return not self.unsent


class TlsFlow(Flow):
    """A TLS listener's flow, or a flow to a TLS target group: the loop's transports, which
    speak TLS. The client is paused until the target is connected (and its handshake
    done); what it sent before the pause took hold waits in ``_early``."""

    __slots__ = ("_client_eof", "_early", "_target_eof", "client", "connecting", "target")

    def __init__(
        self,
        node: NlbNode,
        decision: FlowDecision,
        client: asyncio.Transport,
        client_socket: tuple[str, int],
    ) -> None:
        super().__init__(node, decision, client_socket)
        self.client = client
        self.target: asyncio.Transport | None = None
        self.connecting: asyncio.Task[None] | None = None
        self._client_eof = False  # a FIN (or close_notify) came from the client
        self._target_eof = False  # and from the target
        self._early: list[bytes] = []
        node.ctx.connections.add(client)

    def connect(self) -> None:
        self.client.pause_reading()
        self.connecting = self.node.loop.create_task(self._open())

    async def _open(self) -> None:
        node = self.node
        loop = node.loop
        sock: socket.socket | None = None
        try:
            async with asyncio.timeout(node.ctx.clock.wall(CONNECT_TIMEOUT)):
                endpoint = node.ctx.sandbox.endpoint(self.decision.target or "")
                sock = socket.socket(fileno=self._upstream_socket().detach())
                await connect_socket(loop, sock, endpoint)
                self._seen(sock)
                if node.proxy_protocol:  # before any TLS: the target reads it first
                    await loop.sock_sendall(sock, self._ppv2())
                transport, _ = await loop.create_connection(
                    lambda: _TargetSide(self),
                    sock=sock,
                    ssl=node.target_tls,
                    server_hostname="" if node.target_tls else None,
                )
        except (OSError, TimeoutError, SandboxViolation):
            if sock is not None:
                sock.close()
            self.connecting = None
            self.reset("target")  # refused or silent: the client gets a RST (§6.5 metrics)
            return
        except BaseException:  # cancelled: the client went away first
            if sock is not None:
                sock.close()
            raise
        self._attached(transport)

    def _attached(self, transport: asyncio.Transport) -> None:
        self.connecting = None
        self.target = transport
        self.node.ctx.connections.add(transport)
        if self._early:
            transport.writelines(self._early)
            self._early.clear()
        if self._client_eof:
            transport.write_eof()
        self.node.report(FlowNote(self, "open", None))
        if not self.client.is_closing():
            self.client.resume_reading()

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
            self._closed_first = side
        if side == "client":
            self._client_eof = True
            other = self.target
        else:
            self._target_eof = True
            other = self.client
        if self._client_eof and self._target_eof:
            self.finish()
        elif other is not None and other.can_write_eof():
            other.write_eof()

    def lost(self, side: str, exc: Exception | None) -> None:
        if exc is not None:
            self.reset(side)
        else:
            if self._closed_first is None:
                self._closed_first = side
            self.finish()

    def finish(self) -> None:
        if self.ended:
            return
        for transport in (self.client, self.target):
            if transport is not None:
                transport.close()  # flushing what is buffered
        self._end("closed", self._closed_first)

    def reset(self, closed_by: str | None) -> None:
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
        if self.connecting is not None:
            self.connecting.cancel()
        for transport in (self.client, self.target):
            if transport is not None:
                self.node.ctx.connections.discard(transport)
        super()._end(state, closed_by)


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
        self.sampled = False

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
        return self._built(events.Flow, emitted)

    def wire_at(self, emitted: float) -> Wire:
        return self._built(_FLOW_WIRE, emitted)

    def _built(self, make: Callable[..., _Built], emitted: float) -> _Built:
        flow = self.flow
        return flow_event(
            make,
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
            sampled=self.sampled or None,
        )


_Built = TypeVar("_Built")
_FLOW_WIRE = events.wire_maker(events.Flow)  # events.Flow(...).wire(), in one step


def flow_event(
    make: Callable[..., _Built],
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
    sampled: bool | None = None,
) -> _Built:
    """A ``flow`` event (DESIGN.md's event table, plus what a learner asks next), as
    ``make`` builds it: ``events.Flow``, or its wire object at once.

    ``names``: ``str(key)`` and the hash in hex, when the caller kept them from the flow's
    first event. ``t`` and ``emitted``: when it happened and was sent, if not now (a note
    built at drain: given here, not by ``replace``, which would build the event twice)."""
    hash_text, hash_value = names or (str(key), f"{decision.hash:016x}")
    return make(
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
        sampled=sampled,
    )


class _ClientSide(asyncio.Protocol):
    def __init__(self, node: NlbNode) -> None:
        self._node = node
        self._flow: TlsFlow | None = None
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
    def __init__(self, flow: TlsFlow) -> None:
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
