"""A run never gets lost: it keeps its template, survives Redis outages, is stopped for
certain, says where it stands in the queue, and a dead worker's run is failed in time."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from labs import services
from labs.models import LabRun
from labs.tasks import run_lab
from tests.factories import make_run, make_topology
from tests.tasks.conftest import GroupListener, of_type, status

pytestmark = pytest.mark.django_db(transaction=True)

OUTAGE_SECONDS = 12  # longer than the channel layer's 10 s socket timeout


# --- the run's own template ------------------------------------------------------------


def test_a_run_keeps_the_template_it_started_with(learner):
    topology = make_topology(owner=learner)
    run = services.start_run(learner, topology)
    started_with = topology.document
    topology.document = "Resources: {}"  # the learner edits the topology afterwards
    topology.save()
    run.refresh_from_db()
    assert run.document == started_with
    LabRun.objects.filter(pk=run.pk).update(state="running", control_channel="specific.x!y")
    command = {"action": "deregister", "target_group": "WebTargets", "target": "10.0.1.10:80"}
    assert services.control_run(learner, run, command) == command  # checked against its copy


def test_the_run_page_lists_the_targets_of_the_runs_own_template(client, learner):
    run = make_run(owner=learner, topology=make_topology(owner=learner))
    LabRun.objects.filter(pk=run.pk).update(document=run.document.replace("10.0.1.10", "10.0.1.77"))
    run.topology.document = "Resources: {}"
    run.topology.save()
    client.force_login(learner)
    page = client.get(reverse("labs-run-detail", args=[run.pk])).content.decode()
    assert "10.0.1.77:80" in page and "10.0.1.10:80" not in page


# --- status: the queue and the clock -----------------------------------------------------


def test_a_queued_run_says_it_waits_for_a_slot_and_where_it_stands(learner, other_learner):
    first, second = make_run(owner=learner), make_run(owner=other_learner)
    assert services.status_event(first) | {"t": 0, "emitted": 0} == {
        "type": "run.status",
        "t": 0,
        "emitted": 0,
        "state": "queued",
        "reason": "waiting-for-slot",
        "position": 1,
    }
    assert services.status_event(second)["position"] == 2
    services.stop_run(learner, first)
    assert services.status_event(second)["position"] == 1


def test_an_ended_runs_lab_time_is_its_length_however_late_it_is_read(learner):
    ended = timezone.now() - timedelta(hours=2)
    run = make_run(
        owner=learner,
        state="finished",
        clock_speed=1,
        started_at=ended - timedelta(seconds=592),
        ended_at=ended,
    )
    assert services.status_event(run)["t"] == 592.0


# --- stopping ------------------------------------------------------------------------------


def test_a_stop_is_left_on_the_row_for_the_workers_heartbeat(learner):
    run = make_run(owner=learner, state="running", control_channel="")
    assert services.beat(run) is services.Beat.SERVE
    services.stop_run(learner, run)
    assert services.beat(run) is services.Beat.STOP
    LabRun.objects.filter(pk=run.pk).update(state="failed")
    assert services.beat(run) is services.Beat.LOST


def test_one_heartbeat_answers_for_every_run_of_a_worker_process(learner, other_learner):
    long_ago = timezone.now() - timedelta(hours=1)
    serving = make_run(owner=learner, state="running", heartbeat_at=long_ago)
    asked = make_run(owner=learner, state="starting", heartbeat_at=long_ago)
    services.stop_run(learner, asked)
    lost = make_run(owner=other_learner, state="failed", heartbeat_at=long_ago)
    verdicts = services.beat_runs([serving.pk, asked.pk, lost.pk, 10_000])
    assert verdicts == {
        serving.pk: services.Beat.SERVE,
        asked.pk: services.Beat.STOP,
        lost.pk: services.Beat.LOST,
        10_000: services.Beat.LOST,  # gone from the database altogether
    }
    fresh = dict(LabRun.objects.values_list("pk", "heartbeat_at"))
    assert fresh[serving.pk] > long_ago and fresh[asked.pk] > long_ago
    assert fresh[lost.pk] == long_ago  # a run that ended is not the worker's to vouch for


async def test_the_process_heartbeat_keeps_all_its_runs_alive(learner, settings, monkeypatch):
    settings.LAB_HEARTBEAT_SECONDS = 1
    runs = [
        await database_sync_to_async(make_run)(owner=learner, duration_limit=60) for _ in range(2)
    ]
    ids = {run.pk for run in runs}
    beats: list[list[int]] = []
    covered = threading.Event()
    real_beat_runs = services.beat_runs

    def observed(run_ids: list[int]) -> dict[int, services.Beat]:
        after_stamping = stamped.is_set()  # a beat begun earlier may write before the stamp
        verdicts = real_beat_runs(run_ids)
        beats.append(list(run_ids))
        if after_stamping and ids <= set(run_ids):
            covered.set()
        return verdicts

    stamped = threading.Event()
    monkeypatch.setattr(services, "beat_runs", observed)
    long_ago = timezone.now() - timedelta(hours=1)
    workers = []
    for run in runs:
        async with GroupListener(run.pk) as listener:
            workers.append(asyncio.create_task(asyncio.to_thread(run_lab, run.pk)))
            await listener.wait_for(status("running"), within=30)
    # As if the runs had gone silent an hour ago: only the process's beat can save them.
    await LabRun.objects.filter(pk__in=ids).aupdate(heartbeat_at=long_ago)
    stamped.set()
    assert await asyncio.to_thread(covered.wait, 10), f"no beat covered both runs: {beats}"
    assert await database_sync_to_async(services.fail_stale_runs)() == 0
    stamps = [stamp async for stamp in LabRun.objects.filter(pk__in=ids).values_list(
        "heartbeat_at", flat=True
    )]  # fmt: skip
    assert all(stamp > long_ago for stamp in stamps)
    # One write for the process, not one per run.
    assert all(len(set(beat)) == len(beat) for beat in beats)
    assert any(ids <= set(beat) for beat in beats)
    for run in runs:
        await database_sync_to_async(services.stop_run)(learner, await _refreshed(run))
    await asyncio.wait_for(asyncio.gather(*workers), 20)
    assert {run.state async for run in LabRun.objects.filter(pk__in=ids)} == {"finished"}


@pytest.fixture
def redis_outage():
    """``outage(seconds)`` freezes the Redis server (SIGSTOP) and thaws it after ``seconds``.

    A frozen server answers nothing, so a read in progress runs into its socket timeout,
    as when Redis hangs or the network drops; the thaw is certain, even on a failure.
    """
    client = redis.Redis.from_url(settings.REDIS_URL)
    pid = int(client.info("server")["process_id"])
    client.close()
    timers: list[threading.Timer] = []

    def outage(seconds: float) -> None:
        os.kill(pid, signal.SIGSTOP)
        timer = threading.Timer(seconds, os.kill, (pid, signal.SIGCONT))
        timers.append(timer)
        timer.start()

    yield outage
    for timer in timers:
        timer.cancel()
    os.kill(pid, signal.SIGCONT)


def _redis_answers() -> None:
    """Returns once Redis answers again (the pause is over)."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=60)
    try:
        client.ping()
    finally:
        client.close()


