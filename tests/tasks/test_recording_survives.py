"""A run whose worker is killed mid-run keeps its story up to the worker's last save: the
failed run's page can still replay it (a real worker process, SIGKILLed)."""

import asyncio
import signal

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from labs import services
from labs.models import LabRun, RunRecording
from tests.factories import make_topology
from tests.tasks.conftest import GroupListener, of_type, status
from tests.tasks.test_run_never_lost import _ended, _worker

pytestmark = pytest.mark.django_db(transaction=True)

SAVING_EVERY_SECOND = {"LAB_RUN_RECORDING_SAVE_SECONDS": "1"}


@pytest.mark.worker
async def test_a_killed_workers_run_keeps_its_story_up_to_the_last_save(learner):
    topology = await database_sync_to_async(make_topology)(owner=learner)
    first = _worker("recording-first@%h", **SAVING_EVERY_SECOND)
    second = None
    try:
        run = await sync_to_async(services.start_run)(learner, topology)
        async with GroupListener(run.pk) as listener:
            await listener.wait_for(status("running"), within=60)
            await listener.wait_for(of_type("request"), within=30)
            async with asyncio.timeout(15):  # saved every second
                while not await RunRecording.objects.filter(run=run).aexists():
                    await listener.wait_for(lambda event: True)  # the stream paces the look
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        second = _worker("recording-second@%h", **SAVING_EVERY_SECOND)  # it fails the lost run
        async with GroupListener(run.pk) as listener:
            await listener.wait_for(status("failed"), within=30)
        run = await LabRun.objects.aget(pk=run.pk)
        assert (run.state, run.reason) == ("failed", "worker-lost")
        story = await database_sync_to_async(services.story)(run)
        assert story is not None
        assert any(event["type"] == "request" for event in story["events"])
    finally:
        _ended(first, *([second] if second else []))
