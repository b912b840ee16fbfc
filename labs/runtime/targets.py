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
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import httptools

from labs.engine.spec import AppBehaviour, Target

from .sandbox import Sandbox

_REASONS = {200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently",
            302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}

Admission = Callable[[str | None], bool]  # virtual source ip -> accepted?


@dataclass(slots=True)
class TargetServer:
    target: Target
    server: asyncio.Server
    connections: set[asyncio.Transport]

    def close(self) -> None:
        self.server.close()
        for transport in list(self.connections):
            transport.abort()


class _TargetProtocol(asyncio.Protocol):
    def __init__(self, target: Target, sandbox: Sandbox, admits: Admission,
                 health_paths: frozenset[str], connections: set[asyncio.Transport]) -> None:
        self._target = target
        self._sandbox = sandbox
        self._admits = admits
        self._health_paths = health_paths
        self._connections = connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._rng = random.Random()
        self._dropped = False
        self._peer = "-"
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

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        if self._dropped:
            return  # a security group drops silently: no answer, ever
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._write(400, b"bad request\n", keep_alive=False)

    # --- httptools callbacks ------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self._url)
        path = (url.path or b"/").decode("latin-1")
        keep_alive = self._parser.should_keep_alive()
        if path not in self._health_paths and self._misbehave():
            return
        status, body = self._answer(path, (url.query or b"").decode("latin-1"))
        head_only = self._parser.get_method() == b"HEAD"
        delay = self._target.app.latency_ms / 1000
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._write, status, body,
                                                  keep_alive, head_only)
        else:
            self._write(status, body, keep_alive, head_only)

    # --- behaviour --------------------------------------------------------------------
    def _misbehave(self) -> bool:
        """Faults a learner asked for (health checks are spared: the app is "up")."""
        mode = self._target.app.mode
        transport = self._transport
        if mode == "normal" or transport is None:
            return False
        if mode == "reset":
            transport.abort()  # RST with the request outstanding: the ALB answers 502
        elif mode == "garbage":
            transport.write(b"\x00\x01 this is not HTTP\r\n\r\n")  # 502, malformed
        # "hang": never answer; the ALB gives up after its idle timeout with a 504
        return True

    def _answer(self, path: str, query: str) -> tuple[int, bytes]:
        app: AppBehaviour = self._target.app
        if path in self._health_paths:
            return app.health_status, b"ok\n"
        if app.error_rate and self._rng.random() < app.error_rate:
            return 500, b"simulated application error\n"
        if app.body is not None:
            return app.status, app.body.encode()
        echo = {
            "instance": self._target.id, "az": self._target.az,
            "address": self._target.address, "peer": self._peer,
            "method": self._parser.get_method().decode("latin-1"),
            "path": path, "query": query, "headers": self._headers,
        }
        return app.status, json.dumps(echo).encode()

    def _write(self, status: int, body: bytes, keep_alive: bool,
               head_only: bool = False) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        content_type = b"text/plain" if body.endswith(b"\n") else b"application/json"
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"
            f"Content-Length: {len(body)}\r\n"
        ).encode() + b"Content-Type: " + content_type + b"\r\nServer: playground-target\r\n"
        if self._target.app.set_cookie:
            head += b"Set-Cookie: " + self._target.app.set_cookie.encode("latin-1") + \
                b"; Path=/\r\n"
        if not keep_alive:
            head += b"Connection: close\r\n"
        transport.write(head + b"\r\n" + (b"" if head_only else body))
        if not keep_alive:
            transport.close()


async def start_target(target: Target, sandbox: Sandbox, admits: Admission,
                       health_paths: frozenset[str]) -> TargetServer:
    """Bind a target on its loopback address (port 0) and publish it in the sandbox."""
    loop = asyncio.get_running_loop()
    connections: set[asyncio.Transport] = set()
    host = sandbox.loopback(target.ip)
    server = await loop.create_server(
        lambda: _TargetProtocol(target, sandbox, admits, health_paths, connections),
        host, 0, reuse_address=True,
    )
    real_port = server.sockets[0].getsockname()[1]
    sandbox.publish(target.address, (host, real_port))
    return TargetServer(target, server, connections)
