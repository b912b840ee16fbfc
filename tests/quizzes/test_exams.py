"""The exam clock is the server's: reloads and second tabs resume it, and it runs out there."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from playground.quizzes.models import Answer, ExamAttempt
from playground.quizzes.services import exams
from tests.quizzes.factories import correct_ids, make_exam, make_question, wrong_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam(empty_bank):
    for _ in range(4):
        make_question(topics=("alb",))
    for _ in range(4):
        make_question(topics=("nlb",))
    return make_exam(question_count=5, time_limit_minutes=10, passing_percent=60)


def _question_url(attempt, position=1):
    return reverse("quizzes-attempt-question", args=[attempt.pk, position])


def test_questions_are_shared_out_by_topic_weight(exam):
    exam.topic_weights = {"alb": 4, "nlb": 1}
    drawn = exams.draw_questions(exam, random.Random(1))
    topics = [q.topics.get().slug for q in drawn]
    assert len(drawn) == 5 and topics.count("alb") == 4 and topics.count("nlb") == 1


def test_a_short_topic_leaves_its_places_to_the_others(exam):
    exam.topic_weights = {"nlb": 1}
    exam.question_count = 6
    drawn = exams.draw_questions(exam, random.Random(2))
    assert len(drawn) == 6 and len({q.pk for q in drawn}) == 6


def test_starting_again_resumes_the_open_attempt_and_its_deadline(client, learner, exam):
    client.force_login(learner)
    start = reverse("quizzes-exam-start", args=[exam.slug])
    first = client.post(start)
    attempt = ExamAttempt.objects.get(user=learner)
    deadline = attempt.deadline

    second = client.post(start)  # a second tab, or the back button
    reload = client.get(_question_url(attempt))

    assert first.url == second.url == _question_url(attempt)
    assert ExamAttempt.objects.filter(user=learner).count() == 1
    attempt.refresh_from_db()
    assert attempt.deadline == deadline
    assert reload.status_code == 200
    assert 0 < reload.context["seconds_left"] <= 600


def test_the_page_shows_the_servers_time_left_not_a_fresh_clock(client, learner, exam):
    client.force_login(learner)
    client.post(reverse("quizzes-exam-start", args=[exam.slug]))
    attempt = ExamAttempt.objects.get(user=learner)
    soon = timezone.now() + timedelta(seconds=42)
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=soon)

    response = client.get(_question_url(attempt))

    assert 40 <= response.context["seconds_left"] <= 42
    assert 'data-seconds-left="4' in response.content.decode()


def test_time_runs_out_on_the_server_and_saved_answers_are_scored(client, learner, exam):
    client.force_login(learner)
    client.post(reverse("quizzes-exam-start", args=[exam.slug]))
    attempt = ExamAttempt.objects.get(user=learner)
    first = attempt.items.get(position=1)
    client.post(_question_url(attempt), {"choice": correct_ids(first.question), "go": "next"})
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))

    late = client.post(
        _question_url(attempt, 2), {"choice": correct_ids(attempt.items.get(position=2).question)}
    )

    attempt.refresh_from_db()
    assert late.url == reverse("quizzes-attempt", args=[attempt.pk])
    assert attempt.state == ExamAttempt.State.EXPIRED
    assert attempt.correct_count == 1  # the answer saved after the deadline did not count
    assert attempt.score_percent == 20
    assert not attempt.passed
    assert attempt.finished_at == attempt.deadline


def test_an_expired_attempt_is_scored_by_whoever_looks_first(client, learner, exam):
    attempt = exams.start_attempt(learner, exam)
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    client.force_login(learner)

    client.get(reverse("quizzes-index"))

    attempt.refresh_from_db()
    assert attempt.state == ExamAttempt.State.EXPIRED


def test_saving_after_the_deadline_is_refused(learner, exam):
    attempt = exams.start_attempt(learner, exam)
    item = attempt.items.get(position=1)
    ExamAttempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    item.attempt.refresh_from_db()
    with pytest.raises(ValidationError):
        exams.save_item(item, correct_ids(item.question), flagged=False)


def test_submitting_scores_by_topic_and_records_answers(learner, exam):
    attempt = exams.start_attempt(learner, exam)
    items = list(attempt.items.select_related("question"))
    for n, item in enumerate(items):
        ids = correct_ids(item.question) if n < 3 else wrong_ids(item.question)[:1]
        exams.save_item(item, ids, flagged=n == 4)

    exams.submit(attempt)

    assert attempt.state == ExamAttempt.State.SUBMITTED
    assert (attempt.correct_count, attempt.score_percent, attempt.passed) == (3, 60, True)
    assert sum(row["total"] for row in attempt.breakdown.values()) == 5
    assert sum(row["correct"] for row in attempt.breakdown.values()) == 3
    assert Answer.objects.filter(user=learner, source="exam").count() == 5


def test_a_flag_is_kept_for_the_review_screen(client, learner, exam):
    client.force_login(learner)
    client.post(reverse("quizzes-exam-start", args=[exam.slug]))
    attempt = ExamAttempt.objects.get(user=learner)
    client.post(_question_url(attempt, 2), {"flagged": "on", "go": "review"})

    review = client.get(reverse("quizzes-attempt-review", args=[attempt.pk]))

    assert review.context["flagged"] == 1
    assert review.context["unanswered"] == 5


def test_picking_more_than_the_question_asks_for_is_refused_saying_how_many(learner, exam):
    attempt = exams.start_attempt(learner, exam)
    item = attempt.items.select_related("question").get(position=1)
    two = list(item.question.choices.values_list("pk", flat=True)[:2])
    with pytest.raises(ValidationError) as raised:
        exams.save_item(item, two, flagged=False)
    assert raised.value.messages == ["Pick 1 choice."]
    assert not item.selected.exists()


@pytest.fixture
def multiple_exam(empty_bank):
    make_question(topics=("alb",), correct=(1, 2))
    return make_exam(question_count=1)


def test_a_short_pick_is_handed_in_and_graded_wrong(learner, multiple_exam):
    attempt = exams.start_attempt(learner, multiple_exam)
    item = attempt.items.select_related("question").get()
    exams.save_item(item, correct_ids(item.question)[:1], flagged=False)

    exams.submit(attempt)

    answer = Answer.objects.get(user=learner, source="exam")
    assert (attempt.correct_count, answer.is_correct, answer.choices.count()) == (0, False, 1)


def test_a_pick_the_edited_question_no_longer_fits_is_wrong_and_not_recorded(
    learner, multiple_exam
):
    attempt = exams.start_attempt(learner, multiple_exam)
    item = attempt.items.select_related("question").get()
    exams.save_item(item, correct_ids(item.question), flagged=False)
    question = item.question
    question.kind, question.choose = "single", 1  # an admin's edit, mid-exam
    question.save()
    question.choices.filter(position=2).update(is_correct=False)

    exams.submit(attempt)

    assert (attempt.state, attempt.correct_count) == (ExamAttempt.State.SUBMITTED, 0)
    assert not Answer.objects.filter(user=learner).exists()


def test_the_by_topic_table_adds_up_to_the_number_of_questions(learner, empty_bank):
    for _ in range(4):
        make_question(topics=("alb", "health-checks"))  # two topics each
    exam = make_exam(question_count=4)
    attempt = exams.start_attempt(learner, exam)
    for item in attempt.items.select_related("question"):
        exams.save_item(item, correct_ids(item.question), flagged=False)

    exams.submit(attempt)

    assert sum(row["total"] for row in attempt.breakdown.values()) == 4
    assert sum(row["correct"] for row in attempt.breakdown.values()) == 4
