"""What makes a question valid: every rule, in this one place.

The admin's question form, bank files (the admin's upload and ``manage.py quiz import``)
and the admin's publish action all ask ``question_problems`` about a ``QuestionDraft``, so
none of them can accept what another refuses, and an exported bank always imports again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from playground.quizzes.models import Question
from playground.quizzes.triggers import BY_CODE

MAX_CHOICES = 6
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_LENGTH = Question._meta.get_field("key").max_length or 80
URL_LENGTH = Question._meta.get_field("reference_url").max_length or 300


@dataclass
class ChoiceDraft:
    text_en: str
    text_ko: str
    explanation_en: str
    explanation_ko: str
    correct: bool


@dataclass(kw_only=True)
class QuestionDraft:
    """A question as it is about to be saved, whoever writes it; texts already stripped."""

    key: str = ""
    status: str = "draft"
    kind: str = "single"
    choose: int = 1
    difficulty: int = 2
    topics: list[str] = field(default_factory=list)
    reference_url: str = ""
    lab_trigger: str = ""
    prompt_en: str = ""
    prompt_ko: str = ""
    explanation_en: str = ""
    explanation_ko: str = ""
    choices: list[ChoiceDraft] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        question: Question,
        *,
        topics: list[str] | None = None,
        choices: list[ChoiceDraft] | None = None,
    ) -> QuestionDraft:
        """``question``'s fields, with its saved topics and choices unless given.

        A form about to save a question passes the topics and choices it is saving.
        """
        if topics is None:
            topics = [topic.slug for topic in question.topics.all()]
        if choices is None:
            choices = [
                ChoiceDraft(
                    text_en=c.text_en.strip(),
                    text_ko=c.text_ko.strip(),
                    explanation_en=c.explanation_en.strip(),
                    explanation_ko=c.explanation_ko.strip(),
                    correct=c.is_correct,
                )
                for c in sorted(question.choices.all(), key=lambda c: c.position)
            ]
        return cls(
            key=question.key,
            status=question.status,
            kind=question.kind,
            choose=question.choose,
            difficulty=question.difficulty,
            topics=topics,
            reference_url=question.reference_url,
            lab_trigger=question.lab_trigger,
            prompt_en=question.prompt_en.strip(),
            prompt_ko=question.prompt_ko.strip(),
            explanation_en=question.explanation_en.strip(),
            explanation_ko=question.explanation_ko.strip(),
            choices=choices,
        )


def validate_question(draft: QuestionDraft, topics: Collection[str]) -> None:
    """Raises ValidationError listing every rule ``draft`` breaks (see ``question_problems``)."""
    problems = question_problems(draft, topics)
    if problems:
        raise ValidationError([ValidationError(problem) for problem in problems])


def question_problems(draft: QuestionDraft, topics: Collection[str]) -> list[str]:
    """Every rule a question obeys that ``draft`` breaks, in words; [] when it is valid.

    ``topics`` are the topic slugs that exist (a bank file may bring new ones).
    """
    problems: list[str] = []

    def problem(message: str, **params: Any) -> None:
        problems.append(message % params if params else message)

    if not KEY.match(draft.key):
        problem(
            _("key must be lower-case letters, digits and hyphens, not “%(key)s”."), key=draft.key
        )
    if len(draft.key) > KEY_LENGTH:
        problem(_("key must be at most %(most)s characters long."), most=KEY_LENGTH)
    if draft.status not in Question.Status.values:
        problem(_("status must be draft or published, not “%(value)s”."), value=draft.status)
    if draft.kind not in Question.Kind.values:
        problem(_("kind must be single or multiple, not “%(value)s”."), value=draft.kind)
    if draft.difficulty not in Question.Difficulty.values:
        problem(
            _("difficulty must be easy, medium or hard, not “%(value)s”."), value=draft.difficulty
        )
    _check_topics(draft, topics, problem)
    if draft.lab_trigger and draft.lab_trigger not in BY_CODE:
        problem(_("unknown lab trigger “%(trigger)s”."), trigger=draft.lab_trigger)
    _check_reference(draft, problem)
    for name in ("prompt_en", "explanation_en"):
        if not getattr(draft, name):
            problem(_("%(field)s is empty."), field=name)
    _check_choices(draft, problem)
    if draft.status == Question.Status.PUBLISHED and _missing_korean(draft):
        problem(_("a published question needs every Korean text; keep it a draft until then."))
    return problems


Problem = Callable[..., None]


def _check_topics(draft: QuestionDraft, topics: Collection[str], problem: Problem) -> None:
    if not draft.topics:
        problem(_("give at least one topic."))
    for slug in draft.topics:
        if slug not in topics:
            problem(_("unknown topic “%(topic)s”."), topic=slug)


def _check_reference(draft: QuestionDraft, problem: Problem) -> None:
    if not draft.reference_url:
        return
    try:
        URLValidator(schemes=["https", "http"])(draft.reference_url)
    except ValidationError:
        problem(_("reference_url is not a web address."))
    if len(draft.reference_url) > URL_LENGTH:
        problem(_("reference_url must be at most %(most)s characters long."), most=URL_LENGTH)


def _check_choices(draft: QuestionDraft, problem: Problem) -> None:
    choices = draft.choices
    if not 2 <= len(choices) <= MAX_CHOICES:
        problem(
            _("a question has 2 to %(most)s choices, not %(count)s."),
            most=MAX_CHOICES,
            count=len(choices),
        )
    for n, choice in enumerate(choices, start=1):
        if not choice.text_en or not choice.explanation_en:
            problem(_("choice %(n)s needs its English text and explanation."), n=n)
    correct = sum(choice.correct for choice in choices)
    if draft.kind == Question.Kind.SINGLE and (draft.choose != 1 or correct != 1):
        problem(
            _(
                "a single-response question has exactly one correct choice (it has "
                "%(correct)s) and choose 1."
            ),
            correct=correct,
        )
    if draft.kind == Question.Kind.MULTIPLE and (draft.choose < 2 or correct != draft.choose):
        problem(
            _(
                "a multiple-response question has choose ≥ 2 and exactly that many correct "
                "choices (choose %(choose)s, correct %(correct)s)."
            ),
            choose=draft.choose,
            correct=correct,
        )
    if choices and draft.choose >= len(choices):
        problem(_("choose must be fewer than the number of choices."))


def _missing_korean(draft: QuestionDraft) -> bool:
    if not (draft.prompt_ko and draft.explanation_ko):
        return True
    return any(not (c.text_ko and c.explanation_ko) for c in draft.choices)
