"""Who may see and change what: every view fetches its rows through these."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from labs.models import LabRun, Topology


class AuthenticatedRequest(HttpRequest):
    user: User  # every view here is login_required


def get_topology_for_user(request: AuthenticatedRequest, pk: int) -> Topology:
    """A starter or the user's own topology, else 404 (not 403: we do not confirm it exists)."""
    return get_object_or_404(Topology.objects.visible_to(request.user), pk=pk)


def get_own_topology_for_user(request: AuthenticatedRequest, pk: int) -> Topology:
    """The user's own topology, else 404: starters are read-only (a learner forks them)."""
    return get_object_or_404(Topology, pk=pk, owner=request.user)


def get_run_for_user(request: AuthenticatedRequest, pk: int) -> LabRun:
    """Another learner's run is a 404, not a 403: we do not confirm that it exists."""
    run = LabRun.objects.visible_to(request.user).select_related("topology").filter(pk=pk).first()
    if run is None:
        raise Http404
    return run
