"""Writing checked records to the database: everything, or (on any problem) nothing.

Rows are matched by their stable key (question ``key``, topic and set ``slug``) and a
row is written only when a value differs, so re-importing an export changes nothing —
not even ``updated_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from playground.quizzes.models import Choice, Question, QuestionSet, Topic

from . import formats
from .records import KEY, ChoiceDraft, Problems, QuestionRecord, check


class BankError(Exception):
    """The file has problems; nothing was imported. ``problems``: (line, message)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"line {line}: {message}" for line, message in problems))
        self.problems = problems


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_text(text: str, fmt: str | None = None, name: str = "") -> ImportReport:
    """Import a bank file's text (``fmt`` "json" or "csv"; guessed from name/content).

    Raises:
        BankError: listing every bad row with its line; nothing is written then.
    """
    problems = Problems()
    parsed = formats.parse(text, fmt or formats.guess_format(name, text), problems)
    topics = _checked_topics(parsed.topics, problems)
    known = set(Topic.objects.values_list("slug", flat=True)) | {t["slug"] for t in topics}
    seen: dict[str, int] = {}
    for record in parsed.questions:
        check(record, known, problems)
        if record.key in seen:
            problems.append(
                (
                    record.line,
                    _("key “%(key)s” is already used on line %(other)s.")
                    % {"key": record.key, "other": seen[record.key]},
                )
            )
        seen.setdefault(record.key, record.line)
    sets = _checked_sets(parsed.sets, known, problems)
    if not parsed.questions and not topics and not sets and not problems:
        problems.append((1, _("the file holds no questions.")))
    if problems:
        raise BankError(sorted(problems, key=lambda p: p[0]))
    report = ImportReport()
    with transaction.atomic():
        for topic in topics:
            _save_topic(topic)
        by_slug = {t.slug: t for t in Topic.objects.all()}
        for record in parsed.questions:
            _save_question(record, by_slug, report)
        for question_set in sets:
            _save_set(question_set, by_slug)
    return report


# --- topics and sets ----------------------------------------------------------------------


def _pair(value: Any) -> tuple[str, str]:
    if isinstance(value, dict):
        return str(value.get("en") or "").strip(), str(value.get("ko") or "").strip()
    return str(value or "").strip(), ""


def _checked_topics(items: list[tuple[int, Any]], problems: Problems) -> list[dict[str, Any]]:
    topics = []
    for line, item in items:
        if not isinstance(item, dict) or not KEY.match(str(item.get("slug", ""))):
            problems.append(
                (line, _("a topic needs a slug of lower-case letters, digits and hyphens."))
            )
            continue
        name_en, name_ko = _pair(item.get("name"))
        if not name_en:
            problems.append(
                (line, _("topic “%(slug)s” needs an English name.") % {"slug": item["slug"]})
            )
        topics.append(
            {
                "slug": item["slug"],
                "name_en": name_en,
                "name_ko": name_ko,
                "section": str(item.get("section") or ""),
                "order": int(item.get("order") or 0),
            }
        )
    return topics


def _checked_sets(
    items: list[tuple[int, Any]], topics: set[str], problems: Problems
) -> list[dict[str, Any]]:
    sets = []
    for line, item in items:
        if not isinstance(item, dict) or not KEY.match(str(item.get("slug", ""))):
            problems.append(
                (line, _("a question set needs a slug of lower-case letters, digits and hyphens."))
            )
            continue
        kind = item.get("kind")
        title_en, title_ko = _pair(item.get("title"))
        description_en, description_ko = _pair(item.get("description"))
        weights = item.get("topic_weights") or {}
        named = [*(item.get("topics") or []), *weights]
        for slug in named:
            if slug not in topics:
                problems.append((line, _("unknown topic “%(topic)s”.") % {"topic": slug}))
        if kind not in QuestionSet.Kind.values or not title_en:
            problems.append(
                (line, _("a question set needs a kind (practice or exam) and an English title."))
            )
        try:
            numbers = {
                name: int(item.get(name, default))
                for name, default in (
                    ("question_count", 10),
                    ("time_limit_minutes", 15),
                    ("passing_percent", 72),
                    ("order", 0),
                )
            }
        except (TypeError, ValueError):
            problems.append(
                (
                    line,
                    _(
                        "question_count, time_limit_minutes, passing_percent and "
                        "order are whole numbers."
                    ),
                )
            )
            continue
        sets.append(
            {
                "slug": item["slug"],
                "kind": kind,
                "title_en": title_en,
                "title_ko": title_ko,
                "description_en": description_en,
                "description_ko": description_ko,
                "topic_weights": weights,
                "is_published": item.get("published") is True,
                "topics": list(item.get("topics") or []),
                **numbers,
            }
        )
    return sets


def _save_topic(fields: dict[str, Any]) -> None:
    topic = Topic.objects.filter(slug=fields["slug"]).first() or Topic(slug=fields["slug"])
    _save_if_changed(topic, fields)


def _save_set(fields: dict[str, Any], by_slug: dict[str, Topic]) -> None:
    fields = dict(fields)
    topic_slugs = fields.pop("topics")
    question_set = QuestionSet.objects.filter(slug=fields["slug"]).first()
    question_set = question_set or QuestionSet(slug=fields["slug"])
    _save_if_changed(question_set, fields)
    wanted = {by_slug[slug].pk for slug in topic_slugs}
    if set(question_set.topics.values_list("pk", flat=True)) != wanted:
        question_set.topics.set(wanted)


def _save_if_changed(row: Any, fields: dict[str, Any]) -> bool:
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, fields[name])
    if row.pk is None or changed:
        row.save()
        return True
    return False


# --- questions ------------------------------------------------------------------------------

QUESTION_FIELDS = (
    "status",
    "kind",
    "choose",
    "difficulty",
    "reference_url",
    "lab_trigger",
    "prompt_en",
    "prompt_ko",
    "explanation_en",
    "explanation_ko",
)


def _save_question(record: QuestionRecord, by_slug: dict[str, Topic], report: ImportReport) -> None:
    question = Question.objects.filter(key=record.key).first()
    created = question is None
    question = question or Question(key=record.key)
    changed = _save_if_changed(question, {name: getattr(record, name) for name in QUESTION_FIELDS})
    wanted = {by_slug[slug].pk for slug in record.topics}
    if set(question.topics.values_list("pk", flat=True)) != wanted:
        question.topics.set(wanted)
        changed = True
    changed = _save_choices(question, record.choices) or changed
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
        question.save(update_fields=["updated_at"])  # choices alone changed it too
    else:
        report.unchanged += 1


def _save_choices(question: Question, records: list[ChoiceDraft]) -> bool:
    existing = {c.position: c for c in question.choices.all()}
    changed = False
    for position, record in enumerate(records, start=1):
        choice = existing.pop(position, None) or Choice(question=question, position=position)
        fields = {
            "text_en": record.text_en,
            "text_ko": record.text_ko,
            "explanation_en": record.explanation_en,
            "explanation_ko": record.explanation_ko,
            "is_correct": record.correct,
        }
        changed = _save_if_changed(choice, fields) or changed
    if existing:
        Choice.objects.filter(pk__in=[c.pk for c in existing.values()]).delete()
        changed = True
    return changed
