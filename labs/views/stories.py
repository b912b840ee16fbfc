"""A run's story: its recording for the replay, and the read-only link its owner shares.

The writes (sharing, revoking) live in labs.services.stories.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from labs import services
from labs.models import LabRun

from .access import AuthenticatedRequest
from .access import get_run_for_user as _get_run_for_user
from .runs import run_page_context, status_classes


@gzip_page  # a recording's JSON runs to megabytes and compresses tenfold
@login_required
def run_recording(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """The replay of one of the user's ended runs (labs.services.story), as JSON."""
    return _story_response(_get_run_for_user(request, pk), shared=False)


@login_required
@require_POST
def run_share(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    try:
        services.share_run(request.user, run)
    except (PermissionDenied, ValidationError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        messages.success(request, _("Anyone with the link can now watch this run's replay."))
    return redirect(reverse("labs-run-detail", args=[run.pk]) + "#story")


@login_required
@require_POST
def run_unshare(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    try:
        services.unshare_run(request.user, run)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The link no longer works."))
    return redirect(reverse("labs-run-detail", args=[run.pk]) + "#story")


def shared_run_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The read-only page of a shared run: its story and replay, no controls, no owner."""
    run = _get_shared_run(token)
    url = reverse("labs-shared-run-recording", args=[token])
    context = run_page_context(run, recording_url=url, shared=True)
    response = render(request, "labs/run_detail.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of other sites' logs
    return response


@gzip_page
def shared_run_recording(request: HttpRequest, token: str) -> JsonResponse:
    return _story_response(_get_shared_run(token), shared=True)


def _get_shared_run(token: str) -> LabRun:
    """The run the link shares, else 404: an unknown, revoked or guessed link."""
    run = services.shared_run(token)
    if run is None:
        raise Http404
    return run


def _story_response(run: LabRun, *, shared: bool) -> JsonResponse:
    story = services.story(run, shared=shared)
    if story is None:
        raise Http404
    # For a page that watched the run end: its exact totals, in the viewer's language.
    return JsonResponse({**story, "statusClasses": status_classes(run.summary)})
