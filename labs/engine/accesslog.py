"""ALB access-log lines, field for field (spec §4.4, AWS "Access log entries").

29 space-separated fields; quoted fields are the ones AWS quotes. Times are passed in
(epoch seconds, wall clock) so the same record always gives the same line.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

REGION = "us-east-1"
ACCOUNT = "123456789012"


@lru_cache(maxsize=256)
def _resource_id(name: str) -> str:
    # AWS ids look like 50dc6c495c0c9188: a stable one per name keeps logs comparable.
    return hashlib.sha256(name.encode()).hexdigest()[:16]


@lru_cache(maxsize=256)
def load_balancer_id(name: str, lb_type: str = "application") -> str:
    prefix = {"application": "app", "network": "net", "gateway": "gwy"}.get(lb_type, "app")
    return f"{prefix}/{name}/{_resource_id(name)}"


@lru_cache(maxsize=1024)
def target_group_arn(name: str) -> str:
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
    return f"{arn}:targetgroup/{name}/{_resource_id(name)}"


def certificate_arn(domain: str) -> str:
    """The ACM ARN standing in for the run's certificate whose first name is ``domain``."""
    return f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{_resource_id('cert:' + domain)}"


@lru_cache(maxsize=64)
def _second(whole: int) -> str:
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_time(epoch: float) -> str:
    """ISO 8601 with microseconds and Z; the date part is formatted once per second."""
    whole = int(epoch)
    micro = round((epoch - whole) * 1_000_000)
    # %-formatting: measurably faster than an f-string here, twice per log line.
    return "%s.%06dZ" % (_second(whole), micro if micro < 1_000_000 else 999_999)  # noqa: UP031


@dataclass(frozen=True, slots=True, kw_only=True)
class LogRecord:
    type: str  # http | https | ws | wss
    lb: str
    client: str  # "ip:port"
    target: str | None  # "ip:port", None when not dispatched
    request_time: float  # epoch seconds the request arrived
    response_time: float  # epoch seconds the response was sent
    request_processing: float  # seconds, -1 when not dispatched
    target_processing: float
    response_processing: float
    elb_status: int
    target_status: int | None
    received_bytes: int
    sent_bytes: int
    request_line: str  # 'GET http://host:80/path?q HTTP/1.1'
    user_agent: str
    target_group: str | None
    trace_id: str
    rule: int | str  # priority, or "default"
    actions: tuple[str, ...]
    redirect_url: str | None = None
    error_reason: str | None = None
    ssl_cipher: str | None = None
    ssl_protocol: str | None = None
    domain_name: str | None = None  # the SNI name the client asked for
    chosen_cert_arn: str | None = None  # the certificate presented (HTTPS)
    classification: str | None = None  # desync class, None when Compliant (§4.2)
    classification_reason: str | None = None


def _quoted(value: str | None) -> str:
    return '"' + (value or "-").replace('"', "%22") + '"'


def _seconds(value: float) -> str:
    return "-1" if value < 0 else "%.3f" % value  # noqa: UP031 - faster than an f-string


def format_line(r: LogRecord) -> str:
    return line(
        r.type,
        r.lb,
        r.client,
        r.target,
        r.request_time,
        r.response_time,
        r.request_processing,
        r.target_processing,
        r.response_processing,
        r.elb_status,
        r.target_status,
        r.received_bytes,
        r.sent_bytes,
        r.request_line,
        r.user_agent,
        r.target_group,
        r.trace_id,
        r.rule,
        ",".join(r.actions),
        r.redirect_url,
        r.error_reason,
        r.ssl_cipher,
        r.ssl_protocol,
        r.domain_name,
        r.chosen_cert_arn,
        r.classification,
        r.classification_reason,
    )


def line(  # a LogRecord's fields, positional: the event sink's fast path
    kind: str,
    lb: str,
    client: str,
    target: str | None,
    request_time: float,
    response_time: float,
    request_processing: float,
    target_processing: float,
    response_processing: float,
    elb_status: int,
    target_status: int | None,
    received_bytes: int,
    sent_bytes: int,
    request_line: str,
    user_agent: str,
    target_group: str | None,
    trace_id: str,
    rule: int | str,
    actions: str,  # actions_executed's list, comma-joined (``executed``)
    redirect_url: str | None = None,
    error_reason: str | None = None,
    ssl_cipher: str | None = None,
    ssl_protocol: str | None = None,
    domain_name: str | None = None,
    chosen_cert_arn: str | None = None,
    classification: str | None = None,
    classification_reason: str | None = None,
) -> str:
    """``format_line`` without building a ``LogRecord``: one line per request, per batch."""
    status = "-" if target_status is None else str(target_status)
    shown = target or "-"
    return (
        f"{kind} {iso_time(response_time)} {load_balancer_id(lb)} {client} {shown} "
        f"{_seconds(request_processing)} {_seconds(target_processing)} "
        f"{_seconds(response_processing)} {elb_status} {status} {received_bytes} "
        f"{sent_bytes} {_quoted(request_line)} {_quoted(user_agent[:8192])} "
        f"{_tls_and_group(ssl_cipher, ssl_protocol, target_group)} {_quoted(trace_id)} "
        f"{_name_cert_rule(domain_name, chosen_cert_arn, rule)} {iso_time(request_time)} "
        f"{_actions(actions)} {_DASH if redirect_url is None else _quoted(redirect_url)} "
        f"{_DASH if error_reason is None else _quoted(error_reason)} "
        f"{_quoted(target if target else None)} "
        f"{_quoted(status if target else None)} "
        f"{_quoted(classification)} {_quoted(classification_reason)}"  # desync (§4.2)
    )


_DASH = '"-"'  # a quoted field's "none"


# Fields a listener, a target group or a rule fixes: formatted once, not once per line.
@lru_cache(maxsize=1024)
def _tls_and_group(cipher: str | None, protocol: str | None, group: str | None) -> str:
    return f"{cipher or '-'} {protocol or '-'} {target_group_arn(group) if group else '-'}"


@lru_cache(maxsize=1024)
def _name_cert_rule(domain: str | None, cert_arn: str | None, rule: int | str) -> str:
    return f"{_quoted(domain)} {_quoted(cert_arn)} {'0' if rule == 'default' else rule}"


_AUTHENTICATE = frozenset({"authenticate-oidc", "authenticate-cognito"})


def actions_executed(action: str | None, authenticated: bool) -> tuple[str, ...]:
    """The ``actions_executed`` field's list (§4.4): ``authenticate`` first when an
    authenticate action ran, then the action that answered (if it was not that one)."""
    if action in _AUTHENTICATE:
        return ("authenticate",)
    if authenticated:
        return ("authenticate", action) if action else ("authenticate",)
    return (action,) if action else ()


@lru_cache(maxsize=256)
def executed(action: str | None, authenticated: bool) -> str:
    """``actions_executed`` comma-joined, as ``line`` takes it.

    A str, not the tuple, so that a run's kept access-log records (200,000 tuples of
    fields) hold atomic values only: the collector then stops tracking each record at its
    first collection. With a tuple inside, records survived their young collection still
    tracked (55,000 of them in generation 1 under wrk), and every later collection walked
    them all: pauses of 30 to 90 ms in the proxy's loop under load."""
    return ",".join(actions_executed(action, authenticated))


@lru_cache(maxsize=256)
def _actions(actions: str) -> str:
    return _quoted(actions or None)
