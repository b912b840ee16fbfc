"""The bank out to a file, in the shapes ``formats`` reads back (records.py documents them)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.db.models import QuerySet

from playground.quizzes.models import Question, QuestionSet, Topic

from .records import CSV_COLUMNS, DIFFICULTY_NAMES, MAX_CHOICES

FORMAT = "elb-playground-quiz-bank"


def _questions(queryset: QuerySet[Question] | None) -> QuerySet[Question]:
    queryset = Question.objects.all() if queryset is None else queryset
    return queryset.order_by("key").prefetch_related("choices", "topics")


def question_dict(question: Question) -> dict[str, Any]:
    return {
        "key": question.key,
        "status": question.status,
        "kind": question.kind,
        "choose": question.choose,
        "difficulty": DIFFICULTY_NAMES[question.difficulty],
        "topics": sorted(t.slug for t in question.topics.all()),
        "reference_url": question.reference_url,
        "lab_trigger": question.lab_trigger,
        "prompt": {"en": question.prompt_en, "ko": question.prompt_ko},
        "explanation": {"en": question.explanation_en, "ko": question.explanation_ko},
        "choices": [
            {
                "text": {"en": c.text_en, "ko": c.text_ko},
                "explanation": {"en": c.explanation_en, "ko": c.explanation_ko},
                "correct": c.is_correct,
            }
            for c in sorted(question.choices.all(), key=lambda c: c.position)
        ],
    }


def _topic_dict(topic: Topic) -> dict[str, Any]:
    return {
        "slug": topic.slug,
        "name": {"en": topic.name_en, "ko": topic.name_ko},
        "section": topic.section,
        "order": topic.order,
    }


def _set_dict(question_set: QuestionSet) -> dict[str, Any]:
    return {
        "slug": question_set.slug,
        "kind": question_set.kind,
        "title": {"en": question_set.title_en, "ko": question_set.title_ko},
        "description": {"en": question_set.description_en, "ko": question_set.description_ko},
        "topics": sorted(t.slug for t in question_set.topics.all()),
        "question_count": question_set.question_count,
        "time_limit_minutes": question_set.time_limit_minutes,
        "passing_percent": question_set.passing_percent,
        # Sorted: PostgreSQL's jsonb keeps no key order, and exports must match everywhere.
        "topic_weights": dict(sorted(question_set.topic_weights.items())),
        "published": question_set.is_published,
        "order": question_set.order,
    }


def export_json(queryset: QuerySet[Question] | None = None, *, everything: bool = True) -> str:
    """The bank as JSON; with ``everything`` also its topics and question sets."""
    data: dict[str, Any] = {"format": FORMAT, "version": 1}
    if everything:
        data["topics"] = [_topic_dict(t) for t in Topic.objects.order_by("order", "slug")]
    data["questions"] = [question_dict(q) for q in _questions(queryset)]
    if everything:
        sets = QuestionSet.objects.order_by("kind", "order", "slug").prefetch_related("topics")
        data["sets"] = [_set_dict(s) for s in sets]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export_csv(queryset: QuerySet[Question] | None = None) -> str:
    """The questions as CSV, one row each (topics and sets live in the JSON form only)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for question in _questions(queryset):
        writer.writerow(_csv_row(question))
    return out.getvalue()


def _csv_row(question: Question) -> dict[str, str]:
    data = question_dict(question)
    row = {
        "key": data["key"],
        "status": data["status"],
        "kind": data["kind"],
        "choose": str(data["choose"]),
        "difficulty": data["difficulty"],
        "topics": " ".join(data["topics"]),
        "reference_url": data["reference_url"],
        "lab_trigger": data["lab_trigger"],
        "prompt_en": data["prompt"]["en"],
        "prompt_ko": data["prompt"]["ko"],
        "explanation_en": data["explanation"]["en"],
        "explanation_ko": data["explanation"]["ko"],
    }
    for n, choice in enumerate(data["choices"][:MAX_CHOICES], start=1):
        row[f"choice{n}_en"], row[f"choice{n}_ko"] = choice["text"]["en"], choice["text"]["ko"]
        row[f"choice{n}_why_en"] = choice["explanation"]["en"]
        row[f"choice{n}_why_ko"] = choice["explanation"]["ko"]
        row[f"choice{n}_correct"] = "1" if choice["correct"] else "0"
    return row
