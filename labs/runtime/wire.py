"""Events on the wire (DESIGN.md, "Events (the wire contract)").

The runtime's parts drop facts here as they happen: ready-made ``labs.engine.events``
objects for rare events (``health``, ``fault``), finished ``Exchange`` objects for
requests. Exchanges are counted into the metrics window and the run's counters, and keep
their access-log fields (``access_log``: lines are formatted when read), a small slice per
loop turn, off the proxy's callbacks; ``drain()`` — once per batch, at most every 100 ms —
finishes what is left and returns the batch as wire objects (new dicts: the queued events
are frozen). When traffic outruns what a browser can draw, only a sample of ``request``
events, and of TCP ``flow`` events, is sent (marked ``sampled: true``); counts and
``metrics`` stay exact.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter, deque
from dataclasses import replace

from labs.engine import accesslog, classic, events, trace
from labs.engine.balancing import FAIL_OPEN
from labs.engine.events import Request, Wire
from labs.engine.metrics import MetricsWindow
from labs.engine.routing import Decision

from . import access_log
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


def _authentication(decision: object) -> str | None:
    """An ALB decision's authenticate outcome (``auth.Outcome.result``), if one ran."""
    outcome = getattr(decision, "authentication", None)
    return None if outcome is None else outcome.result


# lb, target group, target, status, target status, action, error, non-sticky, fail open,
# desync non-compliant, authentication result
_Alike = tuple[
    str,
    str | None,
    str | None,
    int,
    int | None,
    str | None,
    str | None,
    bool,
    bool,
    bool,
    str | None,
]

SLICE = 16  # exchanges absorbed between looks at the clock
SLICE_SECONDS = 0.001  # at most this long per loop turn: the proxy's loop never stalls
# A drain builds and wires its batch's events for at most this long per loop turn: a
# request that arrives meanwhile waits for the slice to end. At 1,000 req/s a batch of
# 100 events built in slices of 16 (~0.4 ms each) and wired in one go (~0.5 ms) gave an
# added p99 of 0.68-0.73 ms; in 0.2 ms slices, 0.55-0.58 ms (labs.bench, quiet machine).
DRAIN_SLICE_SECONDS = 0.0002