async def _refreshed(run: LabRun) -> LabRun:
    return await LabRun.objects.aget(pk=run.pk)


async def test_after_a_redis_outage_commands_are_answered_and_stop_stops(learner, redis_outage):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=120)
    async with GroupListener(run.pk) as listener:
        worker = asyncio.create_task(asyncio.to_thread(run_lab, run.pk))
        await listener.wait_for(status("running"), within=30)
        await listener.wait_for(of_type("request"), within=30)
    redis_outage(OUTAGE_SECONDS)
    await asyncio.to_thread(_redis_answers)
    run = await _refreshed(run)
    async with GroupListener(run.pk) as listener:
        # The listener outlived the read timeouts: the command is answered.
        command = {"action": "traffic", "rps": 2}
        await database_sync_to_async(services.control_run)(learner, run, command)
        answer = await listener.wait_for(of_type("fault"), within=10)
        assert (answer["action"], answer["rps"], answer["by"]) == ("traffic", 2.0, "learner")
        await database_sync_to_async(services.stop_run)(learner, run)
        await listener.seen_or_wait_for(status("finished"), within=10)
    await asyncio.wait_for(worker, 10)
    assert (await _refreshed(run)).reason == "stopped"


async def test_a_stop_sent_while_redis_is_frozen_still_stops_the_run(learner, redis_outage):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=120)
    async with GroupListener(run.pk) as listener:
        worker = asyncio.create_task(asyncio.to_thread(run_lab, run.pk))
        await listener.wait_for(status("running"), within=30)
    run = await _refreshed(run)
    redis_outage(OUTAGE_SECONDS)
    # The control message cannot get through; the row can, and the heartbeat reads it.
    await database_sync_to_async(services.stop_run)(learner, run)
    await asyncio.wait_for(worker, OUTAGE_SECONDS + 30)
    run = await _refreshed(run)
    assert (run.state, run.reason) == ("finished", "stopped")


# --- a worker that dies ----------------------------------------------------------------------


def _test_database_url() -> str:
    """The test database (SQLite file or PostgreSQL) as a DATABASE_URL for a child process."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = quote(str(db.get("PASSWORD") or ""), safe="")
    host = db.get("HOST") or "localhost"
    return f"postgres://{db['USER']}:{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def _worker(name: str, **settings_env: str) -> subprocess.Popen[bytes]:
    """A real Celery worker process, as `make run` starts it, on the test database; with
    ``settings_env`` added to its environment."""
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "LAB_HEARTBEAT_SECONDS": "1",
        "LAB_STALE_SECONDS": "3",
        **settings_env,
    }
    argv = [sys.executable, "-m", "celery", "-A", "playground", "--quiet", "worker"]
    argv += ["--pool", "threads", "--concurrency", "2", "-l", "WARNING", "--hostname", name]
    argv += ["--without-mingle", "--without-gossip"]
    return subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)  # noqa: S603


def _ended(*workers: subprocess.Popen[bytes]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
        worker.wait(10)


@pytest.mark.worker
async def test_a_killed_workers_run_is_failed_within_30_seconds_with_no_page_open(learner):
    topology = await database_sync_to_async(make_topology)(owner=learner)
    first = _worker("first@%h")
    second = None
    try:
        # Two runs in the one process: its one heartbeat vouched for both, and both go.
        runs = [await sync_to_async(services.start_run)(learner, topology) for _ in range(2)]
        for run in runs:
            async with GroupListener(run.pk) as listener:
                if (await _refreshed(run)).state != "running":
                    await listener.wait_for(status("running"), within=60)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed = time.monotonic()
        second = _worker("second@%h")  # what `make run` does when its worker dies
        for run in runs:
            async with GroupListener(run.pk) as listener:
                if (await _refreshed(run)).state != "failed":
                    failed = await listener.wait_for(status("failed"), within=30)
                    assert failed["reason"] == "worker-lost"
        assert time.monotonic() - killed < 30
        for run in runs:
            run = await _refreshed(run)
            assert (run.state, run.reason) == ("failed", "worker-lost")
    finally:
        _ended(first, *([second] if second else []))
