"""Simulated clients: generated traffic, or exactly the requests a script lists.

Each client is one "browser": its own public-looking address (bound as a distinct
loopback source address, so the load balancer sees a real, distinct peer), one
keep-alive connection and a cookie jar. Like a browser resolving the LB's DNS name, a
client picks one node and keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import random
import socket
import ssl
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import httptools

from labs.engine import packets
from labs.engine.events import TlsNegotiationError

from .clock import LabClock
from .options import ScriptedRequest
from .sandbox import Sandbox, SandboxViolation
from .sockets import connect_socket


@dataclass(frozen=True, slots=True)
class Entry:
    """Where a client reaches one listener of one load balancer: one socket per node."""

    lb: str
    port: int
    dns_name: str
    nodes: tuple[tuple[str, int], ...]  # real (host, port) per node
    tls: ssl.SSLContext | None = None  # HTTPS listeners: trusts the run's CA
    datagrams: bool = False  # a UDP listener: clients send datagrams, not HTTP
    # The nodes the LB's DNS name returns now (NLB: the engine's ``flows.in_dns``).
    resolve: Callable[[], tuple[tuple[str, int], ...]] | None = None

    def in_dns(self) -> tuple[tuple[str, int], ...]:
        return self.resolve() if self.resolve is not None else self.nodes


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


# A scripted request's outcome: the answer, the failed handshake, or why nothing came.
Answer = Response | TlsNegotiationError | str


class _ResponseReader:
    """httptools callbacks collecting one response."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.done = False
        self.keep_alive = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def interim(self) -> bool:
        """A 1xx answer (100 Continue) before the real one: RFC 9110 §15.2, skip it."""
        return 100 <= self.parser.get_status_code() < 200 and self.parser.get_status_code() != 101

    def on_headers_complete(self) -> None:
        if self.method == "HEAD" and not self.interim():  # no body, whatever Content-Length
            self.on_message_complete()

    def on_message_complete(self) -> None:
        if self.done:
            return  # a HEAD answer already ended at its headers
        if self.interim():
            self.headers.clear()  # the final response follows on the same connection
            self.body.clear()
            return
        # llhttp forgets keep-alive once the message is over: ask while it is current.
        self.keep_alive = self.parser.should_keep_alive()
        self.done = True


class _NothingBack(Exception):
    """The connection ended before a single byte of the answer."""


# (entry, client's virtual IP, the server name asked for, the error): a handshake that
# failed; returns the ``tls.error`` event it reported, so a scripted request can answer it.
TlsFailed = Callable[["Entry", str, str, ssl.SSLError], TlsNegotiationError]


