"""A dummy UDP service: what a UDP target of an NLB runs next to its TCP/HTTP one.

NLB health checks never use UDP (spec §3.1: TCP, HTTP or HTTPS only), so a UDP target is
checked on the same port number over TCP, where the ordinary dummy server listens. The
UDP side answers every datagram with a JSON echo (its address, the peer it saw, what it
got), after its security group's UDP rules admit the source; a denied one is dropped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from .sandbox import Sandbox

Admission = Callable[[str | None], bool]


class UdpEcho(asyncio.DatagramProtocol):
    def __init__(self, address: str, sandbox: Sandbox, admits: Admission) -> None:
        self.address = address
        self.sandbox = sandbox
        self.admits = admits
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        host, port = str(addr[0]), addr[1]
        source = self.sandbox.virtual(host)
        if not self.admits(source) or self.transport is None:
            return
        answer = {"address": self.address, "peer": f"{source}:{port}", "echo": data.hex()}
        self.transport.sendto(json.dumps(answer).encode(), (host, port))


async def start_udp_echo(
    host: str, port: int, address: str, sandbox: Sandbox, admits: Admission
) -> asyncio.DatagramTransport:
    """Listen for datagrams on ``host:port`` (the TCP server's port number)."""
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: UdpEcho(address, sandbox, admits), local_addr=(host, port)
    )
    return transport
