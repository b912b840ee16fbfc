"""Exams: drawing the questions, the server-side clock, saving picks, scoring.

The deadline is written once, when the attempt starts. Every read of an attempt goes
through ``expire_if_due`` first, so an attempt whose time ran out is scored with what was
saved before the deadline, whoever looks first (the learner's reload, a second tab, the
list of past attempts); no save after the deadline counts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from playground.quizzes.models import (
    Answer,
    AttemptQuestion,
    ExamAttempt,
    Question,
    QuestionSet,
)
from playground.quizzes.signals import announce_answered

from .answers import picked_choices, record_answer

State = ExamAttempt.State


def draw_questions(exam: QuestionSet, rng: random.Random | None = None) -> list[Question]:
    """``exam.question_count`` published questions, shared out by topic weight.

    Each topic gets its weight's share (largest remainders round it); a topic short of
    questions leaves its places to the others, so the exam is full whenever the bank is.
    """
    rng = rng or random.Random()  # noqa: S311 - shuffling questions, not secrets
    published = Question.objects.filter(status=Question.Status.PUBLISHED).prefetch_related("topics")
    pools: dict[str, list[Question]] = defaultdict(list)
    for question in published:
        for topic in question.topics.all():
            pools[topic.slug].append(question)
    weights = {slug: float(w) for slug, w in (exam.topic_weights or {}).items() if float(w) > 0}
    weights = {slug: w for slug, w in weights.items() if slug in pools} or dict.fromkeys(pools, 1.0)
    chosen: dict[int, Question] = {}
    for slug, places in _shares(weights, exam.question_count).items():
        pool = [q for q in pools[slug] if q.pk not in chosen]
        for question in rng.sample(pool, min(places, len(pool))):
            chosen[question.pk] = question
    rest = [q for q in published if q.pk not in chosen]
    rng.shuffle(rest)
    for question in rest[: max(exam.question_count - len(chosen), 0)]:
        chosen[question.pk] = question
    drawn = list(chosen.values())
    rng.shuffle(drawn)
    return drawn


def _shares(weights: dict[str, float], count: int) -> dict[str, int]:
    total = sum(weights.values())
    exact = {slug: count * w / total for slug, w in weights.items()}
    shares = {slug: int(value) for slug, value in exact.items()}
    by_remainder = sorted(exact, key=lambda slug: exact[slug] - shares[slug], reverse=True)
    for slug in by_remainder[: count - sum(shares.values())]:
        shares[slug] += 1
    return shares


def start_attempt(user: User, exam: QuestionSet) -> ExamAttempt:
    """The user's open attempt at ``exam``, or a new one with its clock started.

    Raises:
        ValidationError: the bank has no published questions for it.
    """
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        current = ExamAttempt.objects.filter(
            user=user, question_set=exam, state=State.IN_PROGRESS
        ).first()
        if current is not None and not expire_if_due(current):
            return current
        questions = draw_questions(exam)
        if not questions:
            raise ValidationError(_("This exam has no questions yet."), code="empty")
        now = timezone.now()
        attempt = ExamAttempt.objects.create(
            user=user,
            question_set=exam,
            started_at=now,
            deadline=now + timedelta(minutes=exam.time_limit_minutes),
            passing_percent=exam.passing_percent,
        )
        AttemptQuestion.objects.bulk_create(
            AttemptQuestion(attempt=attempt, question=q, position=n)
            for n, q in enumerate(questions, start=1)
        )
    return attempt


def seconds_left(attempt: ExamAttempt) -> int:
    if not attempt.is_open:
        return 0
    return max(int((attempt.deadline - timezone.now()).total_seconds()), 0)


def expire_if_due(attempt: ExamAttempt) -> bool:
    """End an open attempt whose deadline has passed; True if it is (now) over."""
    if not attempt.is_open:
        return True
    if timezone.now() < attempt.deadline:
        return False
    _finish(attempt, State.EXPIRED, finished_at=attempt.deadline)
    return True


def save_item(item: AttemptQuestion, choice_ids: Iterable[object], flagged: bool) -> None:
    """Keep a pick (any number, up to what the question asks) and the review flag.

    Raises:
        ValidationError: time is up or the attempt has ended, or the pick is malformed.
    """
    attempt = item.attempt
    if expire_if_due(attempt):
        raise ValidationError(_("This exam has ended; your answer was not saved."), code="over")
    item.selected.set(picked_choices(item.question, choice_ids, partial=True))
    if item.flagged != flagged:
        item.flagged = flagged
        item.save(update_fields=["flagged"])


def submit(attempt: ExamAttempt) -> None:
    """The learner hands the exam in (after the deadline it counts as timed out)."""
    if expire_if_due(attempt):
        return
    _finish(attempt, State.SUBMITTED, finished_at=timezone.now())


def _finish(attempt: ExamAttempt, state: str, finished_at: datetime) -> None:
    with transaction.atomic():
        locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
        if not locked.is_open:
            attempt.refresh_from_db()
            return  # another tab got here first
        items = list(
            locked.items.select_related("question").prefetch_related(
                "selected", "question__choices", "question__topics"
            )
        )
        breakdown: dict[str, dict[str, int]] = {}
        user = attempt.user
        for item in items:
            item.is_correct = _grade(user, item)
            # Each question counts once, under its first topic: the table adds up to the
            # number of questions (a question on two topics was counted twice).
            topic = next(iter(item.question.topics.all()), None)
            row = breakdown.setdefault(topic.slug if topic else "", {"correct": 0, "total": 0})
            row["total"] += 1
            row["correct"] += int(item.is_correct)
        AttemptQuestion.objects.bulk_update(items, ["is_correct"])
        correct = sum(item.is_correct for item in items)
        locked.state = state
        locked.finished_at = finished_at
        locked.correct_count = correct
        locked.score_percent = round(100 * correct / len(items)) if items else 0
        locked.passed = locked.score_percent >= locked.passing_percent
        locked.breakdown = breakdown
        locked.save()
        announce_answered(user.pk)
    attempt.refresh_from_db()


def _grade(user: User, item: AttemptQuestion) -> bool:
    selected = [choice.pk for choice in item.selected.all()]
    if not selected:
        return False  # unanswered: wrong, and not an answer for the statistics
    try:
        answer = record_answer(user, item.question, selected, Answer.Source.EXAM)
    except ValidationError:
        # The question was edited after the pick was saved and now asks for fewer choices:
        # the pick answers a question nobody asks any more, so it is wrong.
        return False
    return answer.is_correct
