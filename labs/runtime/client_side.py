"""The client side of an ALB node: parse requests, answer them in order.

Per connection: httptools parses what the client sends; limits are checked as it reads;
each complete request becomes an ``Exchange`` the node routes; answers go back in
order (pipelining allowed). WebSocket upgrades turn the connection into a tunnel.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from functools import lru_cache
from time import perf_counter
from typing import TYPE_CHECKING, cast

import httptools

from labs.engine.desync import ADMITTED, Admission, admit, parse_refusal
from labs.engine.errors import (
    CLIENT_CLOSED,
    HEADERS_TOO_LARGE,
    INCOMPLETE_REQUEST,
    REQUEST_TIMEOUT,
    UNSUPPORTED_TRANSFER_CODING,
    URL_TOO_LONG,
    LbError,
)
from labs.engine.routing import Plan
from labs.engine.rules import RequestFacts

from .exchange import NO_ORIGIN, Exchange, Origin
from .limits import (
    HEADER_LIMIT,
    HEADERS_LIMIT,
    TRANSFER_CODINGS,
    URL_LIMIT,
    Refused,
)
from .websocket import TunnelUpstream

if TYPE_CHECKING:
    from .proxy_http import AlbNode

FORWARDED = frozenset(
    {
        b"host",
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-port",
        b"x-amzn-trace-id",
        b"expect",
    }
)  # the ALB writes (or answers) these
HOP_BY_HOP = frozenset(
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
_NOT_PASSED = FORWARDED | HOP_BY_HOP  # never passed on to the target as received


class ClientConnection(asyncio.Protocol):
    """The client side: parses requests, answers them in order (pipelining allowed)."""

    def __init__(self, node: AlbNode) -> None:
        self.node = node
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        # Made in the loop (a protocol factory); kept, since on Python 3.11 every
        # asyncio.get_running_loop() is a getpid() system call.
        self._loop = asyncio.get_running_loop()
        self._queue: deque[Exchange] = deque()
        self._active: Exchange | None = None
        self._xff_self = ""
        self.origin: Origin = NO_ORIGIN  # every exchange's, once connected
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        # Read off the headers as they are parsed (one pass, one lower() per header):
        self._passed: list[bytes] = []  # the ones the target gets as received, as bytes
        self._host = self._xff = self._trace = b""  # first Host; last XFF, trace id
        self._last_host: tuple[bytes | None, str] = (None, "")  # the last Host: raw, as sent
        self._last_url: tuple[bytes | None, tuple[str, str]] = (None, ("/", ""))  # and path
        self._user_agent: bytes | None = None  # the last one
        self._upgrade_header: bytes | None = None  # the first one
        self._codings: list[bytes] | tuple[()] = ()  # Transfer-Encoding values
        self._expect_continue = False
        self._body: list[bytes] | tuple[()] = ()  # a list once a body arrives
        self._received = 0
        self._header_bytes = 0
        self._in_message = False
        self._last_data = self._opened = 0.0
        self._closing = False  # answer what is in flight, then close (keep-alive expired)
        self._early: list[bytes] | None = None  # bytes after an upgrade request, until 101
        self._upstream: TunnelUpstream | None = None  # set once tunnelling
        self._tasks: set[asyncio.Task[None]] = set()
        self._method: str | None = None  # a method token httptools does not know
        self._refused = False  # the ALB refused a request here: nothing more is read
        self._admitted: tuple[tuple[object, ...], Admission] = ((), ADMITTED)  # last head
        self.facts: tuple[tuple[object, ...], RequestFacts] | None = None  # the node's, last
        # The last chunk that held exactly one whole body-less request, and its Head: the
        # same bytes, fed between messages, parse alike, so a repeat is not parsed again.
        # A Head is made on a chunk's second time in a row: traffic that never repeats
        # does not pay for one.
        self._memo: tuple[bytes, Head] | None = None
        self._seen = b""  # the last chunk that held one whole body-less request
        self._begun = 0  # messages begun in the current data_received
        self._made: tuple[Exchange, bool] | None = None  # its exchange, and keep-alive as parsed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self.node.ctx.connections.add(transport)
        self.node.clients.add(self)
        self._last_data = self._opened = self._loop.time()
        host, port = transport.get_extra_info("peername")[:2]
        client_ip = self.node.ctx.sandbox.virtual(host) or host
        # routing.http.xff_client_port.enabled appends ":port" (IPv6 as "[addr]:port").
        client = f"[{client_ip}]" if ":" in client_ip else client_ip
        self._xff_self = f"{client}:{port}" if self.node.settings.xff_client_port else client_ip
        if self.node.drops(client_ip, (host, port)):
            # Dropped as AWS drops the SYN: never answered, never logged; the reaper
            # closes it at the idle timeout and the client's own timeout fires first.
            self._refused = True
            return
        tls = None
        ssl_object = transport.get_extra_info("ssl_object")
        certificates = self.node.certificates
        if ssl_object is not None and certificates is not None:
            cipher = ssl_object.cipher()
            sni = certificates.server_name(ssl_object)
            tls = (
                cipher[0] if cipher else "-",
                ssl_object.version() or "-",
                sni,
                certificates.chosen(sni)[0],
            )
        node, listener = self.node, self.node.listener
        self.origin = (
            client_ip,
            port,
            node.lb.name,
            node.node.az,
            listener.port,
            listener.protocol,
            tls,
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.node.ctx.connections.discard(self._transport)
        self.node.clients.discard(self)
        self._transport = None
        if self._upstream is not None and self._upstream.transport is not None:
            self._upstream.transport.close()
        for task in self._tasks:
            task.cancel()
        for ex in ([self._active] if self._active else []) + list(self._queue):
            # 460: the client left before its answer; logged at once, never seen (spec
            # §4.3). ``abandoned`` tells the target's side to leave the record alone.
            ex.abandoned = True
            ex.elb_status = CLIENT_CLOSED.status
            ex.error_reason = CLIENT_CLOSED.cause
            ex.t_responded = perf_counter()
            self.node.ctx.record(ex)
        self._active = None
        self._queue.clear()

    def hold(self, task: asyncio.Task[None]) -> None:
        """Keep a task that works for this connection until it is done."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def tunnel(self, upstream: TunnelUpstream, received: bytes, *, upgraded: bool) -> None:
        """The target answered an upgrade: relay it, then pass bytes both ways (if 101)."""
        transport = self._transport
        self._active = None
        if transport is None:
            if upstream.transport is not None:
                upstream.transport.close()
            return
        transport.write(received)
        upstream.peer = transport
        self._upstream = upstream
        if upgraded and upstream.transport is not None:
            upstream.transport.write(b"".join(self._early or []))
        self._early = None

    def upstream_closed(self) -> None:
        if self._upstream is not None and self._transport is not None:
            self._transport.close()

    def eof_received(self) -> bool:
        """The client half-closed: answer what it asked, then close (True keeps writing)."""
        if self._in_message and not self._refused:
            self._refuse(INCOMPLETE_REQUEST)  # 400: it closed before its request was whole
            return self._transport is not None and not self._transport.is_closing()
        if self._active is None and not self._queue:
            return False
        self._closing = True
        return self._transport is not None and self._transport.get_extra_info("ssl_object") is None

    def reap(self, now: float, idle: float, lifetime: float) -> None:
        transport = self._transport
        if transport is None or self._active is not None or self._upstream is not None:
            return
        if now - self._last_data >= idle:
            if self._in_message:
                self._refuse(REQUEST_TIMEOUT)  # started a request and went quiet
            else:
                transport.close()
        elif now - self._opened >= lifetime:
            self._closing = True
            transport.close()

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        self._last_data = self._loop.time()
        if self._upstream is not None and self._upstream.transport is not None:
            self._upstream.transport.write(data)  # upgraded: bytes pass untouched
            return
        if self._early is not None:
            self._early.append(data)
            return
        if self._refused:
            return  # the parser stopped at the refusal; the connection is closing
        between = not self._in_message
        if between:
            memo = self._memo
            if memo is not None and data == memo[0]:
                self._repeat(memo[1])  # the last request again, byte for byte
                return
            fed = self._stand_in(data)
        else:
            fed = data
        self._begun = 0
        self._made = None
        try:
            self._parser.feed_data(fed)
        except httptools.HttpParserUpgrade as upgrade:
            self._early = [fed[upgrade.args[0] :]]
        except httptools.HttpParserCallbackError as error:
            refused = error.__context__
            self._refuse(refused.error if isinstance(refused, Refused) else parse_refusal(""))
        except httptools.HttpParserError as error:
            self._refuse(parse_refusal(str(error)))  # 400, or 505 for another HTTP version
        else:
            made = self._made
            if between and made is not None and self._begun == 1 and not self._in_message:
                if data == self._seen:
                    self._memo = (data, Head(made[0], made[1], self._trace))
                self._seen = data

    def _stand_in(self, data: bytes) -> bytes:
        """Let httptools parse a method it does not know (``GETX``, lower-case ``get``).

        The ALB routes any token as a method (the http-request-method condition matches
        it case-sensitively); llhttp refuses all but its own list. So a request that
        starts a chunk with another token is fed with ``GET`` in its place and the real
        token is restored when the message completes. One ``find`` and one set lookup per
        chunk that starts a request; a custom method in the middle of a pipelined chunk is
        still refused (400).
        """
        if data.startswith(_COMMON_METHODS):
            return data  # nearly every request: one call, no slicing
        end = data.find(b" ", 0, _METHOD_MAX + 1)
        if end <= 0:
            return data
        token = data[:end]
        if token in _LLHTTP_METHODS or token.strip(_TCHAR):
            return data  # a method llhttp knows, or not a token: the parser decides
        self._method = token.decode("latin-1")
        return b"GET" + data[end:]

    def _refuse(self, error: LbError) -> None:
        """Answer a request the ALB will not route (malformed, too large…), log it, close.

        It gets a request event and an access-log line like any other, with ``-1``
        processing times and ``-`` for the target, as AWS logs it (spec §4.4).
        """
        if self._transport is None or self._refused:
            return
        self._refused = True
        self._in_message = False
        ex = self._exchange(
            self._method or _parsed_method(self._parser, self._url),
            self._url,
            self._headers,
            b"",
            "1.1",
            False,  # the ALB closes after its refusal
            perf_counter(),
        )
        ex.refusal = error
        self._describe(ex)
        self._queue.append(ex)
        if self._active is None:
            self._next()

    # --- httptools callbacks ----------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._begun += 1
        self._url = b""
        self._headers = []
        self._passed = []
        self._host = self._xff = self._trace = b""
        self._user_agent = self._upgrade_header = None
        self._codings = ()
        self._expect_continue = False
        self._body = ()
        self._header_bytes = 0
        self._in_message = True

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > URL_LIMIT:
            raise Refused(URL_TOO_LONG)

    def on_header(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value)
        self._header_bytes += size
        if size > HEADER_LIMIT or self._header_bytes > HEADERS_LIMIT:
            raise Refused(HEADERS_TOO_LARGE)
        self._headers.append((name, value))
        lower = name.lower()
        if lower not in _NOT_PASSED:
            self._passed += (name, b": ", value, b"\r\n")
            if lower == b"user-agent":
                self._user_agent = value
        elif lower == b"host":
            self._host = self._host or value
        elif lower == b"x-forwarded-for":
            self._xff = value
        elif lower == b"x-amzn-trace-id":
            self._trace = value
        elif lower == b"transfer-encoding":
            self._codings = [*self._codings, value]
        elif lower == b"expect":
            self._expect_continue |= value.strip().lower() == b"100-continue"
        elif lower == b"upgrade" and self._upgrade_header is None:
            self._upgrade_header = value

    def on_headers_complete(self) -> None:
        for value in self._codings:
            if value.strip().lower().rsplit(b",", 1)[-1].strip() not in TRANSFER_CODINGS:
                raise Refused(UNSUPPORTED_TRANSFER_CODING)
        if self._expect_continue and self._transport is not None:
            # The ALB answers 100 Continue itself and drops Expect (spec §4.1).
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self._body:
            self._body.append(body)
        else:
            self._body = [body]

    def on_message_complete(self) -> None:
        self._in_message = False
        upgrade = self._parser.should_upgrade()
        started = perf_counter()
        parser = self._parser
        custom = self._method is not None
        method, self._method = self._method or parser.get_method().decode("latin-1"), None
        ex = self._exchange(
            method,
            self._url,
            self._headers,
            b"".join(self._body),
            parser.get_http_version(),
            parser.should_keep_alive(),
            started,
        )
        if upgrade:
            ex.upgrade = self._upgrade_header or b"websocket"
        self._describe(ex)
        if not (upgrade or custom or self._body or self._codings or self._expect_continue):
            # A candidate for the memo: data_received keeps it if the chunk held only it.
            self._made = (ex, ex.keep_alive)
        self._queue.append(ex)
        if self._active is None:
            self._next()

    def _repeat(self, head: Head) -> None:
        """The request ``head`` was made from, again: an exchange as parsing would make."""
        ex = self._exchange(
            head.method, head.url, head.headers, b"", head.version, head.keep_alive, perf_counter()
        )
        ex.head = head
        ex.path = head.path
        ex.query = head.query
        ex.passed = head.passed
        ex.user_agent = head.user_agent
        ex.host = head.host
        ex.xff_received = head.xff_received
        ex.xff = head.xff
        ex.trace_id = _trace_id(head.trace, ex.wall_start, self.node.ctx.rng)
        self._queue.append(ex)
        if self._active is None:
            self._next()

    def _exchange(
        self,
        method: str,
        url: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        version: str,
        keep_alive: bool,
        started: float,
    ) -> Exchange:
        """A request of this connection's, with the bytes read since the last one."""
        ex = Exchange(
            self,
            self.origin,
            method,
            url,
            headers,
            body,
            version,
            keep_alive,
            started,
            time.time(),
            self.node.ctx.clock.now(),
        )
        ex.received, self._received = self._received, 0
        return ex

    def _describe(self, ex: Exchange) -> None:
        """What is read off a parsed request's headers (a repeat reads it off its Head)."""
        node = self.node
        if ex.url != self._last_url[0]:  # a connection often repeats its URL, too
            self._last_url = (ex.url, _path_and_query(ex.url))
        ex.path, ex.query = self._last_url[1]
        ex.passed = b"".join(self._passed)
        if self._user_agent is not None:
            ex.user_agent = self._user_agent.decode("latin-1")
        settings = node.settings
        raw = self._host
        if raw != self._last_host[0]:  # a connection usually repeats its Host
            host = raw.decode("latin-1")
            host = host if settings.preserve_host else _normalise_host(host, node.listener.port)
            self._last_host = (raw, host)
        ex.host = self._last_host[1]
        ex.xff_received = self._xff.decode("latin-1")
        ex.xff = _forwarded_for(ex.xff_received, self._xff_self, settings.xff_mode)
        ex.trace_id = _trace_id(self._trace.decode("latin-1"), ex.wall_start, node.ctx.rng)

    def _next(self) -> None:
        if not self._queue:
            return
        ex = self._active = self._queue.popleft()
        refusal = ex.refusal
        if refusal is None:  # HTTP version, X-Forwarded-For, desync mitigation (§4.2, §4.3)
            # admit() reads only the request head (X-Forwarded-For is one of its headers)
            # and the listener's mode, and a keep-alive connection usually repeats its
            # head: the same head is admitted alike, one tuple compare instead of a scan.
            same = ex.head
            if same is not None and same.admission is not None:
                admission = same.admission
            elif (head := (ex.version, ex.method, ex.url, *ex.headers)) == self._admitted[0]:
                admission = self._admitted[1]
            else:
                admission = admit(
                    forwarded_for=ex.xff_received,
                    version=ex.version,
                    method=ex.method,
                    uri=ex.url,
                    headers=ex.headers,
                    mode=self.node.settings.desync_mode,
                )
                self._admitted = (head, admission)
            if same is not None:
                same.admission = admission
            refusal, ex.classification = admission.refusal, admission.classification
            if admission.close_after:
                ex.keep_alive = False
                ex.close_after = True
                self._refused = refusal is not None  # read nothing more (an h2 preface)
        if refusal is not None:
            self.node.answer_error(ex, refusal.status, refusal.cause)
            return
        self.node.dispatch(ex)

    def respond(self, ex: Exchange, payload: bytes) -> None:
        transport = self._transport
        self._active = None
        if transport is None or transport.is_closing():
            return
        transport.write(payload)
        if not ex.keep_alive or (self._closing and not self._queue):
            transport.close()
            return
        if self._queue:
            self._next()


