"""In-lab questions: which question a fired trigger becomes, and the learner's answer.

The run page's consumer calls these (``playground.quizzes.live``); they are plain sync
functions, so tests and the consumer share them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from labs.models import LabRun
from playground.quizzes.models import Answer, LabQuestion, Question
from playground.quizzes.signals import announce_answered
from playground.quizzes.triggers import BY_CODE

from .answers import record_answer


def min_lab_seconds() -> float:
    return float(getattr(settings, "QUIZ_MIN_LAB_SECONDS", 60))


def state_for(run: LabRun, user: User) -> tuple[set[str], float | None]:
    """The triggers already used in this run by this viewer, and when the last one was."""
    asked = LabQuestion.objects.filter(run=run, user=user).order_by("t")
    triggers = set(asked.values_list("trigger", flat=True))
    last = asked.last()
    return triggers, (last.t if last else None)


def push_question(run: LabRun, user: User, trigger: str, t: float) -> LabQuestion | None:
    """Ask ``user`` a question for ``trigger`` at lab time ``t``, or None.

    None when the last question of this run is fewer than QUIZ_MIN_LAB_SECONDS ago, or
    when no published question on the trigger's topics is left unasked in this run.
    """
    rule = BY_CODE[trigger]
    with transaction.atomic():
        # Serialises the viewer's tabs, so two sockets cannot both pass the cool-down.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        last = LabQuestion.objects.filter(run=run, user=user).order_by("-t").first()
        if last is not None and t - last.t < min_lab_seconds():
            return None
        question = _pick(run, user, trigger, rule.topics)
        if question is None:
            return None
        return LabQuestion.objects.create(
            run=run, user=user, question=question, trigger=trigger, t=t
        )


def _pick(run: LabRun, user: User, trigger: str, topics: tuple[str, ...]) -> Question | None:
    asked = LabQuestion.objects.filter(run=run, user=user).values("question_id")
    fresh = Question.objects.filter(status=Question.Status.PUBLISHED).exclude(pk__in=asked)
    # Questions written for this very moment first, then the topics in the rule's order;
    # a question written for another moment (a 503's cause on a 504) is never asked here.
    candidates = [fresh.filter(lab_trigger=trigger)]
    general = fresh.filter(Q(lab_trigger="") | Q(lab_trigger=trigger))
    candidates += [general.filter(topics__slug=slug) for slug in topics]
    for queryset in candidates:
        question = queryset.order_by("?").first()
        if question is not None:
            return question
    return None


def pending_question(run: LabRun, user: User) -> LabQuestion | None:
    """The newest question of this run the viewer has not answered yet."""
    return (
        LabQuestion.objects.filter(run=run, user=user, answer__isnull=True)
        .select_related("question")
        .order_by("-t")
        .first()
    )


def answer_question(run: LabRun, user: User, question_id: Any, choice_ids: Any) -> LabQuestion:
    """Record the viewer's answer to a question the run asked them.

    Raises:
        ValidationError: not a question of this run, already answered, or a bad pick.
    """
    with transaction.atomic():
        asked = (
            LabQuestion.objects.select_for_update()
            .select_related("question")
            .filter(run=run, user=user, question_id=_as_id(question_id))
            .first()
        )
        if asked is None:
            raise ValidationError(_("This run did not ask you that question."), code="unknown")
        if asked.answer_id is not None:
            raise ValidationError(_("You have already answered this question."), code="again")
        if not isinstance(choice_ids, list):
            raise ValidationError(_("Pick from the listed choices."), code="choice")
        asked.answer = record_answer(user, asked.question, choice_ids, Answer.Source.LAB)
        asked.save(update_fields=["answer"])
        announce_answered(user.pk)
    return asked


def _as_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            _("This run did not ask you that question."), code="unknown"
        ) from error
