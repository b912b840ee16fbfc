"""Lambda event and response conversion (spec §5)."""

import base64

import pytest

from labs.engine import lambda_targets
from labs.engine.lambda_targets import LambdaError, event, invoke, response

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/Fn/0"


def _event(**kw):
    values = {
        "method": "GET",
        "path": "/",
        "query": "",
        "headers": [],
        "body": b"",
        "target_group_arn": ARN,
        "multi_value": False,
    }
    return event(**{**values, **kw})


def test_headers_arrive_lower_case_and_the_last_value_wins():
    built = _event(headers=[("X-A", "1"), ("x-a", "2")], query="k=1&k=2&j=%20")
    assert built["headers"] == {"x-a": "2"}
    assert built["queryStringParameters"] == {"k": "2", "j": "%20"}  # not URL-decoded


def test_multi_value_keeps_every_value():
    built = _event(headers=[("X-A", "1"), ("x-a", "2")], query="k=1&k=2", multi_value=True)
    assert built["multiValueHeaders"] == {"x-a": ["1", "2"]}
    assert built["multiValueQueryStringParameters"] == {"k": ["1", "2"]}


@pytest.mark.parametrize(
    ("headers", "encoded"),
    [
        ([("content-type", "text/plain")], False),
        ([("content-type", "application/json")], False),
        ([("content-type", "application/octet-stream")], True),
        ([("content-type", "text/plain"), ("content-encoding", "gzip")], True),
        ([], True),
    ],
)
def test_the_body_is_base64_unless_textual_and_unencoded(headers, encoded):
    built = _event(headers=headers, body=b"hello")
    assert built["isBase64Encoded"] is encoded
    assert built["body"] == (base64.b64encode(b"hello").decode() if encoded else "hello")


def test_a_request_body_over_one_megabyte_is_refused():
    with pytest.raises(LambdaError) as caught:
        _event(body=b"x" * (lambda_targets.LIMIT + 1))
    assert (caught.value.status, caught.value.reason) == (413, "LambdaRequestTooLarge")


@pytest.mark.parametrize(
    "answer",
    [
        None,
        [],
        {"headers": {}},
        {"statusCode": "200"},
        {"statusCode": 200, "headers": []},
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "isBase64Encoded": True, "body": "***"},
    ],
)
def test_a_malformed_answer_is_502_lambda_invalid_response(answer):
    with pytest.raises(LambdaError) as caught:
        response(answer, multi_value=False)
    assert (caught.value.status, caught.value.reason) == (502, "LambdaInvalidResponse")


def test_a_base64_answer_is_decoded_and_hop_by_hop_headers_dropped():
    answer = response(
        {
            "statusCode": 201,
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00hi").decode(),
            "headers": {"Content-Type": "x/y", "Connection": "close"},
        },
        multi_value=False,
    )
    assert (answer.status, answer.headers, answer.body) == (
        201,
        (("Content-Type", "x/y"),),
        b"\x00hi",
    )


def test_the_fail_handler_is_502_lambda_unhandled():
    with pytest.raises(LambdaError) as caught:
        invoke("fail", _event(), multi_value=False)
    assert caught.value.reason == "LambdaUnhandled"


def test_hello_answers_text():
    assert invoke("hello", _event(), multi_value=True).body == b"Hello from Lambda!\n"
