"""Every write to a class goes through here: views, consumers, the admin and tests call
these functions (STYLE.md §5). Each checks who asks, saves atomically, and publishes to
the class's dashboards only after commit.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from labs import cfn
from labs import services as lab_services
from labs.engine.events import Hint as HintEvent
from labs.models import LabRun, Topology
from playground.quizzes.models import QuestionSet

from .access import is_instructor
from .models import Assignment, Classroom, Hint, Membership, ValidationErrorRecord

logger = logging.getLogger(__name__)
NAME_MAX = 120
HINT_MAX = 2000
# The same hint to the same learner, or a class of the same name, this soon again is a
# double click, not a second one.
DOUBLE_SUBMIT = timedelta(seconds=10)
ERRORS_KEPT = 50  # per learner: the dashboard needs the last few


def create_classroom(instructor: User, name: str) -> Classroom:
    if not is_instructor(instructor):
        raise PermissionDenied(_("Only instructors can create classes."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the class a name."), code="name")
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("A class name may be at most %(limit)s characters."),
            code="name",
            params={"limit": NAME_MAX},
        )
    again = Classroom.objects.filter(
        instructor=instructor, name=name, created_at__gte=timezone.now() - DOUBLE_SUBMIT
    ).first()
    if again is not None:
        return again  # the create button pressed twice: one class
    for _attempt in range(5):  # a clash of random codes is rare; try another one
        try:
            with transaction.atomic():
                return Classroom.objects.create(name=name, instructor=instructor)
        except IntegrityError:
            continue
    raise ValidationError(_("Could not make a join code. Try again."), code="join_code")


def _class_of_code(code: str) -> Classroom | None:
    code = (code or "").strip().upper().replace("-", "").replace(" ", "")
    return (
        Classroom.objects.filter(join_code=code).select_related("instructor").first()
        if code
        else None
    )


def open_class_of_code(code: str) -> Classroom | None:
    """The class a join code opens, if it takes learners (for the join page to name it)."""
    classroom = _class_of_code(code)
    return classroom if classroom is not None and not classroom.is_archived else None


def join_classroom(learner: User, code: str) -> Classroom:
    """Add ``learner`` to the class with join code ``code`` (joining twice is fine)."""
    classroom = _class_of_code(code)
    if classroom is None:
        raise ValidationError(_("No class has this join code. Check it with your instructor."))
    if classroom.is_archived:
        raise ValidationError(_("This class is archived and takes no new learners."))
    if classroom.instructor_id == learner.pk:
        raise ValidationError(_("You teach this class, so you cannot join it as a learner."))
    with transaction.atomic():
        _membership, created = Membership.objects.get_or_create(
            classroom=classroom, learner=learner
        )
        if created:
            transaction.on_commit(partial(_tell_dashboards, classroom.pk, learner.pk))
    return classroom


def remove_learner(classroom: Classroom, by: User, learner: User) -> None:
    _check_teaches(by, classroom)
    with transaction.atomic():
        Membership.objects.filter(classroom=classroom, learner=learner).delete()
        transaction.on_commit(partial(_tell_dashboards, classroom.pk, learner.pk))


def assign(
    classroom: Classroom,
    by: User,
    *,
    due_at: datetime,
    topology: Topology | None = None,
    question_set: QuestionSet | None = None,
) -> Assignment:
    """Ask the class to do a starter lab or a quiz set by ``due_at``."""
    _check_teaches(by, classroom)
    _check_open(classroom)
    if (topology is None) == (question_set is None):
        raise ValidationError(_("Choose a starter lab or a quiz set (one of them)."))
    if topology is not None and not topology.is_starter:
        raise ValidationError(_("Only starter labs can be assigned."))
    if question_set is not None and not question_set.is_published:
        raise ValidationError(_("Only published quiz sets can be assigned."))
    if timezone.is_naive(due_at):
        due_at = timezone.make_aware(due_at)
    if due_at <= timezone.now():
        raise ValidationError(
            _("This due date has already passed. Choose a time still to come."), code="due_at"
        )
    return Assignment.objects.create(
        classroom=classroom, topology=topology, question_set=question_set, due_at=due_at
    )


def unassign(classroom: Classroom, by: User, assignment: Assignment) -> None:
    _check_teaches(by, classroom)
    Assignment.objects.filter(pk=assignment.pk, classroom=classroom).delete()


def archive_classroom(classroom: Classroom, by: User, *, archived: bool = True) -> None:
    """An archived class keeps its records but takes no learners, hints or faults."""
    _check_teaches(by, classroom)
    classroom.archived_at = timezone.now() if archived else None
    classroom.save(update_fields=["archived_at"])


def send_hint(classroom: Classroom, by: User, learner: User, text: str) -> Hint:
    """Save the hint and show it at once in the learner's open labs."""
    _check_teaches(by, classroom)
    _check_open(classroom)
    _check_member(classroom, learner)
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the hint first."), code="text")
    if len(text) > HINT_MAX:
        raise ValidationError(
            _("A hint may be at most %(limit)s characters."),
            code="text",
            params={"limit": HINT_MAX},
        )
    with transaction.atomic():
        again = Hint.objects.filter(
            classroom=classroom,
            learner=learner,
            text=text,
            sent_at__gte=timezone.now() - DOUBLE_SUBMIT,
        ).first()
        if again is not None:
            return again
        hint = Hint.objects.create(classroom=classroom, learner=learner, text=text)
        transaction.on_commit(partial(_publish_hint, hint.pk))
    return hint


