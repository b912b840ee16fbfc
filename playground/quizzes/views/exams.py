"""Exams: start (or resume), one question per page, review, submit, the score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from playground.quizzes.models import AttemptQuestion, ExamAttempt, QuestionSet, Topic
from playground.quizzes.services import exams as service

from .access import (
    AuthenticatedRequest,
    get_attempt_for_user,
    get_own_open_attempt,
    get_set_for_user,
)


@login_required
@require_POST
def exam_start(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    exam = get_set_for_user(request, slug, QuestionSet.Kind.EXAM)
    try:
        attempt = service.start_attempt(request.user, exam)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("quizzes-index")
    return redirect("quizzes-attempt-question", pk=attempt.pk, position=1)


@login_required
def attempt_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = get_attempt_for_user(request, pk)
    if not service.expire_if_due(attempt) and attempt.user_id == request.user.pk:
        return redirect("quizzes-attempt-question", pk=attempt.pk, position=1)
    items = _items(attempt)
    topics = {t.slug: t for t in Topic.objects.filter(slug__in=attempt.breakdown)}
    breakdown = [
        {
            "topic": topics.get(slug),
            "slug": slug,
            **row,
            "percent": round(100 * row["correct"] / row["total"]) if row["total"] else 0,
        }
        for slug, row in sorted(attempt.breakdown.items())
    ]
    return render(
        request,
        "quizzes/attempt_result.html",
        {
            "attempt": attempt,
            "items": items,
            "breakdown": breakdown,
        },
    )


@login_required
def attempt_question(request: AuthenticatedRequest, pk: int, position: int) -> HttpResponse:
    attempt = get_own_open_attempt(request, pk)
    if service.expire_if_due(attempt):
        messages.info(request, _("Time ran out: the exam was handed in with your saved answers."))
        return redirect("quizzes-attempt", pk=attempt.pk)
    item = attempt.items.select_related("question").filter(position=position).first()
    if item is None:
        raise Http404
    total = attempt.items.count()
    if request.method == "POST":
        try:
            service.save_item(item, request.POST.getlist("choice"), "flagged" in request.POST)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            if not attempt.is_open:
                return redirect("quizzes-attempt", pk=attempt.pk)
            return redirect("quizzes-attempt-question", pk=attempt.pk, position=position)
        return _go(attempt, position, total, request.POST.get("go", "next"))
    return render(
        request,
        "quizzes/attempt_question.html",
        {
            "attempt": attempt,
            "item": item,
            "choices": list(item.question.choices.order_by("position")),
            "chosen": set(item.selected.values_list("pk", flat=True)),
            "total": total,
            "seconds_left": service.seconds_left(attempt),
            "previous": position - 1 if position > 1 else None,
            "next": position + 1 if position < total else None,
        },
    )


def _go(attempt: ExamAttempt, position: int, total: int, go: str) -> HttpResponse:
    targets = {"previous": position - 1, "next": position + 1}
    target = targets.get(go)
    if go.isdigit():
        target = int(go)
    if target is None or not 1 <= target <= total:
        return redirect("quizzes-attempt-review", pk=attempt.pk)
    return redirect("quizzes-attempt-question", pk=attempt.pk, position=target)


@login_required
def attempt_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    attempt = get_own_open_attempt(request, pk)
    if service.expire_if_due(attempt):
        return redirect("quizzes-attempt", pk=attempt.pk)
    items = _items(attempt)
    return render(
        request,
        "quizzes/attempt_review.html",
        {
            "attempt": attempt,
            "items": items,
            "seconds_left": service.seconds_left(attempt),
            "unanswered": sum(1 for shown in items if not shown.chosen_ids),
            "flagged": sum(1 for shown in items if shown.item.flagged),
            "confirming": request.GET.get("confirm") == "unanswered",
        },
    )


@login_required
@require_POST
def attempt_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Hands the exam in; with questions unanswered it asks first (the review page's
    "Submit anyway" sends ``confirm=unanswered``), without or with JavaScript."""
    attempt = get_own_open_attempt(request, pk)
    unanswered = attempt.items.filter(selected__isnull=True).count()
    if unanswered and request.POST.get("confirm") != "unanswered" and attempt.is_open:
        review = reverse("quizzes-attempt-review", args=[attempt.pk])
        return redirect(f"{review}?confirm=unanswered")
    service.submit(attempt)
    return redirect("quizzes-attempt", pk=attempt.pk)


@dataclass(frozen=True)
class ShownItem:
    """An exam question as the review and result pages show it, with the learner's pick."""

    item: AttemptQuestion
    chosen_ids: set[int]
    choice_rows: list[dict[str, Any]]  # {"choice": Choice, "chosen": bool}, in order


def _items(attempt: ExamAttempt) -> list[ShownItem]:
    items = attempt.items.select_related("question").prefetch_related(
        "selected", "question__choices", "question__topics"
    )
    shown = []
    for item in items:
        chosen = {choice.pk for choice in item.selected.all()}
        choices = sorted(item.question.choices.all(), key=lambda c: c.position)
        rows = [{"choice": c, "chosen": c.pk in chosen} for c in choices]
        shown.append(ShownItem(item=item, chosen_ids=chosen, choice_rows=rows))
    return shown
