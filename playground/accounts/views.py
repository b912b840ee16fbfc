from django.contrib.auth import login
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from labs import cfn, diagram, gallery
from labs.models import LabRun, Topology

from . import roles
from .forms import SignUpForm

# The home page's four load balancers, each with the starter that shows it first.
LOAD_BALANCER_STARTERS = (
    ("application", "basic-alb"),
    ("network", "nlb-static-ips"),
    ("gateway", "gwlb-appliances"),
    ("classic", "classic-lb"),
)


def home(request: HttpRequest) -> HttpResponse:
    """What the site does, shown with the first lab's own diagram; for a learner, where to
    go on in the learning path and their recent runs."""
    shown = [gallery.LEARNING_PATH[0], *(slug for _, slug in LOAD_BALANCER_STARTERS)]
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
        "kinds": {kind: starters.get(slug) for kind, slug in LOAD_BALANCER_STARTERS},
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
