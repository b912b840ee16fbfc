"""The dashboard's hints to a row or to the whole class, and its quiz-score column moving
the moment a learner answers (an in-lab question, an exam, a live quiz)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from labs.models import LabRun
from playground.asgi import application
from playground.classrooms import live_quiz, services
from playground.classrooms.models import Hint
from playground.quizzes.models import Question
from playground.quizzes.services import exams, lab
from tests.factories import make_run, make_topology, make_user
from tests.quizzes.factories import correct_ids, make_exam, make_question, wrong_ids

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async


def _headers(client, user):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://testserver"), (b"cookie", cookie)]


async def _dashboard(client, instructor, classroom):
    ws = WebsocketCommunicator(
        application,
        f"/ws/classes/{classroom.pk}/dashboard/",
        headers=await db(_headers)(client, instructor),
    )
    assert (await ws.connect())[0]
    return ws


async def _until(ws, wanted, within=5):
    async with asyncio.timeout(within):
        while True:
            frame = await ws.receive_json_from(within)
            if wanted(frame):
                return frame


def _class_of(instructor, *learners):
    classroom = services.create_classroom(instructor, "Score class")
    for person in learners:
        services.join_classroom(person, classroom.join_code)
    return classroom


def _answer_in_lab(learner):
    make_question(topics=("alb",), lab_trigger="lb_504", key="dash-504")
    asked = lab.push_question(make_run(owner=learner), learner, "lb_504", t=100.0)
    lab.answer_question(asked.run, learner, asked.question_id, correct_ids(asked.question))


def _hand_in_exam(learner):
    for _ in range(2):
        make_question(topics=("alb",))
    attempt = exams.start_attempt(learner, make_exam(question_count=2))
    first, second = attempt.items.select_related("question").order_by("position")
    exams.save_item(first, correct_ids(first.question), flagged=False)
    exams.save_item(second, wrong_ids(second.question)[:1], flagged=False)
    exams.submit(attempt)


def _answer_live(instructor, learner, classroom):
    make_question(topics=("alb",))
    quiz = live_quiz.start(classroom, instructor, make_exam(question_count=1), leaderboard=True)
    live_quiz.next_question(quiz, instructor)
    question = Question.objects.get(pk=quiz.questions[0])
    live_quiz.answer(quiz, learner, correct_ids(question))


@pytest.mark.parametrize(
    ("how", "score", "right", "total"),
    [("lab", 100, 1, 1), ("exam", 50, 1, 2), ("live", 100, 1, 1)],
)
async def test_the_quiz_score_column_moves_when_the_learner_answers(
    client, instructor, learner, how, score, right, total
):
    classroom = await db(_class_of)(instructor, learner)
    ws = await _dashboard(client, instructor, classroom)
    (row,) = (await ws.receive_json_from(5))["rows"]
    assert (row["quiz_score"], row["quiz_total"]) == (None, 0)

    if how == "lab":
        await db(_answer_in_lab)(learner)
    elif how == "exam":
        await db(_hand_in_exam)(learner)
    else:
        await db(_answer_live)(instructor, learner, classroom)

    frame = await _until(ws, lambda f: "row" in f and f["row"]["quiz_total"])
    assert frame["row"]["learner"] == learner.pk
    assert (frame["row"]["quiz_score"], frame["row"]["quiz_right"]) == (score, right)
    assert frame["row"]["quiz_total"] == total
    await ws.disconnect()


async def test_a_hint_to_the_whole_class_reaches_each_learners_running_lab(
    client, instructor, learner
):
    second = await db(make_user)("second-learner")
    classroom = await db(_class_of)(instructor, learner, second)
    run = await db(LabRun.objects.create)(
        topology=await db(make_topology)(), owner=second, state="running"
    )
    ws = await _dashboard(client, instructor, classroom)
    await ws.receive_json_from(5)
    page = WebsocketCommunicator(
        application, f"/ws/runs/{run.pk}/", headers=await db(_headers)(client, second)
    )
    assert (await page.connect())[0]
    await page.receive_json_from(5)  # the run's state

    await ws.send_json_to({"action": "hint", "learner": None, "text": "Every TG: check /health."})
    event = await _until(page, lambda f: "events" in f)
    assert [(e["type"], e["text"]) for e in event["events"]] == [
        ("hint", "Every TG: check /health.")
    ]
    done = await _until(ws, lambda f: "done" in f or "error" in f)
    assert done == {"done": "hint", "message": "Hint sent to 2 learners."}
    texts = await db(lambda: sorted(Hint.objects.values_list("learner__username", flat=True)))()
    assert texts == ["learner", "second-learner"]
    await page.disconnect()
    await ws.disconnect()


@pytest.mark.parametrize(
    ("learners", "text", "words"),
    [(1, "   ", "Write the hint first"), (0, "Hello", "No one has joined")],
)
async def test_a_class_hint_without_words_or_learners_says_why(
    client, instructor, learner, learners, text, words
):
    classroom = await db(_class_of)(instructor, *([learner] if learners else []))
    ws = await _dashboard(client, instructor, classroom)
    await ws.receive_json_from(5)
    await ws.send_json_to({"action": "hint", "learner": None, "text": text})
    frame = await _until(ws, lambda f: "done" in f or "error" in f)
    assert frame["error"] == "ValidationError" and words in frame["message"], frame
    assert not await db(Hint.objects.exists)()
    await ws.disconnect()


async def test_a_double_clicked_row_hint_is_sent_once(client, instructor, learner):
    classroom = await db(_class_of)(instructor, learner)
    ws = await _dashboard(client, instructor, classroom)
    await ws.receive_json_from(5)
    for _ in range(2):
        await ws.send_json_to({"action": "hint", "learner": learner.pk, "text": "Port 8080?"})
        await _until(ws, lambda f: "done" in f)
    assert await db(Hint.objects.filter(learner=learner).count)() == 1
    await ws.disconnect()
