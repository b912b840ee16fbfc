"""The instructor-paced live quiz: every write, and what each viewer sees of it.

One write path per action (start, next, reveal, finish, answer); each saves, then tells
the class's live group (``classroom.<pk>.live``) after commit. The consumer then sends
each viewer ``view(quiz, user)``, built for them: in their language, with the
distribution and everyone's points for the instructor, and only their own pick for a
learner. Points are speed-weighted: a right answer earns 500 plus up to 500 more the
faster it came (nothing after SPEED_WINDOW_SECONDS); a wrong one earns nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from playground.quizzes import text
from playground.quizzes.models import Answer, Question, QuestionSet
from playground.quizzes.services.answers import record_answer
from playground.quizzes.services.exams import draw_questions
from playground.quizzes.signals import announce_answered

from .models import Classroom, LiveAnswer, LiveQuiz, Membership

logger = logging.getLogger(__name__)
State = LiveQuiz.State
BASE_POINTS, SPEED_POINTS, SPEED_WINDOW_SECONDS = 500, 500, 30.0
LEADERBOARD_SIZE = 10


def current(classroom: Classroom) -> LiveQuiz | None:
    """The class's live quiz that is not finished, if any."""
    return (
        LiveQuiz.objects.filter(classroom=classroom)
        .exclude(state=State.FINISHED)
        .select_related("question_set")
        .first()
    )


def start(
    classroom: Classroom, by: User, question_set: QuestionSet, *, leaderboard: bool
) -> LiveQuiz:
    _check_teaches(by, classroom)
    if classroom.is_archived:
        raise ValidationError(_("This class is archived."))
    if not question_set.is_published:
        raise ValidationError(_("Only published quiz sets can be assigned."))
    questions = [q.pk for q in draw_questions(question_set)]
    if not questions:
        raise ValidationError(_("This quiz set has no published questions yet."))
    with transaction.atomic():
        LiveQuiz.objects.filter(classroom=classroom).exclude(state=State.FINISHED).update(
            state=State.FINISHED
        )
        quiz = LiveQuiz.objects.create(
            classroom=classroom,
            question_set=question_set,
            questions=questions,
            leaderboard=leaderboard,
        )
        transaction.on_commit(partial(_tell, quiz.group_name))
    return quiz


def next_question(quiz: LiveQuiz, by: User) -> None:
    """Show the next question (from the lobby: the first); after the last, finish."""
    _check_teaches(by, quiz.classroom)
    if quiz.state == State.FINISHED:
        raise ValidationError(_("This live quiz is over."))
    if quiz.position >= len(quiz.questions):
        return finish(quiz, by)
    _save(quiz, state=State.ASKING, position=quiz.position + 1, asked_at=timezone.now())


def reveal(quiz: LiveQuiz, by: User) -> None:
    _check_teaches(by, quiz.classroom)
    if quiz.state != State.ASKING:
        raise ValidationError(_("No question is open."))
    _save(quiz, state=State.REVEALED)


def finish(quiz: LiveQuiz, by: User) -> None:
    _check_teaches(by, quiz.classroom)
    _save(quiz, state=State.FINISHED)


def set_leaderboard(quiz: LiveQuiz, by: User, shown: bool) -> None:
    _check_teaches(by, quiz.classroom)
    _save(quiz, leaderboard=shown)


def answer(quiz: LiveQuiz, learner: User, choice_ids: Any) -> LiveAnswer:
    """A learner's pick for the open question; points by correctness and speed.

    Raises:
        ValidationError: no question open, already answered, or a bad pick.
        PermissionDenied: not a learner of the class.
    """
    if not Membership.objects.filter(classroom_id=quiz.classroom_id, learner=learner).exists():
        raise PermissionDenied(_("This learner is not in the class."))
    quiz.refresh_from_db()
    if quiz.state != State.ASKING or quiz.asked_at is None:
        raise ValidationError(_("No question is open."))
    if not isinstance(choice_ids, list):
        raise ValidationError(_("Pick from the listed choices."))
    question = Question.objects.get(pk=quiz.questions[quiz.position - 1])
    seconds = max(0.0, (timezone.now() - quiz.asked_at).total_seconds())
    try:
        with transaction.atomic():
            graded = record_answer(learner, question, choice_ids, Answer.Source.LIVE)
            live = LiveAnswer.objects.create(
                quiz=quiz,
                learner=learner,
                answer=graded,
                position=quiz.position,
                seconds=seconds,
                points=points_for(graded.is_correct, seconds),
            )
            transaction.on_commit(partial(_tell, quiz.group_name))
            announce_answered(learner.pk)
    except IntegrityError:
        raise ValidationError(_("You have already answered this question.")) from None
    return live


