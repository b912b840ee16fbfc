"""Every write to a lab run goes through here.

Each function commits its rows first and only then enqueues or publishes
(``transaction.on_commit``): a worker or a browser never hears about a row it cannot read.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from labs import cfn
from labs import messages as codes
from labs.models import LabRun, Topology

logger = logging.getLogger(__name__)

State = LabRun.State
MIN_CLOCK_SPEED, MAX_CLOCK_SPEED = 1, 30


def start_run(
    user: User,
    topology: Topology,
    *,
    clock_speed: float | None = None,
    rps: float | None = None,
    duration: int | None = None,
) -> LabRun:
    """Queue a run of ``topology`` for ``user``; the worker picks it up after commit.

    Raises:
        ValidationError: the template has problems, a limit is exceeded, or the user
            already has LAB_RUNS_PER_USER runs going. Nothing is saved then.
    """
    clock_speed = _checked_clock_speed(clock_speed)
    rps = _checked_rps(rps)
    duration = _checked_duration(duration)
    _check_template(topology.document)
    with transaction.atomic():
        _lock_user(user)
        _check_run_quota(user)
        run = LabRun.objects.create(
            topology=topology,
            owner=user,
            clock_speed=clock_speed,
            rps=rps,
            duration_limit=duration,
        )
        transaction.on_commit(partial(_enqueue_run, run.pk))
    return run


def stop_run(user: User | None, run: LabRun) -> None:
    """Ask the run to stop; ``user`` None means the system (time limit, shutdown).

    A queued run has no worker yet, so it is finished here. A running one is told over
    its control channel and its worker finishes it, usually within a few milliseconds.
    """
    _check_can_control(user, run)
    if _finish_if_queued(run):
        return
    run.refresh_from_db(fields=["state", "control_channel"])
    if run.state in LabRun.FINAL_STATES or not run.control_channel:
        return  # already over, or the worker has not claimed it yet: nothing to tell
    message = {"type": "run.stop", "by": getattr(user, "username", "")}
    transaction.on_commit(partial(_send, run.control_channel, message))


def set_state(run: LabRun, state: str, reason: str = "", t: float | None = None) -> bool:
    """Move ``run`` to ``state`` and tell its watchers; False if it had already ended.

    A finished or failed run never changes again: a worker that comes back after being
    declared lost must not overwrite "failed" with "finished".
    """
    now = timezone.now()
    changes: dict[str, Any] = {"state": state, "reason": reason}
    if state == State.RUNNING:
        changes["started_at"] = now
    if state in LabRun.FINAL_STATES:
        changes["ended_at"] = now
    with transaction.atomic():
        updated = (
            LabRun.objects.filter(pk=run.pk)
            .exclude(state__in=LabRun.FINAL_STATES)
            .update(**changes)
        )
        if not updated:
            return False
        for field, value in changes.items():
            setattr(run, field, value)
        event = status_event(run, t)
        transaction.on_commit(partial(publish, run.pk, [event]))
    return True


def claim_run(run: LabRun, control_channel: str) -> bool:
    """A worker takes a queued run: starting, with its control channel and a first beat.

    A conditional update, so a run stopped while queued is never started after all.
    """
    now = timezone.now()
    claimed = LabRun.objects.filter(pk=run.pk, state=State.QUEUED).update(
        state=State.STARTING, control_channel=control_channel, heartbeat_at=now
    )
    if not claimed:
        return False
    run.state, run.control_channel, run.heartbeat_at = State.STARTING, control_channel, now
    publish(run.pk, [status_event(run, 0.0)])
    return True


def beat(run: LabRun) -> bool:
    """Record that the worker is alive; False if the run is no longer the worker's."""
    return bool(
        LabRun.objects.filter(pk=run.pk, state__in=LabRun.WORKER_STATES).update(
            heartbeat_at=timezone.now()
        )
    )


def finish_run(run: LabRun, reason: str, summary: dict[str, Any], t: float | None) -> None:
    LabRun.objects.filter(pk=run.pk).update(summary=summary)
    run.summary = summary
    set_state(run, State.FINISHED, reason, t)


