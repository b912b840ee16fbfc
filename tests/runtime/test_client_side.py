"""What the ALB answers on the client side before any target is involved (spec §4.3)."""

import asyncio
import socket
import struct

import pytest

from labs.runtime.orchestrator import LabRuntime, RunOptions

from .helpers import EventLog, of_type, topology

pytestmark = pytest.mark.timeout(30)


class Node(EventLog):
    """A started lab without generated traffic, and raw client sockets to one of its nodes."""

    def __init__(self, edit=None, **options):
        super().__init__()
        self.runtime = LabRuntime(
            topology(edit),
            RunOptions(duration=25, clock_speed=options.pop("clock_speed", 1), **options),
            self.emit,
            sample_events=False,
        )

    async def __aenter__(self):
        await self.runtime.__aenter__()
        await self.runtime._first_checks.wait()
        return self

    async def __aexit__(self, *exc):
        await self.runtime.__aexit__(*exc)

    async def connect(self):
        host, port = self.runtime.entries()[0].nodes[0]
        return await asyncio.open_connection(host, port)

    async def exchange(self, raw: bytes) -> bytes:
        reader, writer = await self.connect()
        writer.write(raw)
        try:
            async with asyncio.timeout(10):
                return await reader.read(65536)
        finally:
            writer.close()


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /" + b"a" * (17 * 1024) + b" HTTP/1.1\r\nHost: a.example.com\r\n\r\n", 414),
        (
            b"GET / HTTP/1.1\r\nHost: a.example.com\r\nX-Big: " + b"b" * (17 * 1024) + b"\r\n\r\n",
            400,
        ),
        (
            b"GET / HTTP/1.1\r\nHost: a.example.com\r\n"
            + b"".join(b"X-H%d: %s\r\n" % (n, b"c" * 8000) for n in range(9))
            + b"\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"GARBAGE\r\n\r\n", 400),
    ],
)
async def test_requests_breaking_alb_limits_get_awss_status(raw, status):
    async with Node() as node:
        answer = await node.exchange(raw)
    assert _status(answer) == status
    assert b"Server: awselb/2.0" in answer


async def test_expect_100_continue_is_answered_by_the_alb_and_not_forwarded():
    async with Node() as node:
        reader, writer = await node.connect()
        writer.write(
            b"POST /upload HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        async with asyncio.timeout(10):
            interim = await reader.readuntil(b"\r\n\r\n")
            writer.write(b"hello")
            final = await reader.readuntil(b"\r\n\r\n")
            body = await reader.read(65536)
        writer.close()
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200")
    assert b"expect" not in body.lower()  # the echo shows what the target received


async def test_chunked_request_bodies_reach_the_target_whole():
    async with Node() as node:
        answer = await node.exchange(
            b"POST /c HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
    assert _status(answer) == 200
    assert b'"content-length", "11"' in answer.lower()


async def test_a_client_that_leaves_before_its_answer_is_logged_460():
    def slow(document):
        for name in ("Web1", "Web2", "Web3"):
            document["Resources"][name]["Metadata"] = {"Playground": {"App": {"LatencyMs": 3000}}}

    async with Node(slow) as node:
        _, writer = await node.connect()
        writer.write(b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
        await writer.drain()
        # Gone for good: a reset, as when a browser tab closes (a plain FIN is only a
        # half-close, which still gets its answer).
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        writer.transport.abort()
        await node.wait_for(lambda e: e["type"] == "request")
    request = of_type(node.events, "request")[0]
    assert request["elb_status_code"] == 460
    assert " 460 " in request["log"]


async def test_a_client_idle_mid_request_gets_408_at_the_idle_timeout():
    def short_idle(document):
        document["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": "1"}
        ]

    async with Node(short_idle) as node:
        reader, writer = await node.connect()
        writer.write(b"GET / HTTP/1.1\r\nHost: a.example")  # and nothing more
        async with asyncio.timeout(10):
            answer = await reader.read(65536)
        writer.close()
    assert _status(answer) == 408


async def test_an_idle_keep_alive_connection_is_closed_quietly():
    def short_idle(document):
        document["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": "1"}
        ]

    async with Node(short_idle) as node:
        reader, writer = await node.connect()
        async with asyncio.timeout(10):
            assert await reader.read(65536) == b""  # closed without a word
        writer.close()
