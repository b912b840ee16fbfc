"""Who may open an exam attempt: the owner; staff may look; another learner gets a 404."""

import pytest
from django.urls import reverse
from django.utils import translation

from playground.quizzes.services import exams
from tests.quizzes.factories import make_exam, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(empty_bank, learner):
    for _ in range(3):
        make_question()
    attempt = exams.start_attempt(learner, make_exam(question_count=3))
    exams.submit(attempt)
    return attempt


def url(attempt):
    return reverse("quizzes-attempt", args=[attempt.pk])


def test_the_owner_sees_the_score_and_the_explanations(client, learner, attempt):
    client.force_login(learner)
    response = client.get(url(attempt))
    assert response.status_code == 200
    assert 'id="score"' in response.content.decode()
    assert "Because of reason" in response.content.decode()


def test_the_result_reads_in_korean(client, learner, attempt):
    client.force_login(learner)
    with translation.override("ko"):
        response = client.get(url(attempt), HTTP_ACCEPT_LANGUAGE="ko")
    page = response.content.decode()
    assert "점수" in page and "이유 때문입니다" in page


def test_staff_may_look_at_a_learners_attempt(client, admin, attempt):
    client.force_login(admin)
    assert client.get(url(attempt)).status_code == 200


def test_another_learner_gets_a_404(client, other_learner, attempt):
    client.force_login(other_learner)
    assert client.get(url(attempt)).status_code == 404
    question = reverse("quizzes-attempt-question", args=[attempt.pk, 1])
    assert client.get(question).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, attempt):
    response = client.get(url(attempt))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_index_lists_exams_practice_and_past_attempts(
    client, learner, attempt, django_assert_max_num_queries
):
    client.force_login(learner)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("quizzes-index"))
    assert response.context["attempts"] == [attempt]
    assert response.context["exams"]


def test_an_unpublished_exam_cannot_be_started_by_a_learner(client, learner, empty_bank):
    make_question()
    exam = make_exam(is_published=False)
    client.force_login(learner)
    assert client.post(reverse("quizzes-exam-start", args=[exam.slug])).status_code == 404


def test_the_question_review_and_result_pages_show_the_saved_pick(client, learner, empty_bank):
    for _ in range(3):
        make_question()
    attempt = exams.start_attempt(learner, make_exam(question_count=3))
    item = attempt.items.select_related("question").get(position=1)
    picked = item.question.choices.filter(is_correct=False).first()
    exams.save_item(item, [picked.pk], flagged=False)
    client.force_login(learner)

    question_page = client.get(reverse("quizzes-attempt-question", args=[attempt.pk, 1]))
    review = client.get(reverse("quizzes-attempt-review", args=[attempt.pk]))
    exams.submit(attempt)
    result = client.get(url(attempt)).content.decode()

    assert f'value="{picked.pk}" checked>' in question_page.content.decode()
    assert review.context["unanswered"] == 2
    assert result.count("(your pick)") == 1 and result.count(">Wrong<") == 1
