"""Who reaches an internet-facing load balancer is decided by its subnets' routes (spec §10):
in subnets whose route table sends 0.0.0.0/0 to an internet gateway, clients on the internet
reach its nodes; in subnets without that route, nothing on the internet does, though clients
inside the VPC still reach the nodes' private addresses."""

import asyncio
from pathlib import Path

from labs.cfn import load_topology, parse_document
from labs.runtime.orchestrator import LabRuntime, RunOptions
from labs.runtime.sandbox import Sandbox
from tests.runtime.helpers import EventLog

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "vpc_igw_public_private_alias.yaml"


class Lab(EventLog):
    """The two-tier template running without generated traffic (long enough for the
    test's few one-second waits)."""

    def __init__(self, edit=None):
        super().__init__()
        document = parse_document(TEMPLATE.read_text())
        if edit is not None:
            edit(document["Resources"])
        self.runtime = LabRuntime(
            load_topology(document),
            RunOptions(duration=25, clock_speed=1),
            self.emit,
            sample_events=False,
        )

    async def __aenter__(self):
        await self.runtime.__aenter__()
        await self.runtime._first_checks.wait()
        return self

    async def __aexit__(self, *exc):
        await self.runtime.__aexit__(*exc)

    async def answered(self, lb: str, source_ip: str) -> bool:
        """Whether ``lb``'s first node answers a request from ``source_ip`` within 1 s."""
        entry = next(e for e in self.runtime.entries() if e.lb == lb)
        host, port = entry.nodes[0]
        sandbox: Sandbox = self.runtime.sandbox
        reader, writer = await asyncio.open_connection(
            host, port, local_addr=(sandbox.loopback(source_ip), 0)
        )
        writer.write(b"GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n")
        try:
            async with asyncio.timeout(1.0):
                return bool(await reader.read(65536))
        except TimeoutError:
            return False
        finally:
            writer.close()


async def test_an_internet_facing_alb_in_public_subnets_is_reached_from_the_internet():
    async with Lab() as lab:
        assert await lab.answered("PublicLoadBalancer", "203.0.113.9")
        assert not await lab.answered("InternalLoadBalancer", "203.0.113.9")  # the scheme


async def test_an_internet_facing_alb_in_subnets_without_an_igw_route_is_not():
    def in_private_subnets(resources):
        resources["PublicLoadBalancer"]["Properties"]["Subnets"] = [
            {"Ref": "PrivateSubnet1"},
            {"Ref": "PrivateSubnet2"},
        ]

    async with Lab(in_private_subnets) as lab:
        assert not await lab.answered("PublicLoadBalancer", "203.0.113.9")
        assert await lab.answered("PublicLoadBalancer", "10.20.20.99")  # from inside the VPC
    requests = [e for e in lab.events if e["type"] == "request"]
    assert [e["client_ip"] for e in requests] == ["10.20.20.99"]  # the dropped one: no log
