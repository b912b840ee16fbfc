"""A page that (re)connects to a running run gets a snapshot first, then the stream: the
worker numbers its batches and the snapshot says the last one it holds."""

import asyncio
import gzip

import pytest
from asgiref.sync import sync_to_async
from celery.contrib.testing.worker import start_worker
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.urls import reverse

import labs.tasks  # noqa: F401 - registers run_lab with the app the worker serves
from labs import consumers, services
from labs.engine import events
from labs.models import LabRun, RunAccessLog
from playground.asgi import application
from playground.celery import app
from tests.factories import make_run, make_topology

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
REQUEST = {"type": "request", "t": 1.0, "target": "10.0.1.10:80", "elb_status_code": 200}


def _events():
    """Where the worker publishes a run's batches and answers a page's snapshot request."""
    return get_channel_layer(services.EVENTS_LAYER)


async def _connect(run, headers) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await ws.connect()
    assert connected
    (status,) = (await ws.receive_json_from(TIMEOUT))["events"]
    assert status["type"] == "run.status"
    return ws


def _batch(seq, *events_):
    return {"type": "run.events", "events": list(events_), "seq": seq}


async def test_the_snapshot_comes_first_and_only_later_batches_follow(
    ws_headers, learner, control_channel
):
    layer, channel = control_channel
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=channel
    )
    ws = await _connect(run, ws_headers)
    asked = await layer.receive(channel)
    assert asked["type"] == "run.snapshot"
    for seq in (1, 2, 3):  # batches sent while the worker builds the snapshot
        await _events().group_send(run.group_name, _batch(seq, {**REQUEST, "t": float(seq)}))
    snapshot = {"type": "snapshot", "t": 2.0, "emitted": 1.0, "counts": {"requests": 2}}
    await _events().send(
        asked["reply_to"], {"type": "run.snapshot", "snapshot": snapshot, "seq": 2}
    )
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [snapshot]
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [{**REQUEST, "t": 3.0}]
    await _events().group_send(run.group_name, _batch(2, REQUEST))  # a late copy: dropped
    await _events().group_send(run.group_name, _batch(4, {**REQUEST, "t": 4.0}))
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [{**REQUEST, "t": 4.0}]
    await ws.disconnect()


async def test_without_an_answer_the_stream_flows_after_a_while(
    ws_headers, learner, control_channel, monkeypatch
):
    monkeypatch.setattr(consumers, "SNAPSHOT_TIMEOUT_SECONDS", 0.2)
    _layer, channel = control_channel
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=channel
    )
    ws = await _connect(run, ws_headers)
    await _events().group_send(run.group_name, _batch(7, REQUEST))
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [REQUEST]
    await ws.disconnect()


async def test_a_queued_run_asks_its_worker_for_nothing(ws_headers, learner, control_channel):
    layer, channel = control_channel
    run = await database_sync_to_async(make_run)(owner=learner, control_channel=channel)
    ws = await _connect(run, ws_headers)
    await database_sync_to_async(services.publish)(run.pk, [REQUEST])
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [REQUEST]
    with pytest.raises(asyncio.TimeoutError):
        async with asyncio.timeout(0.3):
            await layer.receive(channel)
    await ws.disconnect()


# --- a real run on a real worker ----------------------------------------------------------


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker


class Page:
    """What the run page's script does with frames: a snapshot sets, a request adds."""

    def __init__(self) -> None:
        self.total = 0
        self.snapshots: list[dict] = []
        self.state = ""

    async def read_until(self, ws, done, within=30):
        async with asyncio.timeout(within):
            while not done(self):
                frame = await ws.receive_json_from(within)
                for event in frame.get("events", []):
                    self.take(event)

    def take(self, event):
        if event["type"] == "snapshot":
            events.validate(event)
            self.snapshots.append(event)
            self.total = event["counts"].get("requests", 0)
        elif event["type"] == "request":
            self.total += 1
        elif event["type"] == "run.status":
            self.state = event["state"]


def _start(client, learner) -> LabRun:
    topology = make_topology()
    client.force_login(learner)
    client.post(reverse("labs-run-start", args=[topology.pk]), {"clock_speed": 10})
    return LabRun.objects.get()


def _logged_lines(run) -> int:
    log = RunAccessLog.objects.get(run=run)
    return len(gzip.decompress(log.data).decode().splitlines())


@pytest.mark.worker
async def test_a_page_that_reconnects_mid_run_counts_what_the_access_log_has(
    client, learner, ws_headers, celery_worker
):
    run = await sync_to_async(_start)(client, learner)
    first, page = await _connect(run, ws_headers), Page()
    await page.read_until(first, lambda p: p.total >= 5)
    await first.disconnect()  # a reload: the old socket goes

    second, reloaded = await _connect(run, ws_headers), Page()
    await reloaded.read_until(second, lambda p: p.snapshots)
    (snapshot,) = reloaded.snapshots
    assert snapshot["counts"]["requests"] >= page.total  # it continues, not from 0
    assert snapshot["requests"][-1]["trace"]["rules"]
    await reloaded.read_until(second, lambda p: p.total >= snapshot["counts"]["requests"] + 5)

    await database_sync_to_async(services.stop_run)(learner, run)
    await reloaded.read_until(second, lambda p: p.state == "finished")
    assert reloaded.total == await database_sync_to_async(_logged_lines)(run)
    await second.disconnect()


@pytest.mark.worker
async def test_a_reloaded_page_gets_back_the_faults_log_and_the_console_answer(
    client, learner, ws_headers, celery_worker
):
    run = await sync_to_async(_start)(client, learner)
    first, page = await _connect(run, ws_headers), Page()
    await page.read_until(first, lambda p: p.total >= 3)
    await database_sync_to_async(services.control_run)(
        learner, run, {"action": "traffic", "rps": 3}
    )
    console = {"action": "request", "id": "console-1", "method": "GET", "path": "/"}
    await database_sync_to_async(services.control_run)(
        learner, run, {**console, "client_ip": "198.51.100.7"}
    )
    seen: set[str] = set()

    async def until_both():
        while not {"fault", "console"} <= seen:
            frame = await first.receive_json_from(TIMEOUT)
            seen.update(event["type"] for event in frame.get("events", []))

    await asyncio.wait_for(until_both(), 30)
    await first.disconnect()  # a reload

    second, reloaded = await _connect(run, ws_headers), Page()
    await reloaded.read_until(second, lambda p: p.snapshots)
    (snapshot,) = reloaded.snapshots
    traffic = [f for f in snapshot["faults"] if f.get("action") == "traffic"]
    assert traffic and traffic[-1]["rps"] == 3.0 and traffic[-1]["by"] == "learner"
    (answer,) = snapshot["consoles"]
    assert (answer["id"], answer["client_ip"], answer["by"]) == (
        "console-1",
        "198.51.100.7",
        "learner",
    )
    await database_sync_to_async(services.stop_run)(learner, run)
    await reloaded.read_until(second, lambda p: p.state == "finished")
    await second.disconnect()
