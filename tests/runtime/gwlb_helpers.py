"""A bare GWLB on real loopback UDP sockets: nodes, real appliances, destinations, clients."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterable

from labs.engine import packets
from labs.engine.health import HEALTHY
from labs.engine.spec import (
    Action,
    AppBehaviour,
    Listener,
    LoadBalancer,
    Node,
    SecurityGroup,
    Target,
    TargetGroup,
    Topology,
)
from labs.runtime import gateway as gwlb
from labs.runtime.clock import LabClock
from labs.runtime.proxy_http import ProxyContext
from labs.runtime.sandbox import Sandbox

NODE_A = Node(az="us-east-1a", ip="10.0.1.5")
APP = ("10.0.3.10", 80)
DNS = ("10.0.3.10", 53)


def appliance(ip: str, az: str = "us-east-1a", **app: object) -> Target:
    return Target(id=f"Appliance-{ip}", ip=ip, port=6081, az=az, app=AppBehaviour(**app))  # type: ignore[arg-type]


class Gwlb:
    """One GWLB with one node per given zone, one GENEVE group, the run's destinations."""

    def __init__(
        self,
        targets: Iterable[Target],
        *,
        attributes: dict[str, str] | None = None,
        security_groups: tuple[SecurityGroup, ...] = (),
    ) -> None:
        group = TargetGroup(
            name="Appliances",
            protocol="GENEVE",
            port=6081,
            targets=tuple(targets),
            attributes=attributes or {},
        )
        listener = Listener(
            name="Listener",
            protocol="GENEVE",
            port=0,
            default_actions=(Action(type="forward", target_groups=(("Appliances", 1),)),),
        )
        self.lb = LoadBalancer(name="Gwlb", type="gateway", nodes=(NODE_A,), listeners=(listener,))
        self.topology = Topology(
            vpc_cidr="10.0.0.0/16",
            load_balancers=(self.lb,),
            target_groups=(group,),
            security_groups=security_groups,
        )
        self.group = group
        self.health = {t.address: HEALTHY for t in group.targets}
        self.sandbox = Sandbox()
        self.events: list[dict] = []
        self._arrived = asyncio.Event()
        self._clients: list[socket.socket] = []

    def report(self, event) -> None:
        self.events.append(event.wire())
        self._arrived.set()

    async def __aenter__(self) -> Gwlb:
        self.fleet = await gwlb.start_fleet(
            self.topology, self.sandbox, random.Random(0), self.report, b"seed"
        )
        ctx = ProxyContext(
            sandbox=self.sandbox,
            clock=LabClock(1.0),
            groups={"Appliances": self.group},
            addresses={"Appliances": [t.address for t in self.group.targets]},
            health={"Appliances": self.health},
            algorithms={},
            outstanding={},
            record=lambda exchange: None,
            rng=random.Random(0),
            zones={t.address: t.az for t in self.group.targets},
        )
        for node in self.lb.nodes:
            built = gwlb.GwlbNode(
                self.lb,
                node,
                self.lb.listeners[0],
                ctx,
                self.report,
                endpoint_ip=gwlb.endpoint_ip(self.topology, node),
                seed=b"seed",
                rng=random.Random(1),
            )
            await built.start()
            self.fleet.nodes.append(built)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.fleet.close()
        for sock in self._clients:
            sock.close()

    @property
    def node(self) -> gwlb.GwlbNode:
        return self.fleet.nodes[0]

    def send(
        self,
        client: tuple[str, int],
        destination: tuple[str, int] = APP,
        *,
        protocol: str = "TCP",
        payload: bytes = b"hello",
    ) -> bytes:
        """Send one inner packet from ``client`` (virtual ip, port) to the GWLB endpoint."""
        packet = packets.build(
            protocol=protocol, source=client, destination=destination, payload=payload
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.sandbox.loopback(client[0]), 0))
        self._clients.append(sock)
        sock.sendto(packet, (self.node.host, self.node.port))
        return packet

    async def wait_for(self, predicate, count: int = 1, within: float = 5.0) -> list[dict]:
        """The flow events matching ``predicate``, once there are ``count`` (no sleeps)."""
        async with asyncio.timeout(within):
            while len(found := [e for e in self.events if predicate(e)]) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return found

    async def delivered(self, address: str, count: int = 1, within: float = 5.0) -> list[bytes]:
        """What destination ``address`` received, once it has ``count`` packets."""
        destination = self.fleet.destinations[address]
        async with asyncio.timeout(within):
            while destination.count < count:
                destination.arrived.clear()
                await destination.arrived.wait()
        return list(destination.received)
