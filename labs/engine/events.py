"""The wire contract: every event a run streams, defined once (DESIGN.md, "Events").

Each event type is a frozen, slotted, keyword-only dataclass; producers build one and
``wire()`` turns it into the JSON object the browser, the dashboard, the CLI and the tests
consume (``type`` first, then the fields in the order declared here). Frozen, so nothing
changes an event once it is queued: a producer that knows more (who asked for a fault)
says so when it builds the event.

Every event carries ``t`` (lab-clock seconds since the run started) and ``emitted``
(wall-clock epoch seconds at the worker when the event was built), so a consumer can
measure delivery delay. The engine never reads a clock: both are passed in.

``validate`` checks a wire object against its type (required fields, no unknown fields,
the declared types), for the contract tests and for anything that takes events in.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar, Union

Wire = dict[str, Any]
Json = Any  # nested JSON data (a trace, a snapshot's series): checked as "any JSON"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    TYPE: ClassVar[str] = ""
    t: float  # lab-clock seconds since the run started
    emitted: float  # wall-clock epoch seconds at the worker

    def wire(self) -> Wire:
        """The JSON object for this event (a new dict: safe to hand to any consumer).

        An optional field (one whose default is None) is left out while it is None, so
        consumers can ask ``"error" in event``; every other field is always present.
        """
        wire = _WIRES.get(type(self))
        if wire is None:
            wire = _WIRES[type(self)] = _wire_function(type(self))
        return wire(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStatus(Event):
    TYPE: ClassVar[str] = "run.status"
    state: str  # queued, starting, running, stopping, finished, failed
    reason: str | None = None
    access_log: bool | None = None  # final states: whether the log can be downloaded
    summary: dict[str, Json] | None = None  # final states, headless CLI: the run's summary
    position: int | None = None  # queued: 1 for the next run to get a worker slot


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(Event):
    TYPE: ClassVar[str] = "request"
    trace_id: str
    client_ip: str
    client_port: int
    lb: str
    node_az: str
    listener: int  # port
    protocol: str
    method: str
    host: str
    path: str
    query: str
    rule: int | str | None  # priority or "default"; None: never routed (malformed)
    action: str | None  # forward, redirect, fixed-response
    target_group: str | None
    target: str | None  # virtual "ip:port", or a Lambda function's id
    elb_status_code: int
    target_status_code: int | None
    reason: str | None  # why this target: round_robin, sticky:AWSALB, fail_open, ...
    error_reason: str | None  # the LB's own cause (labs.engine.errors), or Lambda's
    target_group_reason: str | None  # several groups: weighted or sticky:AWSALBTG
    redirect_url: str | None
    latency_ms: dict[str, float | None]  # request, target, response (wall ms)
    headers_sent: dict[str, str | None] | None  # what the LB added for the target
    response_headers: dict[str, str | list[str]]  # Location, Set-Cookie
    trace: dict[str, Json]  # labs.engine.trace.render
    log: str  # the access-log line
    sampled: bool = False  # one of a sample: traffic outran the browser


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow(Event):
    """An L4/L3 flow (NLB, GWLB)."""

    TYPE: ClassVar[str] = "flow"
    client_ip: str
    client_port: int
    protocol: str
    lb: str
    node_az: str
    target: str | None
    hash: str  # the 5-tuple / 3-tuple key
    bytes: int
    reason: str | None
    # open, closed, reset; dropped (a UDP datagram with nowhere to go); GWLB: delivered, dropped
    state: str
    node_ip: str
    listener: int  # port
    target_group: str
    hash_value: str  # the flow hash, hex
    candidates: list[str]  # the targets the hash chose among
    source_seen_by_target: str | None  # the peer address the target's socket saw
    proxy_protocol: bool
    bytes_from_client: int
    bytes_from_target: int
    # client, target, idle_timeout, load_balancer, unhealthy_target, deregistration_delay
    closed_by: str | None = None
    # TLS listeners (§6.5): server_name (SNI or null), certificate (the domain it chose),
    # version, cipher, and to_target (whether the node speaks TLS to the target too).
    tls: dict[str, str | bool | None] | None = None
    # GWLB (state delivered or dropped, one event per inner packet): the inner packet's
    # summary (protocol, source, destination, bytes), the appliance's verdict (allow,
    # drop; None when it never reached one), the rule that dropped it, the flow cookie.
    inner: dict[str, str | int | None] | None = None
    verdict: str | None = None
    rule: str | None = None
    flow_cookie: str | None = None
    sampled: bool | None = None  # true: one of a sample, as a request's (TCP flows)


@dataclass(frozen=True, slots=True, kw_only=True)
class Health(Event):
    TYPE: ClassVar[str] = "health"
    target_group: str
    target: str  # virtual "ip:port", or a Lambda function's id
    instance: str
    az: str
    # initial, healthy, unhealthy, unused, draining, unavailable; CLB: InService, OutOfService
    state: str
    previous: str | None
    reason: str | None  # AWS reason code
    description: str
    # status, latency_ms (lab-clock ms, like HealthCheckTimeoutSeconds), error, passed
    check: dict[str, bool | int | float | str | None] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Metrics(Event):
    """One second's CloudWatch sums, per load balancer and per target group."""

    TYPE: ClassVar[str] = "metrics"
    load_balancers: dict[str, dict[str, float]]
    target_groups: dict[str, dict[str, float]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault(Event):
    """A change made to a running lab (or refused: ``error`` and ``message``)."""

    TYPE: ClassVar[str] = "fault"
    action: str | None  # deregister, register, fault, traffic, scale, sg
    target_group: str | None = None
    target: str | None = None
    instance: str | None = None
    mode: str | None = None  # a fault's mode (normal, reset, hang, 5xx, slow, flap, ...)
    az: str | None = None  # a fault on every instance of one Availability Zone
    targets: list[str] | None = None  # ... which are these ("ip:port")
    rps: float | None = None
    # A traffic change: the generated traffic's settings after it (rps, paused, clients,
    # keep_alive, mix: [{path, host, headers, weight}]).
    traffic: dict[str, Json] | None = None
    delay: float | None = None  # a deregistration's delay, lab seconds
    group: str | None = None  # scale: the Auto Scaling group ...
    desired: int | None = None  # ... and its new desired capacity
    # sg: the security group changed (mode: revoke or authorize) and the inbound rules
    # taken away or added, as the EC2 console lists them ("tcp 80 from LbSecurityGroup").
    security_group: str | None = None
    rules: list[str] | None = None
    by: str | None = None  # who asked
    error: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoScaling(Event):
    """One Auto Scaling activity (labs.engine.autoscaling), with its cause in AWS's words."""

    TYPE: ClassVar[str] = "autoscaling"
    group: str  # the AutoScalingGroup's logical id
    activity: str  # Launching, Launched, Terminating, Terminated, SetDesiredCapacity
    cause: str
    instance: str | None = None
    az: str | None = None
    target: str | None = None  # its virtual "ip" once launched
    desired: int | None = None  # the group's desired capacity after this activity
    by: str | None = None  # who asked (a desired-capacity change)


@dataclass(frozen=True, slots=True, kw_only=True)
class Console(Event):
    """The answer to one request a viewer sent from the run page's console.

    ``id`` is the page's own name for the request; ``trace_root`` is the Root of the
    X-Amzn-Trace-Id it carried, which the load balancer's ``request`` event keeps in its
    ``trace_id``, so the page finds that request's trace. ``cookies`` is the client's
    cookie jar after the answer (the worker keeps one per client IP).
    """

    TYPE: ClassVar[str] = "console"
    id: str
    client_ip: str
    lb: str
    listener: int
    method: str
    url: str  # what was asked for: path and query
    trace_root: str
    cookies: dict[str, str]
    by: str | None = None
    status: int | None = None  # None: no answer (error says why)
    headers: list[list[str]] | None = None  # the answer's headers, in order
    body: str | None = None  # the body's first BODY_PREVIEW bytes, as text
    body_bytes: int | None = None  # the whole body's length
    error: str | None = None
    tls_error: str | None = None  # the handshake failed: its tls.error code (error: why)


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsNegotiationError(Event):
    """A client's TLS handshake with an HTTPS or TLS listener failed, so no request was
    sent (CloudWatch counts it in ``ClientTLSNegotiationErrorCount``)."""

    TYPE: ClassVar[str] = "tls.error"
    lb: str
    listener: int  # port
    client_ip: str
    host: str  # the server name the client asked for (SNI)
    reason: str  # why, as the TLS library says it, e.g. "Hostname mismatch, ..."
    # why, as a code labs.messages.TLS_REASONS words: hostname-mismatch, unknown-ca, ...
    code: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Quiz(Event):
    TYPE: ClassVar[str] = "quiz"
    question: int
    trigger: str
    trigger_text: str
    prompt: str
    choose: int
    multiple: bool
    choices: list[dict[str, Json]]  # id, letter, text, html (in the viewer's language)
    prompt_html: str | None = None  # the prompt's Markdown, rendered and sanitised


@dataclass(frozen=True, slots=True, kw_only=True)
class Hint(Event):
    """A message from the learner's instructor, shown in the lab (playground.classrooms)."""

    TYPE: ClassVar[str] = "hint"
    id: int
    text: str
    by: str  # the instructor's username
    sent: float  # epoch seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot(Event):
    """What a (re)connecting viewer needs; the stream continues after it."""

    TYPE: ClassVar[str] = "snapshot"
    counts: dict[str, int]
    health: list[Wire]  # the latest ``health`` event per target
    requests: list[Wire]  # the last N ``request`` events
    series: dict[str, Json]  # the charts' series so far
    flows: list[Wire] | None = None  # the last N ``flow`` events (NLB, GWLB, Classic TCP)
    # the last N ``fault`` and ``autoscaling`` events (the Faults log)
    faults: list[Wire] | None = None
    consoles: list[Wire] | None = None  # the last N ``console`` events (console answers)
    console_requests: list[Wire] | None = None  # their ``request`` events, for their traces
    tls_errors: list[Wire] | None = None  # the last N ``tls.error`` events (failed handshakes)


TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        RunStatus,
        Request,
        Flow,
        Health,
        Metrics,
        Fault,
        AutoScaling,
        Console,
        TlsNegotiationError,
        Quiz,
        Hint,
        Snapshot,
    )
}


