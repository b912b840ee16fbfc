from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from labs import consumers, services
from labs.models import LabRun
from playground.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def communicator(run, headers):
    return WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)


async def test_the_owner_connects_and_hears_the_current_state(ws_headers, learners_run):
    ws = communicator(learners_run, ws_headers)
    connected, _ = await ws.connect()
    assert connected
    frame = await ws.receive_json_from(TIMEOUT)
    status = {"type": "run.status", "t": 0.0, "state": "queued", "reason": "waiting-for-slot"}
    (event,) = frame["events"]
    assert event.pop("emitted") > 0
    assert event == {**status, "position": 1}
    await ws.disconnect()


async def test_it_refuses_another_learners_run(ws_headers, other_learners_run):
    ws = communicator(other_learners_run, ws_headers)
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()  # let the refused consumer finish inside this test's loop


async def test_it_refuses_an_anonymous_visitor(learners_run):
    ws = communicator(learners_run, [(b"origin", b"http://testserver")])
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


async def test_it_refuses_another_sites_page(ws_headers, learners_run):
    headers = [(b"origin", b"http://evil.example")] + [h for h in ws_headers if h[0] != b"origin"]
    ws = communicator(learners_run, headers)
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


async def test_events_on_the_runs_group_reach_the_browser(ws_headers, learners_run):
    ws = communicator(learners_run, ws_headers)
    await ws.connect()
    await ws.receive_json_from(TIMEOUT)
    request = {"type": "request", "t": 1.5, "target": "10.0.1.10:80", "elb_status_code": 200}
    await database_sync_to_async(services.publish)(learners_run.pk, [request])
    assert await ws.receive_json_from(TIMEOUT) == {"events": [request]}
    await ws.disconnect()


@pytest.mark.parametrize("frame", ["not json", '["stop"]', '{"action": "explode"}'])
async def test_a_bad_message_gets_an_error_frame(ws_headers, learners_run, frame):
    ws = communicator(learners_run, ws_headers)
    await ws.connect()
    await ws.receive_json_from(TIMEOUT)
    await ws.send_to(text_data=frame)
    reply = await ws.receive_json_from(TIMEOUT)
    assert reply["error"] == "ValidationError"
    assert reply["message"]
    await ws.disconnect()


async def test_stop_ends_a_queued_run_and_says_so(ws_headers, learners_run):
    ws = communicator(learners_run, ws_headers)
    await ws.connect()
    await ws.receive_json_from(TIMEOUT)
    await ws.send_json_to({"action": "stop"})
    frame = await ws.receive_json_from(TIMEOUT)
    assert frame["events"][0]["state"] == "finished"
    assert frame["events"][0]["reason"] == "stopped"
    run = await LabRun.objects.aget(pk=learners_run.pk)
    assert run.state == "finished"
    await ws.disconnect()


async def test_a_watched_run_whose_worker_died_shows_as_failed(
    ws_headers, learners_run, monkeypatch
):
    monkeypatch.setattr(consumers, "WATCHDOG_SECONDS", 0.05)
    long_ago = timezone.now() - timedelta(hours=1)
    await LabRun.objects.filter(pk=learners_run.pk).aupdate(
        state="running", heartbeat_at=long_ago, started_at=long_ago
    )
    ws = communicator(learners_run, ws_headers)
    await ws.connect()
    assert (await ws.receive_json_from(TIMEOUT))["events"][0]["state"] == "running"
    frame = await ws.receive_json_from(TIMEOUT)
    assert frame["events"][0]["state"] == "failed"
    assert frame["events"][0]["reason"] == "worker-lost"
    await ws.disconnect()
