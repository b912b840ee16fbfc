"""Who may see what: every quiz view fetches its rows through these."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from playground.quizzes.models import ExamAttempt, QuestionSet


class AuthenticatedRequest(HttpRequest):
    user: User  # every view here is login_required


def get_set_for_user(request: AuthenticatedRequest, slug: str, kind: str) -> QuestionSet:
    """A published set (staff also see drafts, to try them before publishing)."""
    sets = QuestionSet.objects.filter(kind=kind)
    if not request.user.is_staff:
        sets = sets.filter(is_published=True)
    return get_object_or_404(sets, slug=slug)


def get_attempt_for_user(request: AuthenticatedRequest, pk: int) -> ExamAttempt:
    """The user's own attempt (staff may look at anyone's), else 404, not 403."""
    attempts = ExamAttempt.objects.select_related("question_set", "user")
    if not request.user.is_staff:
        attempts = attempts.filter(user=request.user)
    return get_object_or_404(attempts, pk=pk)


def get_own_open_attempt(request: AuthenticatedRequest, pk: int) -> ExamAttempt:
    """Only the learner sitting it may change an attempt."""
    attempt = get_attempt_for_user(request, pk)
    if attempt.user_id != request.user.pk:
        raise Http404
    return attempt
