"""The answers the ALB gives itself, and their causes (ELB_BEHAVIOUR.md §4.3).

A cause is our code for *why* the load balancer answered instead of a target; it travels
in events as ``error_reason`` (Lambda causes are AWS's own access-log values, §5). Each
cause has one status and one sentence, used by the trace.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LbError:
    status: int
    cause: str


NO_REGISTERED_TARGETS = LbError(503, "NoRegisteredTargets")
NO_TARGETS_IN_ZONE = LbError(503, "NoTargetsInZone")
NO_TARGET_CHECKED = LbError(503, "NoTargetPassedHealthCheck")
REDIRECT_URL_LIMIT_EXCEEDED = LbError(500, "RedirectUrlLimitExceeded")
UNSUPPORTED_ACTION = LbError(500, "UnsupportedAction")
TARGET_NOT_IN_SANDBOX = LbError(502, "TargetNotInSandbox")
TARGET_CONNECT_TIMEOUT = LbError(504, "TargetConnectTimeout")
TARGET_CONNECTION_ERROR = LbError(502, "TargetConnectionError")
TARGET_CLOSED_CONNECTION = LbError(502, "TargetClosedConnection")
TARGET_RESPONSE_TOO_LARGE = LbError(502, "TargetResponseTooLarge")
DEREGISTRATION_DELAY_EXPIRED = LbError(502, "DeregistrationDelayExpired")
# Refused before routing: the request line or headers break HTTP or a limit.
MALFORMED_REQUEST = LbError(400, "MalformedRequest")
HEADERS_TOO_LARGE = LbError(400, "HeadersTooLarge")
INCOMPLETE_REQUEST = LbError(400, "IncompleteRequest")
REQUEST_TIMEOUT = LbError(408, "ClientRequestTimeout")
URL_TOO_LONG = LbError(414, "UrlTooLong")
UNSUPPORTED_TRANSFER_CODING = LbError(501, "UnsupportedTransferEncoding")
HTTP_VERSION_NOT_SUPPORTED = LbError(505, "UnsupportedHttpVersion")
DESYNC_BLOCKED = LbError(400, "DesyncMitigation")
# Decided by ``routing.decide``.
METHOD_NOT_ALLOWED = LbError(405, "MethodNotAllowed")
WEBSOCKET_TO_LAMBDA = LbError(400, "WebSocketToLambda")
PROTOCOL_VERSION_MISMATCH = LbError(464, "ProtocolVersionMismatch")
TOO_MANY_FORWARDED_FOR = LbError(463, "TooManyForwardedForAddresses")
# Logged, never seen: the client went away before its answer.
CLIENT_CLOSED = LbError(460, "ClientClosedConnection")

WHY = {
    "NoRegisteredTargets": "the target group has no registered targets",
    "NoTargetsInZone": "cross-zone load balancing is off and this node's zone has no target",
    "NoTargetPassedHealthCheck": (
        "every registered target is still initial: none has passed a health check yet, and "
        "the load balancer fails open only when its targets are unhealthy"
    ),
    "RedirectUrlLimitExceeded": "the redirect's Location would be longer than 8 KB",
    "UnsupportedAction": "the rule's action is not one the playground carries out",
    "TargetNotInSandbox": "the target's address is not part of this run",
    "TargetConnectTimeout": "the connection to the target was not made within 10 s",
    "TargetConnectionError": "the target refused or reset the connection",
    "TargetClosedConnection": "the target closed the connection with the request outstanding",
    "TargetTimeout": "the target was silent for the idle timeout",
    "TargetMalformedResponse": "the target's response was not valid HTTP",
    "TargetResponseTooLarge": "the target's response headers were over 32 KB",
    "TooManyForwardedForAddresses": "X-Forwarded-For listed more than 30 addresses",
    "DeregistrationDelayExpired": "the target's deregistration delay ended mid-request",
    "MalformedRequest": "the request is not valid HTTP/1.1",
    "HeadersTooLarge": "a header is over 16 KB, or all headers are over 64 KB",
    "IncompleteRequest": "the client closed the connection before sending the full request",
    "ClientRequestTimeout": "the client started a request and sent nothing for the idle timeout",
    "UrlTooLong": "the request line is over 16 KB",
    "UnsupportedTransferEncoding": "Transfer-Encoding is neither chunked nor identity",
    "UnsupportedHttpVersion": "the request is not HTTP/1.x (e.g. an HTTP/2 preface on HTTP/1)",
    "DesyncMitigation": "the desync mitigation mode blocks requests of this classification",
    "MethodNotAllowed": "the ALB never forwards TRACE",
    "WebSocketToLambda": "a Lambda target cannot take a WebSocket upgrade",
    "ProtocolVersionMismatch": "an HTTP/1.1 request cannot go to an HTTP2 or GRPC target group",
    "ClientClosedConnection": "the client closed the connection before the answer",
    "AuthDenied": "OnUnauthenticatedRequest is deny and the request has no valid session",
    "AuthMissingCodeParam": "the IdP's callback carried no authorization code",
    "AuthInvalidGrantError": "the IdP's token endpoint rejected the authorization code",
    "AuthIdpError": "the IdP returned an error code during authentication",
    "AuthTokenEpRequestConnectionError": "the load balancer could not reach the IdP's "
    "token endpoint",
    "NoHealthyInstances": "no instance registered on the Classic Load Balancer is InService",
}


def explain(status: int, cause: str | None) -> str:
    """The trace's sentence for an answer of the load balancer's own."""
    if cause is None:
        return f"the load balancer answered {status} itself"
    return WHY.get(cause, cause)
