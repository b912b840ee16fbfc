"""ALB corners on real sockets (spec §2.2, §4.3, §4.4): answers the LB gives itself get
their request event and access-log line; TRACE, protocol versions, custom methods."""

import asyncio

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
