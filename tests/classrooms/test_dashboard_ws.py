"""The dashboard's socket, fed by two learners' real runs on a real worker and Redis."""

import asyncio

import pytest
from celery.contrib.testing.worker import start_worker
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

import labs.tasks  # noqa: F401 - registers run_lab with the app the worker serves
from labs import services as lab_services
from labs.models import LabRun
from playground.asgi import application
from playground.celery import app
from playground.classrooms import services
from playground.classrooms.models import Hint
from tests.factories import make_run, make_topology, make_user
from tests.tasks.conftest import GroupListener, of_type

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


@pytest.fixture(scope="module")
def celery_worker():
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker


def _headers(client, user):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://testserver"), (b"cookie", cookie)]


async def _dashboard(client, instructor, classroom):
    headers = await db(_headers)(client, instructor)
    ws = WebsocketCommunicator(
        application, f"/ws/classes/{classroom.pk}/dashboard/", headers=headers
    )
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _frames_until(ws, done, within=30):
    frames = []
    async with asyncio.timeout(within):
        while not done(frames):
            frames.append(await ws.receive_json_from(within))
    return frames


@pytest.mark.worker
async def test_two_learners_runs_feed_one_dashboard(client, instructor, learner, celery_worker):
    second = await db(make_user)("second-learner")
    classroom = await db(services.create_classroom)(instructor, "Live class")
    for person in (learner, second):
        await db(services.join_classroom)(person, classroom.join_code)
    ws = await _dashboard(client, instructor, classroom)
    first = await ws.receive_json_from(5)
    assert {row["username"] for row in first["rows"]} == {"learner", "second-learner"}

    topology = await db(make_topology)()
    runs = [
        await db(lab_services.start_run)(person, topology, duration=60)
        for person in (learner, second)
    ]

    def both_live(frames):
        return {f["live"]["learner"] for f in frames if "live" in f} == {learner.pk, second.pk}

    frames = await _frames_until(ws, both_live)
    live = [f["live"] for f in frames if "live" in f]
    assert all(f["rps"] >= 0 and "emitted" in f and "unhealthy" in f for f in live)
    assert any(f["row"]["state"] == "running" for f in frames if "row" in f)
    assert not any("request" in str(f.get("events", "")) for f in frames)  # summaries only

    # The instructor breaks every running run of the class from the dashboard.
    async with GroupListener(runs[0].pk) as listener:
        await ws.send_json_to({"action": "fault", "mode": "hang", "run": None})
        done = await _frames_until(ws, lambda fs: any("done" in f or "error" in f for f in fs))
        assert done[-1].get("done") == "fault", done[-1]
        fault = await listener.wait_for(of_type("fault"), within=10)
        assert fault["mode"] == "hang" and fault["by"] == "instructor"

    for run in runs:
        await db(lab_services.stop_run)(instructor, run)

    def both_finished(frames):
        ended = {f["row"]["learner"] for f in frames if f.get("row", {}).get("state") == "finished"}
        return ended == {learner.pk, second.pk}

    await _frames_until(ws, both_finished)
    await ws.disconnect()


async def test_a_hint_from_the_dashboard_reaches_the_learners_run_page(client, instructor, learner):
    classroom = await db(services.create_classroom)(instructor, "Hint class")
    await db(services.join_classroom)(learner, classroom.join_code)
    run = await db(LabRun.objects.create)(
        topology=await db(make_topology)(), owner=learner, state="running"
    )
    dashboard = await _dashboard(client, instructor, classroom)
    await dashboard.receive_json_from(5)
    page = WebsocketCommunicator(
        application, f"/ws/runs/{run.pk}/", headers=await db(_headers)(client, learner)
    )
    assert (await page.connect())[0]
    await page.receive_json_from(5)  # the run's state

    await dashboard.send_json_to({"action": "hint", "learner": learner.pk, "text": "Check the SG."})
    frame = await page.receive_json_from(5)
    assert frame["events"][0]["type"] == "hint"
    assert frame["events"][0]["text"] == "Check the SG."
    replies = await _frames_until(dashboard, lambda fs: any("done" in f for f in fs), within=5)
    assert "learner" in replies[-1]["message"]

    # Dismissed on the page, it is read and does not come back on the next connect.
    # (The page may hear the hint twice, live and on connect: lab_hints.js shows it once.)
    await page.send_json_to({"action": "hint.read", "ids": [frame["events"][0]["id"]]})
    await page.send_json_to({"action": "ping"})  # answered after the read is saved
    await _frames_until(page, lambda fs: any("error" in f for f in fs), within=5)
    assert await db(Hint.objects.filter(read_at__isnull=False).count)() == 1
    await page.disconnect()
    await dashboard.disconnect()


