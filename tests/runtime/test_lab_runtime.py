"""A whole run on real loopback sockets: the proxy, targets, checks and clients."""

import asyncio
import json
import socket
from collections import Counter
from itertools import pairwise

import pytest

from labs.runtime.orchestrator import LabRuntime, RunOptions, ScriptedRequest
from labs.runtime.sandbox import Sandbox, SandboxViolation

from .helpers import (
    listening_ports,
    of_type,
    open_sockets,
    run_script,
    run_until,
    settled,
    topology,
)

pytestmark = pytest.mark.timeout(30)


def _requests_seen(n):
    return lambda events: len(of_type(events, "request")) >= n


async def test_round_robin_spreads_generated_traffic_over_all_three_targets():
    events, _ = await run_until(topology(), _requests_seen(30), rps=60)
    requests = of_type(events, "request")
    per_target = Counter(event["target"] for event in requests if event["reason"] == "round_robin")
    assert set(per_target) == {"10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"}
    assert max(per_target.values()) - min(per_target.values()) <= 1
    assert {event["elb_status_code"] for event in requests} == {200}
    assert len({event["client_ip"] for event in requests}) > 1


async def test_request_events_follow_the_wire_contract():
    events, _ = await run_until(topology(), _requests_seen(1), rps=20)
    request = of_type(events, "request")[0]
    expected = {
        "type",
        "t",
        "trace_id",
        "client_ip",
        "lb",
        "node_az",
        "listener",
        "protocol",
        "method",
        "host",
        "path",
        "query",
        "rule",
        "action",
        "target_group",
        "target",
        "elb_status_code",
        "target_status_code",
        "reason",
        "error_reason",
        "latency_ms",
        "headers_sent",
        "response_headers",
        "log",
    }
    assert expected <= set(request)
    assert request["rule"] == "default"
    assert request["action"] == "forward"
    assert request["target_group"] == "WebTargets"
    assert set(request["latency_ms"]) == {"request", "target", "response"}
    assert len(request["log"].split(" ")) >= 29
    json.dumps(events)  # every event is JSON as it stands


async def test_target_sees_the_client_address_in_x_forwarded_for_and_the_host_header():
    events, lab = await run_script(
        topology(),
        ScriptedRequest(url="http://one.example.com/users?id=1", client_ip="203.0.113.7"),
    )
    echo = json.loads(lab.answers[0].body)
    headers = {name.lower(): value for name, value in echo["headers"]}
    assert headers["x-forwarded-for"] == "203.0.113.7"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == "80"
    assert headers["host"] == "one.example.com"
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert echo["path"] == "/users" and echo["query"] == "id=1"
    # The target's peer is the load balancer node, not the client (no client IP preservation).
    assert echo["peer"].split(":")[0] in {"10.0.1.5", "10.0.2.5"}
    request = of_type(events, "request")[0]
    assert request["client_ip"] == "203.0.113.7"
    assert request["headers_sent"]["X-Forwarded-For"] == "203.0.113.7"


async def test_an_existing_x_forwarded_for_is_appended_to():
    _, lab = await run_script(
        topology(),
        ScriptedRequest(
            url="http://one.example.com/",
            client_ip="203.0.113.7",
            headers=(("X-Forwarded-For", "192.0.2.1"),),
        ),
    )
    headers = {k.lower(): v for k, v in json.loads(lab.answers[0].body)["headers"]}
    assert headers["x-forwarded-for"] == "192.0.2.1, 203.0.113.7"


async def test_a_client_id_keeps_one_keep_alive_connection():
    events, _ = await run_script(
        topology(), *[ScriptedRequest(url="http://one.example.com/", client="alice")] * 3
    )
    requests = of_type(events, "request")
    assert len(requests) == 3
    assert len({event["client_port"] for event in requests}) == 1
    assert len({event["target"] for event in requests}) == 3


