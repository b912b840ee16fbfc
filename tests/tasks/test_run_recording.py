"""A real run records what it streamed: its replay (the recording view) delivers the same
events in the same order, with as many requests as its access log has lines; past
LAB_RUN_RECORDED_EVENTS it counts the requests it leaves out and keeps every metrics second."""

import asyncio
import gzip

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.urls import reverse

from labs import services
from labs.engine.recording import Recorder
from labs.engine.snapshot import RunView
from labs.models import LabRun, RunAccessLog, RunRecording
from labs.tasks import run_lab
from tests.factories import make_run
from tests.tasks.conftest import GroupListener, of_type, status

pytestmark = pytest.mark.django_db(transaction=True)

TIMELINE = {"request", "flow", "health", "metrics", "fault"}


def _logged_lines(run: LabRun) -> int:
    log = RunAccessLog.objects.get(run=run)
    return len(gzip.decompress(log.data).decode().splitlines())


async def _run_until(learner, listener_done, **fields):
    """Run a lab in a thread until ``listener_done(listener)``, stop it, wait for its end."""
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=60, **fields)
    async with GroupListener(run.pk) as listener:
        worker = asyncio.create_task(asyncio.to_thread(run_lab, run.pk))
        await listener.wait_for(status("running"))
        await listener_done(listener)
        await database_sync_to_async(services.stop_run)(learner, run)
        await listener.wait_for(status("finished"), within=10)
        await asyncio.wait_for(worker, 10)
    return run, listener.seen


async def test_the_replay_delivers_the_streamed_events_in_order_and_counts_the_access_log(
    client, learner
):
    async def ten_requests_and_a_metrics_second(listener):
        for _ in range(10):
            await listener.wait_for(of_type("request"))
        await listener.wait_for(of_type("metrics"))

    run, seen = await _run_until(learner, ten_requests_and_a_metrics_second)
    await sync_to_async(client.force_login)(learner)
    response = await sync_to_async(client.get)(reverse("labs-run-recording", args=[run.pk]))
    assert response.status_code == 200
    story = response.json()
    streamed = [event for event in seen if event["type"] in TIMELINE]
    assert story["events"] == streamed  # every event, in the order the page got them
    assert story["omitted"] == {"request": 0, "flow": 0}
    requests = [event for event in story["events"] if event["type"] == "request"]
    assert len(requests) == await database_sync_to_async(_logged_lines)(run)
    # The replay's last view, folded by the engine, has the run's exact counts.
    view = RunView()
    view.fold(story["events"])
    run = await LabRun.objects.aget(pk=run.pk)
    assert view.counts["requests"] == run.summary["requests"] == len(requests)
    by_target = {
        key.rsplit("/", 1)[1]: n for key, n in view.counts.items() if key.startswith("target:")
    }
    assert by_target == run.summary["by_target"]
    ats = [checkpoint["at"] for checkpoint in story["checkpoints"]]
    assert ats[0] == 0 and ats == sorted(ats) and ats[-1] <= len(story["events"])


async def test_past_its_limit_a_recording_counts_what_it_left_out(learner, settings):
    settings.LAB_RUN_RECORDED_EVENTS = 5

    async def twenty_requests_and_two_seconds(listener):
        for _ in range(20):
            await listener.wait_for(of_type("request"))
        for _ in range(2):
            await listener.wait_for(of_type("metrics"))

    run, seen = await _run_until(learner, twenty_requests_and_two_seconds)
    saved = await RunRecording.objects.aget(run=run)
    events = (await database_sync_to_async(services.story)(run))["events"]
    streamed_requests = sum(event["type"] == "request" for event in seen)
    kept_requests = sum(event["type"] == "request" for event in events)
    assert kept_requests < 5
    assert saved.omitted_requests == streamed_requests - kept_requests > 0
    metrics = [event for event in events if event["type"] == "metrics"]
    assert metrics == [event for event in seen if event["type"] == "metrics"]  # all, exact
    assert saved.events == len(events)


async def test_a_running_run_saves_its_recording_so_far(learner, settings):
    """So a worker that dies mid-run leaves its run's story up to its last save."""
    settings.LAB_RUN_RECORDING_SAVE_SECONDS = 1

    async def a_saved_recording_while_it_runs(listener):
        run_id = int(listener.group.removeprefix("run."))
        await listener.wait_for(of_type("request"))
        async with asyncio.timeout(10):  # the next save, within a second or so
            while not await RunRecording.objects.filter(run_id=run_id).aexists():
                await listener.wait_for(lambda event: True)  # the stream paces the look
        run = await LabRun.objects.aget(pk=run_id)
        assert run.state == "running"
        so_far = (await database_sync_to_async(services.story)(run))["events"]
        assert any(event["type"] == "request" for event in so_far)

    run, seen = await _run_until(learner, a_saved_recording_while_it_runs)
    story = await database_sync_to_async(services.story)(run)
    assert len(story["events"]) > 0
    streamed = [event for event in seen if event["type"] in TIMELINE]
    assert story["events"] == streamed  # the final save replaced what it had so far


def test_a_late_save_of_the_story_so_far_never_replaces_a_later_one(learner):
    run = make_run(owner=learner, state="finished")
    recorder = Recorder(limit=10)
    recorder.add([{"type": "metrics", "t": 1.0}])
    early = services.Recording.of(recorder, so_far=True)
    recorder.add([{"type": "metrics", "t": 2.0}])
    services.save_recording(run, services.Recording.of(recorder))
    services.save_recording(run, early, so_far=True)  # from a database thread, too late
    assert [event["t"] for event in services.story(run)["events"]] == [1.0, 2.0]