def _fields(cls: type[Event]) -> tuple[tuple[str, bool], ...]:
    """Each field's name and whether it is optional (its default is None)."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple((f.name, f.default is None) for f in fields(cls))
    return found


def wire_maker(cls: type[Event]) -> typing.Callable[..., Wire]:
    """A function taking ``cls``'s fields as keywords and giving ``cls(...).wire()``,
    without the frozen instance in between (whose ``__init__`` costs more than ``wire``):
    for a producer that builds events only to send them, an NLB flow's two events."""
    maker = _MAKERS.get(cls)
    if maker is None:
        defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
        parameters = ", ".join(
            f"{name}=_defaults[{name!r}]" if name in defaults else name for name, _ in _fields(cls)
        )
        maker = _MAKERS[cls] = _written(
            cls, f"def make(*, {parameters}):\n", lambda name: name, {"_defaults": defaults}
        )
    return maker


def _wire_function(cls: type[Event]) -> typing.Callable[[Event], Wire]:
    return _written(cls, "def wire(event):\n", lambda name: f"event.{name}", {})


def _written(
    cls: type[Event],
    signature: str,
    value: typing.Callable[[str], str],
    namespace: dict[str, Any],
) -> typing.Callable[..., Wire]:
    """A function building ``cls``'s wire object, written out from its fields (as
    dataclasses writes ``__init__``), in their order: a dict display up to the first
    optional field, then a line each, rather than a loop of getattr calls (twice the
    cost: a TCP flow's events cost as much as its relay). ``value``: where a field's
    value is read, in the function's source."""
    names = _fields(cls)
    leading = next((n for n, (_, optional) in enumerate(names) if optional), len(names))
    display = "".join(f", {name!r}: {value(name)}" for name, _ in names[:leading])
    lines = [signature, f"    out = {{'type': {cls.TYPE!r}{display}}}\n"]
    for name, optional in names[leading:]:
        test = f"if {value(name)} is not None: " if optional else ""
        lines.append(f"    {test}out[{name!r}] = {value(name)}\n")
    lines.append("    return out\n")
    exec("".join(lines), namespace)  # noqa: S102 - written from the declared field names
    return typing.cast(typing.Callable[..., Wire], namespace[signature[4:].split("(")[0]])


