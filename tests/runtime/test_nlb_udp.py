"""NLB UDP listeners on real loopback sockets (spec §6.1, §6.2, §6.3, §3.1)."""

import asyncio
import json
import random
import socket

import pytest

from labs.engine.events import validate
from labs.engine.health import HEALTHY
from labs.engine.spec import Action, Listener, LoadBalancer, Node, Target, TargetGroup
from labs.runtime.clock import LabClock
from labs.runtime.proxy_http import ProxyContext
from labs.runtime.proxy_udp import UdpNlbNode
from labs.runtime.sandbox import Sandbox
from labs.runtime.udp_targets import start_udp_echo

from .helpers import of_type, run_until, starter

pytestmark = pytest.mark.timeout(60)
NODE = Node(az="us-east-1a", ip="10.0.1.5")
TARGET = Target(id="i-1", ip="10.0.1.10", port=53, az="us-east-1a")


class UdpNlb:
    """One NLB node with a UDP:53 listener and one UDP echo target."""

    def __init__(self, clock_speed: float = 1.0) -> None:
        self.sandbox = Sandbox()
        self.clock_speed = clock_speed
        self.events: list[dict] = []
        self._arrived = asyncio.Event()

    def report(self, event) -> None:
        self.events.append(event.wire())
        self._arrived.set()

    async def __aenter__(self):
        host = self.sandbox.loopback(TARGET.ip)
        self.target = await start_udp_echo(host, 0, TARGET.address, self.sandbox, lambda ip: True)
        self.sandbox.publish(TARGET.address, self.target.get_extra_info("sockname")[:2])
        group = TargetGroup(name="Udp", protocol="UDP", port=53, targets=(TARGET,))
        listener = Listener(
            name="UdpListener",
            protocol="UDP",
            port=53,
            default_actions=(Action(type="forward", target_groups=(("Udp", 1),)),),
        )
        lb = LoadBalancer(name="Nlb", type="network", nodes=(NODE,), listeners=(listener,))
        ctx = ProxyContext(
            sandbox=self.sandbox,
            clock=LabClock(self.clock_speed),
            groups={"Udp": group},
            addresses={"Udp": [TARGET.address]},
            health={"Udp": {TARGET.address: HEALTHY}},
            algorithms={},
            outstanding={},
            record=lambda exchange: None,
            rng=random.Random(0),
            zones={TARGET.address: TARGET.az},
        )
        self.node = UdpNlbNode(lb, NODE, listener, ctx, self.report, b"seed")
        await self.node.start()
        return self

    async def __aexit__(self, *exc):
        self.node.close()
        self.target.close()

    def client(self, ip: str) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        sock.bind((self.sandbox.loopback(ip), 0))
        sock.connect((self.node.host, self.node.port))
        return sock

    async def ask(self, sock: socket.socket, data: bytes) -> dict:
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(sock, data)
        async with asyncio.timeout(5):
            return json.loads(await loop.sock_recv(sock, 65536))

    async def wait_for(self, predicate, within: float = 5.0) -> list[dict]:
        async with asyncio.timeout(within):
            while not (found := [e for e in self.events if predicate(e)]):
                self._arrived.clear()
                await self._arrived.wait()
        return found


async def test_a_datagram_reaches_the_target_from_the_clients_own_address_and_back():
    async with UdpNlb() as nlb:
        sock = nlb.client("198.51.100.20")
        try:
            answer = await nlb.ask(sock, b"hello")
            port = sock.getsockname()[1]
        finally:
            sock.close()
        assert answer == {
            "address": "10.0.1.10:53",
            "peer": f"198.51.100.20:{port}",  # client IP (and port) preserved
            "echo": b"hello".hex(),
        }
        (opened,) = [e for e in nlb.events if e["state"] == "open"]
        assert (opened["protocol"], opened["target"], opened["listener"]) == (
            "UDP",
            TARGET.address,
            53,
        )


async def test_datagrams_of_one_flow_share_one_upstream_socket():
    async with UdpNlb() as nlb:
        sock = nlb.client("198.51.100.21")
        try:
            first = await nlb.ask(sock, b"one")
            second = await nlb.ask(sock, b"two")
        finally:
            sock.close()
        assert first["peer"] == second["peer"]
        assert len([e for e in nlb.events if e["state"] == "open"]) == 1


async def test_a_udp_flow_ends_after_120_idle_lab_seconds_and_the_next_datagram_is_new():
    async with UdpNlb(clock_speed=1000) as nlb:  # 120 lab seconds = 0.12 s
        sock = nlb.client("198.51.100.22")
        try:
            await nlb.ask(sock, b"one")
            (closed,) = await nlb.wait_for(lambda e: e["state"] == "closed")
            assert closed["closed_by"] == "idle_timeout"
            assert closed["bytes_from_client"] == 3 and closed["bytes_from_target"] > 0
            await nlb.ask(sock, b"two")
        finally:
            sock.close()
        assert len([e for e in nlb.events if e["state"] == "open"]) == 2


