"""WebSocket upgrades through the ALB, and the dummy targets' echo side (spec §1.1).

A request asking to upgrade is routed like any other — rules, target group, target — and
then gets a connection of its own to the target (never a pooled one). When the target
answers ``101 Switching Protocols`` the ALB passes bytes both ways untouched; listener
rules no longer apply to that connection. Any other answer is relayed and the
connection closed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from collections.abc import Callable
from typing import cast

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key.strip() + _GUID).digest())  # noqa: S324 - RFC 6455


class TunnelUpstream(asyncio.Protocol):
    """The ALB's connection to the target for one upgraded client connection."""

    def __init__(
        self,
        request: bytes,
        answered: Callable[[int, bytes], None],
        closed: Callable[[], None],
        connections: set[asyncio.BaseTransport],
    ) -> None:
        self._request = request
        self._answered = answered  # (status, everything received so far) once the head is in
        self._closed = closed
        self._connections = connections
        self._head = b""
        self.transport: asyncio.Transport | None = None
        self.peer: asyncio.Transport | None = None  # the client, once tunnelling

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self._connections.add(transport)
        self.transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        if self.peer is not None:
            self.peer.write(data)
            return
        self._head += data
        if b"\r\n\r\n" not in self._head:
            return
        status_line = self._head.split(b"\r\n", 1)[0].split()
        status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
        received, self._head = self._head, b""
        self._answered(status, received)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(cast(asyncio.BaseTransport, self.transport))
        self.transport = None
        self._closed()


class EchoSocket:
    """The target side: unmask each client frame and send it back (a WebSocket echo)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._buffer = b""

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while (frame := self._next_frame()) is not None:
            opcode, payload = frame
            self._transport.write(_frame(opcode, payload))
            if opcode == 0x8:  # close
                self._transport.close()
                return

    def _next_frame(self) -> tuple[int, bytes] | None:
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        opcode, masked, length = buffer[0] & 0x0F, buffer[1] & 0x80, buffer[1] & 0x7F
        offset = 2
        if length == 126:
            if len(buffer) < 4:
                return None
            length, offset = struct.unpack("!H", buffer[2:4])[0], 4
        elif length == 127:
            if len(buffer) < 10:
                return None
            length, offset = struct.unpack("!Q", buffer[2:10])[0], 10
        mask = buffer[offset : offset + 4] if masked else b""
        offset += len(mask)
        if len(buffer) < offset + length:
            return None
        payload = buffer[offset : offset + length]
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._buffer = buffer[offset + length :]
        return opcode, payload


def _frame(opcode: int, payload: bytes, mask: bytes = b"") -> bytes:
    """One final frame; a client masks (``mask``), a server does not."""
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, length | (0x80 if mask else 0))
    elif length < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126 | (0x80 if mask else 0), length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127 | (0x80 if mask else 0), length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + payload


def client_frame(text: str, mask: bytes = b"\x01\x02\x03\x04") -> bytes:
    """A masked text frame, as a browser sends it (for clients and tests)."""
    return _frame(0x1, text.encode(), mask)


def read_frame(data: bytes) -> tuple[int, bytes]:
    """Opcode and payload of one unmasked server frame (for clients and tests)."""
    length, offset = data[1] & 0x7F, 2
    if length == 126:
        length, offset = struct.unpack("!H", data[2:4])[0], 4
    elif length == 127:
        length, offset = struct.unpack("!Q", data[2:10])[0], 10
    return data[0] & 0x0F, data[offset : offset + length]
