"""Class pages. The writes live in services.py; rows come through access.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from labs import cfn, diagram
from labs import messages as codes
from labs.models import LabRun

from . import export, live_quiz, services
from .access import (
    classes_taught_by,
    get_class_for_instructor,
    get_class_for_learner,
    get_learner_of_class,
    is_instructor,
)
from .dashboard import learner_row
from .forms import AssignmentForm, ClassroomForm, HintForm, JoinForm, LiveQuizForm
from .models import Assignment, Classroom, Hint


class AuthenticatedRequest(HttpRequest):
    user: User  # every view here is login_required


@login_required
@require_GET
def class_list(request: AuthenticatedRequest) -> HttpResponse:
    joined = Classroom.objects.filter(
        memberships__learner=request.user, archived_at__isnull=True
    ).select_related("instructor")
    context = {
        "taught": classes_taught_by(request.user) if is_instructor(request.user) else None,
        "joined": joined,
        "create_form": ClassroomForm(),
        "join_form": JoinForm(),
    }
    return render(request, "classrooms/class_list.html", context)


@login_required
@require_POST
def class_create(request: AuthenticatedRequest) -> HttpResponse:
    form = ClassroomForm(request.POST)
    if not form.is_valid():
        return _list_with_errors(request, form.errors.get("name") or [])
    try:
        classroom = services.create_classroom(request.user, form.cleaned_data["name"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        return _list_with_errors(request, error.messages)
    return redirect("classrooms-detail", pk=classroom.pk)


def _list_with_errors(request: AuthenticatedRequest, errors: Any) -> HttpResponse:
    for error in errors:
        messages.error(request, error)
    return redirect("classrooms-list")


@login_required
@require_http_methods(["GET", "POST"])
def class_join(request: AuthenticatedRequest, code: str = "") -> HttpResponse:
    """The join link (``/classes/join/<code>/``) asks once, then a POST joins."""
    form = JoinForm(request.POST or None, initial={"code": code})
    if request.method == "POST" and form.is_valid():
        try:
            classroom = services.join_classroom(request.user, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, _("You joined %(name)s.") % {"name": classroom.name})
            return redirect("classrooms-mine", pk=classroom.pk)
    status = 400 if request.method == "POST" else 200
    # The link's own code names its class, so the learner knows what they are joining;
    # a code typed wrong names nothing (the form's error says so after the POST).
    joining = services.open_class_of_code(code) if code and request.method == "GET" else None
    context = {"form": form, "joining": joining}
    return render(request, "classrooms/join.html", context, status=status)


@login_required
@require_GET
def class_mine(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A learner's view of a class they joined: what to do by when, and their hints."""
    classroom = get_class_for_learner(request.user, pk)
    context = {
        "classroom": classroom,
        "assignments": classroom.assignments.select_related("topology", "question_set"),
        "hints": Hint.objects.filter(classroom=classroom, learner=request.user)[:20],
    }
    return render(request, "classrooms/class_mine.html", context)


@login_required
@require_GET
def class_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    join_path = reverse("classrooms-join-code", args=[classroom.join_code])
    context = {
        "classroom": classroom,
        "join_link": request.build_absolute_uri(join_path),
        "memberships": classroom.memberships.select_related("learner"),
        "assignments": classroom.assignments.select_related("topology", "question_set"),
        "assignment_form": AssignmentForm(),
    }
    return render(request, "classrooms/class_detail.html", context)


@login_required
@require_POST
def class_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    form = AssignmentForm(request.POST)
    if form.is_valid():
        try:
            services.assign(classroom, request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Assigned."))
    else:
        _form_errors(request, form)
    return redirect("classrooms-detail", pk=classroom.pk)


def _form_errors(request: AuthenticatedRequest, form: Any) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))