@dataclass(slots=True)
class Client:
    ip: str  # virtual public address
    source_host: str  # its loopback stand-in
    cookies: dict[str, str] = field(default_factory=dict)
    _conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    _node: tuple[str, int] | None = None
    busy: bool = False

    async def request(
        self,
        node: tuple[str, int],
        method: str,
        target: str,
        host: str,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        within: float = 30.0,
        tls: ssl.SSLContext | None = None,
    ) -> Response:
        reused = self._reusable(node)
        try:
            return await self._exchange(node, method, target, host, headers, body, within, tls)
        except _NothingBack:
            if not reused:
                raise ConnectionResetError("the load balancer closed the connection") from None
        # Like a browser: a kept-alive connection the LB closed as we sent (its idle
        # timeout) gets the request again on a new connection, once.
        return await self._exchange(node, method, target, host, headers, body, within, tls)

    def _reusable(self, node: tuple[str, int]) -> bool:
        """Whether the kept-alive connection to ``node`` is still open (else drop it)."""
        if self._conn is None:
            return False
        reader, writer = self._conn
        if self._node == node and not writer.is_closing() and not reader.at_eof():
            return True
        writer.close()
        self._conn = None
        return False

    async def _exchange(
        self,
        node: tuple[str, int],
        method: str,
        target: str,
        host: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        within: float,
        tls: ssl.SSLContext | None,
    ) -> Response:
        conn = self._conn if self._reusable(node) else None
        if conn is None:
            conn = await asyncio.open_connection(
                sock=await _connected(self.source_host, node),
                ssl=tls,
                server_hostname=host.split(":")[0] if tls else None,
            )
            self._conn, self._node = conn, node
        reader, writer = conn
        given = {name.lower() for name, _ in headers}
        lines = [f"{method} {target} HTTP/1.1", *(f"{k}: {v}" for k, v in headers)]
        if "host" not in given:
            lines.append(f"Host: {host}")
        if "user-agent" not in given:
            lines.append("User-Agent: elb-playground-client/1.0")
        if self.cookies and "cookie" not in given:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body:
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        collected = _ResponseReader(method)
        parser = collected.parser
        received = False
        try:
            async with asyncio.timeout(within):
                while not collected.done:
                    try:
                        data = await reader.read(65536)
                    except ConnectionResetError:
                        data = b""
                    if not data:
                        if received:
                            raise ConnectionResetError("the load balancer closed the connection")
                        raise _NothingBack
                    received = True
                    parser.feed_data(data)
        except BaseException:
            await self.close()
            raise
        if not collected.keep_alive:
            await self.close()
        self._remember_cookies(collected.headers)
        return Response(parser.get_status_code(), collected.headers, b"".join(collected.body))

    def _remember_cookies(self, headers: list[tuple[str, str]]) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                cookie: SimpleCookie = SimpleCookie()
                cookie.load(value)
                for key, morsel in cookie.items():
                    self.cookies[key] = morsel.value

    async def close(self) -> None:
        if self._conn is not None:
            writer = self._conn[1]
            self._conn = None
            writer.close()


