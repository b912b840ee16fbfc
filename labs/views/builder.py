"""The builder: a topology's diagram, a form per resource, and its template as text.

Every edit is one POST that ends in ``services.save_document``. The page's script sends
them with fetch and asks for JSON: the new diagram, resource list, form and template
come back as fragments (``_panels``) and replace the old ones. Without the script the
same views answer with a redirect (saved) or the whole page (problems), so the builder
works from a keyboard and without JavaScript alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from labs import cfn, diagram, editing, services, signals
from labs import messages as codes
from labs.forms import (
    EDITORS,
    RESOURCE_EDITORS,
    EditorForm,
    ResourceForm,
    RunOptionsForm,
    TemplateForm,
)
from labs.models import Topology

from .access import AuthenticatedRequest, get_own_topology_for_user, get_topology_for_user

Change = services.Change


@login_required
def builder(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topology = get_topology_for_user(request, pk)
    document = _document(topology)
    editable = topology.owner_id == request.user.pk
    editor = _requested_editor(request, document) if editable and document else None
    if request.GET.get("fragment") == "editor" and editable:
        return HttpResponse(_render_editor(request, topology, editor))
    context = _page_context(request, topology, editor=editor)
    return render(request, "labs/builder.html", context)


@login_required
@require_POST
def builder_save(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Add or edit one resource (or the traffic) from its form."""
    topology = get_own_topology_for_user(request, pk)
    document = _document(topology)
    form_class = EDITORS.get(request.POST.get("kind", ""))
    if document is None or form_class is None:
        return _answer(
            request,
            topology,
            None,
            [],
            _("The template cannot be read: fix it in the Template tab first."),
            status=400,
        )
    original_id = request.POST.get("original_id") or None
    form = _bound_editor(form_class, request.POST, document, original_id)
    if not form.is_valid():
        return _answer(
            request, topology, form, [], _("Nothing was saved: check the form."), status=400
        )
    change = Change.EDIT if original_id or not isinstance(form, ResourceForm) else Change.ADD
    text = editing.dump_yaml(form.updated_document())
    try:
        revision = services.save_document(
            request.user, topology, text, change=change, subject=form.subject
        )
    except services.DocumentError as error:
        _tell_validation_failed(request, topology, error.problems)
        rest = form.show_problems(error.problems)
        return _answer(request, topology, form, rest, _problems_note(error.problems), status=400)
    saved = _("Saved %(subject)s as revision %(number)s.") % {
        "subject": form.subject or form.title,
        "number": revision.number,
    }
    fresh = _fresh_editor(form, _document(topology))
    return _answer(request, topology, fresh, [], saved)


@login_required
@require_POST
def builder_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    topology = get_own_topology_for_user(request, pk)
    document = _document(topology)
    logical_id = request.POST.get("logical_id", "")
    if document is None or logical_id not in editing.resources(document):
        return _answer(request, topology, None, [], _("There is no such resource."), status=400)
    # Its companions (a function's permission, a load balancer's Elastic IPs, a group's
    # launch template) go with it; anything else that names it makes validation refuse.
    text = editing.dump_yaml(editing.delete_with_companions(document, logical_id))
    try:
        revision = services.save_document(
            request.user, topology, text, change=Change.DELETE, subject=logical_id
        )
    except services.DocumentError as error:
        form = _editor_for(document, logical_id)
        note = _("%(name)s was not deleted: other resources still use it.") % {"name": logical_id}
        return _answer(request, topology, form, error.problems, note, status=400)
    deleted = _("Deleted %(name)s (revision %(number)s).") % {
        "name": logical_id,
        "number": revision.number,
    }
    return _answer(request, topology, None, [], deleted)


@login_required
@require_POST
def builder_template(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Save the Template tab's text as it is (the learner's own formatting stays)."""
    topology = get_own_topology_for_user(request, pk)
    form = TemplateForm(request.POST)
    problems: list[cfn.Problem] = []
    if form.is_valid():
        try:
            revision = services.save_document(
                request.user, topology, form.cleaned_data["document"], form.cleaned_data["note"]
            )
        except services.DocumentError as error:
            problems = error.problems
        else:
            saved = _("Saved the template as revision %(number)s.") % {"number": revision.number}
            return _answer(request, topology, None, [], saved, tab="template")
    note = _problems_note(problems) if problems else _("Nothing was saved: check the form.")
    return _answer(
        request, topology, None, problems, note, status=400, tab="template", template_form=form
    )


# --- answers ------------------------------------------------------------------------------
def _answer(
    request: AuthenticatedRequest,
    topology: Topology,
    editor: EditorForm | None,
    problems: list[cfn.Problem],
    note: str,
    *,
    status: int = 200,
    tab: str = "diagram",
    template_form: TemplateForm | None = None,
) -> HttpResponse:
    level = "success" if status < 400 else "error"
    wants_json = request.accepts("application/json") and not request.accepts("text/html")
    if wants_json:
        return JsonResponse(
            _panels(request, topology, editor, problems, note, level), status=status
        )
    if status < 400:
        messages.success(request, note)
        query = f"?edit={editor.subject}" if isinstance(editor, ResourceForm) else ""
        if tab == "template":
            query = "?tab=template"
        return redirect(reverse("labs-topology-builder", args=[topology.pk]) + query)
    context = _page_context(
        request,
        topology,
        editor=editor,
        problems=problems,
        note=note,
        level=level,
        tab=tab,
        template_form=template_form,
    )
    return render(request, "labs/builder.html", context, status=status)


def _panels(
    request: AuthenticatedRequest,
    topology: Topology,
    editor: EditorForm | None,
    problems: list[cfn.Problem],
    note: str,
    level: str,
) -> dict[str, Any]:
    """The fragments the page's script swaps in, and facts tests can wait on."""
    document = _document(topology)
    shared = {"topology": topology, "editable": True}
    return {
        "diagram": render_to_string(
            "labs/_diagram.html", {**shared, "diagram": diagram.build(document or {})}, request
        ),
        "outline": render_to_string(
            "labs/_outline.html", {**shared, "outline": _outline(document or {})}, request
        ),
        "editor": _render_editor(request, topology, editor),
        "messages": render_to_string(
            "labs/_builder_messages.html",
            {"note": note, "level": level, "problems": _problem_lines(problems)},
            request,
        ),
        "template": topology.document,
        "revision": _latest_revision(topology),
        "ok": level == "success",
    }


