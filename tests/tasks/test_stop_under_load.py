"""Under load a stop still stops: 40 runs on one real worker, stopped at once, end for
certain, free every slot of the worker and leave nothing listening (issue 8)."""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import state as worker_state
from channels.db import database_sync_to_async
from channels.layers import channel_layers

import labs.tasks
from labs import services
from labs.models import LabRun
from playground.celery import app
from tests.factories import make_topology
from tests.runtime.helpers import listening_ports

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RUNS = 40  # runs going at once on the one worker, each with two LB nodes and three targets
RPS = 1  # traffic is not what is under test: the worker's slots and sockets are
STARTED_WITHIN = 40  # seconds for all of them to be running, on a busy 2-core machine
ENDED_WITHIN = 20  # seconds from the stops to every run finished and every slot free


@pytest.fixture
def busy_worker(settings: Any) -> Iterator[Any]:
    """A real Celery worker (thread pool, as `make run` starts it) with RUNS slots."""
    settings.LAB_RUNS_PER_WORKER = RUNS
    settings.LAB_RUNS_PER_USER = RUNS + 1
    with start_worker(
        app,
        pool="threads",
        concurrency=settings.LAB_RUNS_PER_WORKER,
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as worker:
        yield worker
        labs.tasks.stop_all_runs("test-ended", within=15)  # after a failure: end what is left


class Watcher:
    """Hears every ``run.status`` of many runs: one channel per run, on one layer."""

    def __init__(self, run_ids: list[int]) -> None:
        self.run_ids = run_ids
        self.layer = channel_layers.make_backend(services.EVENTS_LAYER)
        self.states: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._changed = asyncio.Condition()
        self._readers: list[asyncio.Task[None]] = []

    async def _read(self, run_id: int, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            statuses = [e for e in message["events"] if e["type"] == "run.status"]
            if statuses:
                async with self._changed:
                    self.states[run_id].extend(statuses)
                    self._changed.notify_all()

    def last(self, run_id: int) -> dict[str, Any] | None:
        seen = self.states.get(run_id)
        return seen[-1] if seen else None

    async def wait_until(self, done: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(done)

    def in_state(self, state: str) -> list[int]:
        return [pk for pk in self.run_ids if (self.last(pk) or {}).get("state") == state]


@contextlib.asynccontextmanager
async def watching(run_ids: list[int]) -> AsyncIterator[Watcher]:
    watcher = Watcher(run_ids)
    for run_id in run_ids:
        channel = await watcher.layer.new_channel()
        await watcher.layer.group_add(f"run.{run_id}", channel)
        watcher._readers.append(asyncio.create_task(watcher._read(run_id, channel)))
    try:
        yield watcher
    finally:
        for reader in watcher._readers:
            reader.cancel()
        await asyncio.gather(*watcher._readers, return_exceptions=True)
        await watcher.layer.flush()


@database_sync_to_async
def _start_runs(user: Any, count: int) -> list[LabRun]:
    topology = make_topology(owner=user)
    return [services.start_run(user, topology, rps=RPS) for _ in range(count)]


@database_sync_to_async
def _stop_all(user: Any, run_ids: list[int]) -> None:
    for run in LabRun.objects.filter(pk__in=run_ids):
        services.stop_run(user, run)


@database_sync_to_async
def _stop_together(user: Any, run_ids: list[int]) -> int:
    return services.stop_runs(user, list(LabRun.objects.filter(pk__in=run_ids)))


@database_sync_to_async
def _rows(run_ids: list[int]) -> dict[int, tuple[str, str]]:
    return dict(
        (pk, (state, reason))
        for pk, state, reason in LabRun.objects.filter(pk__in=run_ids).values_list(
            "pk", "state", "reason"
        )
    )


@database_sync_to_async
def _status(run_id: int) -> dict[str, Any]:
    return services.status_event(LabRun.objects.get(pk=run_id))


def _slots_in_use() -> int:
    """Tasks the worker is executing (Celery's own bookkeeping, what its slots hold)."""
    return len(worker_state.active_requests)


async def _until(condition: Callable[[], bool], within: float) -> None:
    """Waits for a condition of the worker's threads, with a deadline.

    A poll: Celery frees a slot (``active_requests``) after the task has returned, and
    announces it with no signal a test could wait on.
    """
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - nothing to wait on (see above)
            await asyncio.sleep(0.05)


async def test_forty_runs_stopped_at_once_all_finish_and_free_every_slot_and_socket(
    learner, busy_worker
):
    before = listening_ports()
    # One run more than the worker has slots: it waits, and takes the first slot freed.
    ids = [run.pk for run in await _start_runs(learner, RUNS + 1)]
    async with watching(ids) as watcher:
        await watcher.wait_until(lambda: len(watcher.in_state("running")) == RUNS, STARTED_WITHIN)
        assert _slots_in_use() == RUNS
        assert len(labs.tasks._controls) == RUNS
        assert len(listening_ports() - before) == RUNS * 5  # 2 LB nodes + 3 targets each
        running = watcher.in_state("running")
        [waiting] = set(ids) - set(running)
        queued = await _status(waiting)
        assert (queued["state"], queued["reason"], queued["position"]) == (
            "queued",
            "waiting-for-slot",
            1,
        )

        # As an instructor stops a class: one call for them all (services.stop_runs).
        assert await _stop_together(learner, running) == RUNS
        await watcher.wait_until(
            lambda: (
                len(watcher.in_state("finished")) == RUNS
                and watcher.in_state("running") == [waiting]
            ),
            ENDED_WITHIN,
        )
        await _until(lambda: _slots_in_use() == 1 and list(labs.tasks._controls) == [waiting], 5)
        await _stop_all(learner, [waiting])
        await watcher.wait_until(lambda: len(watcher.in_state("finished")) == RUNS + 1, 10)

    assert set((await _rows(ids)).values()) == {("finished", "stopped")}
    await _until(lambda: _slots_in_use() == 0 and not labs.tasks._controls, 5)
    assert listening_ports() == before
