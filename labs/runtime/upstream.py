"""The target side of an ALB node: keep-alive connections, warmest first.

A pool per (node, target) hands a request to an idle connection or opens one from the
node's own address; each connection parses the target's answer with httptools and
reports it to the node. A target silent past its deadline gets a 504 from the node's
reaper.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

import httptools

from labs.engine import errors

from .client_side import HOP_BY_HOP
from .exchange import Exchange
from .limits import CONNECT_TIMEOUT, RESPONSE_HEADERS_LIMIT, Refused

if TYPE_CHECKING:
    from .proxy_http import AlbNode


# A target's whole answer: status, reason, headers (no hop-by-hop), body, Content-Length,
# whether the connection is kept alive.
_Answer = tuple[int, bytes, list[tuple[bytes, bytes]], bytes, bytes | None, bool]


class UpstreamPool:
    """Keep-alive connections from one node to one target, warmest first (LIFO)."""

    def __init__(self, node: AlbNode, endpoint: tuple[str, int], admitted: bool = True) -> None:
        self.node = node
        self.endpoint = endpoint
        self.admitted = admitted  # the target's security group admits this node
        self.idle: list[UpstreamConnection] = []
        self._connecting: set[asyncio.Task[None]] = set()

    def send(self, ex: Exchange, data: bytes) -> None:
        # A revoked rule: AWS lets an already-tracked connection live on, but the node's
        # idle ones are set aside here, so the change shows on the next request as it does
        # on the next health check (a new connection, dropped: 504 after the timeout).
        while self.idle and self.admitted:
            connection = self.idle.pop()
            if connection.usable:
                connection.send(ex, data)
                return
        task = asyncio.get_running_loop().create_task(self._connect_and_send(ex, data))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connect_and_send(self, ex: Exchange, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.endpoint
        if not self.admitted:
            # The target's security group drops the SYN: nothing answers, and the
            # connect gives up after AWS's fixed 10 s (lab clock), not the idle timeout.
            await self.node.ctx.clock.sleep(CONNECT_TIMEOUT)
            self.node.target_failed(ex, 504, "TargetConnectTimeout")
            return
        try:
            async with asyncio.timeout(self.node.ctx.clock.wall(CONNECT_TIMEOUT)):
                _transport, connection = await loop.create_connection(
                    lambda: UpstreamConnection(self),
                    host,
                    port,
                    local_addr=(self.node.host, 0),
                    ssl=self.node.target_tls,  # a Classic HTTPS instance protocol: TLS
                )
        except TimeoutError:
            self.node.target_failed(ex, 504, "TargetConnectTimeout")
        except OSError:
            self.node.target_failed(ex, 502, "TargetConnectionError")
        else:
            connection.send(ex, data)

    def release(self, connection: UpstreamConnection) -> None:
        self.idle.append(connection)

    def close(self) -> None:
        for task in self._connecting:
            task.cancel()
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class UpstreamConnection(asyncio.Protocol):
    def __init__(self, pool: UpstreamPool) -> None:
        self._pool = pool
        self._transport: asyncio.Transport | None = None
        # Made in the loop (a protocol factory); kept, since on Python 3.11 every
        # asyncio.get_running_loop() is a getpid() system call.
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpResponseParser(self)
        self._ex: Exchange | None = None
        self.deadline = 0.0  # loop time by which the target must have answered
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []  # but hop-by-hop ones
        self._length: bytes | None = None  # Content-Length, for a response to HEAD
        self._body: list[bytes] | tuple[()] = ()  # a list once a body arrives
        self._header_bytes = 0
        self._in_message = False
        self._begun = 0  # messages begun in the current data_received
        # The last chunk that held exactly one whole answer (not to HEAD), and that answer:
        # (chunk, answer). A target answers alike
        # again and again; the same bytes fed to a parser between messages make the same
        # callbacks and leave it between messages again, so a repeat is not parsed again.
        self._memo: tuple[bytes, _Answer] | None = None
        self._answer: _Answer | None = None  # the whole answer the last chunk held

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._pool.node.ctx.connections.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._pool.node.ctx.connections.discard(self._transport)
        self._transport = None
        if self._ex is not None:
            self._fail(502, "TargetClosedConnection")

    def send(self, ex: Exchange, data: bytes) -> None:
        if self._transport is None:
            self._pool.node.target_failed(ex, 502, "TargetClosedConnection")
            return
        self._ex = ex
        node = self._pool.node
        # A deadline the node's reaper checks, not a timer per request: timers cost more
        # than the rest of the request's Python work.
        self.deadline = self._loop.time() + node.ctx.clock.wall(node.settings.idle_timeout)
        node.waiting.add(self)
        self._transport.write(data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def timed_out(self) -> None:
        self.cut(504, "TargetTimeout")

    def serving(self, target: str) -> bool:
        return self._ex is not None and self._ex.target == target

    def cut(self, status: int, error: str) -> None:
        """End the request in flight with the LB's answer and drop the connection."""
        self._fail(status, error)
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, status: int, error: str) -> None:
        ex, self._ex = self._ex, None
        self._pool.node.waiting.discard(self)
        if ex is not None:
            self._pool.node.target_failed(ex, status, error)

    def data_received(self, data: bytes) -> None:
        memo = self._memo
        ex = self._ex
        if (
            memo is not None
            and not self._in_message
            and ex is not None
            and data == memo[0]
            and ex.method != "HEAD"
        ):
            self._finish(ex, memo[1])  # the last answer again, byte for byte
            return
        between = not self._in_message
        self._begun = 0
        self._answer = None
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            too_large = isinstance(error.__context__, Refused)
            self._fail(502, "TargetResponseTooLarge" if too_large else "TargetMalformedResponse")
            if self._transport is not None:
                self._transport.abort()
            return
        answer = self._answer
        if between and answer is not None and self._begun == 1 and not self._in_message:
            self._memo = (data, answer)

    def on_message_begin(self) -> None:
        self._in_message = True
        self._begun += 1
        self._reason = b""
        self._headers = []
        self._length = None
        self._body = ()
        self._header_bytes = 0

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_headers_complete(self) -> None:
        # A response to HEAD has no body whatever its Content-Length says, and httptools
        # cannot be told so: finish here and give the next response a fresh parser.
        if self._ex is not None and self._ex.method == "HEAD":
            parser, self._parser = self._parser, httptools.HttpResponseParser(self)
            self._complete(parser)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > RESPONSE_HEADERS_LIMIT:
            raise Refused(errors.TARGET_RESPONSE_TOO_LARGE)  # over 32 K (spec §4.3)
        lower = name.lower()
        if lower not in HOP_BY_HOP:  # the client gets the rest as the target sent them
            self._headers.append((name, value))
        elif lower == b"content-length" and self._length is None:
            self._length = value

    def on_body(self, body: bytes) -> None:
        if self._body:
            self._body.append(body)
        else:
            self._body = [body]

    def on_message_complete(self) -> None:
        self._complete(self._parser)

    def _complete(self, parser: httptools.HttpResponseParser) -> None:
        self._in_message = False
        keep_alive = parser.should_keep_alive()
        ex = self._ex
        if ex is None:
            self._pool.node.waiting.discard(self)
            return
        answer = (
            parser.get_status_code(),
            self._reason,
            self._headers,
            b"".join(self._body),
            self._length,
            keep_alive,
        )
        if ex.method != "HEAD":  # a candidate for the memo (data_received decides)
            self._answer = answer
        self._finish(ex, answer)

    def _finish(self, ex: Exchange, answer: _Answer) -> None:
        status, reason, headers, body, length, keep_alive = answer
        self._ex = None
        node = self._pool.node
        node.waiting.discard(self)
        node.target_answered(ex, status, reason, headers, body, length)
        transport = self._transport
        if (
            keep_alive
            and transport is not None
            and not transport.is_closing()
            and not ex.close_after
        ):
            self._pool.release(self)
        else:
            self.close()