def points_for(correct: bool, seconds: float) -> int:
    if not correct:
        return 0
    speed = max(0.0, 1 - seconds / SPEED_WINDOW_SECONDS)
    return BASE_POINTS + round(SPEED_POINTS * speed)


def view(quiz: LiveQuiz | None, user: User, *, teaching: bool) -> dict[str, Any]:
    """What ``user`` sees of the quiz now, in the active language."""
    if quiz is None:
        return {"state": "none"}
    shown: dict[str, Any] = {
        "id": quiz.pk,
        "state": quiz.state,
        "title": str(quiz.question_set.title),
        "position": quiz.position,
        "total": len(quiz.questions),
        "leaderboard_on": quiz.leaderboard,
    }
    answers = LiveAnswer.objects.filter(quiz=quiz)
    if quiz.position and quiz.state != State.FINISHED:
        question = Question.objects.prefetch_related("choices").get(
            pk=quiz.questions[quiz.position - 1]
        )
        shown["question"] = _question(question, revealed=quiz.state == State.REVEALED)
        these = answers.filter(position=quiz.position).select_related("answer")
        shown["answered"] = these.count()
        shown["members"] = quiz.classroom.memberships.count()
        mine = these.filter(learner=user).first()
        if mine is not None:
            shown["mine"] = {
                "choices": sorted(mine.answer.choices.values_list("pk", flat=True)),
                **(
                    {"correct": mine.answer.is_correct, "points": mine.points}
                    if quiz.state == State.REVEALED
                    else {}
                ),
            }
        if teaching or quiz.state == State.REVEALED:
            shown["distribution"] = _distribution(these)
    if quiz.leaderboard and (teaching or quiz.state in (State.REVEALED, State.FINISHED)):
        shown["leaderboard"] = leaderboard(quiz)
    if not teaching:
        shown["my_points"] = answers.filter(learner=user).aggregate(p=Sum("points"))["p"] or 0
    return shown


def leaderboard(quiz: LiveQuiz) -> list[dict[str, Any]]:
    rows = (
        LiveAnswer.objects.filter(quiz=quiz)
        .values("learner__username")
        .annotate(points=Sum("points"))
        .order_by("-points", "learner__username")[:LEADERBOARD_SIZE]
    )
    return [{"username": r["learner__username"], "points": r["points"]} for r in rows]


def _distribution(answers: Any) -> dict[str, int]:
    counts: Counter[int] = Counter()
    for live in answers.prefetch_related("answer__choices"):
        counts.update(c.pk for c in live.answer.choices.all())
    return {str(k): v for k, v in counts.items()}


def _question(question: Question, *, revealed: bool) -> dict[str, Any]:
    choices = []
    for c in question.choices.all():
        choice: dict[str, Any] = {
            "id": c.pk,
            "letter": c.letter,
            "html": text.markdown_inline(c.text),
        }
        if revealed:
            why = text.choice_why(c.explanation, c.is_correct)
            choice |= {"correct": c.is_correct, "why_html": text.markdown_inline(why)}
        choices.append(choice)
    shown: dict[str, Any] = {
        "id": question.pk,
        "prompt_html": text.markdown(question.prompt),
        "choose": question.choose,
        "multiple": question.is_multiple,
        "choices": choices,
    }
    if revealed:
        shown["explanation_html"] = text.markdown(question.explanation)
    return shown


def _save(quiz: LiveQuiz, **changes: Any) -> None:
    with transaction.atomic():
        for field, value in changes.items():
            setattr(quiz, field, value)
        quiz.save(update_fields=list(changes))
        transaction.on_commit(partial(_tell, quiz.group_name))


def _check_teaches(user: User, classroom: Classroom) -> None:
    if not (user.is_staff or classroom.instructor_id == user.pk):
        raise PermissionDenied(_("This is not one of your classes."))


def _tell(group: str) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, {"type": "live.changed"})
    except Exception:
        logger.warning("%s: could not tell the live quiz's viewers", group, exc_info=True)