class EventSink:
    """Where a run's parts queue events; ``drain`` hands them out as wire objects.

    Recorded exchanges are absorbed on the loop turn after they finish, for at most
    ``SLICE_SECONDS`` per turn, rather than all at once in ``drain``, which stalled the
    proxy's loop for tens of milliseconds under load. Absorbing one counts it (metrics,
    counters), keeps its access-log fields, and keeps it in the batch's sample: every one
    while the batch fits the browser's share (their request events built ahead, on the
    slices), else a uniform sample of the share's size, drawn as the requests pass
    (reservoir sampling), so a batch holds at most that many exchanges however fast the
    traffic. ``drain`` absorbs whatever is left, so batches stay exact and in order, and
    builds the events of a sampled batch (marked ``sampled``).
    """

    def __init__(self, *, max_requests_per_batch: int | None, rng: random.Random) -> None:
        self._events: list[events.Event | _Unbuilt | DeferredFlow] = []
        self._pending: deque[Exchange] = deque()  # recorded, not yet absorbed
        self._absorbed = 0  # requests absorbed since the last drain
        self._kept: list[tuple[Exchange, access_log.Fields]] = []  # the batch's sample
        self._built: list[Request | None] = []  # events of _kept built ahead (None: replaced)
        self._ahead = True  # build events ahead: the last batch fit the share
        self._weight = 1.0  # reservoir sampling (Li's algorithm L): the sample's weight
        self._take_at = 0  # and the index of the next request it takes
        self._scheduled = False
        self._alike: Counter[_Alike] = Counter()  # absorbed, not yet counted
        self._limit = max_requests_per_batch
        self._notes = 0  # TCP flow notes queued since the last drain
        self._rng = rng
        self._window = MetricsWindow()
        self.counts: Counter[str] = Counter()  # run summary: requests per target/status
        self.access_log = access_log.AccessLog(ACCESS_LOG_LINES)

    def record(self, ex: Exchange) -> None:
        """The proxy's hook: queue a finished exchange; it is absorbed on a later turn."""
        self._pending.append(ex)
        if not self._scheduled:
            self._schedule()

    def add(self, event: events.Event | DeferredFlow) -> None:
        self._events.append(event)
        if isinstance(event, DeferredFlow):
            self._notes += 1
        if isinstance(event, events.Flow | DeferredFlow):
            self._window.flow(event)
            if event.state == "open":
                self.counts["flows"] += 1
                self.counts[f"flow:{event.target}"] += 1
        elif isinstance(event, events.TlsNegotiationError):
            self._window.tls_error(event.lb)
            self.counts["tls_errors"] += 1

    def drain(self) -> list[Wire]:
        """Everything since the last drain, in lab-clock order, as wire objects."""
        batch, emitted = self._take(), time.time()
        return [_wire(event, emitted) for event in batch]

    async def drain_paced(self) -> list[Wire]:
        """``drain``, building and wiring the batch's events ``DRAIN_SLICE_SECONDS`` per
        loop turn, so the proxy keeps serving while a sampled batch's events and their
        traces are built.

        Cancelled on the way, the batch goes back to the sink: the next drain sends it."""
        batch, emitted = self._take(), time.time()
        wired: list[Wire] = []
        clock = time.perf_counter
        try:
            deadline = clock() + DRAIN_SLICE_SECONDS
            for event in batch:
                wired.append(_wire(event, emitted))
                if clock() >= deadline:
                    await asyncio.sleep(0)
                    deadline = clock() + DRAIN_SLICE_SECONDS
        except asyncio.CancelledError:
            self._events[:0] = batch
            raise
        return wired

    def _take(self) -> list[events.Event | _Unbuilt | DeferredFlow]:
        self._absorb()
        batch, self._events = self._events, []
        if self._limit is not None and self._notes > self._limit:
            batch = self._sample_flows(batch, self._limit)
        self._notes = 0
        batch.sort(key=lambda event: event.t)
        return batch

    def _sample_flows(
        self, batch: list[events.Event | _Unbuilt | DeferredFlow], limit: int
    ) -> list[events.Event | _Unbuilt | DeferredFlow]:
        """The batch with a uniform sample of its TCP flow notes, the browser's share of
        them, marked ``sampled`` as requests are: at thousands of connections a second,
        building every flow's two events cost as much as relaying its bytes. The notes
        were counted as they came (metrics, counters): those stay exact."""
        notes = [n for n, event in enumerate(batch) if isinstance(event, DeferredFlow)]
        taken = set(self._rng.sample(notes, limit))
        sampled: list[events.Event | _Unbuilt | DeferredFlow] = []
        for n, event in enumerate(batch):
            if isinstance(event, DeferredFlow):
                if n not in taken:
                    continue
                event.sampled = True
            sampled.append(event)
        return sampled

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
        if decision is None:
            non_sticky = fail_open = False
            authentication = None
        else:
            non_sticky = decision.non_sticky
            fail_open = decision.why == FAIL_OPEN
            authentication = (
                _authentication(decision)
                if decision.__class__ is not Decision
                else (None if decision.authentication is None else decision.authentication.result)
            )
        group = ex.target_group
        # Requests alike in everything the metrics and counters read are counted as one
        # group when the batch ends (_count): a tuple and a dict increment per request.
        self._alike[
            ex.lb,
            group,
            ex.target,
            ex.elb_status,
            ex.target_status,
            ex.action,
            ex.error_reason,
            non_sticky,
            fail_open,
            ex.classification is not None,
            authentication,
        ] += 1
        if group is not None and ex.t_target_done >= 0:
            self._window.response_times[group].append(ex.t_target_done - ex.t_dispatched)
        record = access_log.fields(ex)
        self.access_log.append(record)
        seen, limit = self._absorbed, self._limit
        if limit is not None and seen > limit and seen != self._take_at:
            self._absorbed = seen + 1  # passed over by the sample (most, under load)
            return
        self._keep(ex, record, emitted)

    def _keep(self, ex: Exchange, record: access_log.Fields, emitted: float) -> None:
        """Keep ``ex`` in the batch's sample, which takes every request while they fit."""
        seen, self._absorbed = self._absorbed, self._absorbed + 1
        limit = self._limit
        if limit is None or seen < limit:
            self._kept.append((ex, record))
            if self._ahead:
                self._built.append(request_event(ex, accesslog.line(*record), emitted))
            return
        if seen == limit:
            self._weight, self._take_at = 1.0, limit - 1
            self._skip()
        if seen == self._take_at:
            slot = self._rng.randrange(limit)
            self._kept[slot] = (ex, record)
            if slot < len(self._built):
                self._built[slot] = None
            self._skip()

    def _skip(self) -> None:
        """Draw which request the sample takes next (Li 1994, algorithm L): a few draws
        per request taken, none per request passed over."""
        rng, limit = self._rng, self._limit or 1
        self._weight *= math.exp(math.log(1.0 - rng.random()) / limit)
        # 1 - random() is in (0, 1]: a logarithm for every draw; weight 1.0: take the next.
        gap = math.log(1.0 - rng.random()) / math.log(1.0 - self._weight) if self._weight < 1 else 0
        self._take_at += math.floor(gap) + 1

    def _count(self) -> None:
        counts, window = self.counts, self._window
        for alike, n in self._alike.items():
            lb, group, target, status, target_status, action, error, non_sticky = alike[:8]
            fail_open, odd, authentication = alike[8], alike[9], alike[10]
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
                non_compliant=odd,
                authentication=authentication,
                count=n,
            )
            counts["requests"] += n
            counts[f"status:{status}"] += n
            if target is not None:
                counts[f"target:{target}"] += n
        self._alike.clear()

    def _absorb(self) -> None:
        """Absorb everything recorded; queue the batch's sample as request events (built
        ahead, or to build when drained)."""
        pending = self._pending
        emitted = time.time()
        while pending:
            self._absorb_one(pending.popleft(), emitted)
        self._count()
        kept, built, absorbed = self._kept, self._built, self._absorbed
        if not kept:
            return
        self._kept, self._built, self._absorbed = [], [], 0
        self._ahead = fits = self._limit is None or absorbed <= self._limit
        if fits:
            self._events.extend(event for event in built if event is not None)
            self._events.extend(
                _Unbuilt(ex, record, sampled=False) for ex, record in kept[len(built) :]
            )
            return
        for n, (ex, record) in enumerate(kept):
            event = built[n] if n < len(built) else None
            self._events.append(
                _Unbuilt(ex, record, sampled=True)
                if event is None
                else replace(event, sampled=True, emitted=emitted)
            )