async def test_an_unread_hint_comes_back_when_the_run_page_reconnects(instructor, learner, client):
    classroom = await db(services.create_classroom)(instructor, "Hint class")
    await db(services.join_classroom)(learner, classroom.join_code)
    await db(services.send_hint)(classroom, instructor, learner, "Look at the listener rule.")
    run = await db(LabRun.objects.create)(
        topology=await db(make_topology)(), owner=learner, state="finished"
    )
    page = WebsocketCommunicator(
        application, f"/ws/runs/{run.pk}/", headers=await db(_headers)(client, learner)
    )
    assert (await page.connect())[0]
    frames = [await page.receive_json_from(5), await page.receive_json_from(5)]
    hints = [e for f in frames for e in f.get("events", []) if e["type"] == "hint"]
    assert [h["text"] for h in hints] == ["Look at the listener rule."]
    await page.disconnect()


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("not json", "JSON"),
        ({"action": "explode"}, "Unknown action"),
        ({"action": "hint", "learner": 999999, "text": "x"}, "No such learner"),
        ({"action": "hint", "learner": "learner", "text": ""}, "No such learner"),
        ({"action": "hint", "text": "to whom?"}, "No such learner"),
        ({"action": "stop", "run": None}, "No such learner or run"),
        ({"action": "fault", "mode": "melt", "run": None}, "No learner of this class"),
    ],
)
async def test_a_bad_dashboard_message_gets_an_error_naming_the_problem(
    client, instructor, learner, message, words
):
    classroom = await db(services.create_classroom)(instructor, "Class")
    await db(services.join_classroom)(learner, classroom.join_code)
    ws = await _dashboard(client, instructor, classroom)
    await ws.receive_json_from(5)
    if isinstance(message, str):
        await ws.send_to(text_data=message)
    else:
        await ws.send_json_to(message)
    frame = await ws.receive_json_from(5)
    assert frame["error"] == "ValidationError"
    assert words in frame["message"], frame
    await ws.disconnect()


async def test_a_learner_who_joins_appears_on_an_open_dashboard(client, instructor, learner):
    classroom = await db(services.create_classroom)(instructor, "Class")
    ws = await _dashboard(client, instructor, classroom)
    assert (await ws.receive_json_from(5))["rows"] == []
    await db(services.join_classroom)(learner, classroom.join_code)
    frame = await ws.receive_json_from(5)
    assert frame["row"]["username"] == "learner"
    await ws.disconnect()


async def test_rows_changed_together_are_each_sent_again_as_they_now_are(
    client, instructor, learner
):
    # As a class stopped at once: every learner's run says stopping, then finished, at once.
    classroom = await db(services.create_classroom)(instructor, "Class")
    learners = [learner] + [await db(make_user)(f"learner-{n}") for n in range(2)]
    runs = []
    for each in learners:
        await db(services.join_classroom)(each, classroom.join_code)
        runs.append(await db(make_run)(owner=each, state="running"))
    ws = await _dashboard(client, instructor, classroom)
    assert len((await ws.receive_json_from(5))["rows"]) == 3
    for state in ("stopping", "finished"):
        for run in runs:
            await db(lab_services.set_state)(run, state, "stopped", 1.0)

    def finished_rows(frames):
        rows = {f["row"]["learner"]: f["row"] for f in frames if "row" in f}
        return {k: v for k, v in rows.items() if v["state"] == "finished"}

    frames = await _frames_until(ws, lambda frames: len(finished_rows(frames)) == 3)
    assert set(finished_rows(frames)) == {each.pk for each in learners}
    assert len([f for f in frames if "row" in f]) <= 6  # never more than one per change
    await ws.disconnect()
