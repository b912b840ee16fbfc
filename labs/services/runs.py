"""Every write to a lab run goes through here.

Each function commits its rows first and only then enqueues or publishes
(``transaction.on_commit``): a worker or a browser never hears about a row it cannot read.
"""

from __future__ import annotations

import gzip
import logging
import time
from datetime import UTC, datetime, timedelta
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
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from labs import cfn
from labs import messages as codes
from labs.engine import spec
from labs.engine.accesslog import ACCOUNT, REGION, load_balancer_id
from labs.engine.events import RunStatus
from labs.models import LabRun, RunAccessLog, Topology

logger = logging.getLogger(__name__)

State = LabRun.State
MIN_CLOCK_SPEED, MAX_CLOCK_SPEED = 1, 30
ACCESS_LOG_MAX_LINES = 200_000  # the newest lines of a run's access log that are kept


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


def control_run(user: User, run: LabRun, command: Any) -> dict[str, Any]:
    """Ask the running lab to apply ``command``; its worker answers with a ``fault`` event.

    Commands (labs.runtime.control): ``{"action": "deregister" | "register",
    "target_group", "target"}``, ``{"action": "fault", "target", "mode"}``,
    ``{"action": "traffic", "rps"}``. The command is checked here against the run's
    topology and limits, so a mistake is answered in the learner's language before it
    reaches the worker; what the worker still refuses comes back as a ``fault`` event
    with ``error``. Returns the command as sent (only the keys its action uses).

    Raises:
        PermissionDenied: someone else's run (staff may change any).
        ValidationError: a malformed command, or the run is not running.
    """
    _check_can_control(user, run, _("You cannot change someone else's run."))
    command = checked_command(run, command)
    run.refresh_from_db(fields=["state", "control_channel"])
    if run.state != State.RUNNING or not run.control_channel:
        raise ValidationError(
            _("The run is not running, so it cannot be changed."), code="not-running"
        )
    message = {"type": "run.control", "command": command, "by": user.username}
    transaction.on_commit(partial(_send, run.control_channel, message))
    return command


def checked_command(run: LabRun, command: Any) -> dict[str, Any]:
    """``command`` reduced to the keys its action uses, or a ValidationError saying why."""
    if not isinstance(command, dict):
        raise ValidationError(
            _('Send the change as an object, such as {"action": "traffic", "rps": 5}.'),
            code="command",
        )
    action = command.get("action")
    if action == "traffic":
        return {"action": action, "rps": _checked_control_rps(command.get("rps"))}
    topology = _runnable_topology(run)
    if action in ("deregister", "register"):
        group_name, target = command.get("target_group"), command.get("target")
        group = next((g for g in topology.target_groups if g.name == group_name), None)
        if group is None:
            raise ValidationError(_("Choose one of this run's target groups."), code="target_group")
        if not isinstance(target, str) or target not in {_target_key(t) for t in group.targets}:
            raise ValidationError(
                _("%(target)s is not a target of %(target_group)s."),
                code="target",
                params={"target": str(target), "target_group": group.name},
            )
        return {"action": action, "target_group": group.name, "target": target}
    if action == "fault":
        target, mode = command.get("target"), command.get("mode")
        instances = {t.address for g in topology.target_groups for t in g.targets if t.ip}
        if not isinstance(target, str) or target not in instances:
            raise ValidationError(
                _("%(target)s is not an instance of this run."),
                code="target",
                params={"target": str(target)},
            )
        if not isinstance(mode, str) or mode not in codes.FAULT_MODES:
            raise ValidationError(
                _("Choose a fault mode: %(modes)s."),
                code="mode",
                params={"modes": ", ".join(codes.FAULT_MODES)},
            )
        return {"action": action, "target": target, "mode": mode}
    raise ValidationError(
        _("Unknown change. Use deregister, register, fault or traffic."), code="action"
    )


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


def save_access_log(run: LabRun, lines: list[str], topology: spec.Topology) -> RunAccessLog:
    """Keep the run's access log (its last ACCESS_LOG_MAX_LINES lines), gzipped.

    Called by the worker as the run ends, before its final state is published, so a page
    that hears "finished" can offer the download at once. ``topology`` is the parsed
    template (labs.engine.spec.Topology) the run ran, which names the file.
    """
    lines = lines[-ACCESS_LOG_MAX_LINES:]
    text = "".join(f"{line}\n" for line in lines)
    data = gzip.compress(text.encode("utf-8"), compresslevel=6)
    log, _created = RunAccessLog.objects.update_or_create(
        run=run,
        defaults={
            "file_name": access_log_file_name(topology, timezone.now()),
            "lines": len(lines),
            "data": data,
        },
    )
    return log


def access_log_file_name(topology: spec.Topology, end: datetime) -> str:
    """As AWS names an ALB's log files (ELB user guide, "Access log files")::

        123456789012_elasticloadbalancing_us-east-1_app.my-lb.1234567890abcdef_
        20140215T2340Z_172.160.001.192_20sg8hgm.log

    (AWS adds ``.gz``; we serve the text itself.) The load balancer is the topology's
    first, the address its first node's.
    """
    lb = topology.load_balancers[0] if topology.load_balancers else None
    name, kind = (lb.name, lb.type) if lb is not None else ("LoadBalancer", "application")
    lb_id = load_balancer_id(name, kind).replace("/", ".")
    ip = lb.nodes[0].ip if lb is not None and lb.nodes else "0.0.0.0"  # noqa: S104 - a name
    stamp = end.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    random_part = get_random_string(8, "abcdefghijklmnopqrstuvwxyz0123456789")
    return f"{ACCOUNT}_elasticloadbalancing_{REGION}_{lb_id}_{stamp}_{ip}_{random_part}.log"


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
    return RunStatus(
        t=run.lab_seconds() if t is None else t,
        emitted=time.time(),
        state=run.state,
        reason=run.reason,
        # The run page offers the access log's download once the run is over.
        access_log=RunAccessLog.objects.filter(run_id=run.pk).exists()
        if run.state in LabRun.FINAL_STATES
        else None,
    ).wire()


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


def _check_can_control(user: User | None, run: LabRun, message: str | None = None) -> None:
    if user is None or user.is_staff or run.owner_id == user.pk:
        return
    raise PermissionDenied(message or _("You cannot stop someone else's run."))


def _checked_control_rps(value: Any) -> float:
    limit = settings.LAB_MAX_RPS
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise ValidationError(
            _("The traffic rate must be a number from 0 to %(limit)s requests a second."),
            code="rps",
            params={"limit": limit},
        )
    return float(value)


def _runnable_topology(run: LabRun) -> spec.Topology:
    """The run's parsed template; it was valid when the run started."""
    try:
        return cfn.load_topology(run.topology.document)
    except cfn.TemplateError as error:
        # Edited since the run started: the run is still what it was, but we cannot tell
        # its targets apart any more. Rare enough to simply refuse.
        raise ValidationError(
            _("The template changed since this run started, so it cannot be changed."),
            code="template",
        ) from error


def _target_key(target: Any) -> str:
    """How events and commands name a target: ``ip:port``, or a Lambda's logical id."""
    return str(target.address if target.ip else target.id)


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
