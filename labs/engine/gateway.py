"""Gateway Load Balancer flows: which appliance a packet's flow gets, or why it is dropped.

Everything a GWLB node decides about an inner packet lives in this file (spec §7.1, §7.4,
§3.5), and so does what an appliance decides about it:

- **MTU.** A packet over 8500 bytes is dropped at the GWLB: no fragmentation and no ICMP
  "fragmentation needed" (§7.1).
- **Flow key (stickiness).** By default a flow is its 5-tuple (protocol, source and
  destination IP and port) for TCP and UDP, its 3-tuple for other protocols;
  ``stickiness.type`` = ``source_ip_dest_ip_proto`` makes it the 3-tuple and
  ``source_ip_dest_ip`` the 2-tuple for every packet, so all of a client's flows to one
  server meet on one appliance. The key is hashed (keyed by the run's seed) onto the
  candidates, like the NLB's (``flows.py``), and the flow keeps its appliance for life.
- **Candidates.** Healthy targets of the node's own zone (cross-zone off, the GWLB
  default), or of every zone (on). Health is decided per zone either way.
- **No fail-open.** With no healthy candidate a new flow is pinned to a *random*
  registered target and its packets are dropped until that target recovers (§3.5).
- **Failover.** ``target_failover.on_unhealthy`` / ``on_deregistration``:
  ``no_rebalance`` (the default) keeps sending a flow's packets to its failed or drained
  target (if that cannot take them, they are lost); new flows go to healthy targets.
  ``rebalance`` re-hashes the flow onto a healthy target once its own is unhealthy, or
  once the deregistration delay is over (the target is ``unused``).
- **Idle timeout.** A TCP flow is forgotten after the listener's idle timeout (350 s by
  default), any other after 120 s; its next packet is a new flow.
- **Appliances** inspect: ``inspect`` applies an appliance's drop rules to the inner
  packet (the lab's stand-in for a firewall policy).

The node hands in facts (the inner packet's ``Summary``, the group's ``Pool``, the lab
clock's ``now``, the run's ``Random``) and carries out the ``GatewayDecision``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from random import Random

from .flows import TCP_IDLE_TIMEOUT, UDP_IDLE_TIMEOUT, Pool
from .health import HEALTHY, UNHEALTHY, UNUSED
from .packets import Summary

MTU = 8500  # bytes at the GWLB interface (§7.1)
FIVE_TUPLE, THREE_TUPLE, TWO_TUPLE = "5-tuple", "3-tuple", "2-tuple"
_STICKINESS = {"source_ip_dest_ip_proto": THREE_TUPLE, "source_ip_dest_ip": TWO_TUPLE}
FORWARD, DROP = "forward", "drop"

# Why (the ``reason`` of a ``flow`` event).
HASH = "flow_hash"  # a new flow, hashed over the healthy targets of every zone
HASH_OWN_ZONE = "flow_hash:own_zone"  # a new flow, cross-zone off: this node's zone
EXISTING = "existing_flow"  # the flow's target, healthy
EXISTING_FAILED = "existing_flow:no_rebalance"  # its target failed or drained: still sent
REBALANCED = "rebalance"  # its target failed (or its delay ended): re-hashed
NO_HEALTHY = "no_healthy_targets"  # pinned to a random target, dropped: no fail-open
NO_TARGET = "no_target"  # nothing registered in reach
MTU_EXCEEDED = "mtu_exceeded"


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The target group's attributes that steer flows, with AWS's defaults (§7.4)."""

    tuple: str = FIVE_TUPLE  # stickiness: the default key
    rebalance_unhealthy: bool = False  # target_failover.on_unhealthy = rebalance
    rebalance_deregistered: bool = False  # target_failover.on_deregistration = rebalance
    tcp_idle_timeout: float = TCP_IDLE_TIMEOUT