# Public-looking client addresses, in the order clients get them: the documentation
# ranges (RFC 5737) from 198.51.100.10 on, then the benchmarking range (RFC 2544,
# 131,072 addresses), so a script may have as many distinct clients as it likes.
_CLIENT_RANGES = ("198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "198.18.0.0/15")


def _client_addresses() -> Iterator[str]:
    for network in _CLIENT_RANGES:
        for address in ipaddress.IPv4Network(network).hosts():
            if not (network == _CLIENT_RANGES[0] and address.packed[3] < 10):
                yield str(address)
    raise SandboxViolation("the run has used every client address")


async def _connected(source_host: str, node: tuple[str, int]) -> socket.socket:
    """A socket from ``source_host`` connected to ``node``. SO_REUSEADDR lets an NLB
    node preserving client IPs bind its upstream socket to this very address and port,
    so the target sees the client's socket as its peer (spec §6.3)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        sock.bind((source_host, 0))
        await connect_socket(asyncio.get_running_loop(), sock, node)
    except BaseException:
        sock.close()
        raise
    return sock


class ClientPool:
    """Clients by id, each with its own virtual public address."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._clients: dict[str, Client] = {}
        self._addresses = _client_addresses()

    def get(self, key: str, ip: str | None = None) -> Client:
        client = self._clients.get(key)
        if client is None:
            ip = ip or next(self._addresses)
            client = Client(ip, self._sandbox.loopback(ip))
            self._clients[key] = client
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()


@dataclass(frozen=True, slots=True)
class MixItem:
    """One kind of generated request: its path (and query), Host, headers, and weight."""

    path: str
    host: str | None = None  # None: the template's, else the load balancer's DNS name
    headers: tuple[tuple[str, str], ...] = ()
    weight: int = 1


@dataclass(slots=True)
class Rate:
    """The generated traffic's settings; changes take effect at the next request.

    ``rps`` requests a second (0, or ``paused``: none, and resuming keeps the rate),
    from ``clients`` clients (None: the template's), drawn by weight from ``mix`` (empty:
    the template's paths), on kept-alive connections unless ``keep_alive`` is off.
    """

    rps: float
    paused: bool = False
    clients: int | None = None
    mix: tuple[MixItem, ...] = ()
    keep_alive: bool = True

    def current(self) -> float:
        return 0.0 if self.paused else self.rps

    def pick(self, rng: random.Random) -> MixItem | None:
        if not self.mix:
            return None
        return rng.choices(self.mix, weights=[item.weight for item in self.mix])[0]


PAUSED_POLL = 0.1  # seconds between looks at a paused (0 rps) rate
DATAGRAM_WAIT = 2.0  # wall seconds a client waits for a UDP answer


async def generate(
    entries: Sequence[Entry],
    clients: ClientPool,
    *,
    rate: Rate,
    client_count: int,
    paths: Sequence[str],
    host: str | None,
    rng: random.Random,
    tls_failed: TlsFailed | None = None,
) -> None:
    """Send about ``rate.rps`` requests a second, round-robin over idle clients, until
    cancelled. A TLS handshake that fails is told to ``tls_failed`` (it never reaches
    the proxy as a request, so nobody else can say it)."""
    loop = asyncio.get_running_loop()
    pool = [clients.get(f"client-{n}") for n in range(client_count)]
    nodes = _spread(pool, entries[0].nodes, rng)
    tasks: set[asyncio.Task[None]] = set()
    if entries[0].datagrams:
        with _Datagrams() as datagrams:
            await _generate_datagrams(datagrams, pool, nodes, rate, entries[0], rng)
        return
    next_at = loop.time()
    for turn in itertools.count():
        rps = rate.current()
        if rps <= 0:
            await asyncio.sleep(PAUSED_POLL)
            next_at = loop.time()
            continue
        client = clients.get(f"client-{turn % (rate.clients or client_count)}")
        nodes.setdefault(client.ip, rng.choice(entries[0].nodes))
        _resolve_again(nodes, client, entries[0], rng)
        if not client.busy:
            item = rate.pick(rng) or MixItem(rng.choice(paths), host)
            task = loop.create_task(
                _one(client, nodes[client.ip], entries[0], item, host, rate.keep_alive, tls_failed)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        next_at += 1.0 / rps
        await asyncio.sleep(max(0.0, next_at - loop.time()))


def _spread(
    pool: Sequence[Client], nodes: Sequence[tuple[str, int]], rng: random.Random
) -> dict[str, tuple[str, int]]:
    """Each client's first node: DNS returns every node in a shuffled order per query, so
    clients spread evenly over the nodes (six clients, two nodes: three each), not all on
    one by a run of bad luck that would leave a zone's targets without a single flow."""
    order = list(nodes)
    rng.shuffle(order)
    return {c.ip: order[n % len(order)] for n, c in enumerate(pool)}


def _resolve_again(
    nodes: dict[str, tuple[str, int]], client: Client, entry: Entry, rng: random.Random
) -> None:
    """A client keeps its node while DNS still returns it, else it picks another."""
    live = entry.in_dns()
    if nodes[client.ip] not in live:
        nodes[client.ip] = rng.choice(live)


class _Datagrams:
    """One UDP socket per client, kept for the run: like a client of a UDP service, it
    sends from one port, so its datagrams stay one NLB flow while it keeps talking."""

    def __init__(self) -> None:
        self._socks: dict[str, socket.socket] = {}

    def __enter__(self) -> _Datagrams:
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in self._socks.values():
            sock.close()

    def for_client(self, client: Client, node: tuple[str, int]) -> socket.socket:
        """The client's socket to ``node`` (a new one if DNS moved it to another node)."""
        sock = self._socks.get(client.ip)
        if sock is not None and sock.getpeername()[:2] != node:
            sock.close()
            sock = None
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._socks[client.ip] = sock
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # see _connected
            sock.setblocking(False)
            sock.bind((client.source_host, 0))
            sock.connect(node)
        return sock


async def _generate_datagrams(
    datagrams: _Datagrams,
    pool: list[Client],
    nodes: dict[str, tuple[str, int]],
    rate: Rate,
    entry: Entry,
    rng: random.Random,
) -> None:
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    next_at = loop.time()
    for turn in itertools.count():
        rps = rate.current()
        if rps <= 0:
            await asyncio.sleep(PAUSED_POLL)
            next_at = loop.time()
            continue
        client = pool[turn % len(pool)]
        _resolve_again(nodes, client, entry, rng)
        if not client.busy:
            sock = datagrams.for_client(client, nodes[client.ip])
            task = loop.create_task(_one_datagram(client, sock, turn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        next_at += 1.0 / rps
        await asyncio.sleep(max(0.0, next_at - loop.time()))


async def _one_datagram(client: Client, sock: socket.socket, number: int) -> None:
    client.busy = True
    loop = asyncio.get_running_loop()
    try:
        await loop.sock_sendall(sock, f"ping {number}".encode())
        async with asyncio.timeout(DATAGRAM_WAIT):
            await loop.sock_recv(sock, 65536)
    except (OSError, TimeoutError):
        pass  # UDP: a datagram may go unanswered; the node has reported its flow
    finally:
        client.busy = False


async def _one(
    client: Client,
    node: tuple[str, int],
    entry: Entry,
    item: MixItem,
    host: str | None,
    keep_alive: bool = True,
    tls_failed: TlsFailed | None = None,
) -> None:
    client.busy = True
    headers = item.headers if keep_alive else (*item.headers, ("Connection", "close"))
    name = item.host or host or entry.dns_name
    try:
        await client.request(node, "GET", item.path, name, headers, tls=entry.tls)
    except ssl.SSLError as exc:
        if tls_failed is not None:
            tls_failed(entry, client.ip, name.split(":")[0], exc)
    except (OSError, TimeoutError, httptools.HttpParserError):
        pass  # the proxy has already reported what it saw; a lost reply is not news
    finally:
        client.busy = False


def tls_reason(exc: ssl.SSLError) -> str:
    """The handshake's failure in a line: ``verify_message`` for a certificate (e.g.
    "Hostname mismatch, certificate is not valid for 'x'."), else the library's reason."""
    verify = getattr(exc, "verify_message", None)
    return str(verify or exc.reason or exc)


# OpenSSL's X509_V_ERR_* codes a client's check of the server's certificate yields.
_VERIFY_CODES = {
    62: "hostname-mismatch",  # X509_V_ERR_HOSTNAME_MISMATCH
    18: "unknown-ca",  # DEPTH_ZERO_SELF_SIGNED_CERT
    19: "unknown-ca",  # SELF_SIGNED_CERT_IN_CHAIN
    20: "unknown-ca",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "unknown-ca",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    9: "certificate-not-yet-valid",
    10: "certificate-expired",
}
# The alerts and local errors a handshake ends with when no certificate is judged.
_REASONS = {
    "TLSV1_ALERT_UNRECOGNIZED_NAME": "no-certificate-for-name",
    "TLSV1_ALERT_PROTOCOL_VERSION": "protocol-version",
    "UNSUPPORTED_PROTOCOL": "protocol-version",
    "WRONG_VERSION_NUMBER": "protocol-version",
    "NO_PROTOCOLS_AVAILABLE": "protocol-version",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "no-shared-cipher",
    "NO_SHARED_CIPHER": "no-shared-cipher",
    "TLSV1_ALERT_UNKNOWN_CA": "unknown-ca",
}


def tls_code(exc: ssl.SSLError) -> str:
    """What went wrong, as one of the codes labs.messages.TLS_REASONS words for a viewer."""
    verify = getattr(exc, "verify_code", None)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _VERIFY_CODES.get(verify or 0, "certificate-invalid")
    return _REASONS.get(str(exc.reason or ""), "handshake-failure")


async def play(
    script: Sequence[ScriptedRequest],
    entries: Sequence[Entry],
    clients: ClientPool,
    clock: LabClock,
    answers: list[Answer] | None = None,
    tls_failed: TlsFailed | None = None,
) -> list[Answer]:
    """Send each scripted request in order, waiting for its answer (or error text).

    Each answer is appended to ``answers`` as it arrives, so a run cut short still
    knows which requests were answered; the list is also returned. No request is
    dropped silently: one that cannot be sent or gets no answer has its error text, and
    one whose TLS handshake failed has the ``tls.error`` event ``tls_failed`` reported.
    """
    answers = [] if answers is None else answers
    for number, item in enumerate(script):
        if item.wait:
            await clock.sleep(item.wait)
        answers.append(await _play_one(number, item, entries, clients, tls_failed))
    return answers


def _entry_for(item: ScriptedRequest, entries: Sequence[Entry]) -> tuple[Entry, str, str]:
    url = urlsplit(item.url)
    port = url.port or (443 if url.scheme == "https" else 80)  # ValueError: a bad port
    matching = [e for e in entries if e.port == port and (item.lb is None or e.lb == item.lb)]
    if not matching:
        raise LookupError(f"no listener on port {port}" + (f" of {item.lb}" if item.lb else ""))
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    return matching[0], target, url.netloc or matching[0].dns_name


async def _play_one(
    number: int,
    item: ScriptedRequest,
    entries: Sequence[Entry],
    clients: ClientPool,
    tls_failed: TlsFailed | None,
) -> Answer:
    try:
        entry, target, host = _entry_for(item, entries)
    except (LookupError, ValueError) as exc:  # ValueError: a port that is not one
        return str(exc)
    try:
        client = clients.get(item.client or f"script-{number}", item.client_ip)
    except SandboxViolation as exc:
        return str(exc)
    except ValueError:
        return f"client_ip {item.client_ip!r} is not an IPv4 address (the sandbox has no IPv6)"
    node = entry.nodes[zlib.crc32(client.ip.encode()) % len(entry.nodes)]
    try:
        response = await client.request(
            node, item.method, target, host, item.headers, item.body, tls=entry.tls
        )
    except ssl.SSLError as exc:
        if tls_failed is None:
            return f"TLS handshake failed: {tls_reason(exc)}"
        return tls_failed(entry, client.ip, host.split(":")[0], exc)
    except (OSError, TimeoutError, httptools.HttpParserError) as exc:
        return f"{type(exc).__name__}: {exc}"
    except UnicodeEncodeError:
        return "a request line or header is not Latin-1 text"
    if item.client is None:
        await client.close()
    return response


async def send_packets(
    entries: Sequence[Entry],
    clients: ClientPool,
    *,
    rate: Rate,
    client_count: int,
    destinations: Sequence[tuple[str, str]],
    rng: random.Random,
    flows_per_client: int = 3,
) -> None:
    """GWLB traffic: about ``rate.rps`` inner IPv4 packets a second, until cancelled.

    Each client picks one GWLB endpoint (the route-table next hop of its zone) and a few
    flows (a source port and a ``(protocol, "ip:port")`` destination), then sends each
    packet of a flow as one UDP datagram from its own loopback address to the endpoint.
    """
    loop = asyncio.get_running_loop()
    pool = [clients.get(f"client-{n}") for n in range(client_count)]
    endpoint = _spread(pool, entries[0].nodes, rng)
    flows = {
        c.ip: [
            (rng.randrange(32768, 61000), rng.choice(destinations)) for _ in range(flows_per_client)
        ]
        for c in pool
    }
    sockets: dict[str, socket.socket] = {}
    try:
        for c in pool:
            sock = sockets[c.ip] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.bind((c.source_host, 0))
        next_at = loop.time()
        for turn in itertools.count():
            if rate.current() <= 0:
                await asyncio.sleep(PAUSED_POLL)
                next_at = loop.time()
                continue
            client = pool[turn % len(pool)]
            port, (protocol, address) = rng.choice(flows[client.ip])
            ip, destination_port = address.rsplit(":", 1)
            packet = packets.build(
                protocol=protocol,
                source=(client.ip, port),
                destination=(ip, int(destination_port)),
                payload=b"x" * rng.randrange(16, 512),
                ident=turn,
            )
            with contextlib.suppress(BlockingIOError):  # loopback full: lost, as UDP is
                sockets[client.ip].sendto(packet, endpoint[client.ip])
            next_at += 1.0 / max(rate.current(), 0.001)
            await asyncio.sleep(max(0.0, next_at - loop.time()))
    finally:
        for sock in sockets.values():
            sock.close()
