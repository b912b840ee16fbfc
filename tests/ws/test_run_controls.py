"""The run page's socket takes control commands: checked here, sent to the worker."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import translation

from playground.asgi import application
from tests.factories import make_run

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
DEREGISTER = {"action": "deregister", "target_group": "WebTargets", "target": "10.0.1.10:80"}


async def _connected(run, headers) -> WebsocketCommunicator:
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await ws.connect()
    assert connected
    await ws.receive_json_from(TIMEOUT)  # the current state
    return ws


async def _skip_snapshot_request(layer, channel) -> None:
    """A running run's page first asks its worker for a snapshot (test_run_snapshot.py)."""
    assert (await layer.receive(channel))["type"] == "run.snapshot"


async def test_a_good_command_goes_to_the_runs_control_channel(
    ws_headers, learner, control_channel
):
    layer, channel = control_channel
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=channel
    )
    ws = await _connected(run, ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": DEREGISTER})
    message = await layer.receive(channel)
    assert message == {"type": "run.control", "command": DEREGISTER, "by": "learner"}
    assert await ws.receive_nothing()  # the worker's fault event is the answer
    await ws.disconnect()


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (None, "object"),
        ({"action": "explode"}, "Unknown change"),
        ({**DEREGISTER, "target_group": "Nope"}, "target groups"),
        ({**DEREGISTER, "target": "10.0.9.9:80"}, "10.0.9.9:80 is not a target of WebTargets"),
        ({"action": "fault", "target": "10.0.1.10:80", "mode": "explode"}, "fault mode"),
        ({"action": "traffic", "rps": 10**6}, "from 0 to 200"),
    ],
)
async def test_a_bad_command_gets_an_error_frame_and_reaches_no_worker(
    ws_headers, learner, control_channel, settings, command, words
):
    settings.LAB_MAX_RPS = 200
    layer, channel = control_channel
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=channel
    )
    ws = await _connected(run, ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": command})
    reply = await ws.receive_json_from(TIMEOUT)
    assert reply["error"] == "ValidationError"
    assert words in reply["message"]
    await ws.disconnect()
    await layer.send(channel, {"type": "probe"})
    assert await layer.receive(channel) == {"type": "probe"}  # nothing came before it


async def test_a_run_that_is_not_running_cannot_be_changed(ws_headers, learners_run):
    ws = await _connected(learners_run, ws_headers)
    await ws.send_json_to({"action": "control", "command": DEREGISTER})
    reply = await ws.receive_json_from(TIMEOUT)
    assert reply == {
        "error": "ValidationError",
        "message": "The run is not running, so it cannot be changed.",
    }
    await ws.disconnect()


async def test_the_error_frame_speaks_the_learners_language(client, learner):
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel="specific.x!y"
    )
    await database_sync_to_async(client.force_login)(learner)
    cookie = f"sessionid={client.cookies['sessionid'].value}; django_language=ko".encode()
    ws = await _connected(run, [(b"origin", b"http://testserver"), (b"cookie", cookie)])
    await ws.send_json_to({"action": "control", "command": {"action": "explode"}})
    reply = await ws.receive_json_from(TIMEOUT)
    english = "Unknown change. Use deregister, register, fault, traffic, scale, sg or request."
    with translation.override("ko"):
        korean = translation.gettext(english)
    assert korean != english
    assert reply["message"] == korean
    await ws.disconnect()


async def test_another_learner_is_refused(ws_headers, other_learner):
    run = await database_sync_to_async(make_run)(
        owner=other_learner, state="running", control_channel="specific.x!y"
    )
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=ws_headers)
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()


async def test_staff_may_change_a_learners_run(client, admin, learner, control_channel):
    layer, channel = control_channel
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=channel
    )
    await database_sync_to_async(client.force_login)(admin)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    ws = await _connected(run, [(b"origin", b"http://testserver"), (b"cookie", cookie)])
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": {"action": "traffic", "rps": 5}})
    message = await layer.receive(channel)
    assert message["by"] == "admin"
    await ws.disconnect()
