"""The quiz home: practice sets, exams and the learner's past attempts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from playground.quizzes.models import ExamAttempt, QuestionSet
from playground.quizzes.services import exams

from .access import AuthenticatedRequest


@login_required
def index(request: AuthenticatedRequest) -> HttpResponse:
    attempts = list(
        ExamAttempt.objects.filter(user=request.user).select_related("question_set")[:50]
    )
    for attempt in attempts:
        exams.expire_if_due(attempt)  # a sitting whose time ran out shows its score
    sets = QuestionSet.objects.filter(is_published=True).prefetch_related("topics")
    return render(
        request,
        "quizzes/index.html",
        {
            "practice_sets": [s for s in sets if s.kind == QuestionSet.Kind.PRACTICE],
            "exams": [s for s in sets if s.kind == QuestionSet.Kind.EXAM],
            "attempts": attempts,
        },
    )