def send_class_hint(classroom: Classroom, by: User, text: str) -> int:
    """The same hint to every learner of the class (each through send_hint); how many."""
    _check_teaches(by, classroom)
    _check_open(classroom)
    learners = [m.learner for m in classroom.memberships.select_related("learner")]
    if not learners:
        raise ValidationError(_("No one has joined this class yet."), code="empty")
    with transaction.atomic():
        for learner in learners:
            send_hint(classroom, by, learner, text)
    return len(learners)


def mark_hints_read(learner: User, ids: list[int]) -> int:
    return Hint.objects.filter(learner=learner, pk__in=ids, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def stop_learner_run(classroom: Classroom, by: User, run: LabRun) -> None:
    _check_teaches(by, classroom)
    _check_member(classroom, run.owner)
    lab_services.stop_run(by, run)


def stop_class_runs(classroom: Classroom, by: User) -> int:
    """Stop every run of the class that is still going (queued, starting or running), all
    at once (labs.services.stop_runs). Returns how many were asked.

    Raises:
        ValidationError: no learner of the class has a run going.
    """
    _check_teaches(by, classroom)
    runs = list(
        LabRun.objects.filter(
            owner__class_memberships__classroom=classroom, state__in=LabRun.ACTIVE_STATES
        )
    )
    stopped = lab_services.stop_runs(by, runs) if runs else 0
    if not stopped:
        raise ValidationError(_("No learner of this class has a run going."), code="not-running")
    return stopped


def inject_fault(
    classroom: Classroom,
    by: User,
    kind: str,
    *,
    run: LabRun | None = None,
    target: str | None = None,
) -> int:
    """Make a target misbehave in one learner's run, or (``run`` None) in every running run
    of the class. Without ``target``, each run's first instance is the one. Returns how
    many runs were told.

    Raises:
        ValidationError: no run is running, or the run refused (labs.services.inject_fault).
    """
    _check_teaches(by, classroom)
    _check_open(classroom)
    if run is not None:
        _check_member(classroom, run.owner)
        runs = [run]
    else:
        runs = list(running_runs(classroom))
    if not runs:
        raise ValidationError(_("No learner of this class has a run going."), code="not-running")
    told = 0
    for each in runs:
        chosen = target or first_instance(each)
        if chosen is None:
            if run is not None:
                raise ValidationError(_("This run has no instance to break."), code="InvalidTarget")
            continue
        try:
            lab_services.inject_fault(by, each, kind, target=chosen)
        except ValidationError:
            if run is not None:
                raise
            continue  # one run that ended meanwhile does not stop the rest
        told += 1
    if not told:
        raise ValidationError(_("No running run could take the fault."), code="not-running")
    return told


def change_security_group(
    classroom: Classroom, by: User, run: LabRun, security_group: Any, change: Any
) -> None:
    """Remove (``revoke``) or restore (``authorize``) the rule of a learner's target
    security group that admits the load balancer, as the run page's form does.

    Raises:
        ValidationError: the run is not running, or the change is not one it can take.
    """
    _check_teaches(by, classroom)
    _check_open(classroom)
    _check_member(classroom, run.owner)
    command = {"action": "sg", "security_group": security_group, "change": change}
    lab_services.control_run(by, run, command)


def running_runs(classroom: Classroom) -> Any:
    return LabRun.objects.filter(
        owner__class_memberships__classroom=classroom, state=LabRun.State.RUNNING
    ).select_related("owner")


def first_instance(run: LabRun) -> str | None:
    try:
        topology = cfn.load_topology(run.document)
    except cfn.TemplateError:
        return None
    for group in topology.target_groups:
        for target in group.targets:
            if target.ip:
                return str(target.address)
    return None


def record_validation_error(learner: User, topology: Topology | None, messages: list[str]) -> None:
    """Keep the error a learner hit, for the dashboards of their classes."""
    classes = list(
        Classroom.objects.filter(
            memberships__learner=learner, archived_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if not classes or not messages:
        return
    with transaction.atomic():
        ValidationErrorRecord.objects.create(
            learner=learner, topology=topology, message="\n".join(str(m) for m in messages)
        )
        old = ValidationErrorRecord.objects.filter(learner=learner).order_by("-created_at")[
            ERRORS_KEPT:
        ]
        ValidationErrorRecord.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
        for pk in classes:
            transaction.on_commit(partial(_tell_dashboards, pk, learner.pk))


def record_validation_error_signal(
    sender: Any, *, user: User, topology: Any, messages: list[str], **kw: Any
) -> None:
    """labs.signals.validation_failed's receiver."""
    if user.is_authenticated:
        record_validation_error(user, topology, messages)


def learner_answered_signal(sender: Any, *, user_id: int, **kw: Any) -> None:
    """playground.quizzes.signals.answered's receiver: the quiz score column moves."""
    classes = Classroom.objects.filter(
        memberships__learner_id=user_id, archived_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in classes:
        _tell_dashboards(pk, user_id)


# --- checks ----------------------------------------------------------------------------


def _check_teaches(user: User, classroom: Classroom) -> None:
    if not (user.is_staff or classroom.instructor_id == user.pk):
        raise PermissionDenied(_("This is not one of your classes."))


def _check_open(classroom: Classroom) -> None:
    if classroom.is_archived:
        raise ValidationError(_("This class is archived."), code="archived")


def _check_member(classroom: Classroom, learner: User) -> None:
    if not Membership.objects.filter(classroom=classroom, learner=learner).exists():
        raise PermissionDenied(_("This learner is not in the class."))


# --- side effects, after commit -----------------------------------------------------------


def hint_event(hint: Hint) -> dict[str, Any]:
    return HintEvent(
        t=0.0,
        emitted=time.time(),
        id=hint.pk,
        text=hint.text,
        by=hint.classroom.instructor.get_username(),
        sent=hint.sent_at.timestamp(),
    ).wire()


def _publish_hint(hint_id: int) -> None:
    hint = Hint.objects.select_related("classroom__instructor").get(pk=hint_id)
    event = hint_event(hint)
    for run in LabRun.objects.filter(owner=hint.learner_id, state__in=LabRun.ACTIVE_STATES):
        lab_services.publish(run.pk, [event])
    _tell_dashboards(hint.classroom_id, hint.learner_id)


def _tell_dashboards(classroom_id: int, learner_id: int) -> None:
    """The class's dashboards read this learner's row again."""
    message = {"type": "classroom.learner", "learner": learner_id}
    try:
        layer = get_channel_layer(lab_services.EVENTS_LAYER)  # where the dashboards listen
        async_to_sync(layer.group_send)(f"classroom.{classroom_id}", message)
    except Exception:
        logger.warning("class %s: could not tell its dashboards", classroom_id, exc_info=True)