def _render_editor(
    request: AuthenticatedRequest, topology: Topology, editor: EditorForm | None
) -> str:
    return render_to_string("labs/_editor.html", {"topology": topology, "form": editor}, request)


def _page_context(
    request: AuthenticatedRequest,
    topology: Topology,
    *,
    editor: EditorForm | None = None,
    problems: list[cfn.Problem] | None = None,
    note: str = "",
    level: str = "",
    tab: str = "",
    template_form: TemplateForm | None = None,
) -> dict[str, Any]:
    document = _document(topology)
    editable = topology.owner_id == request.user.pk
    unreadable = _parse_problems(topology) if document is None else []
    return {
        "topology": topology,
        "editable": editable,
        "diagram": diagram.build(document or {}),
        "outline": _outline(document or {}),
        "form": editor,
        "note": note,
        "level": level,
        "problems": _problem_lines([*(problems or []), *unreadable]),
        "tab": tab or request.GET.get("tab", "diagram"),
        "template_form": template_form or TemplateForm(initial={"document": topology.document}),
        "run_form": RunOptionsForm(),
        "revision": _latest_revision(topology),
    }


# --- pieces --------------------------------------------------------------------------------
def _document(topology: Topology) -> dict[str, Any] | None:
    try:
        return cfn.parse_document(topology.document)
    except cfn.TemplateError:
        return None


def _parse_problems(topology: Topology) -> list[cfn.Problem]:
    try:
        cfn.parse_document(topology.document)
    except cfn.TemplateError as error:
        return list(error.problems)
    return []


def _requested_editor(request: AuthenticatedRequest, document: dict[str, Any]) -> EditorForm | None:
    """The form ``?edit=LogicalId`` or ``?form=kind`` asks for, if there is one."""
    logical_id = request.GET.get("edit", "")
    if logical_id:
        return _editor_for(document, logical_id)
    form_class = EDITORS.get(request.GET.get("form", ""))
    return form_class(document=document) if form_class else None


def _editor_for(document: dict[str, Any], logical_id: str) -> ResourceForm | None:
    resource = editing.resources(document).get(logical_id)
    kind = resource.get("Type") if isinstance(resource, dict) else None
    form_class = RESOURCE_EDITORS.get(kind) if isinstance(kind, str) else None
    return form_class(document=document, original_id=logical_id) if form_class else None


def _bound_editor(
    form_class: type[EditorForm], data: Any, document: dict[str, Any], original_id: str | None
) -> EditorForm:
    """The posted form; only a resource's form has an ``original_id`` (the one it edits)."""
    if issubclass(form_class, ResourceForm):
        return form_class(data, document=document, original_id=original_id)
    return form_class(data, document=document)


def _fresh_editor(form: EditorForm, document: dict[str, Any] | None) -> EditorForm | None:
    """After a save: the saved resource's form again, as it now reads from the document."""
    if document is None:
        return None
    if isinstance(form, ResourceForm):
        return _editor_for(document, form.subject)
    return type(form)(document=document)


def _outline(document: dict[str, Any]) -> dict[str, Any]:
    """The resources by builder form, and those the builder has no form for."""
    groups = [
        {
            "kind": kind,
            "title": form.title,
            "add_label": form.add_label,
            "names": editing.of_type(document, form.resource_type),
        }
        for kind, form in EDITORS.items()
        if issubclass(form, ResourceForm)
    ]
    known = set(RESOURCE_EDITORS)
    others = [
        (name, resource.get("Type"))
        for name, resource in editing.resources(document).items()
        if isinstance(resource, dict) and resource.get("Type") not in known
    ]
    return {"groups": groups, "others": others}


def _tell_validation_failed(
    request: AuthenticatedRequest, topology: Topology, problems: list[cfn.Problem]
) -> None:
    """labs.signals.validation_failed: the class dashboard shows the learner's last one."""
    lines = [f"{line['where']}: {line['sentence']}" for line in _problem_lines(problems)]
    signals.validation_failed.send(
        sender=builder_save, user=request.user, topology=topology, messages=lines
    )


def _problem_lines(problems: list[cfn.Problem]) -> list[dict[str, str]]:
    """Each problem's parts (messages.problem_line) and, for a syntax error, its line."""
    return [
        {
            **codes.problem_line(p.logical_id, p.path, p.code, p.message, p.rule),
            "line": "" if p.line is None else str(p.line),
            "column": "" if p.column is None else str(p.column),
        }
        for p in problems
    ]


def _problems_note(problems: list[cfn.Problem]) -> str:
    count = len(problems)
    return ngettext(
        "Nothing was saved: the template would have %(count)s problem.",
        "Nothing was saved: the template would have %(count)s problems.",
        count,
    ) % {"count": count}


def _latest_revision(topology: Topology) -> int:
    return topology.revisions.aggregate(latest=Max("number"))["latest"] or 0
