"""Practice: immediate feedback, in the learner's language, recorded for the statistics."""

import pytest
from django.urls import reverse

from playground.quizzes.models import Answer
from tests.quizzes.factories import correct_ids, make_practice_set, make_question, wrong_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice_set(empty_bank):
    make_question(topics=("stickiness",), prompt_en="Which cookie?", prompt_ko="어떤 쿠키입니까?")
    return make_practice_set(topics=("stickiness",))


def url(practice_set):
    return reverse("quizzes-practice", args=[practice_set.slug])


def test_a_right_answer_gets_immediate_feedback_and_is_recorded(client, learner, practice_set):
    client.force_login(learner)
    question = client.get(url(practice_set)).context["question"]

    response = client.post(
        url(practice_set), {"question": question.pk, "choice": correct_ids(question)}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Correct!" in page and "Because of reason" in page
    assert Answer.objects.get(user=learner).is_correct


def test_feedback_comes_in_korean_for_a_korean_reader(client, learner, practice_set):
    client.force_login(learner)
    client.cookies["django_language"] = "ko"
    question = client.get(url(practice_set)).context["question"]

    response = client.post(
        url(practice_set), {"question": question.pk, "choice": wrong_ids(question)[:1]}
    )

    page = response.content.decode()
    assert "어떤 쿠키입니까?" in page and "이유 때문입니다" in page
    assert "아쉽지만 틀렸습니다." in page
    assert not Answer.objects.get(user=learner).is_correct


def test_picking_nothing_is_refused_with_a_message(client, learner, practice_set):
    client.force_login(learner)
    question = client.get(url(practice_set)).context["question"]
    response = client.post(url(practice_set), {"question": question.pk})
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, practice_set):
    response = client.get(url(practice_set))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_feedback_marks_the_learners_wrong_pick(client, learner, practice_set):
    client.force_login(learner)
    question = client.get(url(practice_set)).context["question"]
    wrong = wrong_ids(question)[0]

    response = client.post(url(practice_set), {"question": question.pk, "choice": [wrong]})

    page = response.content.decode()
    assert page.count("Your pick, and not right.") == 1
    assert f'value="{wrong}" checked disabled' in page
