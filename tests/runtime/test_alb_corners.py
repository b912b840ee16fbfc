"""ALB corners on real sockets (spec §2.2, §4.3, §4.4): answers the LB gives itself get
their request event and access-log line; TRACE, protocol versions, custom methods."""

import asyncio
import socket
import struct

import pytest

from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, starter, topology
from .test_alb_features import _https
from .test_client_side import Node, _status

pytestmark = pytest.mark.timeout(30)


def _fields(line: str) -> list[str]:
    """An access-log line's space-separated fields, quoted ones kept whole."""
    fields, quoted = [], None
    for part in line.split(" "):
        if quoted is not None:
            quoted += " " + part
            if part.endswith('"'):
                fields.append(quoted)
                quoted = None
        elif part.startswith('"') and not (len(part) > 1 and part.endswith('"')):
            quoted = part
        else:
            fields.append(part)
    return fields


@pytest.mark.parametrize(
    ("raw", "status", "cause"),
    [
        pytest.param(
            b"GET /" + b"a" * (17 * 1024) + b" HTTP/1.1\r\nHost: a.example.com\r\n\r\n",
            414,
            "UrlTooLong",
            id="414 request line",
        ),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: a.example.com\r\nX-Big: " + b"b" * (17 * 1024) + b"\r\n\r\n",
            400,
            "HeadersTooLarge",
            id="400 header limit",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: gzip\r\n\r\n",
            501,
            "UnsupportedTransferEncoding",
            id="501 transfer coding",
        ),
        pytest.param(b"GARBAGE\r\n\r\n", 400, "MalformedRequest", id="400 malformed"),
    ],
)
async def test_a_request_the_alb_refuses_is_logged_as_aws_logs_it(raw, status, cause):
    async with Node() as node:
        answer = await node.exchange(raw)
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == status
    (event,) = of_type(node.events, "request")
    assert (event["elb_status_code"], event["error_reason"]) == (status, cause)
    assert (event["target"], event["target_status_code"], event["rule"]) == (None, None, None)
    assert event["trace"]["error"]["cause"] == cause
    fields = _fields(event["log"])
    assert fields[4:11] == ["-", "-1", "-1", "-1", str(status), "-", str(len(raw))]
    if status != 400 or cause == "MalformedRequest":
        assert fields[12].startswith('"- http://') and fields[12].endswith('- -"')
    assert node.runtime.access_log() == [event["log"]]


async def test_a_request_refused_before_its_method_was_read_has_no_method():
    """llhttp reports its enum's 0, DELETE, for a method it never read."""
    async with Node() as node:
        answer = await node.exchange(b"M" * 130 + b" / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 400
    (event,) = of_type(node.events, "request")
    assert (event["method"], event["error_reason"]) == ("-", "MalformedRequest")
    assert '"- http://' in event["log"]


async def test_a_client_idle_mid_request_gets_a_408_event_and_log_line():
    def short_idle(document):
        document["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": "1"}
        ]

    async with Node(short_idle) as node:
        reader, writer = await node.connect()
        writer.write(b"GET / HTTP/1.1\r\nHost: a.example")
        async with asyncio.timeout(10):
            answer = await reader.read(65536)
        writer.close()
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 408
    (event,) = of_type(node.events, "request")
    assert event["error_reason"] == "ClientRequestTimeout"
    assert " 408 - " in event["log"] and " - -1 -1 -1 " in event["log"]


async def test_trace_gets_405_and_is_never_routed():
    async with Node() as node:
        answer = await node.exchange(b"TRACE / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 405
    (event,) = of_type(node.events, "request")
    assert (event["method"], event["error_reason"], event["target"]) == (
        "TRACE",
        "MethodNotAllowed",
        None,
    )
    assert event["trace"]["rules"] == []
    assert '"TRACE http://a.example.com:80/ HTTP/1.1"' in event["log"]


def _fixed(body):
    return {
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "200", "MessageBody": body},
    }


def _method_rules(document):
    resources = document["Resources"]
    resources["HttpListener"]["Properties"]["DefaultActions"] = [_fixed("default")]
    for priority, method in ((1, "GETX"), (2, "GET")):
        resources[f"Rule{priority}"] = {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": {"Ref": "HttpListener"},
                "Priority": priority,
                "Conditions": [
                    {
                        "Field": "http-request-method",
                        "HttpRequestMethodConfig": {"Values": [method]},
                    }
                ],
                "Actions": [_fixed(f"rule {method}")],
            },
        }


