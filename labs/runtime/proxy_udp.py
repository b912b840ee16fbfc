"""The Network Load Balancer node for a UDP listener: a datagram relay per flow (spec §6).

Each datagram's 5-tuple goes to the engine (``flows.FlowTable.route``): a live flow keeps
its target, a new one (or one idle past UDP's fixed 120 s on the lab clock, §6.2) is
hashed afresh and may land elsewhere. Per flow the node opens one upstream datagram
socket, bound to the client's own address (client IP preservation cannot be turned off
for UDP, §6.3) and connected to the target, so the target sees the client as the source
and answers to it; the node relays the answer from the listener's socket, so the client
hears back from the address it sent to. UDP has no connection: nothing is reset, an idle
flow is just forgotten (``closed`` by ``idle_timeout``), a datagram with nowhere to go
is dropped.
"""

from __future__ import annotations

import asyncio
import socket
from typing import cast

from labs.engine import attributes, events
from labs.engine.flows import (
    DEREGISTERED,
    EXISTING,
    UDP,
    UNHEALTHY_TARGET,
    FlowDecision,
    FlowKey,
    FlowTable,
    Pool,
    ends_flows_of_unhealthy,
    ends_flows_when_drained,
)
from labs.engine.spec import Listener, LoadBalancer, Node

from .proxy_http import ProxyContext
from .proxy_tcp import REAP_SECONDS, Report, flow_event
from .sandbox import SandboxViolation

Address = tuple[str, int]


class UdpNlbNode:
    """One node (one AZ) of one Network Load Balancer, serving one UDP listener."""

    certificates = None
    _server = None  # no listening stream socket: the orchestrator waits on none

    def __init__(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        ctx: ProxyContext,
        report: Report,
        seed: bytes = b"",
    ) -> None:
        self.lb, self.node, self.listener, self.ctx, self.report = lb, node, listener, ctx, report
        self.host = ctx.sandbox.loopback(node.ip)
        self.port = 0
        self.group = ctx.groups[listener.default_actions[0].target_groups[0][0]]
        self.cross_zone = attributes.nlb_cross_zone(self.group.attributes, lb.attributes)
        self.flows = FlowTable(node_az=node.az, seed=seed)
        self.live: dict[FlowKey, UdpFlow] = {}
        self.processed = 0  # bytes both ways since the metrics window last took them
        self.transport: asyncio.DatagramTransport | None = None
        self._reaper: asyncio.TimerHandle | None = None

    async def start(self, port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Listening(self), local_addr=(self.host, port)
        )
        self.transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        self._reaper = loop.call_later(REAP_SECONDS, self._reap)

    def drained(self, target: str) -> None:
        """``target``'s deregistration delay expired: for UDP its flows end by default."""
        members = {t.address for t in self.group.targets}  # no longer registered
        if target in members and ends_flows_when_drained(
            self.group.attributes, self.group.protocol
        ):
            for flow in [f for f in self.live.values() if f.decision.target == target]:
                flow.end(DEREGISTERED)

    def pool(self) -> Pool:
        name = self.group.name
        return Pool(
            targets=self.ctx.addresses[name],
            zones=self.ctx.zones,
            health=self.ctx.health[name],
            cross_zone=self.cross_zone,
        )

    def unhealthy(self, target: str) -> None:
        """``target`` turned unhealthy: the engine says whether its flows end."""
        if target not in self.ctx.addresses[self.group.name]:
            return
        if ends_flows_of_unhealthy(self.group.attributes, self.pool()):
            for flow in [f for f in self.live.values() if f.decision.target == target]:
                flow.end(UNHEALTHY_TARGET)

    def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for flow in list(self.live.values()):
            flow.end("load_balancer")
        if self.transport is not None:
            self.transport.close()

    def _reap(self) -> None:
        for key in self.flows.expire(self.ctx.clock.now()):
            flow = self.live.get(key)
            if flow is not None:
                flow.end("idle_timeout")
        self._reaper = asyncio.get_running_loop().call_later(REAP_SECONDS, self._reap)

    def datagram(self, data: bytes, client: Address) -> None:
        key = FlowKey(
            protocol=UDP,
            source_ip=self.ctx.sandbox.virtual(client[0]) or client[0],
            source_port=client[1],
            destination_ip=self.node.ip,
            destination_port=self.listener.port,
        )
        decision = self.flows.route(key, self.pool(), self.ctx.clock.now())
        flow = self.live.get(key)
        if flow is not None and decision.reason == EXISTING:
            flow.from_client(data)
            return
        if flow is not None:  # expired between two reaps: the old flow is over
            flow.end("idle_timeout")
        flow = UdpFlow(self, decision, client)
        if decision.target is None:
            flow.end(None)  # dropped: nowhere to send it
            return
        flow.from_client(data)
        flow.opening = asyncio.get_running_loop().create_task(flow.open())

    def to_client(self, data: bytes, client: Address) -> None:
        if self.transport is not None:
            self.transport.sendto(data, client)