def settings(group: Mapping[str, str], listener: Mapping[str, str] | None = None) -> Settings:
    sticky = group.get("stickiness.enabled", "false").lower() == "true"
    return Settings(
        tuple=_STICKINESS.get(group.get("stickiness.type", ""), FIVE_TUPLE)
        if sticky
        else FIVE_TUPLE,
        rebalance_unhealthy=group.get("target_failover.on_unhealthy") == "rebalance",
        rebalance_deregistered=group.get("target_failover.on_deregistration") == "rebalance",
        tcp_idle_timeout=float((listener or {}).get("tcp.idle_timeout.seconds", 350)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowKey:
    """What the hash sees: the fields the flow's tuple keeps, the others None."""

    tuple: str
    protocol: str | None
    source_ip: str
    source_port: int | None
    destination_ip: str
    destination_port: int | None

    def __str__(self) -> str:
        src = self.source_ip if self.source_port is None else f"{self.source_ip}:{self.source_port}"
        dst = self.destination_ip
        if self.destination_port is not None:
            dst = f"{dst}:{self.destination_port}"
        return f"{self.protocol or '*'} {src} → {dst} ({self.tuple})"


def key(packet: Summary, tuple_: str = FIVE_TUPLE) -> FlowKey:
    """The flow ``packet`` belongs to under a stickiness setting."""
    if tuple_ == FIVE_TUPLE and packet.source_port is None:
        tuple_ = THREE_TUPLE  # no ports (ICMP, ...): the default is the 3-tuple
    ports = tuple_ == FIVE_TUPLE
    return FlowKey(
        tuple=tuple_,
        protocol=None if tuple_ == TWO_TUPLE else packet.protocol,
        source_ip=packet.source_ip,
        source_port=packet.source_port if ports else None,
        destination_ip=packet.destination_ip,
        destination_port=packet.destination_port if ports else None,
    )


def flow_hash(flow: FlowKey, seed: bytes = b"") -> int:
    """A stable 64-bit hash of the kept fields (keyed by ``seed``, at most 64 bytes)."""
    text = "|".join(
        str(v)
        for v in (
            flow.protocol,
            flow.source_ip,
            flow.source_port,
            flow.destination_ip,
            flow.destination_port,
        )
    )
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8, key=seed).digest(), "big")


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayDecision:
    key: FlowKey | None  # None: dropped before any flow was looked at (MTU)
    hash: int
    action: str  # FORWARD or DROP
    target: str | None  # "ip:port" the packet went (or would go) to
    reason: str
    cookie: int  # the flow cookie for GENEVE option 0x0108/3 (0 when dropped early)
    candidates: tuple[str, ...] = ()


@dataclass(slots=True)
class _Flow:
    target: str
    cookie: int
    last_seen: float
    timeout: float
    blind: bool  # pinned while no target was healthy: dropped until it recovers


