"""The instructor's dashboard: one row per learner, and who looks stuck and why.

A row is built from the database when a dashboard connects or a learner's facts change
(``learner_row``); the live part (requests/s, error rate, unhealthy targets) is folded in
from the learner's ``metrics`` events by ``LiveStats``, in the dashboard's consumer.
``stuck_reasons`` is pure: the facts in, the reason codes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from labs.models import LabRun
from playground.quizzes.models import Answer, ExamAttempt

from .models import Classroom, Membership, ValidationErrorRecord

FAILING_RUNS = 3  # this many failing runs in a row
SAME_ERROR_TIMES = 3  # the same validation error this many times in a row
FAILING_ERROR_RATE = 0.5  # a run that answered more than this share with 5xx is failing

# Reason code -> what the dashboard says (the consumer sends these in the viewer's language).
STUCK_REASONS = {
    "idle": _("No progress for %(minutes)s minutes."),
    "failing-runs": _("%(count)s failing runs in a row."),
    "same-error": _("The same validation error %(count)s times in a row."),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    last_activity: datetime | None
    recent_runs: list[tuple[str, float | None]]  # newest first: (state, 5xx share or None)
    recent_errors: list[str]  # newest first
    running: bool


def stuck_reasons(facts: Facts, now: datetime, idle_minutes: int) -> list[str]:
    """Why the learner looks stuck (codes of STUCK_REASONS), or an empty list."""
    reasons = []
    idle_since = now - timedelta(minutes=idle_minutes)
    if not facts.running and (facts.last_activity is None or facts.last_activity < idle_since):
        reasons.append("idle")
    runs = facts.recent_runs[:FAILING_RUNS]
    if len(runs) == FAILING_RUNS and all(_failing(state, rate) for state, rate in runs):
        reasons.append("failing-runs")
    errors = facts.recent_errors[:SAME_ERROR_TIMES]
    if len(errors) == SAME_ERROR_TIMES and len(set(errors)) == 1:
        reasons.append("same-error")
    return reasons


def _failing(state: str, error_rate: float | None) -> bool:
    if state == LabRun.State.FAILED:
        return True
    return state == LabRun.State.FINISHED and (error_rate or 0) > FAILING_ERROR_RATE


def summary_error_rate(summary: dict[str, Any]) -> float | None:
    """The share of 5xx answers in a finished run's saved summary."""
    codes = summary.get("status_codes") if isinstance(summary, dict) else None
    if not isinstance(codes, dict) or not codes:
        return None
    total = sum(v for v in codes.values() if isinstance(v, int | float))
    errors = sum(
        v for k, v in codes.items() if str(k).startswith("5") and isinstance(v, int | float)
    )
    return errors / total if total else None


def describe(codes: list[str], idle_minutes: int) -> list[dict[str, str]]:
    params = {"minutes": idle_minutes, "count": FAILING_RUNS}
    return [
        {"code": code, "text": str(STUCK_REASONS[code]) % {**params, "count": _count_of(code)}}
        for code in codes
    ]


def _count_of(code: str) -> int:
    return SAME_ERROR_TIMES if code == "same-error" else FAILING_RUNS


# The column counts what a class asks of a learner; practice on their own is not graded.
SCORED_SOURCES = (Answer.Source.LAB, Answer.Source.EXAM, Answer.Source.LIVE)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def learner_rows(classroom: Classroom) -> list[dict[str, Any]]:
    memberships = Membership.objects.filter(classroom=classroom).select_related("learner")
    return [learner_row(classroom, m.learner, m.joined_at) for m in memberships]


def learner_row(
    classroom: Classroom, learner: User, joined_at: datetime | None = None
) -> dict[str, Any]:
    """Everything the dashboard shows of one learner but the live numbers."""
    runs = list(
        LabRun.objects.filter(owner=learner).select_related("topology").order_by("-created_at")[:5]
    )
    errors = list(
        ValidationErrorRecord.objects.filter(learner=learner).order_by("-created_at")[
            :SAME_ERROR_TIMES
        ]
    )
    attempt = (
        ExamAttempt.objects.filter(user=learner)
        .exclude(state=ExamAttempt.State.IN_PROGRESS)
        .order_by("-finished_at")
        .first()
    )
    answers = Answer.objects.filter(user=learner, source__in=SCORED_SOURCES).aggregate(
        total=Count("pk"), right=Count("pk", filter=Q(is_correct=True)), last=Max("created_at")
    )
    current = runs[0] if runs else None
    moments = [
        joined_at,
        current.created_at if current else None,
        current.ended_at if current else None,
    ]
    moments += [errors[0].created_at if errors else None, attempt.finished_at if attempt else None]
    moments.append(answers["last"])
    last_activity = max((m for m in moments if m is not None), default=None)
    facts = Facts(
        last_activity=last_activity,
        recent_runs=[(r.state, summary_error_rate(r.summary)) for r in runs],
        recent_errors=[e.message for e in errors],
        running=bool(current and current.is_active),
    )
    reasons = stuck_reasons(facts, timezone.now(), classroom.stuck_minutes)
    return {
        "learner": learner.pk,
        "username": learner.get_username(),
        "lab": str(current.topology.title) if current else "",
        "run": current.pk if current else None,
        "run_url": reverse("labs-run-detail", args=[current.pk]) if current else "",
        "detail_url": reverse("classrooms-learner", args=[classroom.pk, learner.pk]),
        "state": current.state if current else "",
        "last_error": errors[0].message if errors else "",
        "quiz_score": _percent(answers["right"], answers["total"]),
        "quiz_right": answers["right"],
        "quiz_total": answers["total"],
        "last_activity": last_activity.isoformat() if last_activity else None,
        "stuck": describe(reasons, classroom.stuck_minutes),
    }


class LiveStats:
    """One learner's numbers from their run's latest ``metrics`` event."""

    @staticmethod
    def of(event: dict[str, Any]) -> dict[str, Any]:
        requests = errors = unhealthy = 0.0
        for values in (event.get("load_balancers") or {}).values():
            requests += float(values.get("RequestCount", 0) or values.get("NewFlowCount", 0))
            errors += float(values.get("HTTPCode_ELB_5XX_Count", 0))
            errors += float(values.get("HTTPCode_Target_5XX_Count", 0))
        for values in (event.get("target_groups") or {}).values():
            unhealthy += float(values.get("UnHealthyHostCount", 0))
        return {
            "rps": round(requests, 1),
            "error_rate": round(errors / requests, 3) if requests else 0.0,
            "unhealthy": int(unhealthy),
        }
