"""The shape a question has in a file, and every check a file's question must pass.

A JSON question::

    {"key": "alb-redirect-http-to-https", "status": "published", "kind": "single",
     "choose": 1, "difficulty": "easy", "topics": ["alb", "ssl"],
     "reference_url": "https://docs.aws.amazon.com/...", "lab_trigger": "redirect",
     "prompt": {"en": "...", "ko": "..."}, "explanation": {"en": "...", "ko": "..."},
     "choices": [{"text": {"en": "...", "ko": "..."}, "explanation": {"en": "...", "ko": "..."},
                  "correct": true}, ...]}

A CSV row holds the same fields flat (``CSV_COLUMNS``): ``prompt_en``, ``choice1_en``,
``choice1_why_en``, ``choice1_correct`` and so on, topics separated by spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from playground.quizzes.triggers import BY_CODE

MAX_CHOICES = 6
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATUSES = ("draft", "published")
KINDS = ("single", "multiple")
DIFFICULTIES = {"easy": 1, "medium": 2, "hard": 3}
DIFFICULTY_NAMES = {number: name for name, number in DIFFICULTIES.items()}
TRUE, FALSE = {"1", "true", "yes", "y", "x"}, {"", "0", "false", "no", "n"}

CSV_COLUMNS = [
    "key",
    "status",
    "kind",
    "choose",
    "difficulty",
    "topics",
    "reference_url",
    "lab_trigger",
    "prompt_en",
    "prompt_ko",
    "explanation_en",
    "explanation_ko",
    *(
        f"choice{n}_{part}"
        for n in range(1, MAX_CHOICES + 1)
        for part in ("en", "ko", "why_en", "why_ko", "correct")
    ),
]


@dataclass
class ChoiceRecord:
    text_en: str
    text_ko: str
    explanation_en: str
    explanation_ko: str
    correct: bool


@dataclass
class QuestionRecord:
    line: int
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
    choices: list[ChoiceRecord] = field(default_factory=list)


class Problems(list[tuple[int, str]]):
    """(line, message) pairs, in the order found."""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _pair(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return _text(value.get("en")), _text(value.get("ko"))
    return _text(value), ""


def _difficulty(value: Any, line: int, problems: Problems) -> int:
    if isinstance(value, int) and value in DIFFICULTY_NAMES:
        return value
    name = str(value).strip().lower()
    if name.isdigit() and int(name) in DIFFICULTY_NAMES:
        return int(name)
    if name not in DIFFICULTIES:
        problems.append(
            (
                line,
                _("difficulty must be easy, medium or hard, not “%(value)s”.") % {"value": value},
            )
        )
        return 2
    return DIFFICULTIES[name]


def _whole(value: Any, line: int, name: str, problems: Problems) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        problems.append(
            (
                line,
                _("%(field)s must be a whole number, not “%(value)s”.")
                % {"field": name, "value": value},
            )
        )
        return 1


def from_json(line: int, item: Any, problems: Problems) -> QuestionRecord | None:
    if not isinstance(item, dict):
        problems.append((line, _("each question must be a JSON object.")))
        return None
    record = QuestionRecord(line=line)
    record.key = _text(item.get("key"))
    record.status = _text(item.get("status")) or "draft"
    record.kind = _text(item.get("kind")) or "single"
    record.choose = _whole(item.get("choose", 1), line, "choose", problems)
    record.difficulty = _difficulty(item.get("difficulty", "medium"), line, problems)
    topics = item.get("topics") or []
    record.topics = [_text(t) for t in topics] if isinstance(topics, list) else []
    record.reference_url = _text(item.get("reference_url"))
    record.lab_trigger = _text(item.get("lab_trigger"))
    record.prompt_en, record.prompt_ko = _pair(item.get("prompt"))
    record.explanation_en, record.explanation_ko = _pair(item.get("explanation"))
    choices = item.get("choices")
    if not isinstance(choices, list):
        choices = []
    for choice in choices:
        if not isinstance(choice, dict):
            problems.append((line, _("each choice must be a JSON object.")))
            continue
        text_en, text_ko = _pair(choice.get("text"))
        why_en, why_ko = _pair(choice.get("explanation"))
        record.choices.append(
            ChoiceRecord(text_en, text_ko, why_en, why_ko, choice.get("correct") is True)
        )
    return record


def from_csv(line: int, row: dict[str, str], problems: Problems) -> QuestionRecord:
    record = QuestionRecord(line=line)
    get = lambda name: _text(row.get(name))  # noqa: E731
    record.key = get("key")
    record.status = get("status") or "draft"
    record.kind = get("kind") or "single"
    record.choose = _whole(get("choose") or "1", line, "choose", problems)
    record.difficulty = _difficulty(get("difficulty") or "medium", line, problems)
    record.topics = get("topics").split()
    record.reference_url = get("reference_url")
    record.lab_trigger = get("lab_trigger")
    record.prompt_en, record.prompt_ko = get("prompt_en"), get("prompt_ko")
    record.explanation_en, record.explanation_ko = get("explanation_en"), get("explanation_ko")
    for n in range(1, MAX_CHOICES + 1):
        parts = [get(f"choice{n}_{part}") for part in ("en", "ko", "why_en", "why_ko")]
        flag = get(f"choice{n}_correct").lower()
        if not any(parts) and flag in FALSE:
            continue
        if flag not in TRUE | FALSE:
            problems.append(
                (
                    line,
                    _("choice%(n)s_correct must be 1 or 0, not “%(value)s”.")
                    % {"n": n, "value": flag},
                )
            )
        record.choices.append(ChoiceRecord(*parts, correct=flag in TRUE))
    return record


def check(record: QuestionRecord, topics: set[str], problems: Problems) -> None:
    """Every rule a question in the bank obeys, each broken one reported on its line."""
    line = record.line

    def problem(message: str, **params: Any) -> None:
        problems.append((line, message % params if params else message))

    if not KEY.match(record.key):
        problem(
            _("key must be lower-case letters, digits and hyphens, not “%(key)s”."), key=record.key
        )
    if record.status not in STATUSES:
        problem(_("status must be draft or published, not “%(value)s”."), value=record.status)
    if record.kind not in KINDS:
        problem(_("kind must be single or multiple, not “%(value)s”."), value=record.kind)
    if not record.topics:
        problem(_("give at least one topic."))
    for slug in record.topics:
        if slug not in topics:
            problem(_("unknown topic “%(topic)s”."), topic=slug)
    if record.lab_trigger and record.lab_trigger not in BY_CODE:
        problem(_("unknown lab trigger “%(trigger)s”."), trigger=record.lab_trigger)
    if record.reference_url:
        try:
            URLValidator(schemes=["https", "http"])(record.reference_url)
        except ValidationError:
            problem(_("reference_url is not a web address."))
    for name in ("prompt_en", "explanation_en"):
        if not getattr(record, name):
            problem(_("%(field)s is empty."), field=name)
    _check_choices(record, problem)
    if record.status == "published" and _missing_korean(record):
        problem(_("a published question needs every Korean text; keep it a draft until then."))


def _check_choices(record: QuestionRecord, problem: Any) -> None:
    choices = record.choices
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
    if record.kind == "single" and (record.choose != 1 or correct != 1):
        problem(
            _(
                "a single-response question has exactly one correct choice (it has "
                "%(correct)s) and choose 1."
            ),
            correct=correct,
        )
    if record.kind == "multiple" and (record.choose < 2 or correct != record.choose):
        problem(
            _(
                "a multiple-response question has choose ≥ 2 and exactly that many correct "
                "choices (choose %(choose)s, correct %(correct)s)."
            ),
            choose=record.choose,
            correct=correct,
        )
    if choices and record.choose >= len(choices):
        problem(_("choose must be fewer than the number of choices."))


def _missing_korean(record: QuestionRecord) -> bool:
    if not (record.prompt_ko and record.explanation_ko):
        return True
    return any(not (c.text_ko and c.explanation_ko) for c in record.choices)
