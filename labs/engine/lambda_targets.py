"""Lambda targets: a request becomes AWS's JSON event, the answer becomes HTTP (spec §5).

The event: lower-case header names; for repeated headers and query keys only the last
value unless ``lambda.multi_value_headers.enabled`` (then ``multiValueHeaders`` and
``multiValueQueryStringParameters`` with every value as a list); query parameters not
URL-decoded; the body base64-encoded unless the content type is textual and there is no
``content-encoding``. The function must answer with ``statusCode``, ``headers`` (or
``multiValueHeaders``) and ``isBase64Encoded``; anything malformed is a 502
``LambdaInvalidResponse``, a raised error a 502 ``LambdaUnhandled``. Bodies over 1 MB
are refused both ways (413 ``LambdaRequestTooLarge``, 502 ``LambdaResponseTooLarge``); a
function whose reserved concurrency is 0 is throttled (502 ``LambdaThrottling``).

A function is one of our built-in handlers, never learner code: ``echo`` returns the
event, ``hello`` a greeting, ``fail`` raises.
"""

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

LIMIT = 1024 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
_HOP_BY_HOP = frozenset({"connection", "transfer-encoding", "content-length", "keep-alive"})


class LambdaError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason  # access-log error_reason


@dataclass(frozen=True, slots=True)
class LambdaResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _is_text(headers: Sequence[tuple[str, str]]) -> bool:
    names = {name for name, _ in headers}
    if "content-encoding" in names:
        return False
    content_type = next((v for k, v in headers if k == "content-type"), "")
    return content_type.startswith(_TEXT_TYPES)


def event(
    *,
    method: str,
    path: str,
    query: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    target_group_arn: str,
    multi_value: bool,
) -> dict[str, Any]:
    """The event ALB sends; ``headers`` already carry the X-Forwarded-* the ALB adds."""
    if len(body) > LIMIT:
        raise LambdaError(413, "LambdaRequestTooLarge")
    lowered = [(name.lower(), value) for name, value in headers]
    pairs = [item.partition("=")[::2] for item in query.split("&") if item]
    text = _is_text(lowered)
    result: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": method,
        "path": path,
        "isBase64Encoded": bool(body) and not text,
        "body": body.decode("utf-8", "replace")
        if text or not body
        else base64.b64encode(body).decode(),
    }
    if multi_value:
        result["multiValueQueryStringParameters"] = _grouped(pairs)
        result["multiValueHeaders"] = _grouped(lowered)
    else:
        result["queryStringParameters"] = dict(pairs)  # the last value wins
        result["headers"] = dict(lowered)
    return result


def _grouped(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def response(answer: Any, *, multi_value: bool) -> LambdaResponse:
    """The HTTP answer for what the function returned.

    Raises:
        LambdaError: 502 ``LambdaInvalidResponse`` / ``LambdaResponseTooLarge``.
    """
    if len(json.dumps(answer, default=str)) > LIMIT:
        raise LambdaError(502, "LambdaResponseTooLarge")
    key = "multiValueHeaders" if multi_value else "headers"
    if (
        not isinstance(answer, dict)
        or not isinstance(answer.get("statusCode"), int)
        or not isinstance(answer.get(key, {}), dict)
    ):
        raise LambdaError(502, "LambdaInvalidResponse")
    body = answer.get("body") or ""
    if not isinstance(body, str):
        raise LambdaError(502, "LambdaInvalidResponse")
    try:
        raw = (
            base64.b64decode(body, validate=True)
            if answer.get("isBase64Encoded")
            else body.encode()
        )
    except ValueError:
        raise LambdaError(502, "LambdaInvalidResponse") from None
    headers: list[tuple[str, str]] = []
    for name, value in (answer.get(key) or {}).items():
        values = value if multi_value and isinstance(value, list) else [value]
        headers += [(str(name), str(v)) for v in values if str(name).lower() not in _HOP_BY_HOP]
    return LambdaResponse(answer["statusCode"], tuple(headers), raw)


def _echo(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "isBase64Encoded": False,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(event),
    }


def _hello(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "isBase64Encoded": False,
        "headers": {"Content-Type": "text/plain"},
        "body": "Hello from Lambda!\n",
    }


def _fail(event: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("the fail handler always raises")


HANDLERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "echo": _echo,
    "hello": _hello,
    "fail": _fail,
}


def invoke(
    handler: str,
    request_event: dict[str, Any],
    *,
    multi_value: bool,
    reserved_concurrency: int | None = None,
) -> LambdaResponse:
    """Run a built-in handler and turn its answer into HTTP, as ALB would.

    A function with ``ReservedConcurrentExecutions: 0`` is throttled on every invocation
    (502 ``LambdaThrottling``). A built-in handler answers at once, so a higher
    reservation is never exceeded."""
    if reserved_concurrency == 0:
        raise LambdaError(502, "LambdaThrottling")
    try:
        answer = HANDLERS[handler](request_event)
    except Exception:  # whatever the function raises, ALB reports the same
        raise LambdaError(502, "LambdaUnhandled") from None
    if multi_value and "headers" in answer:  # the built-ins answer in the shape asked for
        single = answer["headers"]
        answer = {k: v for k, v in answer.items() if k != "headers"}
        answer["multiValueHeaders"] = {name: [value] for name, value in single.items()}
    return response(answer, multi_value=multi_value)
