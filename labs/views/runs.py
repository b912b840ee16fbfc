"""Topology pages and runs of them. The writes live in labs.services."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from labs import cfn, gallery, intrinsics, run_diagram, services, signals
from labs import messages as codes
from labs.engine.spec import LoadBalancer
from labs.forms import ParametersForm, RunOptionsForm
from labs.forms.parameters import STAND_INS
from labs.models import LabRun, RunAccessLog, Topology

from .access import AuthenticatedRequest
from .access import get_run_for_user as _get_run_for_user
from .access import get_topology_for_user as _get_topology_for_user
from .live import live_context

RECENT_RUNS = 10


@login_required
def topology_list(request: AuthenticatedRequest) -> HttpResponse:
    topologies = Topology.objects.visible_to(request.user).select_related("owner")
    return render(request, "labs/topology_list.html", {"gallery": gallery.arrange(topologies)})


@login_required
def topology_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topology = _get_topology_for_user(request, pk)
    return render(request, "labs/topology_detail.html", _topology_context(request, topology))


@login_required
@require_POST
def run_start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topology = _get_topology_for_user(request, pk)
    form = RunOptionsForm(request.POST)
    if not form.is_valid():
        context = _topology_context(request, topology, form=form)
        return render(request, "labs/topology_detail.html", context, status=400)
    try:
        run = services.start_run(request.user, topology, **form.cleaned_data)
    except ValidationError as error:
        signals.validation_failed.send(
            sender=run_start, user=request.user, topology=topology, messages=error.messages
        )
        for message in error.messages:
            messages.error(request, message)
        return redirect("labs-topology-detail", pk=topology.pk)
    return redirect("labs-run-detail", pk=run.pk)


@login_required
def run_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    context = run_page_context(run, recording_url=reverse("labs-run-recording", args=[run.pk]))
    if run.share_token and run.owner_id == request.user.pk:
        link = reverse("labs-shared-run", args=[run.share_token])
        context["share_url"] = request.build_absolute_uri(link)
    return render(request, "labs/run_detail.html", context)


def run_page_context(run: LabRun, *, recording_url: str, shared: bool = False) -> dict[str, Any]:
    """The run page's context: the owner's page, or (``shared``) the read-only link's."""
    status = services.status_event(run)
    parsed = _parse(run)[0]  # once: each part below reads the same template
    config = _run_config(run, status)
    config["recordingUrl"] = recording_url
    if shared:
        config["wsPath"] = None  # no socket: the shared page replays the recording only
        config["summary"] = {
            **run.summary,
            "faults": [services.anonymous(f) for f in run.summary.get("faults", [])],
        }
    return {
        "run": run,
        "shared": shared,
        "state_label": codes.run_state(run.state),
        "reason_label": codes.run_reason(status["reason"]),
        "targets": _targets_of(parsed),
        "traffic": _traffic_of(parsed),
        "catalog": codes.catalog(),
        "charts": [{"id": chart, "title": codes.CHARTS[chart]} for chart in codes.CHART_IDS],
        "run_config": config,
        "status_classes": status_classes(run.summary),
        **_controls_context(run, parsed),
        **live_context(parsed),
        **run_diagram.context(run, parsed),
    }


STATUS_CLASSES = ("2", "3", "4", "5")


