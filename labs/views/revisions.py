"""A topology's history: every saved revision, the changes between two, and restoring one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from labs import services, textdiff
from labs.models import TopologyRevision

from .access import AuthenticatedRequest, get_own_topology_for_user, get_topology_for_user


@login_required
def revision_list(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topology = get_topology_for_user(request, pk)
    revisions = list(topology.revisions.select_related("author"))
    context = {
        "topology": topology,
        "revisions": revisions,
        "editable": topology.owner_id == request.user.pk,
        "latest": revisions[0].number if revisions else 0,
    }
    return render(request, "labs/revision_list.html", context)


@login_required
def revision_diff(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topology = get_topology_for_user(request, pk)
    old = _revision(topology.revisions, request.GET.get("from"))
    new = _revision(topology.revisions, request.GET.get("to"))
    if old.number > new.number:
        old, new = new, old
    layout = "split" if request.GET.get("layout") == "split" else "unified"
    context = {
        "topology": topology,
        "old": old,
        "new": new,
        "layout": layout,
        "lines": textdiff.unified(old.document, new.document) if layout == "unified" else [],
        "rows": textdiff.side_by_side(old.document, new.document) if layout == "split" else [],
    }
    return render(request, "labs/revision_diff.html", context)


@login_required
@require_POST
def revision_restore(request: AuthenticatedRequest, pk: int, number: int) -> HttpResponse:
    topology = get_own_topology_for_user(request, pk)
    revision = get_object_or_404(topology.revisions, number=number)
    try:
        restored = services.restore_revision(request.user, revision)
    except ValidationError as error:
        # An old revision can fail checks added since it was saved: say which, save nothing.
        for message in error.messages:
            messages.error(request, message)
        return redirect("labs-topology-revisions", pk=topology.pk)
    messages.success(
        request,
        _("Restored revision %(old)s as revision %(new)s.")
        % {"old": revision.number, "new": restored.number},
    )
    return redirect("labs-topology-builder", pk=topology.pk)


def _revision(revisions: object, number: str | None) -> TopologyRevision:
    if not number or not number.isdigit():
        raise Http404
    return get_object_or_404(revisions, number=int(number))  # type: ignore[arg-type]
