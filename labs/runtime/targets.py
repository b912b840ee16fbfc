"""Dummy targets: small HTTP servers standing in for EC2 instances.

Each registered (instance, port) gets a real server on the instance's loopback address.
It enforces the instance's security groups on every new connection: a denied source is
"dropped" by reading and never answering, so the LB's health check times out exactly as
on AWS. Unless its behaviour says otherwise, a target answers with a JSON echo of what it
received (method, path, headers, peer) so the learner can see X-Forwarded-For and Host.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import replace
from typing import cast

import httptools

from labs.engine import proxy_protocol
from labs.engine.spec import AppBehaviour, Target

from .sandbox import Sandbox
from .udp_targets import start_udp_echo
from .websocket import EchoSocket, accept_key

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

Admission = Callable[[str | None], bool]  # virtual source ip -> accepted?


FAULT_MODES = (
    "normal",
    "stopped",
    "hang",
    "5xx",
    "slow",
    "flap",
    "unhealthy",
    "reset",
    "garbage",
    "short-body",
)
SLOW_MS = 1000.0  # what the "slow" fault adds to every answer, wall milliseconds


class TargetServer:
    """One (instance, port): its listening socket, its connections, its current behaviour.

    A fault replaces the behaviour while the run goes on; ``stopped`` closes the socket so
    connections are refused, as from an instance that was shut down. The freed port is
    then no longer the run's: anyone may bind it, so the address map points at a socket
    the target keeps bound but never listening (a port nobody else can take, where every
    connection is refused), and a restart listens wherever it can and publishes that.
    """

    def __init__(
        self, target: Target, sandbox: Sandbox, admits: Admission, health_paths: frozenset[str]
    ) -> None:
        self.target = target
        self.original = target.app
        self.sandbox = sandbox
        self.admits = admits
        self.health_paths = health_paths
        self.connections: set[asyncio.Transport] = set()
        self.server: asyncio.Server | None = None
        self.host = sandbox.loopback(target.ip)
        self.port = 0
        self._refuser: socket.socket | None = None  # bound, never listening, while stopped
        self._starting: asyncio.Task[None] | None = None
        self.clock: Callable[[], float] = lambda: float("inf")  # lab clock, set by the run
        self.tls: ssl.SSLContext | None = None
        self.udp_admits: Admission | None = None  # a UDP target: echo datagrams too
        self._udp: asyncio.DatagramTransport | None = None
        self.mode = "normal"  # the fault a learner injected (FAULT_MODES)
        self.flap_seconds = 0.0  # "flap": lab seconds up, then as long down, and so on
        self._flap_from = 0.0

    def down(self) -> bool:
        """Whether a flapping instance is in a down half of its cycle just now."""
        if self.mode != "flap" or self.flap_seconds <= 0:
            return False
        return int((self.clock() - self._flap_from) // self.flap_seconds) % 2 == 1

    def starting(self) -> bool:
        """Whether the app is still in its start-up time (StartupSeconds)."""
        return self.clock() < self.target.app.startup_seconds

    async def start(self) -> None:
        """Listen (port 0 the first time, the same port after a stop if it is still free)
        and publish it."""
        loop = asyncio.get_running_loop()
        self._release_refuser()
        try:
            self.server = await loop.create_server(
                lambda: _TargetProtocol(self),
                self.host,
                self.port,
                reuse_address=True,
                ssl=self.tls,
            )
        except OSError:
            if self.port == 0:
                raise
            # Someone took the port while the instance was stopped: an instance that
            # boots again keeps its address; which port it listens on is ours to pick.
            self.server = await loop.create_server(
                lambda: _TargetProtocol(self), self.host, 0, reuse_address=True, ssl=self.tls
            )
        self.port = self.server.sockets[0].getsockname()[1]
        self.sandbox.publish(self.target.address, (self.host, self.port))
        if self.udp_admits is not None:
            self._udp = await start_udp_echo(
                self.host, self.port, self.target.address, self.sandbox, self.udp_admits
            )

    def fault(self, mode: str, flap_seconds: float = 0.0) -> None:
        """Behave as ``mode`` from now on (a stopped instance starts again on any other).

        ``5xx``: every request is answered 500, health checks still pass (the app's
        health path is fine: the ALB keeps routing, HTTPCode_Target_5XX_Count rises).
        ``hang``: nothing is answered, health checks included (504s, ``Target.Timeout``).
        ``slow``: every answer, health checks included, comes SLOW_MS later.
        ``flap``: ``flap_seconds`` (lab) up, as long answering 500 to everything, again.
        """
        if mode not in FAULT_MODES:
            raise ValueError(mode)
        app = self.original
        if mode == "unhealthy":
            app = replace(app, health_status=500)
        elif mode in ("reset", "hang", "garbage", "short-body"):
            app = replace(app, mode=mode)
        elif mode == "5xx":
            app = replace(app, error_rate=1.0)
        elif mode == "slow":
            app = replace(app, latency_ms=app.latency_ms + SLOW_MS)
        self.target = replace(self.target, app=app)
        self.mode = mode
        self.flap_seconds, self._flap_from = flap_seconds, self.clock()
        if mode == "stopped":
            self._stop()
        elif self.server is None and self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self.start())
            self._starting.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        self._starting = None

    def _stop(self) -> None:
        """Shut the instance down: refuse connections, and give the port up."""
        if self.server is None and self._starting is None:
            return  # already stopped
        self.close()
        refuser = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        refuser.bind((self.host, 0))  # no SO_REUSEADDR, no listen(): refused, and ours
        self._refuser = refuser
        self.sandbox.publish(self.target.address, refuser.getsockname()[:2])

    def _release_refuser(self) -> None:
        if self._refuser is not None:
            self._refuser.close()
            self._refuser = None

    def close(self) -> None:
        """Close the listening socket and every connection (the run's end closes all)."""
        if self._starting is not None:
            self._starting.cancel()
        if self.server is not None:
            self.server.close()
            self.server = None
        self._release_refuser()
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        for transport in list(self.connections):
            transport.abort()


class _TargetProtocol(asyncio.Protocol):
    def __init__(self, owner: TargetServer) -> None:
        self._owner = owner
        self._sandbox = owner.sandbox
        self._admits = owner.admits
        self._health_paths = owner.health_paths
        self._connections = owner.connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._rng = random.Random()
        self._socket: EchoSocket | None = None  # after a WebSocket upgrade
        self._dropped = False
        self._peer = "-"
        self._first = True
        self._proxied: dict[str, str] | None = None  # what a PPv2 header said
        self._tls: str | None = None  # the TLS version the client spoke, if it did
        self._url = b""
        self._headers: list[tuple[str, str]] = []

    # --- connection ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.add(self._transport)
        host, port = transport.get_extra_info("peername")[:2]
        source = self._sandbox.virtual(host)
        self._peer = f"{source or host}:{port}"
        self._dropped = not self._admits(source)
        ssl_object = transport.get_extra_info("ssl_object")
        self._tls = ssl_object.version() if ssl_object is not None else None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        if self._dropped:
            return  # a security group drops silently: no answer, ever
        if self._first:
            self._first = False
            data = self._strip_proxy_header(data)
        if self._socket is not None:
            self._socket.feed(data)
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            if self._socket is not None:
                self._socket.feed(data[upgrade.args[0] :])
        except httptools.HttpParserError:
            self._write(400, b"bad request\n", keep_alive=False)

    def _strip_proxy_header(self, data: bytes) -> bytes:
        """An app configured for proxy protocol v2 reads the NLB's header (spec §6.4)
        and shows it in its echo; a LOCAL header (a health check) carries no client."""
        parsed = proxy_protocol.parse(data)
        if parsed is None:
            return data
        source, destination, length = parsed
        if source is not None and destination is not None:
            self._proxied = {
                "source": f"{source[0]}:{source[1]}",
                "destination": f"{destination[0]}:{destination[1]}",
            }
        return data[length:]

    # --- httptools callbacks ------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_message_complete(self) -> None:
        if self._parser.should_upgrade() and self._transport is not None:
            self._accept_websocket(self._transport)
            return
        url = httptools.parse_url(self._url)
        path = (url.path or b"/").decode("latin-1")
        keep_alive = self._parser.should_keep_alive()
        if self._owner.starting() or self._owner.mode == "hang":
            return  # booting or hung: requests and health checks alike go unanswered
        if path not in self._health_paths and self._misbehave():
            return
        status, body = self._answer(path, (url.query or b"").decode("latin-1"))
        head_only = self._parser.get_method() == b"HEAD"
        app = self._owner.target.app
        delay = max(0.0, app.latency_ms + self._rng.uniform(-1, 1) * app.latency_jitter_ms) / 1000
        if delay > 0:
            asyncio.get_running_loop().call_later(
                delay, self._write, status, body, keep_alive, head_only
            )
        else:
            self._write(status, body, keep_alive, head_only)

    def _accept_websocket(self, transport: asyncio.Transport) -> None:
        key = next((v for k, v in self._headers if k.lower() == "sec-websocket-key"), "")
        transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            + accept_key(key.encode("latin-1"))
            + b"\r\n\r\n"
        )
        self._socket = EchoSocket(transport)

    # --- behaviour --------------------------------------------------------------------
    def _misbehave(self) -> bool:
        """Faults a learner asked for (health checks are spared: the app is "up")."""
        mode = self._owner.target.app.mode
        transport = self._transport
        if mode == "normal" or transport is None:
            return False
        if mode == "reset":
            transport.abort()  # RST with the request outstanding: the ALB answers 502
        elif mode == "garbage":
            transport.write(b"\x00\x01 this is not HTTP\r\n\r\n")  # 502, malformed
        elif mode == "short-body":
            # Content-Length larger than the body, then silence: the ALB waits for the
            # missing bytes until its idle timeout and answers 504 (spec §4.3).
            transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        # "hang": never answer; the ALB gives up after its idle timeout with a 504
        return True

    def _answer(self, path: str, query: str) -> tuple[int, bytes]:
        app: AppBehaviour = self._owner.target.app
        if self._owner.down():
            return 500, b"flapping: down\n"
        if path in self._health_paths:
            return app.health_status, b"ok\n"
        if app.error_rate and self._rng.random() < app.error_rate:
            return 500, b"simulated application error\n"
        if app.body is not None:
            return app.status, app.body.encode()
        echo = {
            "instance": self._owner.target.id,
            "az": self._owner.target.az,
            "address": self._owner.target.address,
            "peer": self._peer,
            "proxy_protocol": self._proxied,
            "tls": self._tls,
            "method": self._parser.get_method().decode("latin-1"),
            "path": path,
            "query": query,
            "headers": self._headers,
        }
        return app.status, json.dumps(echo).encode()

    def _write(self, status: int, body: bytes, keep_alive: bool, head_only: bool = False) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        content_type = b"text/plain" if body.endswith(b"\n") else b"application/json"
        head = (
            (
                f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
                f"Content-Length: {len(body)}\r\n"
            ).encode()
            + b"Content-Type: "
            + content_type
            + b"\r\nServer: playground-target\r\n"
        )
        if self._owner.target.app.set_cookie:
            head += (
                b"Set-Cookie: "
                + self._owner.target.app.set_cookie.encode("latin-1")
                + b"; Path=/\r\n"
            )
        if not keep_alive:
            head += b"Connection: close\r\n"
        transport.write(head + b"\r\n" + (b"" if head_only else body))
        if not keep_alive:
            transport.close()


async def start_target(
    target: Target,
    sandbox: Sandbox,
    admits: Admission,
    health_paths: frozenset[str],
    tls: ssl.SSLContext | None = None,
    udp_admits: Admission | None = None,
) -> TargetServer:
    """Bind a target on its loopback address (port 0) and publish it in the sandbox.

    With ``tls`` it serves HTTP over TLS (a target of an NLB's TLS target group)."""
    server = TargetServer(target, sandbox, admits, health_paths)
    server.tls, server.udp_admits = tls, udp_admits
    await server.start()
    return server
