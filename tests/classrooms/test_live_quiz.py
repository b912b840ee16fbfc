"""The instructor-paced live quiz: question by question, answers live, points by speed."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError
from django.urls import reverse

from playground.asgi import application
from playground.classrooms import live_quiz, services
from playground.classrooms.models import LiveAnswer
from tests.factories import make_user
from tests.quizzes.factories import correct_ids, make_exam, make_question, wrong_ids

pytestmark = pytest.mark.django_db(transaction=True)
db = database_sync_to_async
LONG_STEM = "A company runs a fleet behind an Application Load Balancer. " * 30


def _headers(client, user):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://testserver"), (b"cookie", cookie)]


def _set_up(instructor, learner):
    from playground.quizzes.models import Question, QuestionSet

    QuestionSet.objects.all().delete()
    Question.objects.all().delete()
    first = make_question(prompt_en=LONG_STEM + "Which `503` cause?", topics=("alb",))
    make_question(prompt_en=LONG_STEM + "Which `504` cause?", topics=("alb",))
    exam = make_exam(question_count=2)
    classroom = services.create_classroom(instructor, "Live")
    services.join_classroom(learner, classroom.join_code)
    second = make_user("second-learner")
    services.join_classroom(second, classroom.join_code)
    return classroom, exam, first, second


async def _open(client, user, classroom):
    ws = WebsocketCommunicator(
        application, f"/ws/classes/{classroom.pk}/live/", headers=await db(_headers)(client, user)
    )
    connected, _ = await ws.connect()
    assert connected
    return ws


async def _until(ws, wanted, within=5):
    while True:
        frame = await ws.receive_json_from(within)
        if "live" in frame and wanted(frame["live"]):
            return frame["live"]


async def test_a_live_quiz_runs_question_by_question_with_answers_arriving_live(
    client, instructor, learner
):
    classroom, exam, _first, second = await db(_set_up)(instructor, learner)
    quiz = await db(live_quiz.start)(classroom, instructor, exam, leaderboard=True)
    teacher = await _open(client, instructor, classroom)
    one = await _open(client, learner, classroom)
    two = await _open(client, second, classroom)
    for ws in (teacher, one, two):
        assert (await _until(ws, lambda v: True))["state"] == "lobby"

    await teacher.send_json_to({"action": "next"})
    asked = await _until(one, lambda v: v["state"] == "asking")
    question = asked["question"]
    assert "<code>50" in question["prompt_html"] and LONG_STEM.strip() in question["prompt_html"]
    assert (
        "correct" not in question["choices"][0] and "distribution" not in asked
    )  # nothing given away

    from playground.quizzes.models import Question

    q = await db(Question.objects.get)(pk=question["id"])
    right, wrong = await db(correct_ids)(q), (await db(wrong_ids)(q))[:1]
    await one.send_json_to({"action": "answer", "choices": right})
    await two.send_json_to({"action": "answer", "choices": wrong})
    seen = await _until(teacher, lambda v: v.get("answered") == 2)
    assert seen["distribution"] == {str(right[0]): 1, str(wrong[0]): 1}

    await teacher.send_json_to({"action": "reveal"})
    mine = await _until(one, lambda v: v["state"] == "revealed")
    assert mine["mine"]["correct"] is True and mine["mine"]["points"] > 500
    assert all("why_html" in c for c in mine["question"]["choices"])
    assert [row["username"] for row in mine["leaderboard"]] == ["learner", "second-learner"]

    await teacher.send_json_to({"action": "leaderboard", "shown": False})
    hidden = await _until(two, lambda v: not v["leaderboard_on"])
    assert "leaderboard" not in hidden

    await teacher.send_json_to({"action": "next"})
    await teacher.send_json_to({"action": "next"})  # past the last: the quiz ends
    assert (await _until(one, lambda v: v["state"] == "finished"))["state"] == "finished"
    assert await db(LiveAnswer.objects.filter(quiz=quiz).count)() == 2
    for ws in (teacher, one, two):
        await ws.disconnect()


async def test_a_learner_cannot_steer_and_a_second_answer_is_refused(client, instructor, learner):
    classroom, exam, _first, _second = await db(_set_up)(instructor, learner)
    quiz = await db(live_quiz.start)(classroom, instructor, exam, leaderboard=False)
    await db(live_quiz.next_question)(quiz, instructor)
    ws = await _open(client, learner, classroom)
    view = await _until(ws, lambda v: v["state"] == "asking")
    await ws.send_json_to({"action": "next"})
    assert (await ws.receive_json_from(5))["error"] == "ValidationError"
    ids = [view["question"]["choices"][0]["id"]]
    await ws.send_json_to({"action": "answer", "choices": ids})
    await _until(ws, lambda v: "mine" in v)
    await ws.send_json_to({"action": "answer", "choices": ids})
    frame = await ws.receive_json_from(5)
    assert "already answered" in frame["message"]
    await ws.send_json_to({"action": "answer", "choices": [999999]})
    assert "listed choices" in (await ws.receive_json_from(5))["message"]
    await ws.disconnect()


@pytest.mark.parametrize("persona", ["other_learner", "other_instructor"])
async def test_someone_outside_the_class_cannot_open_its_live_quiz(
    client, instructor, learner, request, persona
):
    classroom, *_ = await db(_set_up)(instructor, learner)
    outsider = await db(request.getfixturevalue)(persona)
    ws = WebsocketCommunicator(
        application,
        f"/ws/classes/{classroom.pk}/live/",
        headers=await db(_headers)(client, outsider),
    )
    assert not (await ws.connect())[0]
    await ws.disconnect()  # let the refused consumer finish inside this test's loop


def test_faster_right_answers_earn_more_and_wrong_ones_nothing():
    assert live_quiz.points_for(True, 0) == 1000
    assert live_quiz.points_for(True, 15) == 750
    assert live_quiz.points_for(True, 120) == 500
    assert live_quiz.points_for(False, 0) == 0


def test_answering_with_no_question_open_is_refused(instructor, learner):
    classroom, exam, *_ = _set_up(instructor, learner)
    quiz = live_quiz.start(classroom, instructor, exam, leaderboard=True)
    with pytest.raises(ValidationError, match="No question is open"):
        live_quiz.answer(quiz, learner, [])


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("learner", 200),
        ("other_learner", 404),
        ("instructor", 200),
        ("other_instructor", 404),
    ],
)
def test_the_live_page_is_for_the_class_only(client, instructor, learner, request, persona, status):
    classroom, *_ = _set_up(instructor, learner)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("classrooms-live", args=[classroom.pk])).status_code == status


def test_only_the_instructor_starts_a_live_quiz(client, instructor, learner):
    classroom, exam, *_ = _set_up(instructor, learner)
    client.force_login(learner)
    assert (
        client.post(
            reverse("classrooms-live-start", args=[classroom.pk]), {"question_set": exam.pk}
        ).status_code
        == 404
    )
    client.force_login(instructor)
    client.post(
        reverse("classrooms-live-start", args=[classroom.pk]),
        {"question_set": exam.pk, "leaderboard": "on"},
    )
    assert live_quiz.current(classroom).leaderboard is True
