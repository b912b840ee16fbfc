"""Lambda targets end to end: the ALB turns a request into AWS's event and back."""

import base64
import json

import pytest

from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, starter

pytestmark = pytest.mark.timeout(30)


def _handler(name):
    def edit(document):
        document["Resources"]["EchoFunction"]["Metadata"]["Playground"]["Handler"] = name

    return edit


async def test_the_echo_function_receives_albs_event():
    events, lab = await run_script(
        starter("lambda-target.yaml"),
        ScriptedRequest(
            url="http://lb.example.com/hello?k=1&k=2",
            method="POST",
            body=b'{"a": 1}',
            headers=(("Content-Type", "application/json"), ("X-Custom", "yes")),
            client_ip="203.0.113.5",
        ),
    )
    answer = lab.answers[0]
    assert answer.status == 200
    event = json.loads(answer.body)
    assert event["httpMethod"] == "POST" and event["path"] == "/hello"
    assert event["queryStringParameters"] == {"k": "2"}  # the last value wins
    assert event["headers"]["x-forwarded-for"] == "203.0.113.5"
    assert event["headers"]["x-custom"] == "yes"
    assert event["isBase64Encoded"] is False and event["body"] == '{"a": 1}'
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith(
        "arn:aws:elasticloadbalancing:"
    )
    request = of_type(events, "request")[0]
    assert request["reason"] == "lambda"
    assert request["log"].split(" ")[4] == "-"  # AWS logs no target:port for Lambda


async def test_a_binary_body_arrives_base64_encoded():
    _, lab = await run_script(
        starter("lambda-target.yaml"),
        ScriptedRequest(
            url="http://lb.example.com/",
            method="POST",
            body=b"\x00\x01\x02",
            headers=(("Content-Type", "application/octet-stream"),),
        ),
    )
    event = json.loads(lab.answers[0].body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01\x02"


async def test_multi_value_headers_pass_every_value_as_a_list():
    def multi(document):
        props = document["Resources"]["FunctionTargets"]["Properties"]
        props["TargetGroupAttributes"] = [
            {"Key": "lambda.multi_value_headers.enabled", "Value": "true"}
        ]

    _, lab = await run_script(
        starter("lambda-target.yaml", multi), ScriptedRequest(url="http://lb.example.com/?k=1&k=2")
    )
    event = json.loads(lab.answers[0].body)
    assert event["multiValueQueryStringParameters"] == {"k": ["1", "2"]}
    assert "headers" not in event and isinstance(event["multiValueHeaders"]["host"], list)


async def test_a_failing_function_gets_502_lambda_unhandled():
    events, lab = await run_script(
        starter("lambda-target.yaml", _handler("fail")),
        ScriptedRequest(url="http://lb.example.com/"),
    )
    assert lab.answers[0].status == 502
    request = of_type(events, "request")[0]
    assert request["error_reason"] == "LambdaUnhandled"
    assert '"LambdaUnhandled"' in request["log"]


async def test_a_body_over_one_megabyte_gets_413():
    _, lab = await run_script(
        starter("lambda-target.yaml"),
        ScriptedRequest(url="http://lb.example.com/", method="POST", body=b"x" * (1024 * 1024 + 1)),
    )
    assert lab.answers[0].status == 413


async def test_lambda_targets_show_unavailable_with_health_checks_off():
    events, _ = await run_script(
        starter("lambda-target.yaml"), ScriptedRequest(url="http://lb.example.com/")
    )
    health = of_type(events, "health")
    assert [(h["state"], h["reason"]) for h in health] == [
        ("unavailable", "Target.HealthCheckDisabled")
    ]