class Head:
    """What a connection read off one body-less request, kept to serve its repeats.

    Made from an exchange of that head, after ``_describe``: everything but the
    per-request parts (times, trace id). The node keeps what it derives from the head
    alone here too (its admission, its RequestFacts, the target's request up to the
    trace id): a repeat costs a compare of bytes, not a parse and a derivation."""

    __slots__ = (
        "admission",
        "facts",
        "headers",
        "host",
        "keep_alive",
        "logged",
        "method",
        "passed",
        "path",
        "plan",
        "query",
        "to_target",
        "trace",
        "url",
        "user_agent",
        "version",
        "xff",
        "xff_received",
    )

    def __init__(self, ex: Exchange, keep_alive: bool, trace: bytes) -> None:
        self.method = ex.method
        self.url = ex.url
        self.headers = ex.headers
        self.version = ex.version
        self.keep_alive = keep_alive  # as parsed (an admission may end it for that one)
        self.path = ex.path
        self.query = ex.query
        self.passed = ex.passed
        self.user_agent = ex.user_agent
        self.host = ex.host
        self.xff_received = ex.xff_received
        self.xff = ex.xff
        self.trace = trace.decode("latin-1")  # the X-Amzn-Trace-Id received
        self.admission: Admission | None = None
        self.facts: RequestFacts | None = None
        self.plan: Plan | None = None  # the engine's routing.plan for those facts
        self.to_target: bytes | None = None  # the target's request, up to the trace id
        self.logged: tuple[str, str] | None = None  # its access-log client and request line