def status_classes(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """An ended run's answers by status code class (2XX to 5XX), from its exact summary."""
    by_status = summary.get("by_status") or {}
    total = sum(by_status.values())
    if not total:
        return []
    rows = []
    for first in STATUS_CLASSES:
        count = sum(n for code, n in by_status.items() if str(code).startswith(first))
        rows.append(
            {
                "name": f"{first}XX",
                "label": codes.STATUS_CLASSES[first],
                "count": count,
                "percent": round(100 * count / total, 1),
            }
        )
    return rows


@login_required
@require_POST
def run_stop(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    run = _get_run_for_user(request, pk)
    services.stop_run(request.user, run)
    if request.accepts("application/json") and not request.accepts("text/html"):
        return JsonResponse({"state": run.state})
    return redirect("labs-run-detail", pk=run.pk)


@login_required
@require_POST
def run_control(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The run page's controls without JavaScript (the script sends them over the socket).

    Form fields: ``action`` and, as it needs, ``target_group``, ``target``, ``mode``,
    ``rps``. The ``fault`` event on the page says what the worker did with it.
    """
    run = _get_run_for_user(request, pk)
    wants_json = request.accepts("application/json") and not request.accepts("text/html")
    try:
        services.control_run(request.user, run, _command_from(request.POST))
    except ValidationError as error:
        if wants_json:
            return JsonResponse(
                {"error": "ValidationError", "message": " ".join(error.messages)}, status=400
            )
        for message in error.messages:
            messages.error(request, message)
    else:
        if wants_json:
            return JsonResponse({"sent": True})
    return redirect("labs-run-detail", pk=run.pk)


@login_required
def run_access_log(request: AuthenticatedRequest, pk: int) -> StreamingHttpResponse:
    """The run's ALB access log as a text file named as AWS names its log files."""
    run = _get_run_for_user(request, pk)
    log = get_object_or_404(RunAccessLog.objects.filter(run=run))
    response = StreamingHttpResponse(
        _gunzipped(bytes(log.data)), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, log.file_name)
    return response


def _gunzipped(data: bytes, chunk: int = 64 * 1024) -> Iterator[bytes]:
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as text:
        while block := text.read(chunk):
            yield block


def _command_from(form: QueryDict) -> dict[str, Any]:
    """A control command from the no-script form: only what was posted, rps as a number."""
    command: dict[str, Any] = {
        key: form[key]
        for key in (
            "action",
            "target_group",
            "target",
            "mode",
            "az",
            "group",
            "desired",
            "security_group",
            "change",
        )
        if key in form
    }
    on = form.get("on", "")  # the live lab's fault form: "az:<zone>" or "target:<ip:port>"
    if on.startswith(("az:", "target:")):
        kind, _colon, value = on.partition(":")
        command[kind] = value
    clients = form.get("clients", "")
    if clients.isdigit():
        command["clients"] = int(clients)
    for flag in ("paused", "keep_alive"):
        if flag in form:
            command[flag] = form[flag] in ("on", "true", "1")
    if "rps" in form:
        try:
            command["rps"] = float(form.get("rps", ""))
        except ValueError:
            command["rps"] = form["rps"]  # control_run names the problem
    return command


def _topology_context(
    request: AuthenticatedRequest,
    topology: Topology,
    form: RunOptionsForm | None = None,
    parameters_form: ParametersForm | None = None,
) -> dict[str, Any]:
    parsed, problems = _parse(topology)
    runs = topology.runs.filter(owner=request.user).order_by("-created_at")[:RECENT_RUNS]
    resolved = _resolved(topology)
    inputs = intrinsics.inputs(cfn.parse_document(topology.document)) if resolved else []
    if parameters_form is None and inputs and resolved is not None:
        parameters_form = ParametersForm(inputs, resolved.values)
    return {
        "topology": topology,
        "parsed": parsed,
        "problems": problems,
        "problem_lines": [
            codes.problem_line(p.logical_id, p.path, p.code, p.message, p.rule) for p in problems
        ],
        "simulated_types": intrinsics.SIMULATED,
        "aliases": [(a, lb.name) for lb in parsed.load_balancers for a in lb.aliases]
        if parsed
        else [],
        "unreachable_lbs": [
            lb.name
            for lb in parsed.load_balancers
            if lb.scheme == "internet-facing"
            and lb.type != "gateway"
            and lb.nodes
            and not any(node.public for node in lb.nodes)
        ]
        if parsed
        else [],
        "needs_values": intrinsics.needs_values(problems),
        "missing": [
            item.name
            for item in inputs
            if resolved is not None and item.name not in resolved.values and not item.stand_in
        ],
        "form": form or RunOptionsForm(),
        "runs": runs,
        "resolved": resolved,
        "parameters_form": parameters_form,
        "parameters": [
            {
                "name": item.name,
                "value": "****" if item.no_echo else _shown(resolved.values.get(item.name)),
                "stand_in": STAND_INS.get(item.stand_in or "")
                if item.name in resolved.stand_ins
                else None,
            }
            for item in inputs
        ]
        if resolved
        else [],
    }


@login_required
@require_POST
def topology_parameters(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Keep the values the template's parameters take (the owner's; a new revision)."""
    topology = _get_topology_for_user(request, pk)
    inputs = intrinsics.inputs(cfn.parse_document(topology.document))
    form = ParametersForm(inputs, {}, request.POST)
    if form.is_valid():
        try:
            services.set_parameters(request.user, topology, form.values())
        except services.DocumentError as error:
            for problem in error.problems:
                form.add_error(None, str(problem))
        else:
            messages.success(request, _("Saved the parameter values."))
            return redirect("labs-topology-detail", pk=topology.pk)
    context = _topology_context(request, topology, parameters_form=form)
    return render(request, "labs/topology_detail.html", context, status=400)


def _resolved(topology: Topology) -> intrinsics.Resolved | None:
    try:
        return cfn.resolve(topology.document)
    except cfn.TemplateError:
        return None


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ""  # a stand-in resource: said next to it
    return "" if value is None else str(value)


def _parse(topology: Topology | LabRun) -> tuple[Any, list[Any]]:
    """A topology's template, or the one a run keeps (what it started with)."""
    try:
        return cfn.load_topology(topology.document), []
    except cfn.TemplateError as error:
        return None, list(error.problems)


def _targets_of(parsed: Any) -> list[dict[str, Any]]:
    """Every target the run page lists before any event arrives (health: initial)."""
    if parsed is None:
        return []
    return [
        {
            "targetGroup": group.name,
            "id": target.id,
            "address": target.address,
            "az": target.az,
            "instance": bool(target.ip),  # a fault needs a server: not for a Lambda
        }
        for group in parsed.target_groups
        for target in group.targets
    ]


def _traffic_of(parsed: Any) -> dict[str, bool]:
    """What the run's load balancers emit: HTTP requests (ALB, Classic HTTP/HTTPS
    listeners), flows (NLB, GWLB, Classic TCP/SSL listeners), and GWLB packets."""
    lbs = parsed.load_balancers if parsed is not None else ()

    def http(lb: LoadBalancer) -> bool:
        return lb.type == "application" or (
            lb.type == "classic" and any(x.protocol in ("HTTP", "HTTPS") for x in lb.listeners)
        )

    return {
        "requests": parsed is None or any(http(lb) for lb in lbs),
        "flows": any(lb.type in ("network", "gateway") or not http(lb) for lb in lbs),
        "gwlb": any(lb.type == "gateway" for lb in lbs),
    }


def _controls_context(run: LabRun, parsed: Any) -> dict[str, Any]:
    """The run controls' part of the run page: fault modes, the rate limit, the log."""
    rps = run.rps or (parsed.traffic.rps if parsed is not None else 0)
    return {
        "fault_modes": list(codes.FAULT_MODES.items()),
        "max_rps": settings.LAB_MAX_RPS,
        "traffic_rps": f"{rps:g}",
        "auto_scaling_groups": parsed.auto_scaling_groups if parsed is not None else (),
        # The instances' security groups, whose rule admitting the LB can be revoked live.
        "target_security_groups": sorted(
            {name for i in parsed.instances for name in i.security_groups}
        )
        if parsed is not None and parsed.load_balancers
        else [],
        # The script shows the link when the final run.status says there is a log.
        "has_access_log": not run.is_active and RunAccessLog.objects.filter(run=run).exists(),
    }


def _run_config(run: LabRun, status: dict[str, Any]) -> dict[str, Any]:
    """What the run page's script starts from (json_script), before any live event."""
    return {
        "wsPath": f"/ws/runs/{run.pk}/",
        "clockSpeed": run.clock_speed,
        "state": run.state,
        "reason": status["reason"],
        "position": status.get("position"),
        # An ended run gets no more events: its page is drawn from the saved summary.
        "summary": run.summary,
    }