def _udp_service(document):
    resources = document["Resources"]
    resources["WebSecurityGroup"]["Properties"]["SecurityGroupIngress"] = [
        {"IpProtocol": protocol, "FromPort": 53, "ToPort": 53, "CidrIp": "0.0.0.0/0"}
        for protocol in ("udp", "tcp")  # datagrams, and the TCP health check (§3.1)
    ]
    group = resources["TcpTargets"]["Properties"]
    group.update(Protocol="UDP", Port=53, HealthCheckProtocol="TCP")
    del group["HealthCheckPath"]
    resources["TcpListener"]["Properties"].update(Protocol="UDP", Port=53)


def _answered(events):
    return any(e["type"] == "flow" and e["state"] == "open" for e in events)


async def test_a_udp_run_checks_targets_over_tcp_and_relays_generated_datagrams():
    events, _ = await run_until(starter("nlb-static-ips.yaml", _udp_service), _answered, rps=20)
    healthy = {e["target"] for e in of_type(events, "health") if e["state"] == "healthy"}
    assert healthy == {"10.0.1.10:53", "10.0.2.10:53"}  # TCP checks on the UDP port
    flows = of_type(events, "flow")
    assert {f["protocol"] for f in flows} == {"UDP"}
    ended = [f for f in flows if f["state"] == "closed"]
    assert ended and all(f["closed_by"] == "load_balancer" for f in ended)
    assert any(f["bytes_from_target"] > 0 for f in ended)  # the echo came back
    for event in events:
        validate(event)


def _tcp_udp_service(document):
    _udp_service(document)
    resources = document["Resources"]
    resources["TcpTargets"]["Properties"]["Protocol"] = "TCP_UDP"
    resources["TcpListener"]["Properties"]["Protocol"] = "TCP_UDP"


async def test_a_tcp_udp_listener_takes_both_on_one_port_and_the_target_answers_both():
    from .test_control import Lab

    async with Lab(starter("nlb-static-ips.yaml", _tcp_udp_service), rps=20) as lab:
        await lab.wait_for(lambda e: e["type"] == "flow" and e["protocol"] == "TCP")
        (entry,) = lab.runtime.entries()
        assert not entry.datagrams  # generated clients speak TCP (HTTP) to it
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((lab.runtime.sandbox.loopback("198.51.100.30"), 0))
            sock.connect(entry.nodes[0])  # the same port number, over UDP
            loop = asyncio.get_running_loop()
            await loop.sock_sendall(sock, b"hi")
            async with asyncio.timeout(5):
                answer = json.loads(await loop.sock_recv(sock, 65536))
        finally:
            sock.close()
        assert answer["peer"].startswith("198.51.100.30:")
        await lab.wait_for(lambda e: e["type"] == "flow" and e["protocol"] == "UDP")


def _udp_sockets() -> set[str]:
    """This process's UDP sockets (Linux), by inode."""
    from .helpers import open_sockets

    mine = {link[8:-1] for link in open_sockets()}
    with open("/proc/net/udp") as table:
        next(table)
        return {line.split()[9] for line in table} & mine


@pytest.mark.parametrize("edit", [_udp_service, _tcp_udp_service])
async def test_no_udp_socket_or_listener_of_a_udp_run_is_left_after_it_ends(edit):
    from .helpers import listening_ports

    before, listening = _udp_sockets(), listening_ports()
    await run_until(starter("nlb-static-ips.yaml", edit), _answered, rps=20)
    await asyncio.sleep(0)  # let the loop drop the last transports
    assert _udp_sockets() <= before
    assert listening_ports() == listening


async def test_udp_clients_leave_the_node_of_a_zone_without_healthy_targets():
    from .test_control import Lab

    web2 = "10.0.2.10:53"

    def opened(e):
        return e["type"] == "flow" and e["state"] == "open"

    async with Lab(starter("nlb-static-ips.yaml", _udp_service), rps=30) as lab:
        await lab.wait_for(lambda e: opened(e) and e["node_az"] == "us-east-1b", within=15)
        lab.runtime.control({"action": "fault", "target": web2, "mode": "stopped"})
        await lab.wait_for(lab.health(web2, "unused"), within=15)  # Target.InvalidState
        since = len(lab.events)
        # Clients of node b get no answer there now; each moves with its next datagram.
        await lab.wait_for(lambda e: any(opened(x) for x in lab.events[since:]), within=10)
        later = [e for e in lab.events[since:] if opened(e)]
        assert {e["node_az"] for e in later} == {"us-east-1a"}
