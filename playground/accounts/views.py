from dataclasses import dataclass

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from labs import cfn, diagram, gallery
from labs.models import LabRun, Topology

from . import roles
from .forms import SignUpForm


@dataclass(frozen=True)
class LoadBalancer:
    """One of the home page's four cards."""

    name: str  # AWS's product name, the same in both languages
    about: Promise
    starter: str  # slug of the starter that shows it first


LOAD_BALANCERS = (
    LoadBalancer(
        name="Application Load Balancer",
        about=_(
            "Layer 7. Listener rules route HTTP and HTTPS by host, path, header, method, "
            "query string and source IP to instances, IP addresses and Lambda functions."
        ),
        starter="basic-alb",
    ),
    LoadBalancer(
        name="Network Load Balancer",
        about=_(
            "Layer 4. TCP, UDP and TLS flows, one static address per Availability Zone, "
            "and with client IP preservation the target sees the client's own address."
        ),
        starter="nlb-static-ips",
    ),
    LoadBalancer(
        name="Gateway Load Balancer",
        about=_(
            "Layer 3. Every packet goes through a fleet of inspection appliances, wrapped "
            "in GENEVE on UDP port 6081, and comes back if they allow it."
        ),
        starter="gwlb-appliances",
    ),
    LoadBalancer(
        name="Classic Load Balancer",
        about=_(
            "The previous generation: HTTP, HTTPS, TCP and SSL listeners straight to "
            "registered instances, without rules or target groups."
        ),
        starter="classic-lb",
    ),
)


def home(request: HttpRequest) -> HttpResponse:
    """What the site does, shown with the first lab's own diagram; for a learner, where to
    go on in the learning path and their recent runs."""
    shown = [gallery.LEARNING_PATH[0], *(lb.starter for lb in LOAD_BALANCERS)]
    starters = {t.slug: t for t in Topology.objects.filter(owner=None, slug__in=shown)}
    first = starters.get(gallery.LEARNING_PATH[0])
    recent_runs: QuerySet[LabRun] = LabRun.objects.none()
    if request.user.is_authenticated:
        recent_runs = (
            LabRun.objects.filter(owner=request.user)
            .select_related("topology")
            .order_by("-created_at")[:5]
        )
    context = {
        "recent_runs": recent_runs,
        "next_step": gallery.next_step(request.user),
        "first_lab": first,
        "first_diagram": _diagram(first),
        "load_balancers": [(lb, starters.get(lb.starter)) for lb in LOAD_BALANCERS],
    }
    return render(request, "home.html", context)


def _diagram(topology: Topology | None) -> diagram.Diagram | None:
    if topology is None:
        return None
    try:
        return diagram.build(cfn.parse_document(topology.document))
    except cfn.TemplateError:  # an admin's edit broke the starter: the page goes without
        return None


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
