"""The Gateway Load Balancer data plane on real loopback UDP sockets (spec §7).

Who is who:

- **Clients** send whole inner IPv4 packets (``labs.engine.packets``), each as one UDP
  datagram, to their zone's **GWLB endpoint**: the route-table next hop a consumer VPC
  points at the GWLB. Each endpoint is one socket of its zone's ``GwlbNode``.
- The **node** hands the inner packet's facts to the engine (``GatewayFlows.route``),
  wraps the packet in GENEVE with AWS's three options (``labs.engine.geneve``) and sends
  it from its own address to the chosen **appliance** on UDP 6081 (in the sandbox: the
  appliance's loopback address, its real port published as ``ip:6081``).
- An **appliance** (``appliances.Appliance``) inspects it and returns what it allows,
  unchanged, to where it came from (§7.3).
- The node recognises the returned packet by its flow cookie, and delivers the inner
  packet to its **destination** (``Destination``, a dummy server socket per ip:port) from
  the endpoint. Every inner packet is reported once, as a ``flow`` event with state
  ``delivered`` or ``dropped``, the inner packet's summary and the appliance's verdict.

Health checks are the orchestrator's usual ones (TCP port 80 by GWLB's default) against
a dummy target on the appliance's health-check port; nothing here decides health.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import random
import time
from collections import Counter
from collections.abc import Callable

from labs.engine import attributes, events, gateway, geneve, packets, security
from labs.engine.flows import Pool
from labs.engine.gateway import DROP, GatewayDecision, GatewayFlows, Verdict
from labs.engine.geneve import AwsTags, GeneveError
from labs.engine.packets import PacketError, Summary
from labs.engine.spec import Listener, LoadBalancer, Node, Target, Topology

from .appliances import Appliance, Datagrams, Destination, bind, sockname
from .proxy_http import ProxyContext
from .sandbox import Sandbox, SandboxViolation

REAP_SECONDS = 0.25  # wall seconds between looks for idle flows
Report = Callable[[events.Flow], None]


def _id64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class GwlbNode:
    """One node (one AZ) of one Gateway Load Balancer, with its zone's GWLB endpoint."""

    certificates = None
    _server = None  # no listening TCP server: the orchestrator's close skips it

    def __init__(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        ctx: ProxyContext,
        report: Report,
        *,
        endpoint_ip: str,
        seed: bytes = b"",
        rng: random.Random | None = None,
    ) -> None:
        self.lb, self.node, self.listener, self.ctx, self.report = lb, node, listener, ctx, report
        self.group = ctx.groups[listener.default_actions[0].target_groups[0][0]]
        self.endpoint_ip = endpoint_ip
        self.cross_zone = attributes.nlb_cross_zone(self.group.attributes, lb.attributes)
        self.flows = GatewayFlows(
            node_az=node.az,
            settings=gateway.settings(self.group.attributes, listener.attributes),
            seed=seed,
        )
        self.endpoint_id = _id64(f"vpce:{lb.name}:{node.az}")
        self.attachment_id = _id64(f"attachment:{lb.name}:{node.az}")
        self.rng = rng or random.Random()
        self.counts: Counter[str] = Counter()
        self.host, self.port = "", 0  # the endpoint's real socket, once started
        self.tunnel = ("", 0)
        self._endpoint: Datagrams | None = None
        self._tunnel: Datagrams | None = None
        self._sent: dict[int, GatewayDecision] = {}  # flow cookie -> its latest decision
        self._reaper: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        sandbox = self.ctx.sandbox
        self._endpoint = await bind(sandbox.loopback(self.endpoint_ip), self.from_client)
        self._tunnel = await bind(sandbox.loopback(self.node.ip), self.from_appliance)
        self.host, self.port = sockname(self._endpoint)
        self.tunnel = sockname(self._tunnel)  # where appliances send packets back
        self._reaper = asyncio.get_running_loop().call_later(REAP_SECONDS, self._reap)

    def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for side in (self._endpoint, self._tunnel):
            if side is not None:
                side.close()

    def drained(self, target: str) -> None:
        """``target``'s deregistration delay is over: the engine sees it ``unused``."""

    def pool(self) -> Pool:
        name = self.group.name
        return Pool(
            targets=self.ctx.addresses[name],
            zones=self.ctx.zones,
            health=self.ctx.health[name],
            cross_zone=self.cross_zone,
        )

    def _reap(self) -> None:
        gone = set(self.flows.expire(self.ctx.clock.now()))
        if gone:
            self._sent = {c: d for c, d in self._sent.items() if d.key not in gone}
        self._reaper = asyncio.get_running_loop().call_later(REAP_SECONDS, self._reap)

    # --- client → appliance --------------------------------------------------------------
    def from_client(self, data: bytes, _peer: tuple[str, int]) -> None:
        try:
            summary = packets.parse(data)
        except PacketError:
            self.counts["malformed"] += 1
            return
        now = self.ctx.clock.now()
        decision = self.flows.route(summary, self.pool(), now, self.rng)
        if decision.action == DROP or decision.target is None:
            self.report(self._event(decision, summary, "dropped"))
            return
        try:
            appliance = self.ctx.sandbox.endpoint(decision.target)
        except SandboxViolation:
            self.report(self._event(decision, summary, "dropped"))
            return
        tags = AwsTags(
            endpoint_id=self.endpoint_id,
            attachment_id=self.attachment_id,
            flow_cookie=decision.cookie,
        )
        self._sent[decision.cookie] = decision
        if self._tunnel is not None:
            self._tunnel.sendto(geneve.encode(tags.header(), data), appliance)

    # --- appliance → destination ---------------------------------------------------------
    def from_appliance(self, data: bytes, _peer: tuple[str, int]) -> None:
        try:
            header, inner = geneve.decode(data)
            tags = geneve.aws_tags(header)
            summary = packets.parse(inner)
        except (GeneveError, PacketError):
            self.counts["malformed"] += 1
            return
        sent = self._sent.get(tags.flow_cookie)
        if tags.attachment_id != self.attachment_id or sent is None:
            self.counts["unknown_flow"] += 1  # appliances cannot start flows (§7.3)
            return
        decision = sent
        try:
            destination = self.ctx.sandbox.endpoint(
                f"{summary.destination_ip}:{summary.destination_port or 0}"
            )
        except SandboxViolation:
            self.report(self._event(decision, summary, "dropped", verdict=gateway.ALLOW))
            return
        if self._endpoint is not None:
            self._endpoint.sendto(inner, destination)
        self.report(self._event(decision, summary, "delivered", verdict=gateway.ALLOW))

    def appliance_dropped(self, tags: AwsTags, summary: Summary, verdict: Verdict) -> None:
        """An appliance's drop: the packet never comes back, the event says why."""
        sent = self._sent.get(tags.flow_cookie)
        if sent is not None:
            self.report(self._event(sent, summary, "dropped", verdict=DROP, rule=verdict.rule))

    def _event(
        self,
        decision: GatewayDecision,
        summary: Summary,
        state: str,
        *,
        verdict: str | None = None,
        rule: str | None = None,
    ) -> events.Flow:
        """A ``flow`` event for one inner packet (DESIGN.md's event table)."""
        self.counts[state] += 1
        returned = summary.length if state == "delivered" else 0
        return events.Flow(
            t=round(self.ctx.clock.now(), 3),
            emitted=time.time(),
            state=state,
            client_ip=summary.source_ip,
            client_port=summary.source_port or 0,
            protocol=summary.protocol,
            lb=self.lb.name,
            node_az=self.node.az,
            node_ip=self.node.ip,
            listener=self.listener.port,
            target_group=self.group.name,
            target=decision.target,
            hash=str(decision.key) if decision.key else "",
            hash_value=f"{decision.hash:016x}",
            reason=decision.reason,
            candidates=list(decision.candidates),
            source_seen_by_target=self.node.ip if decision.cookie else None,
            proxy_protocol=False,
            bytes=summary.length + returned,
            bytes_from_client=summary.length,
            bytes_from_target=returned,
            inner=summary.wire(),
            verdict=verdict,
            rule=rule,
            flow_cookie=f"{decision.cookie:08x}" if decision.cookie else None,
        )


