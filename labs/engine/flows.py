"""Network Load Balancer flows: which target a connection or datagram flow gets, and why.

Everything an NLB node decides about a flow lives in this file (spec §6.1, §6.2, §3.5, §9):

- A new flow is hashed over its 5-tuple (protocol, source IP, source port, destination IP,
  destination port) onto the node's candidate targets. The hash is keyed by a per-run
  seed, so two runs spread differently but one run is reproducible.
- Candidates: with cross-zone load balancing **off** (the NLB default) a node uses only
  the targets in its own Availability Zone; on, every target. Only healthy targets count,
  unless no target of the group is healthy anywhere: then the NLB fails open to all of
  them (its own zone's, with cross-zone off).
- A flow keeps its target for its life. A TCP flow ends when its connection closes, or
  after the listener's idle timeout (350 s by default); a UDP flow ends after 120 s
  without a datagram, and the next datagram is a new flow that may hash elsewhere.

AWS also mixes the TCP sequence number into the hash (§6.1); the runtime cannot see the
kernel's, so the 5-tuple alone keys a TCP flow. That changes nothing a learner can see:
a 5-tuple is one connection while it lives.

An ``alb`` target group (§6.5) has one registered target, the ALB; what the NLB's nodes
actually send to is the ALB's nodes, one per zone (``alb_nodes``). So the usual rules
apply to them: cross-zone off keeps a flow on the ALB node of the NLB node's own zone
(why AWS wants both LBs on the same cross-zone setting), on spreads flows over all.

A target that turns unhealthy loses its flows (``ends_flows_of_unhealthy``): by default
(``target_health_state.unhealthy.connection_termination.enabled`` true) the NLB resets
them, unless the group fails open, where the unhealthy target still gets traffic. With
the attribute off its flows run on: the target shows ``unhealthy.draining`` (no new
flows) until ``target_health_state.unhealthy.draining_interval_seconds`` ends, then
``unhealthy``; AWS documents that as a state change only, so the flows still run on.

At the end of a deregistration delay (``ends_flows_when_drained``) the target's flows end
only with ``deregistration_delay.connection_termination.enabled``, whose default is true
for UDP and TCP_UDP groups and false otherwise (§6.5 Deregistration).

The node hands in facts (a ``FlowKey``, the group's ``Pool`` of targets and health, the
lab-clock ``now``) and carries out the ``FlowDecision`` it gets back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .health import HEALTHY
from .spec import LoadBalancer, Target, TargetGroup

TCP, UDP = "TCP", "UDP"
TCP_IDLE_TIMEOUT = 350.0  # tcp.idle_timeout.seconds default (§6.2)
UDP_IDLE_TIMEOUT = 120.0  # fixed (§6.2)

# Why a flow went where it went (the ``reason`` of a ``flow`` event).
HASH = "flow_hash"  # a new flow, hashed over every healthy target (cross-zone on)
HASH_OWN_ZONE = "flow_hash:own_zone"  # a new flow, cross-zone off: this node's AZ only
FAIL_OPEN = "fail_open"  # no healthy target anywhere: hashed over all of them
EXISTING = "existing_flow"  # a packet of a live flow: its target, whatever the hash says
NO_TARGET = "no_target"  # nothing to send to: the node resets the connection
UNHEALTHY_TARGET = "unhealthy_target"  # closed_by: the LB ended a flow of a failed target
DEREGISTERED = "deregistration_delay"  # closed_by: the delay ran out on a drained target


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowKey:
    protocol: str  # TCP | UDP
    source_ip: str  # virtual addresses, as the learner sees them
    source_port: int
    destination_ip: str  # the node's address
    destination_port: int  # the listener's port

    def __post_init__(self) -> None:
        if self.protocol not in (TCP, UDP):
            raise ValueError(f"not a flow protocol: {self.protocol}")

    def __str__(self) -> str:
        return (
            f"{self.protocol} {self.source_ip}:{self.source_port}"
            f" → {self.destination_ip}:{self.destination_port}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """A target group as a node sees it when a flow starts."""

    targets: Sequence[str]  # registered "ip:port", in registration order
    zones: Mapping[str, str]  # target -> its Availability Zone
    health: Mapping[str, str]  # target -> state (missing: not healthy)
    cross_zone: bool = False  # NLB default (§9)


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowDecision:
    key: FlowKey
    hash: int  # the 5-tuple's hash (64 bits)
    target: str | None  # "ip:port", None when there is nothing to send to
    reason: str  # HASH, HASH_OWN_ZONE, FAIL_OPEN, EXISTING or NO_TARGET
    candidates: tuple[str, ...]  # what the hash chose from


def flow_hash(key: FlowKey, seed: bytes = b"") -> int:
    """A stable 64-bit hash of the 5-tuple (keyed by ``seed``, at most 64 bytes)."""
    text = (
        f"{key.protocol}|{key.source_ip}|{key.source_port}|"
        f"{key.destination_ip}|{key.destination_port}"
    ).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8, key=seed).digest(), "big")


def candidates(pool: Pool, node_az: str) -> tuple[tuple[str, ...], str]:
    """The targets a node in ``node_az`` hashes new flows onto, and why those."""
    reachable = tuple(
        t for t in pool.targets if pool.cross_zone or pool.zones.get(t) in (node_az, "all")
    )
    healthy = tuple(t for t in reachable if pool.health.get(t) == HEALTHY)
    if healthy:
        return healthy, HASH if pool.cross_zone else HASH_OWN_ZONE
    if any(pool.health.get(t) == HEALTHY for t in pool.targets):
        # Cross-zone off, this zone has none healthy but another has: AWS takes the
        # zone's node out of DNS (§9); a client that connects anyway gets nothing.
        return (), NO_TARGET
    return (reachable, FAIL_OPEN) if reachable else ((), NO_TARGET)


def in_dns(pool: Pool, node_zones: Sequence[str]) -> tuple[str, ...]:
    """The zones whose node's address the LB's DNS name returns (§9, §3.5).

    A node that has nothing to send new flows to (cross-zone off, no healthy target in
    its zone while another zone has one) is taken out of DNS; if that leaves none, DNS
    fails open and returns every node.
    """
    serving = tuple(az for az in node_zones if candidates(pool, az)[0])
    return serving or tuple(node_zones)


def shares(pool: Pool, node_zones: Sequence[str]) -> dict[str, Fraction]:
    """Each target's exact share of new flows when clients split evenly over the nodes.

    §9's arithmetic: with cross-zone off a target in zone z gets (node z's share) /
    (z's candidates); on, every healthy target gets an equal part of every node's share.
    """
    result = {t: Fraction(0) for t in pool.targets}
    for az in node_zones:
        chosen, _ = candidates(pool, az)
        for target in chosen:
            result[target] += Fraction(1, len(node_zones) * len(chosen))
    return result


def alb_nodes(group: TargetGroup, load_balancers: Sequence[LoadBalancer]) -> TargetGroup:
    """``group`` with each registered ALB replaced by its nodes (other groups unchanged).

    Each node becomes a target at ``<node ip>:<group port>`` in the node's zone, keeping
    the ALB's logical id as its ``id``, so events still name the ALB.
    """
    if group.target_type != "alb":
        return group
    by_name = {lb.name: lb for lb in load_balancers}
    targets = tuple(
        Target(id=target.id, ip=node.ip, port=target.port, az=node.az)
        for target in group.targets
        if target.id in by_name
        for node in by_name[target.id].nodes
    )
    return replace(group, targets=targets)


def ends_flows_of_unhealthy(attributes: Mapping[str, str], pool: Pool) -> bool:
    """Whether a target of ``pool`` that just turned unhealthy has its flows reset.

    ``pool`` is the group with the target already unhealthy. No healthy target left
    anywhere means the group fails open (``candidates``), so the flows carry on.
    """
    key = "target_health_state.unhealthy.connection_termination.enabled"
    if attributes.get(key, "true").lower() != "true":
        return False
    return any(pool.health.get(t) == HEALTHY for t in pool.targets)


def unhealthy_draining_seconds(attributes: Mapping[str, str]) -> float | None:
    """How long a target that turns unhealthy keeps its flows as ``unhealthy.draining``
    (``target_health_state.unhealthy.draining_interval_seconds``, default 0), or None when
    connection termination is on and its flows are reset at once (§3.3)."""
    key = "target_health_state.unhealthy.connection_termination.enabled"
    if attributes.get(key, "true").lower() == "true":
        return None
    return float(attributes.get("target_health_state.unhealthy.draining_interval_seconds", 0))


def ends_flows_when_drained(attributes: Mapping[str, str], protocol: str) -> bool:
    """Whether a deregistered target's flows end when its deregistration delay does."""
    default = "true" if protocol in (UDP, "TCP_UDP") else "false"
    key = "deregistration_delay.connection_termination.enabled"
    return attributes.get(key, default).lower() == "true"


@dataclass(slots=True)
class _Flow:
    target: str
    last_seen: float


@dataclass(slots=True, kw_only=True)
class FlowTable:
    """One node's live flows: the state that pins a flow to its target."""

    node_az: str
    seed: bytes = b""
    tcp_idle_timeout: float = TCP_IDLE_TIMEOUT
    _flows: dict[FlowKey, _Flow] = field(default_factory=dict)

    def route(self, key: FlowKey, pool: Pool, now: float) -> FlowDecision:
        """Where the packet (or connection) ``key`` goes at lab time ``now``.

        A live flow keeps its target; an expired or unknown one is hashed afresh.
        """
        digest = flow_hash(key, self.seed)
        flow = self._flows.get(key)
        if flow is not None and now - flow.last_seen <= self._timeout(key):
            flow.last_seen = now
            return FlowDecision(
                key=key, hash=digest, target=flow.target, reason=EXISTING, candidates=()
            )
        chosen, reason = candidates(pool, self.node_az)
        if not chosen:
            self._flows.pop(key, None)
            return FlowDecision(key=key, hash=digest, target=None, reason=reason, candidates=())
        target = chosen[digest % len(chosen)]
        self._flows[key] = _Flow(target, now)
        return FlowDecision(key=key, hash=digest, target=target, reason=reason, candidates=chosen)

    def seen(self, key: FlowKey, now: float) -> None:
        """Traffic on a live flow (either direction): its idle timer starts again."""
        flow = self._flows.get(key)
        if flow is not None:
            flow.last_seen = now

    def close(self, key: FlowKey) -> None:
        """The connection ended (FIN or RST from either side)."""
        self._flows.pop(key, None)

    def expire(self, now: float) -> list[FlowKey]:
        """Forget flows idle past their timeout and return them: for TCP the node
        resets both sides (§6.2: "data from either side gets a TCP RST")."""
        gone = [k for k, f in self._flows.items() if now - f.last_seen > self._timeout(k)]
        for key in gone:
            del self._flows[key]
        return gone

    def __len__(self) -> int:
        return len(self._flows)

    def _timeout(self, key: FlowKey) -> float:
        return self.tcp_idle_timeout if key.protocol == TCP else UDP_IDLE_TIMEOUT
