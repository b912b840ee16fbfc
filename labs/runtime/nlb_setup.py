"""How a run's Network Load Balancers are wired in (kept out of the orchestrator).

- ``prepare``: an ``alb`` target group's ALB becomes its nodes (``flows.alb_nodes``), so
  the NLB hashes flows onto ALB nodes and checks each like any target (§6.5).
- ``unsupported``: what the NLB data plane does not carry yet, as a sentence.
- ``publish_alb_node``: an ALB node's listener is reachable as a sandbox endpoint at its
  virtual ``<node ip>:<port>``, which is what an ``alb`` target's address is.
- ``target_tls``: a target of a ``TLS`` group speaks TLS (a certificate for its address).
- ``nodes``: the node for one listener: TCP and TLS stream, UDP datagram, TCP_UDP both
  (on one port number; ``udp_half`` tells the datagram one).
- ``serves_udp``: whether the target at an address also answers datagrams.
- ``flow_gauges``: per NLB, its live flows and the bytes moved since the last call.
- ``target_unhealthy``: tell a group's NLB nodes that one of its targets failed.
- ``check_host``: the Host header of an NLB's HTTP check: the node's IP, listener port.
- ``resolver``: what an NLB's DNS name returns now (nodes with something to serve).
- ``is_behind_nlb``: whether an ALB is some NLB's target (its clients come through it).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from labs.engine import classic
from labs.engine.flows import alb_nodes, in_dns
from labs.engine.health import probe_host
from labs.engine.routing import groups_in_use
from labs.engine.spec import Listener, LoadBalancer, Node, Target, TargetGroup, Topology

from .proxy_http import ProxyContext
from .proxy_tcp import NlbNode, Report
from .proxy_udp import UdpNlbNode
from .sandbox import Sandbox
from .tls import ListenerCertificates, RunAuthority

LISTENER_PROTOCOLS = frozenset({"TCP", "TLS", "UDP", "TCP_UDP"})


def prepare(topology: Topology) -> Topology:
    groups = tuple(alb_nodes(g, topology.load_balancers) for g in topology.target_groups)
    return replace(topology, target_groups=groups)


def unsupported(topology: Topology) -> str | None:
    for lb in topology.load_balancers:
        if lb.type != "network":
            continue
        for listener in lb.listeners:
            if listener.protocol not in LISTENER_PROTOCOLS:
                return f"NLB {listener.protocol} listeners do not run yet"
    return None


def publish_alb_node(
    sandbox: Sandbox, lb: LoadBalancer, ip: str, port: int, real: tuple[str, int]
) -> None:
    if lb.type == "application":
        sandbox.publish(f"{ip}:{port}", real)


def is_behind_nlb(topology: Topology, lb: str) -> bool:
    return any(
        target.id == lb
        for group in topology.target_groups
        if group.target_type == "alb"
        for target in group.targets
    )


def target_tls(
    topology: Topology, address: str, authority: Callable[[], RunAuthority]
) -> ssl.SSLContext | None:
    """The server context of the target at ``address`` when a TLS group registers it, or
    a Classic Load Balancer whose listeners reach it over HTTPS or SSL (§8)."""
    if not any(
        g.protocol == "TLS" and any(t.address == address for t in g.targets)
        for g in topology.target_groups
    ) and not any(
        lb.type == "classic"
        and any(x.instance_protocol in classic.TLS_INSTANCE_PROTOCOLS for x in lb.listeners)
        and any(i.address == address for i in lb.instances)
        for lb in topology.load_balancers
    ):
        return None
    return ListenerCertificates(authority(), ((address.split(":")[0],),)).default


def nodes(
    lb: LoadBalancer,
    at: Node,
    listener: Listener,
    ctx: ProxyContext,
    report: Report,
    certificates: ListenerCertificates | None,
) -> list[NlbNode | UdpNlbNode]:
    made: list[NlbNode | UdpNlbNode] = []
    if listener.protocol != "UDP":
        made.append(NlbNode(lb, at, listener, ctx, report, ctx.secret, certificates))
    if listener.protocol in ("UDP", "TCP_UDP"):
        made.append(UdpNlbNode(lb, at, listener, ctx, report, ctx.secret))
    return made


def udp_half(node: object) -> bool:
    return isinstance(node, UdpNlbNode) and node.listener.protocol == "TCP_UDP"


def serves_udp(topology: Topology, address: str) -> bool:
    return any(
        g.protocol in ("UDP", "TCP_UDP") and any(t.address == address for t in g.targets)
        for g in topology.target_groups
    )


def flow_gauges(nodes: Iterable[object]) -> dict[str, tuple[int, int]]:
    """ActiveFlowCount and ProcessedBytes per NLB (summed over its nodes); takes the
    bytes, so each is counted in one window only."""
    gauges: dict[str, tuple[int, int]] = {}
    for n in nodes:
        if isinstance(n, NlbNode | UdpNlbNode):
            active, processed = gauges.get(n.lb.name, (0, 0))
            gauges[n.lb.name] = (active + len(n.live), processed + n.processed)
            n.processed = 0
    return gauges


def target_unhealthy(nodes: Iterable[object], group: str, target: str) -> None:
    for n in nodes:
        if isinstance(n, NlbNode | UdpNlbNode) and n.group.name == group:
            n.unhealthy(target)


def check_host(topology: Topology, group: TargetGroup, target: Target, node_ip: str | None) -> str:
    check = group.health_check
    port = target.port if check.port == "traffic-port" else int(check.port)
    listeners = [
        listener.port
        for lb in topology.load_balancers
        if lb.type == "network"
        for listener in lb.listeners
        if group.name in groups_in_use([replace(lb, listeners=(listener,))])
    ]
    nlb = (node_ip, listeners[0]) if listeners and node_ip is not None else None
    return probe_host(target_ip=target.ip, check_port=port, nlb=nlb)


def resolver(nodes: Sequence[object]) -> Callable[[], tuple[tuple[str, int], ...]] | None:
    """For one NLB listener's nodes: the (host, port) of each node DNS returns now."""
    nlb = [n for n in nodes if isinstance(n, NlbNode | UdpNlbNode)]
    if not nlb:
        return None

    def resolve() -> tuple[tuple[str, int], ...]:
        zones = in_dns(nlb[0].pool(), [n.node.az for n in nlb])
        return tuple((n.host, n.port) for n in nlb if n.node.az in zones)

    return resolve
