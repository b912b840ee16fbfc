import pytest
from django.db import IntegrityError
from django.utils import translation

from playground.quizzes.models import ExamAttempt, LabQuestion
from tests.factories import make_run
from tests.quizzes.factories import make_exam, make_question

pytestmark = pytest.mark.django_db


def test_content_reads_in_the_active_language_and_falls_back_to_english():
    question = make_question(prompt_en="Which LB?", prompt_ko="어떤 LB?")
    choice = question.choices.first()
    with translation.override("ko"):
        assert question.prompt == "어떤 LB?"
        assert choice.text == "보기 1"
    with translation.override("en"):
        assert question.prompt == "Which LB?"
    question.prompt_ko = ""
    with translation.override("ko"):
        assert question.prompt == "Which LB?"


def test_a_question_missing_any_korean_text_says_so():
    question = make_question()
    assert not question.missing_korean()
    choice = question.choices.last()
    choice.explanation_ko = ""
    choice.save()
    assert question.missing_korean()


def test_choices_are_lettered_by_position():
    question = make_question(choices=3)
    assert [c.letter for c in question.choices.order_by("position")] == ["A", "B", "C"]


def test_a_learner_has_one_open_attempt_per_exam(learner):
    from django.utils import timezone

    exam = make_exam()
    now = timezone.now()
    ExamAttempt.objects.create(
        user=learner, question_set=exam, started_at=now, deadline=now, passing_percent=60
    )
    with pytest.raises(IntegrityError):
        ExamAttempt.objects.create(
            user=learner, question_set=exam, started_at=now, deadline=now, passing_percent=60
        )


def test_a_question_is_asked_once_per_run(learner):
    run, question = make_run(owner=learner), make_question()
    LabQuestion.objects.create(run=run, user=learner, question=question, trigger="sticky", t=1)
    with pytest.raises(IntegrityError):
        LabQuestion.objects.create(
            run=run, user=learner, question=question, trigger="redirect", t=90
        )