def fail_stale_runs(run_id: int | None = None) -> int:
    """Mark runs whose worker stopped beating as failed ("worker-lost").

    Called when a worker starts (its predecessor may have died mid-run) and by every
    open run page, so a dead worker shows as failed within LAB_STALE_SECONDS plus a
    watchdog period. Returns how many runs it failed.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.LAB_STALE_SECONDS)
    stale = LabRun.objects.filter(state__in=LabRun.WORKER_STATES).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    )
    if run_id is not None:
        stale = stale.filter(pk=run_id)
    failed = 0
    for run in stale:
        if set_state(run, State.FAILED, "worker-lost"):
            logger.warning("lab run %s: worker lost (last heartbeat %s)", run.pk, run.heartbeat_at)
            failed += 1
    return failed


def status_event(run: LabRun, t: float | None = None) -> dict[str, Any]:
    """A ``run.status`` event (DESIGN.md, "Events") for the run as it is now."""
    return {
        "type": "run.status",
        "t": run.lab_seconds() if t is None else t,
        "state": run.state,
        "reason": run.reason,
    }


def publish(run_id: int, events: list[dict[str, Any]]) -> None:
    """Send a batch of events to everyone watching the run (sync callers only)."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(f"run.{run_id}", {"type": "run.events", "events": events})


# --- checks ----------------------------------------------------------------------------


def _checked_clock_speed(value: float | None) -> float:
    if value is None:
        return float(settings.LAB_DEFAULT_CLOCK_SPEED)
    if not MIN_CLOCK_SPEED <= value <= MAX_CLOCK_SPEED:
        raise ValidationError(
            _("The lab clock speed must be between %(low)sx and %(high)sx."),
            code="clock_speed",
            params={"low": MIN_CLOCK_SPEED, "high": MAX_CLOCK_SPEED},
        )
    return float(value)


def _checked_rps(value: float | None) -> float | None:
    if value is not None and not 0 < value <= settings.LAB_MAX_RPS:
        raise ValidationError(
            _("Requests per second must be more than 0 and at most %(limit)s."),
            code="rps",
            params={"limit": settings.LAB_MAX_RPS},
        )
    return value


def _checked_duration(value: int | None) -> int:
    limit = settings.LAB_RUN_MAX_SECONDS
    if value is None:
        return limit
    if not 0 < value <= limit:
        raise ValidationError(
            _("A run may last at most %(limit)s seconds."), code="duration", params={"limit": limit}
        )
    return value


def _check_template(document: str) -> None:
    try:
        topology = cfn.load_topology(document)
    except cfn.TemplateError as error:
        raise ValidationError(
            _("The CloudFormation template has problems:\n%(problems)s"),
            code="template",
            params={"problems": str(error)},
        ) from error
    # cfn.runnable arrives with the document work of issue 3: a valid template the
    # runtime cannot run yet (an NLB, say) is refused here, in the learner's language.
    runnable = getattr(cfn, "runnable", None)
    reason = runnable(topology) if runnable is not None else None
    if reason:
        raise ValidationError(
            _("The playground cannot run this topology yet (%(reason)s)."),
            code="not-runnable",
            params={"reason": codes.not_runnable(reason)},
        )


def _lock_user(user: User) -> None:
    # Serialises one user's concurrent starts, so two clicks cannot both pass the quota.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _check_run_quota(user: User) -> None:
    limit = settings.LAB_RUNS_PER_USER
    if LabRun.objects.filter(owner=user, state__in=LabRun.ACTIVE_STATES).count() >= limit:
        raise ValidationError(
            _("You already have %(limit)s runs going. Stop one before starting another."),
            code="quota",
            params={"limit": limit},
        )


def _check_can_control(user: User | None, run: LabRun) -> None:
    if user is None or user.is_staff or run.owner_id == user.pk:
        return
    raise PermissionDenied(_("You cannot stop someone else's run."))


def _finish_if_queued(run: LabRun) -> bool:
    with transaction.atomic():
        finished = LabRun.objects.filter(pk=run.pk, state=State.QUEUED).update(
            state=State.FINISHED, reason="stopped", ended_at=timezone.now()
        )
        if finished:
            run.state, run.reason = State.FINISHED, "stopped"
            transaction.on_commit(partial(publish, run.pk, [status_event(run, 0.0)]))
    return bool(finished)


# --- side effects, run after commit -----------------------------------------------------


def _enqueue_run(run_id: int) -> None:
    # Imported here because labs.tasks imports this module.
    from labs.tasks import run_lab

    run_lab.delay(run_id)


def _send(channel: str, message: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().send)(channel, message)