class UdpFlow:
    """One UDP flow: the client's address, the upstream socket, what went through."""

    def __init__(self, node: UdpNlbNode, decision: FlowDecision, client: Address) -> None:
        self.node, self.decision, self.key, self.client = node, decision, decision.key, client
        self.upstream: asyncio.DatagramTransport | None = None
        self.opening: asyncio.Task[None] | None = None
        self.waiting: list[bytes] = []  # datagrams that came before the socket was ready
        self.from_client_bytes = self.from_target_bytes = 0
        self.seen_as: str | None = None
        self.ended = False
        if decision.target is not None:
            node.live[self.key] = self

    async def open(self) -> None:
        node, loop = self.node, asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            endpoint = node.ctx.sandbox.endpoint(self.decision.target or "")
            try:
                sock.bind(self.client)
            except OSError:  # the client's socket would not share its port
                sock.bind((self.client[0], 0))
            sock.connect(endpoint)
            transport, _ = await loop.create_datagram_endpoint(lambda: _Upstream(self), sock=sock)
        except (OSError, SandboxViolation):
            sock.close()
            self.end("target")
            return
        except BaseException:  # cancelled: the flow ended (or the run) while opening
            sock.close()
            raise
        self.opening = None
        host, port = sock.getsockname()[:2]
        self.seen_as = f"{node.ctx.sandbox.virtual(host) or host}:{port}"
        self.upstream = transport
        node.ctx.connections.add(transport)
        node.report(self._event("open"))
        for data in self.waiting:
            transport.sendto(data)
        self.waiting.clear()

    def from_client(self, data: bytes) -> None:
        self.from_client_bytes += len(data)
        self.node.processed += len(data)
        if self.upstream is not None:
            self.upstream.sendto(data)
        else:
            self.waiting.append(data)

    def from_target(self, data: bytes) -> None:
        self.from_target_bytes += len(data)
        self.node.processed += len(data)
        self.node.flows.seen(self.key, self.node.ctx.clock.now())
        self.node.to_client(data, self.client)

    def end(self, closed_by: str | None) -> None:
        if self.ended:
            return
        self.ended = True
        node = self.node
        if self.opening is not None:
            self.opening.cancel()
        if self.upstream is not None:
            self.upstream.close()
            node.ctx.connections.discard(self.upstream)
        if node.live.get(self.key) is self:
            del node.live[self.key]
            node.flows.close(self.key)
        state = "closed" if self.decision.target is not None else "dropped"
        node.report(self._event(state, closed_by))

    def _event(self, state: str, closed_by: str | None = None) -> events.Flow:
        return flow_event(
            events.Flow,
            self.node,
            self.key,
            self.decision,
            state,
            seen_as=self.seen_as,
            proxy_protocol=False,
            from_client=self.from_client_bytes,
            from_target=self.from_target_bytes,
            closed_by=closed_by,
        )


class _Listening(asyncio.DatagramProtocol):
    def __init__(self, node: UdpNlbNode) -> None:
        self._node = node

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self._node.datagram(data, cast(Address, addr[:2]))


class _Upstream(asyncio.DatagramProtocol):
    def __init__(self, flow: UdpFlow) -> None:
        self._flow = flow

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self._flow.from_target(data)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP port unreachable from a stopped target: UDP just loses the datagram
