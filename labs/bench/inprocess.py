"""The bench listener's Python work per request, without sockets: CPU µs per request.

``python -m labs.bench.inprocess [requests [rounds [paired] [varied]]]`` serves the bench's
listener (``labs.bench.serve``: ten rules, round robin, X-Forwarded-*, trace id, access-log
fields, sampled request events with their trace) to fake transports on uvloop: a request as wrk
sends it goes into the client connection, the target's answer (as the bench's HAProxy
backend sends it) comes back from a pooled upstream connection when the proxy writes to
it, and the sink is drained every 100 ms of requests at the rate the real bench reaches,
as a run's flush drains it. What remains is the proxy's own user-space work: the kernel's
share (``transport.write``, reads) and the loop's polling are left out. Process CPU
(``time.process_time``) over the run, per request, the best of several rounds.

``paired``: a round per line read from stdin, its figure printed, so that a driver can
run two versions of the proxy in turns, round for round, on a machine too busy to compare
runs minutes apart.

``varied``: no request repeats the one before it on its connection (each has its own query
string), so none is served from the connection's memo of its last request and answer
(``client_side.Head``): the figure for traffic that is not wrk's one request over and over.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import uvloop

from labs.runtime.client_side import ClientConnection
from labs.runtime.upstream import UpstreamConnection, UpstreamPool
from labs.runtime.wire import EventSink

from .serve import TARGET, bench_node

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.1.5:18082\r\n\r\n"
RESPONSE = (  # what the bench's backend (HAProxy's "http-request return") answers
    b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\ncontent-type: text/plain\r\n\r\n" + b"x" * 99
)
PER_DRAIN = 2_000  # requests between drains: 100 ms at ~20k req/s


class FakeTransport(asyncio.Transport):
    """A connection's transport with no socket behind it: writes are counted and, on the
    target's side (``upstream`` set), each is answered at once with ``reply``, as the
    bench's backend answers each request. Kept this thin: its cost is in the figure."""

    def __init__(self, peer: tuple[str, int], reply: bytes = RESPONSE) -> None:
        super().__init__()
        self.peer = peer
        self.reply = reply
        self.written = 0
        self.upstream: Any = None  # the target's side: the protocol that gets ``reply``

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += 1
        if self.upstream is not None:
            self.upstream.data_received(self.reply)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        raise AssertionError("in-process connections stay open")

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": self.peer}.get(name, default)


def serve_in_process(
    backend: tuple[str, int], target: FakeTransport, clients: list[FakeTransport]
) -> tuple[list[ClientConnection], EventSink]:
    """The bench's listener (``bench_node``) with ``target`` as its one pooled connection
    to its target and a client connection on each of ``clients``.

    Returns the client connections, in the order of ``clients``, and the event sink.
    """
    node, sandbox, sink = bench_node(backend)
    pool = node._pools[TARGET] = UpstreamPool(node, sandbox.endpoint(TARGET))
    upstream = UpstreamConnection(pool)
    upstream.connection_made(target)
    target.upstream = upstream
    pool.release(upstream)
    connections = []
    for transport in clients:
        client = ClientConnection(node)
        client.connection_made(transport)
        connections.append(client)
    return connections, sink


def _varied(count: int) -> list[bytes]:
    return [b"GET /?n=%d HTTP/1.1\r\nHost: 127.0.1.5:18082\r\n\r\n" % n for n in range(count)]


async def _run(
    requests: int, rounds: int, *, paired: bool = False, varied: bool = False
) -> list[float]:
    heads = _varied(requests) if varied else [REQUEST] * requests
    up_transport = FakeTransport(("127.0.0.1", 18080))
    wrk = [FakeTransport(("127.0.0.1", 40000 + n)) for n in range(50)]  # wrk's 50 connections
    clients, sink = serve_in_process(("127.0.0.1", 18080), up_transport, wrk)
    results = []
    for _ in range(rounds):
        if paired and not sys.stdin.readline():  # a driver's cue (an A/B run, in turns)
            break
        written = up_transport.written
        start = time.process_time()
        for n in range(requests):
            clients[n % 50].data_received(heads[n])
            if n % 50 == 49:
                await asyncio.sleep(0)  # the loop turn: the sink's slice runs
            if n % PER_DRAIN == PER_DRAIN - 1:
                await sink.drain_paced()
        await sink.drain_paced()
        results.append((time.process_time() - start) / requests * 1e6)
        if paired:
            print(f"{results[-1]:.3f}", flush=True)
        if up_transport.written - written != requests:
            raise SystemExit("not every request reached the target: no figure")
    return results


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    paired = "paired" in sys.argv[3:]  # a round per line read; each figure printed
    varied = "varied" in sys.argv[3:]
    results = uvloop.run(_run(requests, rounds, paired=paired, varied=varied))
    median = sorted(results)[len(results) // 2]
    figures = " ".join(f"{r:.2f}" for r in results)
    print(f"us CPU/request: best {min(results):.2f}, median {median:.2f}  ({figures})")


if __name__ == "__main__":
    main()
