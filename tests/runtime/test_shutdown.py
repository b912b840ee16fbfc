"""A run's tasks never outlive it: cancelled until done, with a deadline and a log."""

import asyncio
import logging

from labs.runtime import orchestrator
from labs.runtime.orchestrator import LabRuntime, RunOptions
from labs.runtime.shutdown import cancel_until_done

from .helpers import listening_ports, topology


async def _swallows(cancellations: int, done: asyncio.Event) -> None:
    """What a cancellation lost inside ``asyncio.wait_for`` looks like to its owner."""
    for _ in range(cancellations):
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            continue
    done.set()
    await asyncio.Event().wait()


async def _ignoring_cancellation(until: asyncio.Event) -> None:
    """Ignores every cancellation until ``until`` is set (so the test can still end it)."""
    while not until.is_set():
        try:
            await until.wait()
        except asyncio.CancelledError:
            continue


async def test_a_task_that_swallows_cancellations_is_cancelled_until_it_ends():
    swallowed = asyncio.Event()
    task = asyncio.create_task(_swallows(3, swallowed))
    await asyncio.sleep(0)  # let it start waiting
    async with asyncio.timeout(5):
        stuck = await cancel_until_done([task], within=3)
    assert stuck == set()
    assert swallowed.is_set() and task.cancelled()


async def test_a_task_that_never_ends_is_handed_back_at_the_deadline():
    release = asyncio.Event()
    task = asyncio.create_task(_ignoring_cancellation(release))
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        stuck = await cancel_until_done([task], within=0.2)
    assert stuck == {task}
    assert not task.done()
    release.set()
    await task


async def test_a_stuck_task_does_not_keep_the_runs_sockets_and_is_logged(monkeypatch, caplog):
    monkeypatch.setattr(orchestrator, "CLOSE_SECONDS", 0.2)
    before = listening_ports()
    options = RunOptions(duration=30, clock_speed=10, rps=1, max_rps=200)
    async with asyncio.timeout(10):
        async with LabRuntime(topology(), options, _ignore) as lab:
            assert listening_ports() - before  # the run's nodes and targets listen
            release = asyncio.Event()
            stubborn = lab._spawn(_ignoring_cancellation(release))
            await asyncio.sleep(0)  # it is waiting: a cancel no longer ends it unstarted
    assert lab.stuck == {stubborn}
    assert listening_ports() == before
    assert any(
        record.levelno == logging.ERROR and "did not end" in record.getMessage()
        for record in caplog.records
    )
    release.set()
    await stubborn


async def _ignore(events):
    return None
