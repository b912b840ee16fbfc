"""A lab event reaches the quiz logic on the run page's socket: a question is pushed in the
viewer's language, answered inline, and the answer is stored."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from labs import services
from playground.asgi import application
from playground.quizzes.models import Answer, LabQuestion
from tests.factories import make_run
from tests.quizzes.factories import correct_ids, make_question

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


def headers_for(client, user, language="ko"):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}; django_language={language}"
    return [(b"origin", b"http://testserver"), (b"cookie", cookie.encode())]


@pytest.fixture
def sticky_question(empty_bank):
    make_question(topics=("stickiness",), key="other-sticky")
    return make_question(
        topics=("stickiness",),
        lab_trigger="sticky",
        prompt_en="Which cookie pins the client?",
        prompt_ko="어떤 쿠키가 클라이언트를 고정합니까?",
        explanation_ko="AWSALB 쿠키 때문입니다.",
    )


def sticky_request(t):
    return {
        "type": "request",
        "t": t,
        "target": "10.0.1.10:80",
        "elb_status_code": 200,
        "target_status_code": 200,
        "reason": "sticky:AWSALB",
        "action": "forward",
    }


def marker(t):
    return {"type": "metrics", "t": t}


async def connect(run, headers):
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    connected, _ = await ws.connect()
    assert connected
    frame = await ws.receive_json_from(TIMEOUT)
    assert frame["events"][0]["type"] == "run.status"
    return ws


async def publish(run, events):
    await database_sync_to_async(services.publish)(run.pk, events)


async def test_a_sticky_request_pushes_a_korean_question_and_the_answer_is_stored(
    client, learner, sticky_question
):
    run = await database_sync_to_async(make_run)(owner=learner)
    ws = await connect(run, await database_sync_to_async(headers_for)(client, learner))

    await publish(run, [sticky_request(12.5)])
    assert (await ws.receive_json_from(TIMEOUT))["events"][0]["type"] == "request"
    quiz = (await ws.receive_json_from(TIMEOUT))["events"][0]

    assert quiz["type"] == "quiz"
    assert quiz["question"] == sticky_question.pk  # written for this trigger: preferred
    assert quiz["trigger"] == "sticky" and quiz["t"] == 12.5
    assert quiz["prompt"] == "어떤 쿠키가 클라이언트를 고정합니까?"
    assert quiz["trigger_text"] == "고정 세션이 클라이언트를 한 대상에 묶었습니다."
    assert [c["text"] for c in quiz["choices"]] == ["보기 1", "보기 2", "보기 3", "보기 4"]

    right = await database_sync_to_async(correct_ids)(sticky_question)
    await ws.send_json_to({"action": "quiz.answer", "question": quiz["question"], "choices": right})
    result = (await ws.receive_json_from(TIMEOUT))["quiz_result"]

    assert result["correct"] is True and result["chosen"] == right
    assert result["explanation"] == "AWSALB 쿠키 때문입니다."
    asked = await database_sync_to_async(LabQuestion.objects.select_related("answer").get)(
        run=run, user=learner
    )
    assert asked.answer.is_correct and asked.answer.source == Answer.Source.LAB
    await ws.disconnect()


async def test_questions_wait_the_minimum_lab_seconds_and_never_repeat(
    client, learner, sticky_question, settings
):
    settings.QUIZ_MIN_LAB_SECONDS = 60
    run = await database_sync_to_async(make_run)(owner=learner)
    await database_sync_to_async(make_question)(topics=("health-checks",), key="hc-one")
    ws = await connect(run, await database_sync_to_async(headers_for)(client, learner, "en"))
    unhealthy = {
        "type": "health",
        "t": 20.0,
        "target": "10.0.1.10:80",
        "state": "unhealthy",
        "reason": "Target.ResponseCodeMismatch",
    }

    await publish(run, [sticky_request(10.0)])
    await ws.receive_json_from(TIMEOUT)
    first = (await ws.receive_json_from(TIMEOUT))["events"][0]
    # 10 lab-seconds later: too soon. The next frame is the marker, so no quiz came between.
    await publish(run, [unhealthy])
    await ws.receive_json_from(TIMEOUT)
    await publish(run, [marker(30.0)])
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [marker(30.0)]
    # 60 lab-seconds after the first question the waiting trigger becomes a question.
    await publish(run, [marker(70.0)])
    await ws.receive_json_from(TIMEOUT)
    second = (await ws.receive_json_from(TIMEOUT))["events"][0]

    assert first["trigger"] == "sticky" and second["trigger"] == "first_unhealthy"
    assert second["question"] != first["question"] and second["t"] == 70.0
    # The sticky trigger has fired for this run: more sticky requests ask nothing more.
    await publish(run, [sticky_request(200.0)])
    await ws.receive_json_from(TIMEOUT)
    await publish(run, [marker(201.0)])
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [marker(201.0)]
    assert await database_sync_to_async(LabQuestion.objects.filter(run=run).count)() == 2
    await ws.disconnect()


async def test_an_unanswered_question_comes_back_after_a_reload(client, learner, sticky_question):
    run = await database_sync_to_async(make_run)(owner=learner)
    headers = await database_sync_to_async(headers_for)(client, learner)
    ws = await connect(run, headers)
    await publish(run, [sticky_request(5.0)])
    await ws.receive_json_from(TIMEOUT)
    asked = (await ws.receive_json_from(TIMEOUT))["events"][0]
    await ws.disconnect()

    again = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=headers)
    await again.connect()
    await again.receive_json_from(TIMEOUT)  # run.status
    resumed = (await again.receive_json_from(TIMEOUT))["events"][0]

    # The same question again; only its emit time is new, as it is sent again now.
    assert {**resumed, "emitted": None} == {**asked, "emitted": None}
    assert resumed["emitted"] >= asked["emitted"]
    await again.disconnect()


async def test_a_bad_answer_gets_an_error_frame_and_nothing_is_stored(
    client, learner, sticky_question
):
    run = await database_sync_to_async(make_run)(owner=learner)
    ws = await connect(run, await database_sync_to_async(headers_for)(client, learner, "en"))
    await ws.send_json_to({"action": "quiz.answer", "question": sticky_question.pk, "choices": [1]})
    reply = await ws.receive_json_from(TIMEOUT)
    assert reply == {
        "error": "ValidationError",
        "message": "This run did not ask you that question.",
    }
    assert not await database_sync_to_async(Answer.objects.exists)()
    await ws.disconnect()


async def test_staff_watching_someone_elses_run_are_not_quizzed(
    client, admin, learner, sticky_question
):
    run = await database_sync_to_async(make_run)(owner=learner)
    ws = await connect(run, await database_sync_to_async(headers_for)(client, admin))
    await publish(run, [sticky_request(3.0)])
    await ws.receive_json_from(TIMEOUT)
    await publish(run, [marker(4.0)])
    assert (await ws.receive_json_from(TIMEOUT))["events"] == [marker(4.0)]
    await ws.disconnect()
