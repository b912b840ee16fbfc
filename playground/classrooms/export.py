"""The class's results as CSV: one row per learner, per learner and lab, or per question.

Only the class's learners count, and only what they did (runs, exam attempts, answers).
Headers are in the viewer's language; content (lab titles, prompts) in both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Count, Max, Q
from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from labs.models import LabRun
from playground.quizzes.models import Answer, ExamAttempt

from .dashboard import summary_error_rate
from .models import Classroom


def _learners(classroom: Classroom) -> Any:
    return classroom.memberships.select_related("learner").order_by("learner__username")


def by_learner(classroom: Classroom) -> Iterable[list[Any]]:
    yield [
        _("learner"),
        _("joined"),
        _("runs"),
        _("failed runs"),
        _("exams"),
        _("best score (%)"),
        _("last score (%)"),
        _("answers"),
        _("correct answers"),
    ]
    for m in _learners(classroom):
        runs = LabRun.objects.filter(owner=m.learner).aggregate(
            total=Count("pk"), failed=Count("pk", filter=Q(state=LabRun.State.FAILED))
        )
        attempts = ExamAttempt.objects.filter(user=m.learner).exclude(
            state=ExamAttempt.State.IN_PROGRESS
        )
        last = attempts.order_by("-finished_at").first()
        answers = Answer.objects.filter(user=m.learner).aggregate(
            total=Count("pk"), correct=Count("pk", filter=Q(is_correct=True))
        )
        yield [
            m.learner.get_username(),
            m.joined_at.isoformat(timespec="seconds"),
            runs["total"],
            runs["failed"],
            attempts.count(),
            attempts.aggregate(best=Max("score_percent"))["best"] or "",
            last.score_percent if last else "",
            answers["total"],
            answers["correct"],
        ]


def by_lab(classroom: Classroom) -> Iterable[list[Any]]:
    yield [
        _("learner"),
        _("lab (English)"),
        _("lab (Korean)"),
        _("runs"),
        _("last state"),
        _("last run's 5xx share"),
    ]
    for m in _learners(classroom):
        runs = (
            LabRun.objects.filter(owner=m.learner)
            .select_related("topology")
            .order_by("-created_at")
        )
        seen: dict[int, list[LabRun]] = {}
        for run in runs:
            seen.setdefault(run.topology_id, []).append(run)
        for group in seen.values():
            last = group[0]
            rate = summary_error_rate(last.summary)
            yield [
                m.learner.get_username(),
                last.topology.title_en,
                last.topology.title_ko,
                len(group),
                last.state,
                "" if rate is None else f"{rate:.3f}",
            ]


def by_question(classroom: Classroom) -> Iterable[list[Any]]:
    yield [
        _("question"),
        _("prompt (English)"),
        _("prompt (Korean)"),
        _("answers"),
        _("correct"),
        _("correct (%)"),
    ]
    rows = (
        Answer.objects.filter(user__class_memberships__classroom=classroom)
        .values("question__key", "question__prompt_en", "question__prompt_ko")
        .annotate(total=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
        .order_by("question__key")
    )
    for row in rows:
        yield [
            row["question__key"],
            row["question__prompt_en"],
            row["question__prompt_ko"],
            row["total"],
            row["correct"],
            round(100 * row["correct"] / row["total"]) if row["total"] else "",
        ]


KINDS: dict[str, Callable[[Classroom], Iterable[list[Any]]]] = {
    "learner": by_learner,
    "lab": by_lab,
    "question": by_question,
}


def csv_response(classroom: Classroom, kind: str) -> HttpResponse:
    out = io.StringIO()
    out.write("\ufeff")  # a BOM, so a spreadsheet opens the Korean text as UTF-8
    writer = csv.writer(out)
    for row in KINDS[kind](classroom):
        writer.writerow(row)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = slugify(classroom.name) or f"class-{classroom.pk}"
    response["Content-Disposition"] = f'attachment; filename="{name}-by-{kind}.csv"'
    return response