@login_required
@require_POST
def class_unassign(request: AuthenticatedRequest, pk: int, assignment: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    row = Assignment.objects.filter(pk=assignment, classroom=classroom).first()
    if row is None:
        raise Http404
    services.unassign(classroom, request.user, row)
    return redirect("classrooms-detail", pk=classroom.pk)


@login_required
@require_POST
def class_archive(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    archived = request.POST.get("archived", "1") == "1"
    services.archive_classroom(classroom, request.user, archived=archived)
    messages.success(request, _("Class archived.") if archived else _("Class reopened."))
    return redirect("classrooms-detail", pk=classroom.pk)


@login_required
@require_GET
def class_dashboard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    context = {
        "classroom": classroom,
        "fault_modes": list(codes.FAULT_MODES.items()),
        "hint_max": services.HINT_MAX,
        "columns": [
            ("username", _("Learner")),
            ("lab", _("Lab")),
            ("state", _("Run")),
            ("rps", _("Requests/s")),
            ("error_rate", _("Error rate")),
            ("unhealthy", _("Unhealthy targets")),
            ("last_error", _("Last validation error")),
            ("quiz_score", _("Quiz score")),
            ("stuck", _("Stuck?")),
        ],
        "dashboard_config": {
            "wsPath": f"/ws/classes/{classroom.pk}/dashboard/",
            "csrf": get_token(request),
        },
        "dashboard_text": {
            "states": {k: str(v) for k, v in codes.catalog()["states"].items()},
            "noRun": _("no run yet"),
            "stuck": _("Stuck:"),
            "fine": _("no"),
            "details": _("Details"),
            "watch": _("Watch run"),
            "stop": _("Stop"),
            "hint": _("Hint"),
            "hintTo": _("Hint to %(learner)s"),
            "answers": _("%(right)s of %(total)s right"),
            "reconnecting": _("Connection lost: reconnecting…"),
            "confirmStopAll": _("Stop every run of this class that is still going?"),
        },
    }
    return render(request, "classrooms/dashboard.html", context)


@login_required
@require_GET
def class_learner(request: AuthenticatedRequest, pk: int, learner: int) -> HttpResponse:
    """Drill into one learner: their diagram, a link to their live run, hint/stop/fault."""
    classroom = get_class_for_instructor(request.user, pk)
    person = get_learner_of_class(classroom, learner)
    runs = LabRun.objects.filter(owner=person).select_related("topology").order_by("-created_at")
    run = runs.first()
    document = _parsed(run.document) if run else None
    context = {
        "classroom": classroom,
        "learner": person,
        "row": learner_row(classroom, person),
        "run": run,
        "runs": runs[:10],
        "diagram": diagram.build(document or {}),
        "targets": _instances(run) if run else [],
        "security_groups": _security_groups(run) if run else [],
        "fault_modes": list(codes.FAULT_MODES.items()),
        "hint_form": HintForm(),
        "hints": Hint.objects.filter(classroom=classroom, learner=person)[:10],
    }
    return render(request, "classrooms/learner.html", context)


def _parsed(document: str) -> dict[str, Any] | None:
    try:
        return cfn.parse_document(document)
    except cfn.TemplateError:
        return None


def _instances(run: LabRun) -> list[str]:
    try:
        topology = cfn.load_topology(run.document)
    except cfn.TemplateError:
        return []
    return sorted({t.address for g in topology.target_groups for t in g.targets if t.ip})


@login_required
@require_POST
def class_hint(request: AuthenticatedRequest, pk: int, learner: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    person = get_learner_of_class(classroom, learner)
    form = HintForm(request.POST)

    def send() -> None:
        services.send_hint(classroom, request.user, person, form.cleaned_data["text"])

    return _act(request, classroom, person, send, _("Hint sent."), form)


@login_required
@require_POST
def class_hint_all(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The same hint to every learner of the class, from the dashboard."""
    classroom = get_class_for_instructor(request.user, pk)
    form = HintForm(request.POST)

    def send() -> str:
        count = services.send_class_hint(classroom, request.user, form.cleaned_data["text"])
        return ngettext(
            "Hint sent to %(count)s learner.", "Hint sent to %(count)s learners.", count
        ) % {"count": count}

    return _act(request, classroom, None, send, _("Hint sent."), form)


@login_required
@require_POST
def class_stop_all(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every run of the class still going, stopped at once, from the dashboard."""
    classroom = get_class_for_instructor(request.user, pk)

    def stop() -> str:
        count = services.stop_class_runs(classroom, request.user)
        return ngettext("Asked %(count)s run to stop.", "Asked %(count)s runs to stop.", count) % {
            "count": count
        }

    return _act(request, classroom, None, stop, _("Asked the runs to stop."))


@login_required
@require_POST
def class_stop(request: AuthenticatedRequest, pk: int, learner: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    person = get_learner_of_class(classroom, learner)
    run = _learner_run(person, request.POST.get("run"))
    return _act(
        request,
        classroom,
        person,
        lambda: services.stop_learner_run(classroom, request.user, run),
        _("Asked the run to stop."),
    )


def _security_groups(run: LabRun) -> list[str]:
    """The security groups of the run's instances (their rule admitting the LB can go)."""
    try:
        topology = cfn.load_topology(run.document)
    except cfn.TemplateError:
        return []
    if not topology.load_balancers:
        return []
    return sorted({name for i in topology.instances for name in i.security_groups})


@login_required
@require_POST
def class_fault(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A fault into one learner's run (``learner``, ``run``, ``target``) or into all."""
    classroom = get_class_for_instructor(request.user, pk)
    mode = request.POST.get("mode", "")
    person = None
    run = None
    if request.POST.get("learner"):
        person = get_learner_of_class(classroom, request.POST["learner"])
        run = _learner_run(person, request.POST.get("run"))
    target = request.POST.get("target") or None
    if run is not None and "security_group" in request.POST:
        group, change = request.POST["security_group"], request.POST.get("change")

        def change_group() -> None:
            services.change_security_group(classroom, request.user, run, group, change)

        return _act(request, classroom, person, change_group, _("Change sent."))

    def inject() -> None:
        services.inject_fault(classroom, request.user, mode, run=run, target=target)

    return _act(request, classroom, person, inject, _("Fault sent."))


def _learner_run(person: User, run_id: Any) -> LabRun:
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise Http404 from None
    run = LabRun.objects.filter(owner=person, pk=pk).select_related("owner").first()
    if run is None:
        raise Http404
    return run


def _act(
    request: AuthenticatedRequest,
    classroom: Classroom,
    person: User | None,
    action: Any,
    done: str,
    form: HintForm | None = None,
) -> HttpResponse:
    if form is not None and not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            said = action()
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, said if isinstance(said, str) else done)
    if person is None:
        return redirect("classrooms-dashboard", pk=classroom.pk)
    return redirect("classrooms-learner", pk=classroom.pk, learner=person.pk)


@login_required
@require_GET
def class_export(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    kind = request.GET.get("by", "learner")
    if kind not in export.KINDS:
        raise Http404
    return export.csv_response(classroom, kind)


@login_required
@require_GET
def class_live(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The live quiz: the instructor's controls, or a learner's question screen."""
    teaching = classes_taught_by(request.user).filter(pk=pk).first()
    classroom = teaching or get_class_for_learner(request.user, pk)
    context = {
        "classroom": classroom,
        "teaching": teaching is not None,
        "quiz": live_quiz.current(classroom),
        "start_form": LiveQuizForm(),
        "live_config": {"wsPath": f"/ws/classes/{classroom.pk}/live/", "teaching": bool(teaching)},
        "live_text": {
            "lobby": _("Waiting for the instructor to show the first question."),
            "none": _("No live quiz is going in this class."),
            "finished": _("The live quiz is over. Thank you!"),
            "question": _("Question %(position)s of %(total)s"),
            "answered": _("%(answered)s of %(members)s answered"),
            "submit": _("Answer"),
            "sent": _("Your answer is in. Wait for the instructor to reveal it."),
            "right": _("Right: %(points)s points."),
            "wrong": _("Not right this time."),
            "correct": _("Correct choice."),
            "picks": _("%(count)s picks · %(percent)s"),
            "points": _("points"),
            "myPoints": _("Your points: %(points)s"),
            "chooseN": _("Choose %(count)s."),
        },
    }
    return render(request, "classrooms/live.html", context)


@login_required
@require_POST
def class_live_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    classroom = get_class_for_instructor(request.user, pk)
    form = LiveQuizForm(request.POST)
    if form.is_valid():
        try:
            live_quiz.start(
                classroom,
                request.user,
                form.cleaned_data["question_set"],
                leaderboard=form.cleaned_data["leaderboard"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
    else:
        _form_errors(request, form)
    return redirect("classrooms-live", pk=classroom.pk)