@pytest.mark.parametrize(
    ("method", "body"),
    [(b"GETX", b"rule GETX"), (b"GET", b"rule GET"), (b"get", b"default")],
    ids=["GETX", "GET", "get"],
)
async def test_a_custom_method_is_routed_by_its_exact_case_sensitive_match(method, body):
    async with Node(_method_rules) as node:
        reader, writer = await node.connect()
        async with asyncio.timeout(10):
            for _ in range(2):  # twice on one connection: the stand-in leaves no trace
                writer.write(method + b" /x HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                assert _status(head) == 200
                assert await reader.readexactly(length) == body
        writer.close()
        await node.wait_for(lambda e: len(of_type(node.events, "request")) >= 2)
    for event in of_type(node.events, "request"):
        assert (event["method"], event["action"]) == (method.decode(), "fixed-response")
        assert f'"{method.decode()} http://a.example.com:80/x HTTP/1.1"' in event["log"]


async def test_an_http1_request_to_an_http2_target_group_gets_464():
    def http2(document):
        _https(document)
        document["Resources"]["WebTargets"]["Properties"]["ProtocolVersion"] = "HTTP2"

    events, lab = await run_script(topology(http2), ScriptedRequest(url="https://one.example.com/"))
    assert lab.answers[0].status == 464
    (event,) = of_type(events, "request")
    assert (event["error_reason"], event["target_group"], event["target"]) == (
        "ProtocolVersionMismatch",
        "WebTargets",
        None,
    )
    # The HTTPS line names the certificate the listener presented.
    assert '"arn:aws:acm:us-east-1:123456789012:certificate/' in event["log"]


async def test_a_websocket_upgrade_to_a_lambda_target_gets_400():
    events, lab = await run_script(
        starter("lambda-target.yaml"),
        ScriptedRequest(
            url="http://lb.example.com/chat",
            headers=(
                ("Connection", "Upgrade"),
                ("Upgrade", "websocket"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Sec-WebSocket-Version", "13"),
            ),
        ),
    )
    assert lab.answers[0].status == 400
    (event,) = of_type(events, "request")
    assert event["error_reason"] == "WebSocketToLambda"


def _slow(ms):
    def edit(document):
        for name in ("Web1", "Web2", "Web3"):
            document["Resources"][name]["Metadata"] = {"Playground": {"App": {"LatencyMs": ms}}}

    return edit


async def test_a_client_that_resets_mid_request_is_logged_460_at_once_and_never_rewritten():
    async with Node(_slow(20_000), clock_speed=30) as node:
        await _failed_open(node)
        _, writer = await node.connect()
        writer.write(b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
        await writer.drain()
        writer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
        )
        writer.transport.abort()
        # Well before the target's 20 s answer: the reset is noticed as it happens.
        await node.wait_for(lambda e: e["type"] == "request", within=5)
    (event,) = of_type(node.events, "request")
    assert (event["elb_status_code"], event["error_reason"]) == (460, "ClientClosedConnection")
    assert event["target_status_code"] is None
    assert node.runtime.access_log() == [event["log"]]  # the record was not changed later


async def test_in_flight_requests_get_502_when_the_deregistration_delay_expires():
    def slow_and_short_delay(document):
        _slow(60_000)(document)
        document["Resources"]["WebTargets"]["Properties"]["TargetGroupAttributes"] = [
            {"Key": "deregistration_delay.timeout_seconds", "Value": "2"}
        ]

    async with Node(slow_and_short_delay, clock_speed=10) as node:
        await _failed_open(node)
        reader, writer = await node.connect()
        writer.write(b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
        await writer.drain()
        await node.wait_for(lambda e: e["type"] == "health")  # checks are under way
        target = await _in_flight_target(node)
        node.runtime.control(
            {"action": "deregister", "target_group": "WebTargets", "target": target}
        )
        async with asyncio.timeout(10):
            answer = await reader.read(65536)
        writer.close()
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 502
    (event,) = of_type(node.events, "request")
    assert (event["target"], event["error_reason"]) == (target, "DeregistrationDelayExpired")


async def _failed_open(node) -> None:
    """Until a target failed its checks: the slow targets' checks time out, and the ALB
    fails open over unhealthy targets, never over ones still initial (spec §3.5)."""
    await node.wait_for(lambda e: e["type"] == "health" and e["state"] == "unhealthy", within=20)


async def _in_flight_target(node) -> str:
    """The target of the one request the node's targets are working on."""
    async with asyncio.timeout(5):
        while True:
            busy = [t for t, n in node.runtime._ctx.outstanding.items() if n > 0]
            if busy:
                return busy[0]
            await asyncio.sleep(0)  # a yield, not a sleep: the request is on its way


def _closed_target_group(document):
    document["Resources"]["WebSecurityGroup"]["Properties"]["SecurityGroupIngress"] = [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "192.0.2.0/24"}
    ]


async def test_a_target_security_group_that_drops_the_lb_gives_504_after_the_connect_timeout():
    # Health checks time out too, so the group fails open: the request is still sent.
    async with Node(_closed_target_group, clock_speed=30) as node:
        await _failed_open(node)
        started = node.runtime.now()
        answer = await node.exchange(b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
        took = node.runtime.now() - started
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 504
    assert of_type(node.events, "request")[0]["error_reason"] == "TargetConnectTimeout"
    assert 10 <= took < 30  # AWS's 10 s connect timeout, not the 60 s idle timeout


async def _silent(node, source_ip: str) -> bool:
    """Whether the LB leaves a request from ``source_ip`` unanswered (dropped)."""
    host, port = node.runtime.entries()[0].nodes[0]
    local = node.runtime.sandbox.loopback(source_ip)
    reader, writer = await asyncio.open_connection(host, port, local_addr=(local, 0))
    writer.write(b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
    try:
        async with asyncio.timeout(1.0):
            await reader.read(65536)
    except TimeoutError:
        return True
    finally:
        writer.close()
    return False


async def test_the_lb_security_group_drops_a_client_it_does_not_admit():
    def only_documentation_net(document):
        document["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"] = [
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "198.51.100.0/24"}
        ]

    async with Node(only_documentation_net) as node:
        assert await _silent(node, "203.0.113.9")
        assert not await _silent(node, "198.51.100.7")
    requests = of_type(node.events, "request")
    assert [e["client_ip"] for e in requests] == ["198.51.100.7"]  # the dropped one: no log


async def test_an_internal_alb_is_unreachable_from_outside_the_vpc():
    def internal(document):
        document["Resources"]["LoadBalancer"]["Properties"]["Scheme"] = "internal"

    async with Node(internal) as node:
        assert await _silent(node, "203.0.113.9")
        assert not await _silent(node, "10.0.2.99")
