"""One lab run: every socket, task and timer of a run lives and dies here.

Usage (a Celery task, the ``lab`` command and the tests all do the same)::

    async with LabRuntime(topology, options, emit) as lab:   # sockets bound, checks started
        ...                                                  # caller: mark the run running
        await lab.run(stop)   # returns on stop.set(), at options.duration, or when the
                              # scripted requests are all answered
    summary = lab.summary()   # after exit every socket is closed

``emit`` is an ``async`` callable taking a list of event dicts (DESIGN.md's event
table); it is called at most every 100 ms (wall clock) with everything since the last
call. The runtime emits ``request``, ``health`` and ``metrics``; ``run.status`` belongs
to the caller, which owns the run's lifecycle (``lab.now()`` gives the lab-clock ``t``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from types import TracebackType
from typing import Any

from labs.engine import attributes, classic, events, routing, security
from labs.engine.accesslog import load_balancer_id
from labs.engine.balancing import (
    Algorithm,
    LeastOutstandingRequests,
    RoundRobin,
    WeightedRandom,
)
from labs.engine.health import ChecksDisabled, GroupUnused, IpReserved, TargetHealth
from labs.engine.health import describe as describe_health
from labs.engine.health import step as step_health
from labs.engine.spec import (
    Listener,
    LoadBalancer,
    Node,
    Target,
    TargetGroup,
    Topology,
    Traffic,
)

from . import console, nlb_setup
from . import gateway as gwlb
from .autoscaler import AutoScaler
from .clock import LabClock
from .collector import pace_for_proxying
from .control import ControlError, Controller
from .gateway import GwlbNode
from .health_checker import InstanceChecker, TargetChecker
from .options import RunOptions, ScriptedRequest
from .proxy_classic import ClassicHttpNode, ClassicTcpNode
from .proxy_http import AlbNode, ProxyContext
from .proxy_tcp import NlbNode
from .proxy_udp import UdpNlbNode
from .sandbox import Sandbox
from .shutdown import cancel_until_done
from .targets import TargetServer, start_target
from .tls import ListenerCertificates, RunAuthority
from .traffic import (
    Answer,
    ClientPool,
    Entry,
    Rate,
    generate,
    play,
    send_packets,
    tls_code,
    tls_reason,
)
from .wire import EventSink

__all__ = ["ControlError", "Emit", "Event", "LabRuntime", "RunOptions", "ScriptedRequest"]

Event = dict[str, Any]
Emit = Callable[[list[Event]], Awaitable[None]]
FLUSH_SECONDS = 0.1  # DESIGN.md: batches at most every 100 ms
METRICS_SECONDS = 1.0
BROWSER_REQUESTS_PER_BATCH = 100
# How long a closing run's tasks get to end. Past it the run closes its sockets anyway
# and logs what survived: a stuck task must never keep a run's ports or worker slot.
CLOSE_SECONDS = 5.0

logger = logging.getLogger(__name__)
_NODES = ("application", "network", "classic", "gateway")  # load balancer types with a data plane
_UNHEALTHY = ("unhealthy", "unhealthy.draining", classic.OUT_OF_SERVICE)  # UnHealthyHostCount


class LabRuntime:
    def __init__(
        self, topology: Topology, options: RunOptions, emit: Emit, *, sample_events: bool = True
    ) -> None:
        if any(lb.type not in _NODES for lb in topology.load_balancers):
            raise NotImplementedError("this load balancer type does not run yet")
        if (why := nlb_setup.unsupported(topology)) is not None:
            raise NotImplementedError(why)
        self.topology = topology = _with_instance_groups(nlb_setup.prepare(topology))
        self.options = options
        self._emit = emit
        self._rng = random.Random(options.seed)
        # sample_events: send a browser's share of request events, and of TCP flow events,
        # per batch when traffic outruns it; off, every one (the CLI, tests that count them).
        self._sink = EventSink(
            max_requests_per_batch=BROWSER_REQUESTS_PER_BATCH if sample_events else None,
            rng=self._rng,
        )
        self._tasks: list[asyncio.Task[Any]] = []
        self._flushing = asyncio.Lock()
        self._servers: dict[str, TargetServer] = {}  # by virtual "ip:port"
        self._nodes: list[AlbNode | NlbNode | UdpNlbNode | ClassicTcpNode | GwlbNode] = []
        self._fleet: gwlb.Fleet | None = None  # GWLB appliances, destinations
        self._checkers: dict[tuple[str, str], TargetChecker] = {}  # (group, "ip:port")
        self._rate = Rate(options.rps or topology.traffic.rps)
        self._controller: Controller | None = None
        self._clients: ClientPool | None = None  # while run() runs
        self.sandbox = Sandbox()
        self._authority: RunAuthority | None = None
        self.answers: list[Answer] = []
        self.requests_done = asyncio.Event()  # every scripted request was answered
        self.stuck: set[asyncio.Task[Any]] = set()  # tasks that outlived _close's deadline
        self._classic_groups = {lb.name for lb in topology.load_balancers if lb.type == "classic"}
        self._classic_algorithms: dict[tuple[str, int, str], Algorithm] = {}
        # The security groups as they are now: a learner may change one while the run goes.
        self._security_groups = {g.name: g for g in topology.security_groups}
        self.clock: LabClock

    def now(self) -> float:
        return self.clock.now()

    # --- lifecycle -----------------------------------------------------------------------------
    async def __aenter__(self) -> LabRuntime:
        self.clock = LabClock(self.options.clock_speed)
        pace_for_proxying()
        try:
            await self._start()
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _start(self) -> None:
        topology = self.topology
        health: dict[str, dict[str, str]] = {g.name: {} for g in topology.target_groups}
        outstanding: dict[str, int] = {}
        ctx = ProxyContext(
            sandbox=self.sandbox,
            clock=self.clock,
            groups={g.name: g for g in topology.target_groups},
            addresses={g.name: [t.address for t in g.targets] for g in topology.target_groups},
            health=health,
            algorithms={g.name: self._algorithm(g, outstanding) for g in topology.target_groups},
            outstanding=outstanding,
            record=self._sink.record,
            rng=self._rng,
            secret=os.urandom(16),
            stickiness={
                g.name: policy
                for g in topology.target_groups
                if (policy := attributes.stickiness(g.attributes)) is not None
            },
            zones={t.address: t.az for g in topology.target_groups for t in g.targets},
            zonal_groups=frozenset(
                g.name for g in topology.target_groups if not attributes.cross_zone(g.attributes)
            ),
            new_algorithm=lambda name: self._algorithm(topology.target_group(name), outstanding),
            slow_start={
                g.name: {}
                for g in topology.target_groups
                if attributes.slow_start(g.attributes) > 0
            },
            slow_start_seconds={
                g.name: attributes.slow_start(g.attributes) for g in topology.target_groups
            },
        )
        ctx.target_admits = self._target_admits
        ctx.client_dropped = self._client_dropped
        self._first_checks = asyncio.Event()
        self._ctx = ctx
        await self._start_targets()
        if any(lb.type == "gateway" for lb in topology.load_balancers):
            self._fleet = await gwlb.start_fleet(
                topology, self.sandbox, self._rng, self._sink.add, os.urandom(16)
            )
        for lb in topology.load_balancers:
            for listener in lb.listeners:
                certificates = self._certificates(listener)
                for node in lb.nodes:
                    lb_nodes: list[AlbNode | NlbNode | UdpNlbNode | ClassicTcpNode | GwlbNode]
                    if lb.type == "classic":
                        lb_nodes = [self._classic_node(lb, node, listener, certificates)]
                    elif lb.type == "gateway" and self._fleet is not None:
                        lb_nodes = [self._gateway_node(self._fleet, lb, node, listener, ctx)]
                    elif lb.type == "network":
                        lb_nodes = [
                            *nlb_setup.nodes(lb, node, listener, ctx, self._sink.add, certificates)
                        ]
                    else:
                        lb_nodes = [AlbNode(lb, node, listener, ctx, certificates)]
                    for lb_node in lb_nodes:
                        self._nodes.append(lb_node)
                        if isinstance(lb_node, GwlbNode):
                            await lb_node.start()
                        else:  # TCP_UDP: the UDP half takes the TCP half's port
                            await lb_node.start(lb_nodes[0].port)
                    first = lb_nodes[0]
                    if not isinstance(first, GwlbNode):
                        real = (first.host, first.port)
                        nlb_setup.publish_alb_node(self.sandbox, lb, node.ip, listener.port, real)
        in_use = routing.groups_in_use(topology.load_balancers) | {
            lb.name for lb in topology.load_balancers if lb.type == "classic"
        }
        for group in topology.target_groups:
            if not group.health_check.enabled:
                self._unchecked(group, health[group.name])
                continue
            reserved = routing.reserved_ips(topology.load_balancers, group)
            for target in group.targets:
                checker = self._make_checker(group, target.address)
                checker.announce()
                self._checkers[group.name, target.address] = checker
                if target.ip in reserved:  # a load balancer's own address (§3.3)
                    checker.apply(IpReserved(at=0.0))
                elif group.name not in in_use:  # AWS checks only groups a rule uses (§3.2)
                    checker.apply(GroupUnused(at=0.0))
        self._controller = Controller(
            clock=self.clock,
            groups=ctx.groups,
            addresses=ctx.addresses,
            checkers=self._checkers,
            servers=self._servers,
            rate=self._rate,
            max_rps=self.options.max_rps,
            make_checker=self._make_checker,
            spawn=self._spawn,
            report=self._sink.add,
        )
        self._controller.security_groups = self._security_groups
        self._controller.lb_groups = tuple(
            dict.fromkeys(name for lb in topology.load_balancers for name in lb.security_groups)
        )
        self._controller.lb_ips = frozenset(
            node.ip for lb in topology.load_balancers for node in lb.nodes
        )
        self._controller.vpc_cidr = topology.vpc_cidr
        self._scaler = AutoScaler(
            topology=topology,
            clock=self.clock,
            groups=ctx.groups,
            health=health,
            zones=ctx.zones,
            addresses=ctx.addresses,
            servers=self._servers,
            control=self._controller.apply,
            start_servers=self._start_servers,
            spawn=self._spawn,
            report=self._sink.add,
        )
        if self._scaler:
            self._controller.scale = self._scaler.set_desired
            self._spawn(self._scaler.run())
        self._spawn(self._flush_forever())
        self._spawn(self._metrics_forever())
        checked = {k: c for k, c in self._checkers.items() if c.health.state != "unused"}
        pending = len(checked)

        def one_checked() -> None:
            nonlocal pending
            pending -= 1
            if pending <= 0:
                self._first_checks.set()

        if not checked:
            self._first_checks.set()
        # An NLB's check of an ALB target goes through that ALB, which answers 503 while
        # its own targets are all still initial (labs.engine.balancing): it is made once
        # they have had their first check, as an ALB registered with an NLB on AWS already
        # has checked targets, so the NLB neither fails its first check nor fails open.
        fronted = {k: c for k, c in checked.items() if self._ctx.groups[k[0]].target_type == "alb"}
        behind = {k: c for k, c in checked.items() if k not in fronted}
        behind_done = asyncio.Event()
        waiting = len(behind)

        def one_behind_checked() -> None:
            nonlocal waiting
            waiting -= 1
            one_checked()
            if waiting <= 0:
                behind_done.set()

        if not behind:
            behind_done.set()
        for key, checker in behind.items():
            self._controller.watch(key, self._spawn(checker.run(one_behind_checked)))
        for key, checker in fronted.items():
            self._controller.watch(key, self._spawn(_after(behind_done, checker.run(one_checked))))

    def _classic_node(
        self,
        lb: LoadBalancer,
        node: Node,
        listener: Listener,
        certificates: ListenerCertificates | None,
    ) -> ClassicHttpNode | ClassicTcpNode:
        """A Classic LB node for one listener (spec §8): HTTP(S) through the ALB's
        machinery, TCP/SSL as a byte relay; the engine's ``classic.decide`` chooses."""
        ctx = self._ctx
        cross_zone = classic.cross_zone(lb)
        # Cross-zone on: the listener's nodes share one rotation; off: each node its own.
        key = (lb.name, listener.port, "" if cross_zone else node.az)
        algorithm = self._classic_algorithms.get(key)
        if algorithm is None:
            algorithm = self._classic_algorithms[key] = (
                LeastOutstandingRequests(ctx.outstanding)
                if classic.algorithm_name(listener.protocol) == "least_outstanding_requests"
                else RoundRobin()
            )
        state = classic.State(
            lb=lb.name,
            node_az=node.az,
            registered=ctx.addresses[lb.name],
            health=ctx.health[lb.name],
            zones=ctx.zones,
            cross_zone=cross_zone,
            algorithm=algorithm,
            policy=classic.sticky_policy(listener.attributes),
            secret=ctx.secret,
        )
        if listener.protocol in ("HTTP", "HTTPS"):
            return ClassicHttpNode(lb, node, listener, ctx, state, certificates)
        return ClassicTcpNode(lb, node, listener, ctx, state, self._sink.add, certificates)

    def _gateway_node(
        self, fleet: gwlb.Fleet, lb: LoadBalancer, node: Node, listener: Listener, ctx: ProxyContext
    ) -> GwlbNode:
        """A GWLB node and its zone's endpoint, sending to the fleet's appliances."""
        endpoint = gwlb.endpoint_ip(self.topology, node)
        built = GwlbNode(
            lb,
            node,
            listener,
            ctx,
            fleet.report,
            endpoint_ip=endpoint,
            seed=fleet.seed,
            rng=fleet.rng,
        )
        fleet.nodes.append(built)
        return built

    def _certificates(self, listener: Listener) -> ListenerCertificates | None:
        """An HTTPS, SSL or TLS listener's certificates, issued by the run's own CA (for ACM)."""
        if listener.protocol not in ("HTTPS", "SSL", "TLS") or not listener.certificates:
            return None
        sans = {
            c.domain_name: (c.domain_name, *c.alternative_names) for c in self.topology.certificates
        }
        return ListenerCertificates(
            self.authority, tuple(sans.get(domain, (domain,)) for domain in listener.certificates)
        )

    def _make_checker(self, group: TargetGroup, address: str) -> TargetChecker:
        target = next(t for t in group.targets if t.address == address)
        source = self._checking_node(group, target)
        kind = InstanceChecker if group.name in self._classic_groups else TargetChecker
        return kind(
            group,
            target,
            source,
            self.sandbox,
            self.clock,
            self._ctx.health[group.name],
            self._health_changed,
            nlb_setup.check_host(self.topology, group, target, self.sandbox.virtual(source)),
        )

    def _health_changed(self, event: events.Health) -> None:
        """Report a health event; start or end a target's slow start on the way (§2.5)."""
        self._sink.add(event)
        group, target = event.target_group, event.target
        drain_ended = classic.drain_ended(event.state, event.previous, event.description)
        if (event.state, event.previous) == ("unused", "draining") or drain_ended:
            for node in self._nodes:  # the delay is over: requests still in flight get 502
                node.drained(target)
        if event.state == "unhealthy" and event.previous == "healthy":
            nlb_setup.target_unhealthy(self._nodes, group, target)
        ramping = self._ctx.slow_start.get(group)
        if ramping is None:
            return
        if event.state != "healthy":
            ramping.pop(target, None)
        elif event.previous in ("initial", "unhealthy") and self._first_checks.is_set():
            # Targets registered together on an empty group (the run's start) never ramp;
            # a later one does, if some healthy target outside slow start carries traffic.
            states = self._ctx.health[group]
            if any(s == "healthy" and t != target and t not in ramping for t, s in states.items()):
                ramping[target] = event.t

    def control(self, command: dict[str, Any], by: str | None = None) -> Event:
        """Apply ``by``'s command to the running lab (see ``control.py``).

        Returns the ``fault`` event it also emits, as a wire object. Raises ``ControlError``.
        """
        if self._controller is None:
            raise ControlError("ValidationError", "the run has not started")
        return self._controller.apply(command, by).wire()

    def report(self, event: events.Event) -> None:
        """Emit an event the caller built (a refused scripted step's ``fault``)."""
        self._sink.add(event)

    async def send_request(self, command: dict[str, Any], by: str | None = None) -> Event:
        """Send one console request (``labs.runtime.console``); emit and return its
        ``console`` event. Its ``request`` event comes from the load balancer, as any."""
        if self._clients is None:
            raise ControlError("ValidationError", "the run is not sending traffic yet")
        event = await console.send(
            command, self.entries(), self._clients, self.clock, by, tls_failed=self._tls_failed
        )
        self._sink.add(event)
        return event.wire()

    def access_log(self) -> list[str]:
        """Every request's access-log line so far, oldest first (bounded)."""
        return list(self._sink.access_log)

    def _unchecked(self, group: TargetGroup, states: dict[str, str]) -> None:
        """Health checks off (a Lambda group's default): the engine says ``unavailable``."""
        shown, _ = step_health(TargetHealth(), ChecksDisabled(at=0.0), group.health_check)
        for target in group.targets:
            states[target.address] = shown.state
            self._sink.add(
                events.Health(
                    t=0.0,
                    emitted=time.time(),
                    target_group=group.name,
                    target=target.address if target.ip else target.id,
                    instance=target.id,
                    az=target.az,
                    state=shown.state,
                    previous=None,
                    reason=shown.reason,
                    description=describe_health(shown),
                    check=None,
                )
            )

    def _algorithm(self, group: TargetGroup, outstanding: dict[str, int]) -> Algorithm:
        if group.algorithm == "least_outstanding_requests":
            return LeastOutstandingRequests(outstanding)
        if group.algorithm == "weighted_random":
            return WeightedRandom(self._rng)
        return RoundRobin()

    @property
    def authority(self) -> RunAuthority:
        if self._authority is None:
            self._authority = RunAuthority()
        return self._authority

    async def _start_targets(self) -> None:
        """One server per (instance, port), including separate health-check ports."""
        groups = self.topology.target_groups
        await self._start_servers([(t, g) for g in groups for t in g.targets])

    async def _start_servers(self, wanted: list[tuple[Target, TargetGroup]]) -> None:
        """The servers of these targets (of these groups); an instance an Auto Scaling
        group launches at run time comes through here too."""
        paths_by_address: dict[str, set[str]] = {}
        targets: dict[str, Target] = {}
        for target, group in wanted:
            if group.target_type in ("lambda", "alb"):
                continue  # a function is called in-process; an ALB's nodes are its own
            check = group.health_check
            # A GENEVE group's traffic port is UDP 6081: an appliance (gateway.py) binds it.
            ports = {target.port} if group.protocol != "GENEVE" else set()
            if check.port != "traffic-port":
                ports.add(int(check.port))
            for port in ports:
                address = f"{target.ip}:{port}"
                targets.setdefault(address, _at_port(target, port))
                paths = paths_by_address.setdefault(address, set())
                if check.protocol in ("HTTP", "HTTPS"):  # a TCP check asks for no path
                    paths.add(check.path)
        for address, target in targets.items():
            server = await start_target(
                target,
                self.sandbox,
                self._admission(target),
                frozenset(paths_by_address[address]),
                nlb_setup.target_tls(self.topology, address, lambda: self.authority),
                self._admission(target, "udp")
                if nlb_setup.serves_udp(self.topology, address)
                else None,
            )
            server.clock = self.clock.now
            self._servers[address] = server

    def _admission(self, target: Target, protocol: str = "tcp") -> Callable[[str | None], bool]:
        names = target.security_groups
        node_groups = {
            node.ip: lb.security_groups for lb in self.topology.load_balancers for node in lb.nodes
        }

        def admits(source_ip: str | None) -> bool:
            if source_ip is None:
                return False  # not part of this run
            return security.allows(
                [self._security_groups[name] for name in names],
                protocol=protocol,
                port=target.port,
                source_ip=source_ip,
                source_groups=node_groups.get(source_ip, ()),
            )

        return admits

    def _target_admits(self, target: str, source_ip: str) -> bool:
        server = self._servers.get(target)
        return server is None or server.admits(source_ip)

    def _client_dropped(
        self, lb: LoadBalancer, node: Node, port: int, source_ip: str, through_nlb: bool = False
    ) -> str | None:
        topology = self.topology
        return security.client_dropped(
            lb,
            [topology.security_group(name) for name in lb.security_groups],
            vpc_cidr=topology.vpc_cidr,
            source_ip=source_ip,
            port=port,
            # A client inside the VPC (an instance's address) is in its security groups.
            source_groups=next(
                (i.security_groups for i in topology.instances if i.ip == source_ip), ()
            ),
            through_nlb=through_nlb,
            node=node,
        )

    def _checking_node(self, group: TargetGroup, target: Target) -> str:
        # Every node checks every target on AWS; we let the target's own zone's node do
        # it (or the first node), so there is one probe per interval per target. The
        # node is one of an LB that routes to the group, whose SG the target may name.
        # A Classic Load Balancer's instances form a group named after it, which no
        # listener action names: its own nodes check them.
        lbs = self.topology.load_balancers
        users = [
            lb
            for lb in lbs
            if group.name in routing.groups_in_use([lb])
            or (lb.type == "classic" and lb.name == group.name)
        ] or lbs
        nodes = [node for lb in users for node in lb.nodes]
        if not nodes:
            return self.sandbox.loopback("10.255.255.254")
        same_zone = [node for node in nodes if node.az == target.az]
        return self.sandbox.loopback((same_zone or nodes)[0].ip)

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.append(task)
        return task

    async def run(self, stop: asyncio.Event) -> None:
        """Send traffic until ``stop`` is set, the duration is over, or the script ends."""
        clients = self._clients = ClientPool(self.sandbox)
        traffic = asyncio.get_running_loop().create_task(self._traffic(clients))
        stopped = asyncio.get_running_loop().create_task(stop.wait())
        try:
            await asyncio.wait(
                {traffic, stopped},
                timeout=self.options.duration,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            stuck = await cancel_until_done((traffic, stopped), CLOSE_SECONDS)
            if stuck:
                logger.error("lab run: its traffic did not stop within %ss", CLOSE_SECONDS)
            self._clients = None
            await clients.close()
            await self._flush()  # every answered request is reported before run() returns

    async def _traffic(self, clients: ClientPool) -> None:
        # As on AWS, a target gets traffic once it passed a health check: clients start
        # after every target's first check (a few lab seconds at most).
        await self._first_checks.wait()
        entries = self.entries()
        if not entries:
            await asyncio.Event().wait()  # nothing to talk to: just let the clock run
        if self.options.requests is not None:
            await play(
                self.options.requests,
                entries,
                clients,
                self.clock,
                self.answers,
                tls_failed=self._tls_failed,
            )
            self.requests_done.set()
            if self.options.hold:
                await asyncio.Event().wait()
            return
        traffic = self.topology.traffic
        if self._fleet is not None:  # a GWLB takes IP packets, not HTTP requests
            gateways = {lb.name for lb in self.topology.load_balancers if lb.type == "gateway"}
            await send_packets(
                [entry for entry in entries if entry.lb in gateways],
                clients,
                rate=self._rate,
                client_count=traffic.clients,
                destinations=gwlb.DESTINATIONS,
                rng=self._rng,
            )
            return
        await generate(
            entries,
            clients,
            rate=self._rate,
            client_count=traffic.clients,
            paths=traffic.paths,
            host=_host(traffic, self.topology, entries[0].lb),
            rng=self._rng,
            tls_failed=self._tls_failed,
        )

    def _tls_failed(
        self, entry: Entry, client_ip: str, host: str, error: ssl.SSLError
    ) -> events.TlsNegotiationError:
        event = events.TlsNegotiationError(
            t=self.clock.now(),
            emitted=time.time(),
            lb=entry.lb,
            listener=entry.port,
            client_ip=client_ip,
            host=host,
            reason=tls_reason(error),
            code=tls_code(error),
        )
        self._sink.add(event)
        return event

    def entries(self) -> list[Entry]:
        by_listener: dict[
            tuple[str, int], list[AlbNode | NlbNode | UdpNlbNode | ClassicTcpNode | GwlbNode]
        ] = {}
        # Generated traffic goes to entries[0]: the listener the traffic settings name, else
        # not an ALB behind an NLB (clients reach it through the NLB) and not a listener that
        # only redirects (HTTP → HTTPS): its traffic is for where the redirect points.
        port = self.topology.traffic.port
        ordered = sorted(
            self._nodes,
            key=lambda n: (
                port is not None and n.listener.port != port,
                nlb_setup.is_behind_nlb(self.topology, n.lb.name),
                _only_redirects(n.listener),
            ),
        )
        for node in ordered:
            if nlb_setup.udp_half(node):
                continue  # clients of a TCP_UDP listener speak TCP to it
            by_listener.setdefault((node.lb.name, node.listener.port), []).append(node)
        client_tls = self._authority.client_context() if self._authority else None
        return [
            Entry(
                lb,
                port,
                _dns_name(lb),
                tuple((n.host, n.port) for n in nodes),
                client_tls if nodes[0].certificates is not None else None,
                datagrams=isinstance(nodes[0], UdpNlbNode),
                resolve=nlb_setup.resolver(nodes),
            )
            for (lb, port), nodes in by_listener.items()
        ]

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self._flush()

    async def _flush(self) -> None:
        async with self._flushing:  # one batch at a time: batches go out in order
            batch = await self._sink.drain_paced()
            if batch:
                await self._emit(batch)

    async def _metrics_forever(self) -> None:
        while True:
            await asyncio.sleep(METRICS_SECONDS)
            self._close_metrics_window()

    def _close_metrics_window(self) -> None:
        healthy = {
            name: (
                sum(s in ("healthy", classic.IN_SERVICE) for s in states.values()),
                sum(s in _UNHEALTHY for s in states.values()),
            )
            for name, states in self._ctx.health.items()
            if self._ctx.groups[name].target_type != "alb"  # HealthyHostCount excludes ALBs
        }
        flows = nlb_setup.flow_gauges(self._nodes)
        self._sink.close_window(self.clock.now(), healthy, flows)

    async def _close(self) -> None:
        self.stuck = await cancel_until_done(self._tasks, CLOSE_SECONDS)
        if self.stuck:
            # Not fatal to the worker: the sockets close below all the same, and the
            # caller tears the run's loop down with whatever is left on it.
            logger.error(
                "lab run: %s task(s) did not end within %ss of being cancelled: %s",
                len(self.stuck),
                CLOSE_SECONDS,
                ", ".join(sorted(repr(task.get_coro()) for task in self.stuck)),
            )
        self._tasks.clear()
        listening = [n._server for n in self._nodes] + [s.server for s in self._servers.values()]
        for node in self._nodes:
            node.close()
        for server in self._servers.values():
            server.close()
        if self._fleet is not None:
            self._fleet.close()
        ctx = getattr(self, "_ctx", None)
        if ctx is not None:
            for transport in list(ctx.connections):
                transport.abort()
        for closable in listening:
            if closable is not None:
                await closable.wait_closed()
        await asyncio.sleep(0)  # let aborted transports run connection_lost
        if ctx is not None:
            self._close_metrics_window()
            await self._flush()

    def summary(self) -> dict[str, Any]:
        counts = self._sink.counts
        return {
            "requests": counts["requests"],
            "flows": counts["flows"],  # NLB connections and UDP flows
            "tls_errors": counts["tls_errors"],  # ClientTLSNegotiationErrorCount
            "by_target": {k[7:]: v for k, v in counts.items() if k.startswith("target:")},
            "flows_by_target": {k[5:]: v for k, v in counts.items() if k.startswith("flow:")},
            "by_status": {k[7:]: v for k, v in counts.items() if k.startswith("status:")},
            "health": {
                f"{group}/{address}": checker.health.state
                for (group, address), checker in self._checkers.items()
            },
            "lab_seconds": round(self.clock.now(), 3),
            **({"packets": self._fleet.counts()} if self._fleet is not None else {}),
        }


def _with_instance_groups(topology: Topology) -> Topology:
    """Each Classic LB's instances as a target group of its own (``classic.instance_group``)."""
    groups = tuple(
        classic.instance_group(lb) for lb in topology.load_balancers if lb.type == "classic"
    )
    if not groups or any(g.name in {c.name for c in groups} for g in topology.target_groups):
        return topology
    return replace(topology, target_groups=topology.target_groups + groups)


def _at_port(target: Target, port: int) -> Target:
    if port == target.port:
        return target
    return replace(target, port=port)


def _host(traffic: Traffic, topology: Topology, lb: str) -> str | None:
    """The Host generated traffic sends: the template's, else a Route 53 alias of the load
    balancer it goes to (the name a browser resolved), else the rules' host (validation's)."""
    if traffic.host_given:
        return traffic.host
    aliases = next((b.aliases for b in topology.load_balancers if b.name == lb), ())
    return aliases[0] if aliases else traffic.host


def _only_redirects(listener: Listener) -> bool:
    actions = listener.default_actions
    return bool(actions) and all(action.type == "redirect" for action in actions)


def _dns_name(lb: str) -> str:
    suffix = load_balancer_id(lb).rsplit("/", 1)[1][:10]
    return f"{lb.lower()}-{suffix}.us-east-1.elb.amazonaws.com"


async def _after(event: asyncio.Event, work: Coroutine[Any, Any, None]) -> None:
    """``work`` once ``event`` is set (cancelled before: ``work`` is closed, never run)."""
    try:
        await event.wait()
    except BaseException:
        work.close()
        raise
    await work
