"""Making topologies: a new blank one, or a fork of one the learner can see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from labs import services
from labs.forms import TopologyForm

from .access import AuthenticatedRequest, get_topology_for_user


@login_required
def topology_new(request: AuthenticatedRequest) -> HttpResponse:
    form = TopologyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topology = services.create_topology(request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("slug", error)
        else:
            messages.success(request, _("Created %(title)s.") % {"title": topology.title})
            return redirect("labs-topology-builder", pk=topology.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "labs/topology_new.html", {"form": form}, status=status)


@login_required
@require_POST
def topology_fork(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    original = get_topology_for_user(request, pk)
    fork = services.fork_topology(request.user, original)
    messages.success(
        request,
        _("This is your copy of %(title)s: change it as you like.") % {"title": original.title},
    )
    return redirect("labs-topology-builder", pk=fork.pk)