class Fleet:
    """A run's GWLB parts: nodes, appliances and destinations; closes them together."""

    def __init__(self, report: Report, rng: random.Random, seed: bytes) -> None:
        self.report, self.rng, self.seed = report, rng, seed
        self.nodes: list[GwlbNode] = []
        self.appliances: dict[str, Appliance] = {}  # by virtual "ip:6081"
        self.destinations: dict[str, Destination] = {}  # by virtual "ip:port"

    def verdict(self, tags: AwsTags, summary: Summary, verdict: Verdict, _appliance: str) -> None:
        if verdict.action != DROP:
            return
        for node in self.nodes:
            if node.attachment_id == tags.attachment_id:
                node.appliance_dropped(tags, summary, verdict)

    def counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for node in self.nodes:
            total.update(node.counts)
        return dict(total)

    def close(self) -> None:
        parts: list[GwlbNode | Appliance | Destination] = [
            *self.nodes,
            *self.appliances.values(),
            *self.destinations.values(),
        ]
        for part in parts:
            part.close()


# --- wiring: a run's topology into a fleet -------------------------------------------------
# The dummy servers the inspected traffic is for: an application in its own subnet (AWS:
# the endpoint and the servers it protects sit in different subnets, §7.1).
DESTINATIONS = (("TCP", "10.0.3.10:80"), ("TCP", "10.0.3.10:443"), ("UDP", "10.0.3.10:53"))


async def start_fleet(
    topology: Topology, sandbox: Sandbox, rng: random.Random, report: Report, seed: bytes
) -> Fleet:
    """Bind every GENEVE group's appliances and the destinations; the caller adds nodes."""
    fleet = Fleet(report, rng, seed)
    for group in topology.target_groups:
        if group.protocol != "GENEVE":
            continue
        for target in group.targets:
            if target.address not in fleet.appliances:
                appliance = Appliance(target, sandbox, _admission(topology, target), fleet.verdict)
                fleet.appliances[target.address] = appliance
                await appliance.start()
    for _, address in DESTINATIONS:
        ip, port = address.rsplit(":", 1)
        destination = fleet.destinations[address] = Destination(ip, int(port), sandbox)
        await destination.start()
    return fleet


def _admission(topology: Topology, target: Target) -> Callable[[str | None], bool]:
    """The appliance's security groups, for GENEVE (UDP 6081) from a GWLB node."""
    groups = [topology.security_group(name) for name in target.security_groups]

    def admits(source_ip: str | None) -> bool:
        return source_ip is not None and security.allows(
            groups, protocol="udp", port=target.port, source_ip=source_ip
        )

    return admits


def endpoint_ip(topology: Topology, node: Node) -> str:
    """The zone's GWLB endpoint: the first free address after the node's own."""
    taken = {i.ip for i in topology.instances} | {
        n.ip for lb in topology.load_balancers for n in lb.nodes
    }
    address = ipaddress.IPv4Address(node.ip) + 1
    while str(address) in taken:
        address += 1
    return str(address)
