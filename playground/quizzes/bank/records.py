"""The shape a question has in a file; the rules it must pass are ``services.questions``'.

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

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from playground.quizzes.services.questions import (
    KEY,
    MAX_CHOICES,
    ChoiceDraft,
    QuestionDraft,
    question_problems,
)

__all__ = ["KEY", "MAX_CHOICES", "ChoiceDraft", "Problems", "QuestionRecord", "check"]

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


@dataclass(kw_only=True)
class QuestionRecord(QuestionDraft):
    line: int  # where the question starts in its file, for the problems found in it


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
            ChoiceDraft(text_en, text_ko, why_en, why_ko, choice.get("correct") is True)
        )
    return record


def from_csv(line: int, row: dict[str, str], problems: Problems) -> QuestionRecord:
    record = QuestionRecord(line=line)

    def get(name: str) -> str:
        return _text(row.get(name))

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
        text_en, text_ko, why_en, why_ko = (
            get(f"choice{n}_{part}") for part in ("en", "ko", "why_en", "why_ko")
        )
        flag = get(f"choice{n}_correct").lower()
        if not any((text_en, text_ko, why_en, why_ko)) and flag in FALSE:
            continue
        if flag not in TRUE | FALSE:
            problems.append(
                (
                    line,
                    _("choice%(n)s_correct must be 1 or 0, not “%(value)s”.")
                    % {"n": n, "value": flag},
                )
            )
        record.choices.append(ChoiceDraft(text_en, text_ko, why_en, why_ko, flag in TRUE))
    return record


def check(record: QuestionRecord, topics: set[str], problems: Problems) -> None:
    """Every rule a question obeys (``services.questions``), each broken one on its line."""
    problems.extend((record.line, message) for message in question_problems(record, topics))