_FIELDS: dict[type[Event], tuple[tuple[str, bool], ...]] = {}
_WIRES: dict[type[Event], typing.Callable[[Event], Wire]] = {}
_MAKERS: dict[type[Event], typing.Callable[..., Wire]] = {}
_HINTS: dict[type[Event], dict[str, Any]] = {}


class InvalidEvent(ValueError):
    pass


def validate(event: Wire) -> None:
    """Raise ``InvalidEvent`` unless ``event`` is a wire object of a known type.

    Checks that every required field is present, that each field has its declared
    type, and that there are no others.
    """
    cls = TYPES.get(event.get("type", ""))
    if cls is None:
        raise InvalidEvent(f"unknown event type {event.get('type')!r}")
    hints = _hints(cls)
    unknown = set(event) - set(hints) - {"type"}
    if unknown:
        raise InvalidEvent(f"{cls.TYPE}: unknown fields {sorted(unknown)}")
    optional = {name for name, is_optional in _fields(cls) if is_optional}
    for name, hint in hints.items():
        if name not in event:
            if name in optional:
                continue
            raise InvalidEvent(f"{cls.TYPE}: missing {name}")
        if not _conforms(event[name], hint):
            raise InvalidEvent(f"{cls.TYPE}.{name}: {event[name]!r} is not {hint}")


def _hints(cls: type[Event]) -> dict[str, Any]:
    if cls not in _HINTS:
        hints = typing.get_type_hints(cls)
        _HINTS[cls] = {name: hints[name] for name, _ in _fields(cls)}
    return _HINTS[cls]


def _conforms(value: Any, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_conforms(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is float:  # JSON has one number type
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is dict:
        key, item = typing.get_args(hint)
        return isinstance(value, dict) and all(
            _conforms(k, key) and _conforms(v, item) for k, v in value.items()
        )
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_conforms(v, item) for v in value)
    return isinstance(value, hint)
