from django.contrib.auth import login
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from labs.models import LabRun

from . import roles
from .forms import SignUpForm


def home(request: HttpRequest) -> HttpResponse:
    recent_runs: QuerySet[LabRun] = LabRun.objects.none()
    if request.user.is_authenticated:
        recent_runs = (
            LabRun.objects.filter(owner=request.user)
            .select_related("topology")
            .order_by("-created_at")[:5]
        )
    return render(request, "home.html", {"recent_runs": recent_runs})


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("labs-topology-list")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _create_learner(form)
        login(request, user)
        return redirect("labs-topology-list")
    return render(request, "accounts/signup.html", {"form": form})


@transaction.atomic
def _create_learner(form: SignUpForm) -> User:
    user: User = form.save()
    roles.add_role(user, roles.LEARNER)
    return user
