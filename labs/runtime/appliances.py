"""Dummy GENEVE appliances and destinations for the Gateway Load Balancer (spec §7.3).

An ``Appliance`` listens on UDP 6081 (in the sandbox: its loopback address, the real
port published as ``ip:6081``), checks its security group, decodes the GENEVE packet,
refuses one without AWS's three options, inspects the inner packet by its drop rules
(``labs.engine.gateway.inspect``), waits its inspection latency and returns what it
allows **unchanged** (the same GENEVE header and options) to where it came from.
A ``Destination`` is the dummy server the inspected packets are for.

Both keep the last datagrams they received (``received``), the lab's packet capture.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from typing import cast

from labs.engine import gateway, geneve, packets
from labs.engine.gateway import DROP, Verdict
from labs.engine.geneve import AwsTags, GeneveError
from labs.engine.packets import PacketError, Summary
from labs.engine.spec import Target

from .sandbox import Sandbox

TAPPED = 64  # datagrams an appliance or destination keeps for a look
OnVerdict = Callable[[AwsTags, Summary, Verdict, str], None]


class Datagrams(asyncio.DatagramProtocol):
    """A UDP socket handing each datagram and its real sender to ``received``."""

    def __init__(self, received: Callable[[bytes, tuple[str, int]], None]) -> None:
        self.received = received
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        self.received(data, (str(addr[0]), addr[1]))

    def sendto(self, data: bytes, peer: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, peer)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def error_received(self, exc: Exception) -> None:
        pass  # an ICMP error for an earlier datagram: UDP is lossy, as on AWS


async def bind(host: str, received: Callable[[bytes, tuple[str, int]], None]) -> Datagrams:
    protocol = Datagrams(received)
    await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: protocol, local_addr=(host, 0)
    )
    return protocol


def sockname(protocol: Datagrams) -> tuple[str, int]:
    if protocol.transport is None:
        raise OSError("the socket is not bound")
    host, port = protocol.transport.get_extra_info("sockname")[:2]
    return host, port


class Appliance:
    """A dummy virtual appliance: GENEVE on UDP 6081, inspect, return or drop."""

    def __init__(
        self,
        target: Target,
        sandbox: Sandbox,
        admits: Callable[[str | None], bool],
        on_verdict: OnVerdict,
    ) -> None:
        self.target = target
        self.sandbox = sandbox
        self.admits = admits
        self.on_verdict = on_verdict
        self.counts: Counter[str] = Counter()  # allow, drop, denied, not_from_gwlb, malformed
        self.received: deque[bytes] = deque(maxlen=TAPPED)
        self._socket: Datagrams | None = None

    async def start(self) -> None:
        self._socket = await bind(self.sandbox.loopback(self.target.ip), self._received)
        self.sandbox.publish(self.target.address, sockname(self._socket))

    def _received(self, data: bytes, peer: tuple[str, int]) -> None:
        if not self.admits(self.sandbox.virtual(peer[0])):
            self.counts["denied"] += 1  # its security group drops it silently
            return
        self.received.append(data)
        try:
            header, inner = geneve.decode(data)
            tags = geneve.aws_tags(header)
            summary = packets.parse(inner)
        except GeneveError as error:
            self.counts[error.code] += 1
            return
        except PacketError:
            self.counts["malformed"] += 1
            return
        verdict = gateway.inspect(self.target.app.drop, summary)
        self.counts[verdict.action] += 1
        self.on_verdict(tags, summary, verdict, self.target.address)
        if verdict.action == DROP:
            return
        # Back unchanged (GENEVE header and options as received) to where it came from.
        delay = self.target.app.latency_ms / 1000
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self._send, data, peer)
        else:
            self._send(data, peer)

    def _send(self, data: bytes, peer: tuple[str, int]) -> None:
        if self._socket is not None:
            self._socket.sendto(data, peer)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()


class Destination:
    """A dummy server the inspected packets are for: one UDP socket per virtual ip:port."""

    def __init__(self, ip: str, port: int, sandbox: Sandbox) -> None:
        self.address = f"{ip}:{port}"
        self.ip = ip
        self.sandbox = sandbox
        self.received: deque[bytes] = deque(maxlen=TAPPED)
        self.count = 0
        self.arrived = asyncio.Event()  # set on every packet, for whoever waits on one
        self._socket: Datagrams | None = None

    async def start(self) -> None:
        self._socket = await bind(self.sandbox.loopback(self.ip), self._received)
        self.sandbox.publish(self.address, sockname(self._socket))

    def _received(self, data: bytes, _peer: tuple[str, int]) -> None:
        self.count += 1
        self.received.append(data)
        self.arrived.set()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