@dataclass(slots=True, kw_only=True)
class GatewayFlows:
    """One GWLB node's live flows: the state that pins a flow to its appliance."""

    node_az: str
    settings: Settings = field(default_factory=Settings)
    seed: bytes = b""
    _flows: dict[FlowKey, _Flow] = field(default_factory=dict)
    _cookies: dict[int, FlowKey] = field(default_factory=dict)

    def route(self, packet: Summary, pool: Pool, now: float, rng: Random) -> GatewayDecision:
        """Where ``packet`` goes at lab time ``now``, or why it is dropped."""
        if packet.length > MTU:
            return GatewayDecision(
                key=None, hash=0, action=DROP, target=None, reason=MTU_EXCEEDED, cookie=0
            )
        flow_key = key(packet, self.settings.tuple)
        digest = flow_hash(flow_key, self.seed)
        flow = self._flows.get(flow_key)
        if flow is not None and now - flow.last_seen > flow.timeout:
            self._forget(flow_key)
            flow = None
        if flow is None:
            return self._new(flow_key, digest, packet, pool, now, rng)
        flow.last_seen = now
        return self._existing(flow_key, digest, flow, pool)

    def _new(
        self, flow_key: FlowKey, digest: int, packet: Summary, pool: Pool, now: float, rng: Random
    ) -> GatewayDecision:
        chosen, reachable, reason = _candidates(pool, self.node_az)
        timeout = self.settings.tcp_idle_timeout if packet.protocol == "TCP" else UDP_IDLE_TIMEOUT
        if chosen:
            target, action = chosen[digest % len(chosen)], FORWARD
        elif reachable:  # no fail-open: a random target, and the packets are dropped (§3.5)
            target, action, reason = rng.choice(reachable), DROP, NO_HEALTHY
        else:
            return GatewayDecision(
                key=flow_key, hash=digest, action=DROP, target=None, reason=NO_TARGET, cookie=0
            )
        cookie = self._cookie(digest)
        self._flows[flow_key] = _Flow(target, cookie, now, timeout, blind=action == DROP)
        self._cookies[cookie] = flow_key
        return GatewayDecision(
            key=flow_key,
            hash=digest,
            action=action,
            target=target,
            reason=reason,
            cookie=cookie,
            candidates=chosen,
        )

    def _existing(self, flow_key: FlowKey, digest: int, flow: _Flow, pool: Pool) -> GatewayDecision:
        state = pool.health.get(flow.target)
        action, reason = FORWARD, EXISTING
        chosen: tuple[str, ...] = ()
        if state == HEALTHY:
            flow.blind = False
        elif flow.blind:
            action, reason = DROP, NO_HEALTHY  # until its random target recovers
        else:
            rebalance = (state == UNHEALTHY and self.settings.rebalance_unhealthy) or (
                state in (UNUSED, None) and self.settings.rebalance_deregistered
            )
            chosen = _candidates(pool, self.node_az)[0] if rebalance else ()
            if chosen:
                flow.target, reason = chosen[digest % len(chosen)], REBALANCED
            else:
                reason = EXISTING_FAILED
        return GatewayDecision(
            key=flow_key,
            hash=digest,
            action=action,
            target=flow.target,
            reason=reason,
            cookie=flow.cookie,
            candidates=chosen,
        )

    def returned(self, cookie: int) -> FlowKey | None:
        """The flow an appliance's returned packet belongs to; None if the GWLB never
        sent it (an appliance cannot start flows through the GWLB, §7.3)."""
        return self._cookies.get(cookie)

    def expire(self, now: float) -> list[FlowKey]:
        gone = [k for k, f in self._flows.items() if now - f.last_seen > f.timeout]
        for flow_key in gone:
            self._forget(flow_key)
        return gone

    def target_of(self, flow_key: FlowKey) -> str | None:
        flow = self._flows.get(flow_key)
        return flow.target if flow else None

    def __len__(self) -> int:
        return len(self._flows)

    def _forget(self, flow_key: FlowKey) -> None:
        flow = self._flows.pop(flow_key)
        self._cookies.pop(flow.cookie, None)

    def _cookie(self, digest: int) -> int:
        cookie = digest & 0xFFFFFFFF or 1
        while cookie in self._cookies:
            cookie = (cookie + 1) & 0xFFFFFFFF or 1
        return cookie


def _candidates(pool: Pool, node_az: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(healthy candidates, registered targets in reach, why) for a node in ``node_az``."""
    in_reach = tuple(
        t for t in pool.targets if pool.cross_zone or pool.zones.get(t) in (node_az, "all")
    )
    registered = tuple(t for t in in_reach if pool.health.get(t) not in (UNUSED, "draining"))
    healthy = tuple(t for t in registered if pool.health.get(t) == HEALTHY)
    return healthy, registered, HASH if pool.cross_zone else HASH_OWN_ZONE


# --- appliances ----------------------------------------------------------------------------
ALLOW = "allow"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    action: str  # ALLOW or DROP
    rule: str | None  # the drop rule that matched


def inspect(rules: Sequence[str], packet: Summary) -> Verdict:
    """An appliance's verdict: the first of its drop rules that matches drops the packet.

    A rule is ``PROTOCOL`` or ``PROTOCOL/PORT`` (destination port), PROTOCOL one of
    ``tcp``, ``udp``, ``icmp`` or ``any``: ``udp/53``, ``tcp/23``, ``icmp``.
    """
    for rule in rules:
        protocol, _, port = rule.lower().partition("/")
        if protocol not in ("any", packet.protocol.lower()):
            continue
        if port and (packet.destination_port is None or int(port) != packet.destination_port):
            continue
        return Verdict(action=DROP, rule=rule)
    return Verdict(action=ALLOW, rule=None)


def valid_rule(rule: object) -> bool:
    if not isinstance(rule, str):
        return False
    protocol, slash, port = rule.lower().partition("/")
    if protocol not in ("tcp", "udp", "icmp", "any"):
        return False
    return not slash or (port.isdigit() and 0 < int(port) < 65536 and protocol != "icmp")
