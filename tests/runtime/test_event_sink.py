"""The event sink builds events off the proxy's callbacks, a slice per loop turn, and its
batches stay exact and in order (labs.runtime.wire)."""

import asyncio
import gc
import random
from time import perf_counter

import pytest

from labs.runtime import access_log
from labs.runtime.exchange import Exchange
from labs.runtime.wire import DeferredFlow, EventSink

pytestmark = pytest.mark.timeout(30)


def _exchange(n: int) -> Exchange:
    now = perf_counter()
    origin = ("10.0.0.1", 40000 + n, "WebAlb", "us-east-1a", 80, "HTTP", None)
    ex = Exchange(None, origin, "GET", f"/{n}".encode(), [], b"", "1.1", True, now, 1.7e9, n / 10)
    ex.host = "example.com"
    ex.path, ex.elb_status, ex.t_responded = f"/{n}", 200, now
    return ex


async def _turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_recorded_exchanges_are_logged_on_the_next_loop_turns_before_any_drain():
    sink = EventSink(max_requests_per_batch=None, rng=random.Random(1))
    for n in range(50):
        sink.record(_exchange(n))

    assert len(sink.access_log) == 0  # nothing built inside the proxy's callbacks
    await _turns(3)

    assert len(sink.access_log) == 50
    assert '"GET http://example.com:80/49 HTTP/1.1"' in sink.access_log[-1]


async def test_a_batch_that_fits_comes_out_whole_and_in_order():
    sink = EventSink(max_requests_per_batch=100, rng=random.Random(1))
    for n in range(30):
        sink.record(_exchange(n))
        if n % 7 == 0:
            await _turns(1)  # some absorbed between turns, the rest by drain

    batch = sink.drain()

    assert [event["path"] for event in batch] == [f"/{n}" for n in range(30)]
    assert not any(event["sampled"] for event in batch)
    assert all(event["log"] == line for event, line in zip(batch, sink.access_log, strict=True))


async def test_a_batch_over_the_share_is_sampled_at_drain_with_every_request_counted():
    sink = EventSink(max_requests_per_batch=10, rng=random.Random(1))
    for n in range(40):
        sink.record(_exchange(n))
    await _turns(3)

    batch = sink.drain()

    assert len(batch) == 10
    assert all(event["sampled"] for event in batch)
    assert [event["t"] for event in batch] == sorted(event["t"] for event in batch)
    assert sink.counts["requests"] == 40
    assert len(sink.access_log) == 40


def test_every_request_of_an_over_share_batch_has_the_same_chance_to_be_sent():
    sink = EventSink(max_requests_per_batch=10, rng=random.Random(3))
    sent_by_tenth = [0] * 10
    for _ in range(200):
        for n in range(1000):
            sink.record(_exchange(n))
        for event in sink.drain():
            sent_by_tenth[int(event["path"][1:]) // 100] += 1

    assert sum(sent_by_tenth) == 2000
    assert all(150 <= sent <= 250 for sent in sent_by_tenth), sent_by_tenth  # 200 expected


async def test_a_paced_drain_gives_drains_batch_while_the_loop_keeps_turning():
    sinks = [EventSink(max_requests_per_batch=100, rng=random.Random(1)) for _ in range(2)]
    for sink in sinks:
        for n in range(1000):
            sink.record(_exchange(n))
        sink.drain()  # over the share: the next batch's events are all built when drained
        for n in range(1000):
            sink.record(_exchange(n))
    turns = 0

    def turn() -> None:
        nonlocal turns
        turns += 1
        if turns < 1000:
            asyncio.get_running_loop().call_soon(turn)

    asyncio.get_running_loop().call_soon(turn)
    paced = await sinks[0].drain_paced()
    turns_while_draining = turns

    assert [e["path"] for e in paced] == [e["path"] for e in sinks[1].drain()]
    assert len(paced) == 100 and all(e["sampled"] for e in paced)
    assert turns_while_draining >= 2  # it yielded between slices of events


async def test_a_paced_drain_cancelled_midway_leaves_its_batch_to_the_next_drain():
    sink = EventSink(max_requests_per_batch=50, rng=random.Random(1))
    for n in range(100):
        sink.record(_exchange(n))
    sink.drain()  # over the share: the next batch's events are all built when drained
    for n in range(100, 200):
        sink.record(_exchange(n))

    draining = asyncio.get_running_loop().create_task(sink.drain_paced())
    await asyncio.sleep(0)  # it built a slice and yielded
    draining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await draining
    batch = sink.drain()

    assert len(batch) == 50 and all(event["sampled"] for event in batch)
    assert all(100 <= int(event["path"][1:]) < 200 for event in batch)
    assert [event["t"] for event in batch] == sorted(event["t"] for event in batch)


@pytest.mark.parametrize("action", ["forward", "authenticate-oidc", None])
def test_a_kept_access_log_record_holds_atomic_values_only(action):
    """The collector stops tracking a tuple of atomic values at its first collection; a
    container inside (actions_executed's tuple was one) kept a run's 200,000 records
    tracked, and every collection walked them: the proxy's loop paused for 30-150 ms."""
    ex = _exchange(1)
    ex.action, ex.target_group, ex.rule = action, "Web", 1
    record = access_log.fields(ex)

    assert [value for value in record if gc.is_tracked(value)] == []
    gc.collect(0)
    assert not gc.is_tracked(record)


class _Note(DeferredFlow):
    """A TCP flow's note, as labs.runtime.proxy_tcp.FlowNote gives the sink."""

    __slots__ = ("closed_by", "n", "state", "t")

    def __init__(self, n: int, state: str) -> None:
        self.n, self.state, self.t, self.closed_by, self.sampled = n, state, n / 10, None, False

    lb = "Nlb"
    target = "10.0.1.10:80"
    protocol = "TCP"
    reason = "flow_hash"
    tls = None

    def wire_at(self, emitted: float) -> dict:
        return {"type": "flow", "n": self.n, "state": self.state, "sampled": self.sampled}


@pytest.mark.parametrize(("notes", "sent"), [(10, 10), (40, 10)], ids=["fits", "over the share"])
def test_tcp_flow_notes_over_the_share_are_sampled_and_every_flow_is_counted(notes, sent):
    sink = EventSink(max_requests_per_batch=10, rng=random.Random(1))
    for n in range(notes):
        sink.add(_Note(n, "open" if n % 2 == 0 else "closed"))

    batch = sink.drain()

    assert len(batch) == sent
    assert [event["n"] for event in batch] == sorted(event["n"] for event in batch)
    assert all(event["sampled"] == (notes > sent) for event in batch)
    assert sink.counts["flows"] == notes // 2  # every opening counted, sent or not
    assert len(sink.drain()) == 0  # and the next batch starts afresh
