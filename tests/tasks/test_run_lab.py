"""The task function itself, called in a thread of this process with the real runtime."""

import asyncio
import time

import pytest
from celery.signals import worker_ready, worker_shutting_down
from channels.db import database_sync_to_async

import labs.tasks
from labs import services
from labs.models import LabRun
from labs.tasks import run_lab, stale_run_check
from tests.factories import make_run
from tests.tasks.conftest import GroupListener, of_type, status

pytestmark = pytest.mark.django_db(transaction=True)


async def _refreshed(run: LabRun) -> LabRun:
    return await LabRun.objects.aget(pk=run.pk)


async def test_a_run_streams_requests_and_finishes_at_its_time_limit(learner):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=1)
    async with GroupListener(run.pk) as listener:
        started = time.monotonic()
        await asyncio.to_thread(run_lab, run.pk)
        assert time.monotonic() - started < 3  # one second of lab plus set-up and tear-down
        await listener.wait_for(status("finished"))
    kinds = [event["type"] for event in listener.seen]
    states = [event["state"] for event in listener.seen if event["type"] == "run.status"]
    assert states == ["starting", "running", "stopping", "finished"]
    assert "request" in kinds
    run = await _refreshed(run)
    assert (run.state, run.reason) == ("finished", "time-limit")
    assert run.started_at and run.ended_at and run.control_channel
    assert run.summary


async def test_stop_ends_a_running_run_within_a_second(learner):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=60)
    async with GroupListener(run.pk) as listener:
        worker = asyncio.create_task(asyncio.to_thread(run_lab, run.pk))
        await listener.wait_for(status("running"))
        for _ in range(10):  # traffic flowing: keep-alive connections open everywhere
            await listener.wait_for(of_type("request"))
        asked = time.monotonic()
        await database_sync_to_async(services.stop_run)(learner, await _refreshed(run))
        await listener.wait_for(status("finished"), within=5)
        assert time.monotonic() - asked < 1.0
        await asyncio.wait_for(worker, 10)
    assert (await _refreshed(run)).reason == "stopped"


async def test_a_shutting_down_worker_stops_its_runs(learner):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=60)
    async with GroupListener(run.pk) as listener:
        worker = asyncio.create_task(asyncio.to_thread(run_lab, run.pk))
        await listener.wait_for(status("running"))
        for _ in range(10):
            await listener.wait_for(of_type("request"))
        asked = time.monotonic()
        worker_shutting_down.send(sender="test", sig="SIGTERM", how="Warm", exitcode=0)
        await listener.wait_for(status("finished"), within=5)
        assert time.monotonic() - asked < 1.0
        await asyncio.wait_for(worker, 10)
    assert (await _refreshed(run)).reason == "worker-shutdown"


async def test_a_run_saved_with_a_broken_template_fails_with_template_error(learner):
    run = await database_sync_to_async(make_run)(owner=learner, document="Resources: [")
    await asyncio.to_thread(run_lab, run.pk)
    run = await _refreshed(run)
    assert (run.state, run.reason) == ("failed", "template-error")


def test_a_run_stopped_while_queued_is_not_started(learner):
    run = make_run(owner=learner, state="finished", reason="stopped")
    run_lab(run.pk)
    run.refresh_from_db()
    assert (run.state, run.control_channel) == ("finished", "")


def test_a_deleted_run_is_ignored(learner):
    run = make_run(owner=learner)
    run_id = run.pk
    run.delete()
    run_lab(run_id)  # returns quietly
    assert not LabRun.objects.filter(pk=run_id).exists()


def test_a_starting_worker_fails_the_runs_of_a_dead_one(learner):
    run = make_run(owner=learner, state="running", heartbeat_at=None)
    LabRun.objects.filter(pk=run.pk).update(created_at=run.created_at.replace(year=2000))
    try:
        worker_ready.send(sender="test")
    finally:
        stale_run_check.stop()  # the worker's timer starts with it: not in this process
    run.refresh_from_db()
    assert (run.state, run.reason) == ("failed", "worker-lost")


async def test_the_runs_of_one_worker_process_share_one_event_loop(learner):
    first, second = [
        await database_sync_to_async(make_run)(owner=learner, duration_limit=60) for _ in range(2)
    ]
    async with GroupListener(first.pk) as one, GroupListener(second.pk) as other:
        workers = [asyncio.create_task(asyncio.to_thread(run_lab, r.pk)) for r in (first, second)]
        await one.wait_for(status("running"))
        await other.wait_for(status("running"))
        loops = {labs.tasks._controls[r.pk].loop for r in (first, second)}
        assert len(loops) == 1 and asyncio.get_running_loop() not in loops
        for run in (first, second):
            await database_sync_to_async(services.stop_run)(learner, await _refreshed(run))
        await one.wait_for(status("finished"))
        await other.wait_for(status("finished"))
        await asyncio.wait_for(asyncio.gather(*workers), 10)