_LLHTTP_METHODS = frozenset(
    b"DELETE GET HEAD POST PUT CONNECT OPTIONS TRACE COPY LOCK MKCOL MOVE PROPFIND "
    b"PROPPATCH SEARCH UNLOCK BIND REBIND UNBIND ACL REPORT MKACTIVITY CHECKOUT MERGE "
    b"M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PATCH PURGE MKCALENDAR LINK UNLINK SOURCE "
    b"QUERY".split()
)
_TCHAR = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_COMMON_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"PATCH ")
_METHOD_MAX = 127  # longer is no method anyone sends; leave it to the parser (400)


def _parsed_method(parser: httptools.HttpRequestParser, url: bytes) -> str:
    """The method of a request refused mid-parse, or ``-`` (as AWS logs it) when the
    parser stopped before it had one: with no URL read, llhttp's method is its enum's
    0, DELETE, whatever the client sent."""
    if not url:
        return "-"
    try:
        return str(parser.get_method().decode("latin-1"))
    except httptools.HttpParserError:
        return "-"


def _path_and_query(url: bytes) -> tuple[str, str]:
    try:
        parsed = httptools.parse_url(url)
    except httptools.HttpParserInvalidURLError:
        return "/", ""  # a refused request's URL may be cut short or invalid
    return (parsed.path or b"/").decode("latin-1"), (parsed.query or b"").decode("latin-1")


