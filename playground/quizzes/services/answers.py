"""Grading and recording one answer; practice, exams and the lab all come through here."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from playground.quizzes.models import Answer, Choice, Question

# An exam keeps whatever the learner picked when it ends, so a pick short of what the
# question asks for is handed in (and graded wrong); practice and the lab want it complete.
PARTIAL_PICKS = {Answer.Source.EXAM}


def picked_choices(
    question: Question, choice_ids: Iterable[object], *, partial: bool = False
) -> list[Choice]:
    """The question's choices with these ids, checked: they exist and there are enough.

    ``partial`` allows fewer than the question asks for (never more): an exam's saved pick.

    Raises:
        ValidationError: an id is not one of the question's choices, or the number picked
            is not the number the question asks for.
    """
    try:
        wanted = {int(str(value)) for value in choice_ids}
    except ValueError as error:
        raise ValidationError(_("Pick from the listed choices."), code="choice") from error
    choices = [c for c in question.choices.all() if c.pk in wanted]
    if len(choices) != len(wanted):
        raise ValidationError(_("Pick from the listed choices."), code="choice")
    if len(choices) > question.choose or (not partial and len(choices) != question.choose):
        raise ValidationError(
            ngettext("Pick %(count)s choice.", "Pick %(count)s choices.", question.choose)
            % {"count": question.choose},
            code="count",
        )
    return choices


def is_correct(question: Question, choices: Iterable[Choice]) -> bool:
    correct = {c.pk for c in question.choices.all() if c.is_correct}
    return {c.pk for c in choices} == correct


def record_answer(
    user: User, question: Question, choice_ids: Iterable[object], source: str
) -> Answer:
    """Grade and store an answer: practice, the lab and exam grading all write through here.

    Raises:
        ValidationError: a malformed pick (see ``picked_choices``); nothing is stored.
    """
    choices = picked_choices(question, choice_ids, partial=source in PARTIAL_PICKS)
    with transaction.atomic():
        answer = Answer.objects.create(
            user=user, question=question, is_correct=is_correct(question, choices), source=source
        )
        answer.choices.set(choices)
    return answer