def _blocked_by_security_group(document):
    ingress = document["Resources"]["WebSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    ingress[0] = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "10.99.0.0/16"}


async def test_a_security_group_that_blocks_the_load_balancer_times_health_checks_out():
    def all_unhealthy(events):
        states = {e["target"]: e for e in of_type(events, "health")}
        return len(states) == 3 and all(e["state"] == "unhealthy" for e in states.values())

    events, _ = await run_until(topology(_blocked_by_security_group), all_unhealthy, rps=1)
    last = {e["target"]: e for e in of_type(events, "health")}
    assert {e["reason"] for e in last.values()} == {"Target.Timeout"}
    assert all(e["previous"] in ("initial", "unhealthy") for e in last.values())


def _failing_health_checks(document):
    for name in ("Web1", "Web2", "Web3"):
        document["Resources"][name]["Metadata"] = {"Playground": {"App": {"HealthStatus": 503}}}


async def test_all_targets_unhealthy_makes_the_alb_fail_open():
    def answered(event):  # forwarded failing open, and the target's answer came back
        return event["reason"] == "fail_open" and event["elb_status_code"] == 200

    def failed_open(events):
        unhealthy = [e["t"] for e in of_type(events, "health") if e["state"] == "unhealthy"]
        return len(unhealthy) == 3 and any(
            answered(e) and e["t"] > max(unhealthy) for e in of_type(events, "request")
        )

    # Not "the last fail-open request got 200": the request in flight when the run stops
    # is cut (460), so the run goes on until one failing open was answered after all three
    # turned unhealthy; run_until fails if none is within its time.
    events, _ = await run_until(topology(_failing_health_checks), failed_open, rps=30)
    health = [e for e in of_type(events, "health") if e["state"] == "unhealthy"]
    assert health and health[0]["reason"] == "Target.ResponseCodeMismatch"
    assert "[503]" in health[0]["description"]
    last_unhealthy = max(e["t"] for e in health)
    forwarded = [e for e in of_type(events, "request") if answered(e) and e["t"] > last_unhealthy]
    assert {e["target_status_code"] for e in forwarded} == {200}  # the targets still answer


def _no_targets(document):
    document["Resources"]["WebTargets"]["Properties"]["Targets"] = []


async def test_a_target_group_without_registered_targets_answers_503():
    events, lab = await run_script(
        topology(_no_targets), ScriptedRequest(url="http://one.example.com/")
    )
    assert lab.answers[0].status == 503
    request = of_type(events, "request")[0]
    assert request["elb_status_code"] == 503
    assert request["target"] is None
    assert request["target_status_code"] is None


async def test_the_first_passing_check_makes_a_target_healthy():
    def all_healthy(events):
        return sum(e["state"] == "healthy" for e in of_type(events, "health")) == 3

    events, _ = await run_until(topology(), all_healthy, rps=1)
    for event in of_type(events, "health"):
        if event["state"] == "healthy":
            assert event["previous"] == "initial"
            assert event["check"]["status"] == 200


def _served(metrics):
    return metrics["load_balancers"].get("LoadBalancer", {}).get("RequestCount", 0) > 0


async def test_metrics_report_cloudwatch_names_once_a_second():
    def a_busy_second(events):
        return any(_served(m) for m in of_type(events, "metrics"))

    events, _ = await run_until(topology(), a_busy_second, rps=20)
    metrics = of_type(events, "metrics")
    busy = next(m for m in metrics if _served(m))
    assert busy["target_groups"]["WebTargets"]["HealthyHostCount"] == 3
    assert busy["target_groups"]["WebTargets"]["HTTPCode_Target_2XX_Count"] > 0
    assert all(b["t"] > a["t"] for a, b in pairwise(metrics))


async def test_a_malformed_request_gets_400_and_the_node_keeps_serving():
    events: list = []

    async def emit(batch):
        events.extend(batch)

    async with LabRuntime(topology(), RunOptions(duration=5, clock_speed=30), emit) as lab:
        host, port = lab.entries()[0].nodes[0]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert status.startswith(b"HTTP/1.1 400")
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: x.example.com\r\n\r\n")
        status = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        assert status.startswith(b"HTTP/1.1 ")


async def test_stop_ends_a_run_within_a_second():
    stop = asyncio.Event()

    async def emit(batch):
        if any(e["type"] == "request" for e in batch):
            stop.set()

    loop = asyncio.get_running_loop()
    async with LabRuntime(topology(), RunOptions(duration=60, rps=20), emit) as lab:
        run = loop.create_task(lab.run(stop))
        await asyncio.wait_for(stop.wait(), 10)
        stopped_at = loop.time()
        await asyncio.wait_for(run, 1)
    assert loop.time() - stopped_at < 1.0


async def test_no_socket_of_a_run_is_left_open_after_it_ends():
    before_listening, before_open = listening_ports(), open_sockets()
    seen_listening = set()

    async def emit(batch):
        seen_listening.update(listening_ports())

    await run_until(topology(), _requests_seen(10), rps=40)
    async with LabRuntime(topology(), RunOptions(duration=0.5, clock_speed=30), emit) as lab:
        seen_listening.update(listening_ports())
        await lab.run(asyncio.Event())
    assert len(seen_listening - before_listening) >= 5  # 3 targets + 2 nodes were listening
    # The last transports drop a loop turn or two after the run (connection_lost).
    await settled(lambda: listening_ports() == before_listening and open_sockets() <= before_open)
    assert listening_ports() == before_listening
    assert open_sockets() <= before_open


def test_the_sandbox_refuses_addresses_outside_the_run():
    sandbox = Sandbox()
    sandbox.publish("10.0.1.10:80", (sandbox.loopback("10.0.1.10"), 40000))
    assert sandbox.endpoint("10.0.1.10:80") == ("127.0.1.10", 40000)
    with pytest.raises(SandboxViolation):
        sandbox.endpoint("10.0.1.11:80")
    with pytest.raises(SandboxViolation):
        sandbox.publish("8.8.8.8:53", ("8.8.8.8", 53))


def test_virtual_addresses_map_to_distinct_loopback_addresses():
    sandbox = Sandbox()
    first, second = sandbox.loopback("10.0.1.10"), sandbox.loopback("192.168.1.10")
    assert first == "127.0.1.10"
    assert second != first and second.startswith("127.")
    assert sandbox.virtual(second) == "192.168.1.10"
    with socket.socket() as probe:  # the whole of 127/8 is ours to bind, unprivileged
        probe.bind((second, 0))


async def test_a_head_request_is_answered_and_the_connection_kept():
    events, lab = await run_script(
        topology(), *[ScriptedRequest(url="http://one.example.com/", method="HEAD", client="c")] * 4
    )
    assert [answer.status for answer in lab.answers] == [200] * 4
    assert all(answer.body == b"" for answer in lab.answers)
    assert len({e["client_port"] for e in of_type(events, "request")}) == 1