def _forwarded_for(received: str, client: str, mode: str) -> str | None:
    """The X-Forwarded-For the target gets (routing.http.xff_header_processing.mode)."""
    if mode == "remove":
        return None
    if mode == "preserve":
        return received or None  # absent stays absent
    return f"{received}, {client}" if received else client


def _normalise_host(host: str, listener_port: int) -> str:
    # routing.http.preserve_host_header.enabled=false (spec §4.1): drop the port on 80/443,
    # add the listener port on any other; host names are lower-cased.
    name, sep, _port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    name = (name if sep else host).lower()
    if listener_port in (80, 443):
        return name
    return f"{name}:{listener_port}"


@lru_cache(maxsize=4)
def _root_prefix(second: int) -> str:
    # The epoch's hex changes once a second; formatting it per request was half the cost.
    return "Root=1-%08x-" % second  # noqa: UP031 - faster


def _trace_id(existing: str, epoch: float, rng: random.Random) -> str:
    if "Root=" not in existing:  # nearly every request: one format, nothing else
        # to_bytes().hex() formats the 96 bits a third faster than "%024x", same digits.
        return _root_prefix(int(epoch)) + rng.getrandbits(96).to_bytes(12).hex()
    fresh = "1-%08x-%024x" % (int(epoch), rng.getrandbits(96))  # noqa: UP031
    fields = [f for f in existing.split(";") if f and not f.startswith("Self=")]
    return ";".join([f"Self={fresh}", *fields])
