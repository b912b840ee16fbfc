"""A bare NLB node on real loopback sockets, with raw TCP targets that record what they get."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from labs.engine.health import HEALTHY
from labs.engine.spec import Action, Listener, LoadBalancer, Node, Target, TargetGroup
from labs.runtime.clock import LabClock
from labs.runtime.proxy_http import ProxyContext
from labs.runtime.proxy_tcp import NlbNode
from labs.runtime.sandbox import Sandbox

NODE_A = Node(az="us-east-1a", ip="10.0.1.5")
NODE_B = Node(az="us-east-1b", ip="10.0.2.5")


@dataclass
class RawTarget:
    """A target that answers each chunk with its own name and records its peers and bytes."""

    target: Target
    peers: list[tuple[str, int]] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)  # per connection
    server: asyncio.Server | None = None

    async def start(self, sandbox: Sandbox) -> None:
        self.server = await asyncio.start_server(self._serve, sandbox.loopback(self.target.ip), 0)
        sandbox.publish(self.target.address, self.server.sockets[0].getsockname()[:2])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.peers.append(writer.get_extra_info("peername")[:2])
        index = len(self.received)
        self.received.append(b"")
        try:
            while data := await reader.read(65536):
                self.received[index] += data
                writer.write(self.target.address.encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


class Nlb:
    """One NLB, one TCP:80 listener, one target group, a node per given zone."""

    def __init__(
        self,
        targets: Iterable[Target],
        *,
        nodes: tuple[Node, ...] = (NODE_A,),
        target_type: str = "instance",
        attributes: dict[str, str] | None = None,
        listener_attributes: dict[str, str] | None = None,
        clock_speed: float = 1.0,
    ) -> None:
        self.targets = [RawTarget(t) for t in targets]
        self.group = TargetGroup(
            name="TcpTargets",
            protocol="TCP",
            target_type=target_type,
            targets=tuple(t.target for t in self.targets),
            attributes=attributes or {},
        )
        listener = Listener(
            name="TcpListener",
            protocol="TCP",
            port=80,
            default_actions=(Action(type="forward", target_groups=(("TcpTargets", 1),)),),
            attributes=listener_attributes or {},
        )
        self.lb = LoadBalancer(name="Nlb", type="network", nodes=nodes, listeners=(listener,))
        self.clock_speed = clock_speed
        self.events: list[dict] = []
        self._arrived = asyncio.Event()
        self.health = {t.target.address: HEALTHY for t in self.targets}
        self.sandbox = Sandbox()
        self.nodes: list[NlbNode] = []

    def report(self, event) -> None:
        self.events.append(event.wire())
        self._arrived.set()

    async def __aenter__(self) -> Nlb:
        ctx = ProxyContext(
            sandbox=self.sandbox,
            clock=LabClock(self.clock_speed),
            groups={"TcpTargets": self.group},
            addresses={"TcpTargets": [t.target.address for t in self.targets]},
            health={"TcpTargets": self.health},
            algorithms={},
            outstanding={},
            record=lambda exchange: None,
            rng=random.Random(0),
            zones={t.target.address: t.target.az for t in self.targets},
        )
        for target in self.targets:
            await target.start(self.sandbox)
        for node in self.lb.nodes:
            nlb_node = NlbNode(self.lb, node, self.lb.listeners[0], ctx, self.report, b"seed")
            await nlb_node.start()
            self.nodes.append(nlb_node)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for node in self.nodes:
            node.close()
            if node._server is not None:
                await node._server.wait_closed()
        for target in self.targets:
            if target.server is not None:
                target.server.close()
                await target.server.wait_closed()

    async def wait_for(self, predicate, within: float = 5.0) -> list[dict]:
        """The events matching ``predicate``, once there is at least one (no sleeps)."""
        async with asyncio.timeout(within):
            while not (found := [e for e in self.events if predicate(e)]):
                self._arrived.clear()
                await self._arrived.wait()
        return found

    async def connect(
        self, client_ip: str, node: int = 0, *, share_port: bool = True
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A client socket from ``client_ip``'s loopback address to node ``node``.

        ``share_port``: set SO_REUSEADDR, as the playground's clients do, so a node
        preserving client IPs can reuse the client's port too.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if share_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.sandbox.loopback(client_ip), 0))
        sock.setblocking(False)
        nlb_node = self.nodes[node]
        await asyncio.get_running_loop().sock_connect(sock, (nlb_node.host, nlb_node.port))
        return await asyncio.open_connection(sock=sock)


def target(ip: str, az: str = "us-east-1a", port: int = 80) -> Target:
    return Target(id=f"i-{ip}", ip=ip, port=port, az=az)
