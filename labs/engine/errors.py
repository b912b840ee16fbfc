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
REDIRECT_URL_LIMIT_EXCEEDED = LbError(500, "RedirectUrlLimitExceeded")
UNSUPPORTED_ACTION = LbError(500, "UnsupportedAction")
TARGET_NOT_IN_SANDBOX = LbError(502, "TargetNotInSandbox")
TARGET_CONNECT_TIMEOUT = LbError(504, "TargetConnectTimeout")
TARGET_CONNECTION_ERROR = LbError(502, "TargetConnectionError")
TARGET_CLOSED_CONNECTION = LbError(502, "TargetClosedConnection")

WHY = {
    "NoRegisteredTargets": "the target group has no registered targets",
    "NoTargetsInZone": "cross-zone load balancing is off and this node's zone has no target",
    "RedirectUrlLimitExceeded": "the redirect's Location would be longer than 8 KB",
    "UnsupportedAction": "the rule's action is not one the playground carries out",
    "TargetNotInSandbox": "the target's address is not part of this run",
    "TargetConnectTimeout": "the connection to the target was not made within 10 s",
    "TargetConnectionError": "the target refused or reset the connection",
    "TargetClosedConnection": "the target closed the connection with the request outstanding",
    "TargetTimeout": "the target was silent for the idle timeout",
    "TargetResponseMalformed": "the target's response was not valid HTTP",
    "TooManyForwardedForAddresses": "X-Forwarded-For listed more than 30 addresses",
}


def explain(status: int, cause: str | None) -> str:
    """The trace's sentence for an answer of the load balancer's own."""
    if cause is None:
        return f"the load balancer answered {status} itself"
    return WHY.get(cause, cause)