class _Unbuilt:
    """A request event to build when its batch is drained (``t`` to sort it by)."""

    __slots__ = ("ex", "record", "sampled", "t")

    def __init__(self, ex: Exchange, record: access_log.Fields, *, sampled: bool) -> None:
        self.ex, self.record, self.sampled, self.t = ex, record, sampled, ex.t

    def event(self, emitted: float) -> Request:
        line = accesslog.line(*self.record)
        return request_event(self.ex, line, emitted, sampled=self.sampled)


class DeferredFlow:
    """A ``flow`` event kept as a compact note until its batch is drained, when
    ``wire_at`` builds its wire object (off the proxy's callbacks). What the counters read
    (``metrics.FlowFacts``, the target) is there at once; ``t`` sorts it in its batch."""

    __slots__ = ("sampled",)
    sampled: bool  # one of its batch's sample (EventSink._sample_flows)
    t: float
    state: str
    closed_by: str | None

    @property
    def lb(self) -> str:
        raise NotImplementedError

    @property
    def target(self) -> str | None:
        raise NotImplementedError

    @property
    def protocol(self) -> str:
        raise NotImplementedError

    @property
    def reason(self) -> str | None:
        raise NotImplementedError

    @property
    def tls(self) -> dict[str, str | bool | None] | None:
        raise NotImplementedError

    def wire_at(self, emitted: float) -> Wire:
        """The event's wire object, as ``events.Flow.wire()`` gives it."""
        raise NotImplementedError

    def wire(self) -> Wire:
        return self.wire_at(time.time())


def _wire(event: events.Event | _Unbuilt | DeferredFlow, emitted: float) -> Wire:
    if isinstance(event, DeferredFlow):
        return event.wire_at(emitted)
    return (event.event(emitted) if isinstance(event, _Unbuilt) else event).wire()
