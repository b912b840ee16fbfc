"""Whole NLB runs on real loopback sockets: the starter, its targets, checks and clients."""

import asyncio
import json
from collections import Counter

import pytest

from labs.runtime.orchestrator import LabRuntime, RunOptions, ScriptedRequest

from .helpers import EventLog, listening_ports, of_type, run_script, starter

pytestmark = pytest.mark.timeout(60)


def _flows_closed(events):
    return [e for e in of_type(events, "flow") if e["state"] != "open"]


async def test_the_static_ips_starter_passes_http_through_and_keeps_the_client_ip():
    events, lab = await run_script(
        starter("nlb-static-ips.yaml"),
        ScriptedRequest(url="http://nlb.example.com/", client_ip="203.0.113.7"),
    )
    echo = json.loads(lab.answers[0].body)
    (flow,) = _flows_closed(events)
    assert echo["peer"] == f"203.0.113.7:{flow['client_port']}"  # the target's socket peer
    assert "x-forwarded-for" not in {name.lower() for name, _ in echo["headers"]}
    assert flow["target"] == echo["address"]
    assert flow["source_seen_by_target"] == echo["peer"]
    assert (flow["lb"], flow["protocol"], flow["listener"]) == ("LoadBalancer", "TCP", 80)
    assert flow["bytes_from_target"] > len(lab.answers[0].body)  # the body and its head
    assert flow["bytes"] == flow["bytes_from_client"] + flow["bytes_from_target"]
    assert not of_type(events, "request")  # layer 4: no HTTP request events


def _with_tcp_checks_and_ppv2(document):
    group = document["Resources"]["TcpTargets"]["Properties"]
    group["HealthCheckProtocol"] = "TCP"
    del group["HealthCheckPath"]
    group["TargetGroupAttributes"] = [{"Key": "proxy_protocol_v2.enabled", "Value": "true"}]


async def test_tcp_health_checks_pass_and_a_ppv2_target_reads_the_clients_address():
    events, lab = await run_script(
        starter("nlb-static-ips.yaml", _with_tcp_checks_and_ppv2),
        ScriptedRequest(url="http://nlb.example.com/", client_ip="203.0.113.8"),
    )
    healthy = [e for e in of_type(events, "health") if e["state"] == "healthy"]
    assert {e["target"] for e in healthy} == {"10.0.1.10:80", "10.0.2.10:80"}
    assert all(e["check"]["status"] is None and e["check"]["error"] is None for e in healthy)
    echo = json.loads(lab.answers[0].body)
    (flow,) = _flows_closed(events)
    node_ip = {"us-east-1a": "10.0.1.5", "us-east-1b": "10.0.2.5"}[flow["node_az"]]
    assert echo["proxy_protocol"] == {
        "source": f"203.0.113.8:{flow['client_port']}",
        "destination": f"{node_ip}:80",
    }


def _two_and_eight(document):
    """AWS's worked example (spec §9): two targets in AZ a, eight in AZ b."""
    resources = document["Resources"]
    targets = [{"Id": {"Ref": "Web1"}}, {"Id": {"Ref": "Web2"}}]
    for n in range(3, 11):
        zone, host = ("SubnetA", 11) if n == 3 else ("SubnetB", 8 + n)
        resources[f"Web{n}"] = {
            **resources["Web2"],
            "Properties": {
                **resources["Web2"]["Properties"],
                "SubnetId": {"Ref": zone},
                "PrivateIpAddress": f"10.0.{1 if zone == 'SubnetA' else 2}.{host}",
            },
        }
        targets.append({"Id": {"Ref": f"Web{n}"}})
    resources["TcpTargets"]["Properties"]["Targets"] = targets


async def _measure(topology, flows: int) -> Counter:
    log = EventLog()
    # Every flow's events, as the CLI gets them: a browser's share would be a sample.
    async with LabRuntime(
        topology, RunOptions(clock_speed=30), log.emit, sample_events=False
    ) as lab:
        expected = {t.address for t in topology.target_groups[0].targets}
        await log.wait_for(
            lambda _: (
                {
                    e["target"]
                    for e in log.events
                    if e["type"] == "health" and e["state"] == "healthy"
                }
                == expected
            )
        )
        (entry,) = lab.entries()

        async def one(n: int) -> None:
            source = lab.sandbox.loopback(f"198.51.{100 + n % 4}.{10 + n % 200}")
            # Clients split evenly between the two nodes, as DNS spreads them (§9).
            _, writer = await asyncio.open_connection(*entry.nodes[n % 2], local_addr=(source, 0))
            writer.close()
            await writer.wait_closed()

        for start in range(0, flows, 100):
            await asyncio.gather(*(one(n) for n in range(start, start + 100)))
        # Each flow's end is reported once the node has seen both sides close; on a loaded
        # machine (2 cores, a whole suite) 2000 of them take tens of seconds, not ten.
        await log.wait_for(lambda _: len(_flows_closed(log.events)) >= flows, within=60)
    return Counter(e["target"] for e in _flows_closed(log.events))


@pytest.mark.timeout(180)  # 2000 real flows: the shares need that many (±0.03, p < 2e-4)
async def test_cross_zone_off_gives_awss_shares_on_real_flows():
    per_target = await _measure(starter("nlb-static-ips.yaml", _two_and_eight), 2000)
    total = sum(per_target.values())
    assert total == 2000
    a_targets = {"10.0.1.10:80", "10.0.1.11:80"}
    for address, count in per_target.items():
        share = 0.25 if address in a_targets else 0.0625
        assert abs(count / total - share) <= 0.03, (address, count / total)
    assert len(per_target) == 10


async def test_a_run_leaves_nothing_listening():
    before = listening_ports()
    await run_script(starter("nlb-static-ips.yaml"), ScriptedRequest(url="http://x/"))
    assert listening_ports() <= before
