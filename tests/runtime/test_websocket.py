"""WebSocket upgrades pass through the ALB to the target and stay there (spec §1.1)."""

import asyncio
import base64

import pytest

from labs.runtime.websocket import accept_key, client_frame, read_frame

from .helpers import of_type
from .test_client_side import Node

pytestmark = pytest.mark.timeout(30)
KEY = base64.b64encode(b"0123456789abcdef")


async def _handshake(node, path=b"/chat"):
    reader, writer = await node.connect()
    writer.write(
        b"GET " + path + b" HTTP/1.1\r\nHost: a.example.com\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: "
        + KEY
        + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        + client_frame("early")
    )
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
    return reader, writer, head


async def test_an_upgrade_reaches_the_target_and_frames_echo_through_the_alb():
    async with Node() as node:
        reader, writer, head = await _handshake(node)
        assert head.startswith(b"HTTP/1.1 101")
        assert b"Sec-WebSocket-Accept: " + accept_key(KEY) in head
        async with asyncio.timeout(10):
            early = await reader.read(2 + 5)  # the frame sent with the handshake
            writer.write(client_frame("hello over the ALB"))
            echoed = await reader.read(65536)
        writer.close()
        await node.wait_for(lambda e: e["type"] == "request")
    assert read_frame(early) == (0x1, b"early")
    assert read_frame(echoed) == (0x1, b"hello over the ALB")
    request = of_type(node.events, "request")[0]
    assert request["elb_status_code"] == 101 and request["target"] is not None
    assert request["log"].startswith("ws ")


async def test_frames_of_one_connection_stay_on_the_target_that_answered_101():
    async with Node() as node:
        reader, writer, _ = await _handshake(node)
        async with asyncio.timeout(10):
            await reader.read(7)
            for n in range(5):
                writer.write(client_frame(f"message {n}"))
                assert read_frame(await reader.read(65536)) == (0x1, f"message {n}".encode())
        writer.close()
        await node.wait_for(lambda e: e["type"] == "request")
    assert len(of_type(node.events, "request")) == 1  # one routed upgrade, then a tunnel
