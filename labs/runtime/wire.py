"""Events on the wire (DESIGN.md, "Events (the wire contract)").

The runtime's parts drop facts here as they happen: ready-made ``labs.engine.events``
objects for rare events (``health``, ``fault``), finished ``Exchange`` objects for
requests. Exchanges are turned into ``request`` events with their access-log line (and
counted into the metrics window and the run's counters) a small slice per loop turn, off
the proxy's callbacks; ``drain()`` — once per batch, at most every 100 ms — finishes what
is left and returns the batch as wire objects (new dicts: the queued events are frozen). When
traffic outruns what a browser can draw, only a sample of ``request`` events is sent
(marked ``sampled: true``); counts and ``metrics`` stay exact.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from dataclasses import replace
from functools import lru_cache

from labs.engine import accesslog, classic, events, trace
from labs.engine.balancing import FAIL_OPEN
from labs.engine.events import Request, Wire
from labs.engine.metrics import MetricsWindow

from .exchange import Exchange

ACCESS_LOG_LINES = 200_000  # kept per run for the download; older lines drop off


def request_event(ex: Exchange, log: str, emitted: float, *, sampled: bool = False) -> Request:
    def ms(start: float, end: float) -> float | None:
        return None if start < 0 or end < 0 else round((end - start) * 1000, 3)

    return Request(
        t=round(ex.t, 3),
        emitted=emitted,
        trace_id=ex.trace_id,
        client_ip=ex.client_ip,
        client_port=ex.client_port,
        lb=ex.lb,
        node_az=ex.node_az,
        listener=ex.listener_port,
        protocol=ex.protocol,
        method=ex.method,
        host=ex.host,
        path=ex.path,
        query=ex.query,
        rule=ex.rule,
        action=ex.action,
        target_group=ex.target_group,
        target=ex.target,
        elb_status_code=ex.elb_status,
        target_status_code=ex.target_status,
        reason=ex.reason,
        error_reason=ex.error_reason,
        target_group_reason=ex.group_reason,
        redirect_url=ex.redirect_url,
        latency_ms={
            "request": ms(ex.t_start, ex.t_dispatched),
            "target": ms(ex.t_dispatched, ex.t_target_done),
            "response": ms(
                ex.t_target_done if ex.t_target_done >= 0 else ex.t_dispatched, ex.t_responded
            ),
        },
        headers_sent=None
        if ex.target is None or ex.t_dispatched < 0
        else {
            "X-Forwarded-For": ex.xff,
            "X-Forwarded-Proto": ex.protocol.lower(),
            "X-Forwarded-Port": str(ex.listener_port),
            "X-Amzn-Trace-Id": ex.trace_id,
            "Host": ex.host,
        },
        response_headers=_response_headers(ex.response_headers),
        trace=classic.render(ex.decision, ex.elb_status, ex.error_reason)
        if isinstance(ex.decision, classic.Decision)
        else trace.render(ex.decision, ex.elb_status, ex.error_reason),
        log=log,
        sampled=sampled,
    )


def _response_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str | list[str]]:
    """Location as a string; Set-Cookie, which repeats, as a list."""
    shaped: dict[str, str | list[str]] = {}
    cookies = [v.decode("latin-1") for k, v in headers if k.lower() == b"set-cookie"]
    if cookies:
        shaped["Set-Cookie"] = cookies
    for name, value in headers:
        if name.lower() == b"location":
            shaped["Location"] = value.decode("latin-1")
    return shaped


def access_log_line(ex: Exchange) -> str:
    dispatched = ex.t_dispatched >= 0 and ex.target is not None
    target_done = ex.t_target_done if ex.t_target_done >= 0 else ex.t_responded
    logged_target = ex.target if dispatched and ex.reason != "lambda" else None  # AWS: "-"
    kind = ex.protocol.lower()
    if ex.elb_status == 101:
        kind = "wss" if kind == "https" else "ws"
    tls = ex.tls
    error = ex.error_reason
    return accesslog.line(
        kind,
        ex.lb,
        f"{ex.client_ip}:{ex.client_port}",
        logged_target,
        ex.wall_start,
        ex.wall_start + (ex.t_responded - ex.t_start),
        (ex.t_dispatched - ex.t_start) if dispatched else -1,
        (target_done - ex.t_dispatched) if dispatched else -1,
        (ex.t_responded - target_done) if dispatched else -1,
        ex.elb_status,
        ex.target_status,
        ex.received,
        ex.sent,
        _request_line(ex),
        ex.user_agent,
        ex.target_group,
        ex.trace_id,
        ex.rule if ex.rule is not None else "-",
        (ex.action,) if ex.action else (),
        ex.redirect_url,
        error if error is not None and error.startswith("Lambda") else None,
        *(_NO_TLS if tls is None else (tls[0], tls[1], tls[2], accesslog.certificate_arn(tls[3]))),
    )


_NO_TLS = (None, None, None, None)


def _request_line(ex: Exchange) -> str:
    where = _where(ex.protocol, ex.host, ex.listener_port)
    if ex.rule is None and ex.elb_status in _UNPARSED:
        # AWS logs a request it could not parse as "- scheme://host:port- -".
        return f"- {where}- -"
    return f"{ex.method} {where}{ex.url.decode('latin-1')} HTTP/{ex.version}"


_UNPARSED = frozenset({400, 408, 414, 501})


@lru_cache(maxsize=1024)
def _where(protocol: str, host: str, port: int) -> str:
    return f"{protocol.lower()}://{host.split(':')[0]}:{port}"


# lb, target group, target, status, target status, action, error, non-sticky, fail open
_Alike = tuple[str, str | None, str | None, int, int | None, str | None, str | None, bool, bool]

SLICE = 16  # exchanges absorbed between looks at the clock
SLICE_SECONDS = 0.001  # at most this long per loop turn: the proxy's loop never stalls


class EventSink:
    """Where a run's parts queue events; ``drain`` hands them out as wire objects.

    Recorded exchanges are absorbed on the loop turn after they finish, for at most
    ``SLICE_SECONDS`` per turn (metrics, counts, access-log line and, while the batch fits
    the browser's share, the request event with its trace) rather than all at once in
    ``drain``, which stalled the proxy's loop for tens of milliseconds under load.
    ``drain`` absorbs whatever is left, so batches stay exact and in order; a batch over
    the share is sampled there, as before.
    """

    def __init__(self, *, max_requests_per_batch: int | None, rng: random.Random) -> None:
        self._events: list[events.Event] = []
        self._pending: deque[Exchange] = deque()  # recorded, not yet absorbed
        self._batch: list[Exchange] = []  # absorbed since the last drain
        self._lines: list[str] = []  # their access-log lines
        self._built: list[Request] = []  # their request events, built ahead
        self._ahead = True  # build events ahead: the last batch fit the share
        self._scheduled = False
        self._alike: Counter[_Alike] = Counter()  # absorbed, not yet counted
        self._limit = max_requests_per_batch
        self._rng = rng
        self._window = MetricsWindow()
        self.counts: Counter[str] = Counter()  # run summary: requests per target/status
        self.access_log: deque[str] = deque(maxlen=ACCESS_LOG_LINES)

    def record(self, ex: Exchange) -> None:
        """The proxy's hook: queue a finished exchange; it is absorbed on a later turn."""
        self._pending.append(ex)
        if not self._scheduled:
            self._schedule()

    def add(self, event: events.Event) -> None:
        self._events.append(event)
        if isinstance(event, events.Flow):
            self._window.flow(event)
            if event.state == "open":
                self.counts["flows"] += 1
                self.counts[f"flow:{event.target}"] += 1
        elif isinstance(event, events.TlsNegotiationError):
            self._window.tls_error(event.lb)
            self.counts["tls_errors"] += 1

    def drain(self) -> list[Wire]:
        """Everything since the last drain, in lab-clock order, as wire objects."""
        self._absorb()
        batch, self._events = self._events, []
        batch.sort(key=lambda event: event.t)
        return [event.wire() for event in batch]

    def close_window(
        self,
        t: float,
        healthy: dict[str, tuple[int, int]],
        flows: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        """Publish this second's ``metrics`` event and start the next window.

        ``flows``: per NLB, (flows alive now, bytes moved since the last window)."""
        self._absorb()
        for lb, (active, processed) in (flows or {}).items():
            self._window.flows(lb, active=active, processed_bytes=processed)
        self._events.append(self._window.close(t, healthy, emitted=time.time()))
        self._window = MetricsWindow()

    def absorb_some(self, seconds: float = SLICE_SECONDS) -> bool:
        """Absorb recorded exchanges for about ``seconds``; whether any are left."""
        pending = self._pending
        emitted = time.time()
        deadline = time.perf_counter() + seconds
        while pending:
            for _ in range(min(SLICE, len(pending))):
                self._absorb_one(pending.popleft(), emitted)
            if time.perf_counter() >= deadline:
                break
        return bool(pending)

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a test feeding the sink by hand): drain absorbs it all
        self._scheduled = True
        loop.call_soon(self._slice)

    def _slice(self) -> None:
        self._scheduled = False
        if self.absorb_some():
            self._schedule()

    def _absorb_one(self, ex: Exchange, emitted: float) -> None:
        decision = ex.decision
        # Requests alike in everything the metrics and counters read are counted as one
        # group when the batch ends (_count): a tuple and a dict increment per request.
        self._alike[
            ex.lb,
            ex.target_group,
            ex.target,
            ex.elb_status,
            ex.target_status,
            ex.action,
            ex.error_reason,
            decision is not None and decision.non_sticky,
            decision is not None and decision.why == FAIL_OPEN,
        ] += 1
        if ex.target_group is not None and ex.t_target_done >= 0:
            self._window.response_times[ex.target_group].append(ex.t_target_done - ex.t_dispatched)
        line = access_log_line(ex)
        self.access_log.append(line)
        self._batch.append(ex)
        self._lines.append(line)
        limit = self._limit
        if self._ahead and (limit is None or len(self._batch) <= limit):
            self._built.append(request_event(ex, line, emitted))

    def _count(self) -> None:
        counts, window = self.counts, self._window
        for alike, n in self._alike.items():
            lb, group, target, status, target_status, action, error, non_sticky, fail_open = alike
            window.record(
                lb=lb,
                target_group=group,
                target=target,
                elb_status=status,
                target_status=target_status,
                target_seconds=None,  # recorded one by one in _absorb_one
                action=action,
                error=error,
                non_sticky=non_sticky,
                fail_open=fail_open,
                count=n,
            )
            counts["requests"] += n
            counts[f"status:{status}"] += n
            if target is not None:
                counts[f"target:{target}"] += n
        self._alike.clear()

    def _absorb(self) -> None:
        """Absorb everything recorded and turn the batch into request events."""
        pending = self._pending
        emitted = time.time()
        while pending:
            self._absorb_one(pending.popleft(), emitted)
        self._count()
        exchanges, lines, built = self._batch, self._lines, self._built
        if not exchanges:
            return
        self._batch, self._lines, self._built = [], [], []
        limit = self._limit
        self._ahead = fits = limit is None or len(exchanges) <= limit
        if fits or limit is None:
            self._events.extend(built)
            self._events.extend(
                request_event(exchanges[n], lines[n], emitted)
                for n in range(len(built), len(exchanges))
            )
            return
        kept = sorted(self._rng.sample(range(len(exchanges)), limit), key=lambda n: exchanges[n].t)
        self._events.extend(
            replace(built[n], sampled=True, emitted=emitted)
            if n < len(built)
            else request_event(exchanges[n], lines[n], emitted, sampled=True)
            for n in kept
        )
