"""Every write to a lab run goes through here.

A run's ``state`` has one writer, ``_transition``; the task, the views, the consumer and
the stale-run check all reach it through the functions below. Each function commits its
rows first and only then enqueues or publishes (``transaction.on_commit``): a worker or a
browser never hears about a row it cannot read.
"""

from __future__ import annotations

import asyncio
import enum
import gzip
import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
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

from labs import cfn, frames
from labs import messages as codes
from labs.engine import autoscaling, security, spec
from labs.engine.accesslog import ACCOUNT, REGION, load_balancer_id
from labs.engine.events import RunStatus
from labs.models import LabRun, RunAccessLog, Topology

logger = logging.getLogger(__name__)

State = LabRun.State
MIN_CLOCK_SPEED, MAX_CLOCK_SPEED = 1, 30
ACCESS_LOG_MAX_LINES = 200_000  # the newest lines of a run's access log that are kept
QUEUE_NOTICES = 100  # how many queued runs hear their new place when the queue moves
EVENTS_LAYER = "events"  # the channel layer run events travel on (settings.CHANNEL_LAYERS)


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
    document = topology.document  # the run keeps this copy, whatever the topology becomes
    _check_template(document)
    with transaction.atomic():
        _lock_user(user)
        _check_run_quota(user)
        run = LabRun.objects.create(
            topology=topology,
            document=document,
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
    The request is also recorded on the row, where the worker's heartbeat finds it within
    LAB_HEARTBEAT_SECONDS: a message lost to a Redis outage still stops the run.
    """
    _check_can_control(user, run)
    _stop(user, [run])


def stop_runs(user: User | None, runs: list[LabRun]) -> int:
    """``stop_run`` for many runs at once (an instructor stopping a class): one write for
    all of them and their control messages sent together, so stopping eighty runs takes
    about as long as stopping one. Returns how many were still going.

    Raises:
        PermissionDenied: one of them is someone else's run (nothing is stopped then).
    """
    runs = list({run.pk: run for run in runs}.values())
    if user is not None and not user.is_staff:
        others = [run for run in runs if run.owner_id != user.pk]
        visible = set(
            LabRun.objects.visible_to(user)
            .filter(pk__in=[run.pk for run in others])
            .values_list("pk", flat=True)
        )
        if any(run.pk not in visible for run in others):
            raise PermissionDenied(_("You cannot stop someone else's run."))
    return _stop(user, runs)


def _stop(user: User | None, runs: list[LabRun]) -> int:
    """The one stop: queued runs are finished here, the others asked on their row and
    over their control channel."""
    asked = []
    for run in runs:
        if run.state != State.QUEUED or not _transition(
            run, State.FINISHED, "stopped", t=0.0, only_from=(State.QUEUED,)
        ):
            asked.append(run)
    stopped = len(runs) - len(asked)
    if not asked:
        return stopped
    LabRun.objects.filter(pk__in=[run.pk for run in asked], stop_requested_at__isnull=True).exclude(
        state__in=LabRun.FINAL_STATES
    ).update(stop_requested_at=timezone.now())
    found = LabRun.objects.filter(pk__in=[run.pk for run in asked]).values_list(
        "pk", "state", "control_channel", "stop_requested_at"
    )
    rows = {pk: (state, channel, requested) for pk, state, channel, requested in found}
    by_process: dict[str, list[LabRun]] = {}
    for run in asked:
        if run.pk not in rows:
            continue  # deleted meanwhile
        run.state, run.control_channel, run.stop_requested_at = rows[run.pk]
        if run.state in LabRun.FINAL_STATES:
            continue  # already over
        stopped += 1
        if run.control_channel:  # else the worker has not claimed it yet: it reads the row
            process, _sep, _own = run.control_channel.partition("!")
            by_process.setdefault(process, []).append(run)
    sends = [send for hosted in by_process.values() for send in _stop_messages(user, hosted)]
    if sends:
        transaction.on_commit(partial(_send_all, sends))
    return stopped


def _stop_messages(user: User | None, runs: list[LabRun]) -> list[tuple[str, dict[str, Any]]]:
    """The ``run.stop`` messages for runs one worker process hosts: one for all of them.

    A run's control channel is process-specific (Channels: the part before ``!`` names the
    process that receives it), and a process takes its messages one at a time, four
    Redis round trips each: forty runs of a class stopped at once heard their stops one
    after another over a few tenths of a second. So the message names every run (``runs``)
    and goes to the first and the last of them (two, in case one ends meanwhile); each
    listener stops the runs of its process it names. The rows say it too (the heartbeat).
    """
    message = {
        "type": "run.stop",
        "by": getattr(user, "username", ""),
        "runs": [run.pk for run in runs],
    }
    receivers = {runs[0].control_channel, runs[-1].control_channel}
    return [(channel, message) for channel in sorted(receivers)]


def control_run(user: User, run: LabRun, command: Any) -> dict[str, Any]:
    """Ask the running lab to apply ``command``; its worker answers with a ``fault`` event.

    Commands (labs.runtime.control): ``{"action": "deregister" | "register",
    "target_group", "target"}``, ``{"action": "fault", "target" | "az" | "instance",
    "mode"}`` (``instance``: one an Auto Scaling group launched, by its id),
    ``{"action": "traffic", "rps", "paused", "clients", "keep_alive", "mix"}`` (any of
    them), ``{"action": "scale", "group", "desired"}``, ``{"action": "sg",
    "security_group", "change": "revoke" | "authorize"}`` (the rules admitting the load
    balancer), ``{"action": "request", ...}`` (the console's request, labs.frames). The
    command is checked here against the run's topology and limits, so a mistake is
    answered in the learner's language before it reaches the worker; what the worker
    still refuses comes back as a ``fault`` event with ``error``. Returns the command
    as sent (only the keys its action uses).

    Raises:
        PermissionDenied: someone else's run (staff may change any).
        ValidationError: a malformed command, or the run is not running.
    """
    _check_can_control(user, run, _("You cannot change someone else's run."))
    checked = checked_command(run.document, command)
    run.refresh_from_db(fields=["state", "control_channel"])
    if run.state != State.RUNNING or not run.control_channel:
        raise ValidationError(
            _("The run is not running, so it cannot be changed."), code="not-running"
        )
    message = {"type": "run.control", "command": checked, "by": user.username}
    transaction.on_commit(partial(_send, run.control_channel, message))
    return checked


def checked_command(document: str | spec.Topology, command: Any) -> dict[str, Any]:
    """``command`` reduced to the keys its action uses, or a ValidationError saying why.

    The one check of a control command: the views and the consumer call it through
    ``control_run``, and the worker calls it on every message before the runtime applies
    it (a message can come from anywhere on the channel layer). ``document`` is the run's
    template (``LabRun.document``), or that template already parsed.

    Raises:
        ValidationError: its ``code`` is what the run page shows for a refused change
            (labs.messages.CONTROL_ERRORS, AWS's codes where AWS has one):
            ``TargetGroupNotFound``, ``InvalidTarget``, else ``ValidationError``.
    """
    if not isinstance(command, dict):
        raise ValidationError(
            _('Send the change as an object, such as {"action": "traffic", "rps": 5}.'),
            code="ValidationError",
        )
    action = command.get("action")
    if action == "traffic":
        return _checked_traffic(command)
    topology = _runnable_topology(document)
    if action in ("deregister", "register"):
        group_name, target = command.get("target_group"), command.get("target")
        group = next((g for g in topology.target_groups if g.name == group_name), None)
        if group is None:
            raise ValidationError(
                _("Choose one of this run's target groups."), code="TargetGroupNotFound"
            )
        if not isinstance(target, str) or target not in {_target_key(t) for t in group.targets}:
            raise ValidationError(
                _("%(target)s is not a target of %(target_group)s."),
                code="InvalidTarget",
                params={"target": str(target), "target_group": group.name},
            )
        return {"action": action, "target_group": group.name, "target": target}
    if action == "fault":
        return _checked_fault(command, topology)
    if action == "scale":
        return _checked_scale(command, topology)
    if action == "sg":
        return _checked_security_group(command, topology)
    if action == "request":
        try:
            return frames.checked_request(command, topology)
        except frames.FrameError as error:
            raise ValidationError(str(error), code="ValidationError") from None
    raise ValidationError(
        _("Unknown change. Use deregister, register, fault, traffic, scale, sg or request."),
        code="ValidationError",
    )


def _checked_scale(command: dict[str, Any], topology: spec.Topology) -> dict[str, Any]:
    """A desired-capacity change: a group of this run, within its MinSize..MaxSize."""
    name = command.get("group")
    group = next((g for g in topology.auto_scaling_groups if g.name == name), None)
    if group is None:
        raise ValidationError(
            _("Choose one of this run's Auto Scaling groups."), code="ValidationError"
        )
    desired = command.get("desired")
    if isinstance(desired, str) and desired.strip().isdigit():
        desired = int(desired)
    if not isinstance(desired, int) or isinstance(desired, bool):
        raise ValidationError(_("Desired capacity must be a whole number."), code="ValidationError")
    if autoscaling.check_desired(desired, group.min_size, group.max_size) is not None:
        raise ValidationError(
            _(
                "Desired capacity:%(desired)s must be between the specified min size:%(min)s "
                "and max size:%(max)s"
            ),
            code="ValidationError",
            params={"desired": desired, "min": group.min_size, "max": group.max_size},
        )
    return {"action": "scale", "group": group.name, "desired": desired}


def _checked_security_group(command: dict[str, Any], topology: spec.Topology) -> dict[str, Any]:
    """A target security group's rules admitting the load balancer: revoke or authorize.

    Only a group some instance of the run has: the change is about what reaches targets.
    Whether there is a rule to revoke (or one already) is the run's present state, so the
    worker answers that (InvalidPermission.NotFound / .Duplicate, as EC2 does).
    """
    used = sorted({name for i in topology.instances for name in i.security_groups})
    name = command.get("security_group")
    if name not in used:
        raise ValidationError(
            _("Choose a security group of this run's instances: %(groups)s."),
            code="ValidationError",
            params={"groups": ", ".join(used) or "-"},
        )
    change = command.get("change")
    if change not in security.CHANGES:
        raise ValidationError(
            _("Say revoke or authorize: the rule that admits the load balancer."),
            code="ValidationError",
        )
    return {"action": "sg", "security_group": name, "change": change}


def inject_fault(
    user: User, run: LabRun, mode: Any, *, target: Any = None, az: Any = None
) -> dict[str, Any]:
    """Inject the fault ``mode`` into the running ``run``: on one instance (``target``,
    "ip:port") or on every instance of an Availability Zone (``az``); ``normal`` clears.

    The run page's buttons and the instructor's dashboard both call this; the worker
    answers with a ``fault`` event ("fault injected: 5xx on 10.0.1.10:80"), which the
    page's Faults log and a replay show. Raises as ``control_run`` does.
    """
    command: dict[str, Any] = {"action": "fault", "mode": mode}
    if az is not None:
        command["az"] = az
    else:
        command["target"] = target
    return control_run(user, run, command)


def set_state(run: LabRun, state: str, reason: str = "", t: float | None = None) -> bool:
    """Move ``run`` to ``state`` and tell its watchers; False if it had already ended.

    A finished or failed run never changes again: a worker that comes back after being
    declared lost must not overwrite "failed" with "finished".
    """
    return _transition(run, state, reason, t=t)


def claim_run(run: LabRun, control_channel: str) -> bool:
    """A worker takes a queued run: starting, with its control channel and a first beat.

    A conditional update, so a run stopped while queued is never started after all.
    """
    extra = {"control_channel": control_channel, "heartbeat_at": timezone.now()}
    if not _transition(run, State.STARTING, "", t=0.0, only_from=(State.QUEUED,), extra=extra):
        return False
    _queue_moved()  # everyone behind it moved up
    return True


def _transition(
    run: LabRun,
    state: str,
    reason: str,
    *,
    t: float | None,
    only_from: tuple[str, ...] = LabRun.ACTIVE_STATES,
    extra: dict[str, Any] | None = None,
) -> bool:
    """The one write of ``LabRun.state``: a conditional update, published after commit."""
    now = timezone.now()
    changes: dict[str, Any] = {"state": state, "reason": reason, **(extra or {})}
    if state == State.RUNNING:
        changes["started_at"] = now
    if state in LabRun.FINAL_STATES:
        changes["ended_at"] = now
    with transaction.atomic():
        if not LabRun.objects.filter(pk=run.pk, state__in=only_from).update(**changes):
            return False
        for field, value in changes.items():
            setattr(run, field, value)
        event = status_event(run, t)
        transaction.on_commit(partial(publish, run.pk, [event], owner_id=run.owner_id))
        if state in LabRun.FINAL_STATES:
            _queue_moved()  # a slot may have come free
    return True


Sends = list[tuple[str, dict[str, Any]]]  # (group, message) on EVENTS_LAYER
Outcome = tuple[Any, Exception | None]  # a call's result, or what it raised


class _Held(threading.local):
    """What ``write_together`` holds back in its thread: the publishes of its writes."""

    sends: Sends | None = None
    queue_moved = False


_held = _Held()


def write_together(calls: list[Callable[[], Any]]) -> tuple[list[Outcome], Sends]:
    """Several of the functions above in one transaction, each in a savepoint of its own
    (one that raises leaves the others' writes), and what they would have published:
    the caller sends it once this returns, after the commit, as ``publish`` would have.

    A worker's runs that end together (a class stopped at once) each took SQLite's one
    write lock in turn, and each published from the database thread through a Redis
    connection of its own: the worker's one database thread worked through them one by
    one while the runs' pages waited for ``finished``. Queued runs hear their new place
    once for the whole batch.
    """
    outcomes: list[Outcome] = []
    sends: Sends = []
    _held.sends, _held.queue_moved = sends, False
    try:
        with transaction.atomic():
            for call in calls:
                try:
                    with transaction.atomic():
                        outcomes.append((call(), None))
                except Exception as error:
                    outcomes.append((None, error))
        if _held.queue_moved:
            _publish_queue_positions()  # after commit, as on_commit would: held too
    finally:
        _held.sends, _held.queue_moved = None, False
    return outcomes, sends


def _queue_moved() -> None:
    if _held.sends is not None:
        _held.queue_moved = True  # told once, after write_together's commit
    else:
        transaction.on_commit(_publish_queue_positions)


class Beat(enum.Enum):
    """What a worker's heartbeat learns: go on, stop (someone asked), or the run is lost."""

    SERVE = "serve"
    STOP = "stop"
    LOST = "lost"


def beat(run: LabRun) -> Beat:
    """Record that the worker is alive, and tell it whether to go on serving the run."""
    return beat_runs([run.pk])[run.pk]


def beat_runs(run_ids: list[int]) -> dict[int, Beat]:
    """One heartbeat for every run a worker process hosts: one write, whatever their number.

    Per run, as ``beat``: go on, stop (asked on the row), or lost (someone else ended it).
    A heartbeat per run was a write transaction per run every LAB_HEARTBEAT_SECONDS, each
    waiting its turn for SQLite's one write lock beside the runs' own writes.
    """
    if not run_ids:
        return {}
    mine = LabRun.objects.filter(pk__in=run_ids, state__in=LabRun.WORKER_STATES)
    with transaction.atomic():
        mine.update(heartbeat_at=timezone.now())
        alive = dict(mine.values_list("pk", "stop_requested_at"))
    return {
        pk: Beat.LOST if pk not in alive else Beat.SERVE if alive[pk] is None else Beat.STOP
        for pk in run_ids
    }


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
    with transaction.atomic():
        LabRun.objects.filter(pk=run.pk).update(summary=summary)
        run.summary = summary
        set_state(run, State.FINISHED, reason, t)


def fail_stale_runs(run_id: int | None = None) -> int:
    """Mark runs whose worker stopped beating as failed ("worker-lost").

    Called by every worker every LAB_HEARTBEAT_SECONDS (labs.tasks, whether or not
    anyone watches) and when a worker starts, so a dead worker's runs are failed within
    LAB_STALE_SECONDS plus one period. Returns how many runs it failed.
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
    event = RunStatus(
        t=run.lab_seconds() if t is None else t,
        emitted=time.time(),
        state=run.state,
        reason=run.reason,
        # The run page offers the access log's download once the run is over.
        access_log=RunAccessLog.objects.filter(run_id=run.pk).exists()
        if run.state in LabRun.FINAL_STATES
        else None,
    )
    if run.state == State.QUEUED:
        # Why nothing happens yet, and how long it may take: the page says both.
        event = replace(
            event, reason=event.reason or "waiting-for-slot", position=queue_position(run)
        )
    return event.wire()


def queue_position(run: LabRun) -> int:
    """1 for the next queued run to get a worker slot, 2 for the one after, ..."""
    ahead = LabRun.objects.filter(state=State.QUEUED, created_at__lt=run.created_at)
    return ahead.count() + 1


def publish(run_id: int, events: list[dict[str, Any]], *, owner_id: int | None = None) -> None:
    """Send a batch of events to everyone watching the run (sync callers only).

    With ``owner_id``, the summary events among them also go to the owner's summary
    group (LabRun.summary_group), which the class dashboards follow.

    Best effort: the row is already committed, and a page that missed the event reads
    the state again when its socket reconnects. A Redis outage must not turn a stop
    or a state change that was saved into an error page.
    """
    sends = event_sends(run_id, events, owner_id=owner_id)
    if _held.sends is not None:  # inside write_together: its caller sends them
        _held.sends.extend(sends)
        return
    layer = get_channel_layer(EVENTS_LAYER)
    try:
        for group, message in sends:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("lab run %s: could not publish its events", run_id, exc_info=True)


def event_sends(run_id: int, events: list[dict[str, Any]], *, owner_id: int | None = None) -> Sends:
    """What ``publish`` sends: the batch to the run's group, its summary events (with
    ``owner_id``) to the owner's summary group."""
    sends: Sends = [(f"run.{run_id}", {"type": "run.events", "events": events})]
    summary = summary_events(events) if owner_id is not None else []
    if summary:
        group = LabRun.summary_group(owner_id)  # type: ignore[arg-type]
        message = {"type": "runs.summary", "run": run_id, "owner": owner_id, "events": summary}
        sends.append((group, message))
    return sends


SUMMARY_TYPES = frozenset({"run.status", "metrics", "fault"})


def summary_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of a batch that a class dashboard follows (LabRun.summary_group)."""
    return [event for event in events if event.get("type") in SUMMARY_TYPES]


def _publish_queue_positions() -> None:
    """Tell every queued run's watchers where it now stands."""
    for run in LabRun.objects.filter(state=State.QUEUED).order_by("created_at")[:QUEUE_NOTICES]:
        publish(run.pk, [status_event(run, 0.0)])


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
    # The owner, staff, and whoever watches the learner's runs (their class's instructor).
    if user is None or user.is_staff or run.owner_id == user.pk:
        return
    if LabRun.objects.visible_to(user).filter(pk=run.pk).exists():
        return
    raise PermissionDenied(message or _("You cannot stop someone else's run."))


def _checked_control_rps(value: Any) -> float:
    limit = settings.LAB_MAX_RPS
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= limit:
        raise ValidationError(
            _("The traffic rate must be a number from 0 to %(limit)s requests a second."),
            code="ValidationError",
            params={"limit": limit},
        )
    return float(value)


def _checked_traffic(command: dict[str, Any]) -> dict[str, Any]:
    """A traffic change: any of rps, paused, clients, keep_alive, mix (labs.frames)."""
    checked: dict[str, Any] = {"action": "traffic"}
    try:
        if "rps" in command:
            checked["rps"] = _checked_control_rps(command.get("rps"))
        if "paused" in command:
            checked["paused"] = frames.checked_flag(command, "paused", _("Pause"))
        if "keep_alive" in command:
            checked["keep_alive"] = frames.checked_flag(command, "keep_alive", _("Keep-alive"))
        if "clients" in command:
            checked["clients"] = frames.checked_clients(command.get("clients"))
        if "mix" in command:
            checked["mix"] = frames.checked_mix(command.get("mix"))
    except frames.FrameError as error:
        raise ValidationError(str(error), code="ValidationError") from None
    if len(checked) == 1:
        raise ValidationError(
            _("Say what to change: rps, paused, clients, keep_alive or mix."),
            code="ValidationError",
        )
    return checked


def _checked_fault(command: dict[str, Any], topology: spec.Topology) -> dict[str, Any]:
    """A fault on one instance (``target``) or on every instance of one zone (``az``)."""
    target, mode, az = command.get("target"), command.get("mode"), command.get("az")
    instances = [t for g in topology.target_groups for t in g.targets if t.ip]
    if not isinstance(mode, str) or mode not in codes.FAULT_MODES:
        raise ValidationError(
            _("Choose a fault mode: %(modes)s."),
            code="ValidationError",
            params={"modes": ", ".join(codes.FAULT_MODES)},
        )
    if az is not None:
        zones = sorted({t.az for t in instances})
        if az not in zones:
            raise ValidationError(
                _("%(az)s is not an Availability Zone with instances in this run: %(zones)s."),
                code="InvalidTarget",
                params={"az": str(az), "zones": ", ".join(zones)},
            )
        return {"action": "fault", "az": az, "mode": mode}
    instance = command.get("instance")
    if isinstance(target, str) and ":" not in target and instance is None:
        instance, target = target, None  # an instance's id where an address would go
    if instance is not None and target is None:
        # An instance an Auto Scaling group launched while the run goes (WebGroup-3) has
        # no address in the template: the worker finds it by its id.
        if not isinstance(instance, str) or not _may_be_launched(topology, instance=instance):
            raise ValidationError(
                _("%(target)s is not an instance of this run."),
                code="InvalidTarget",
                params={"target": str(instance)},
            )
        return {"action": "fault", "instance": instance, "mode": mode}
    declared = {t.address for t in instances}
    if not isinstance(target, str) or (
        target not in declared and not _may_be_launched(topology, address=target)
    ):
        raise ValidationError(
            _("%(target)s is not an instance of this run."),
            code="InvalidTarget",
            params={"target": str(target)},
        )
    return {"action": "fault", "target": target, "mode": mode}


def _may_be_launched(
    topology: spec.Topology, *, address: str | None = None, instance: str | None = None
) -> bool:
    """Whether an Auto Scaling group of the run could have launched this instance: its
    name is the group's followed by a number, or its ``ip:port`` lies in one of the
    group's subnets on a port its load balancers use. The worker says whether it did."""
    subnets = {s.name: s for s in topology.subnets}
    groups = {g.name: g for g in topology.target_groups}
    for asg in topology.auto_scaling_groups:
        if instance is not None:
            prefix, _sep, number = instance.rpartition("-")
            if prefix == asg.name and number.isdigit():
                return True
            continue
        ip, _sep, port = str(address).rpartition(":")
        ports = {
            groups[name].port
            for name in (*asg.target_groups, *asg.load_balancer_names)
            if name in groups
        } | {
            i.port
            for lb in topology.load_balancers
            if lb.name in asg.load_balancer_names
            for i in lb.instances
        }
        if not port.isdigit() or int(port) not in ports:
            continue
        try:
            where = ipaddress.ip_address(ip)
        except ValueError:
            return False
        for name in asg.subnets:
            subnet = subnets.get(name)
            if subnet is not None and where in ipaddress.ip_network(subnet.cidr, strict=False):
                return True
    return False


def _runnable_topology(document: str | spec.Topology) -> spec.Topology:
    """The run's parsed template; it was valid when the run started."""
    if isinstance(document, spec.Topology):
        return document
    try:
        return cfn.load_topology(document)
    except cfn.TemplateError as error:
        # Only a run saved before runs kept their template (migration 0004) can get here.
        raise ValidationError(
            _("This run's template has problems, so the run cannot be changed."),
            code="ValidationError",
        ) from error


def _target_key(target: Any) -> str:
    """How events and commands name a target: ``ip:port``, or a Lambda's logical id."""
    return str(target.address if target.ip else target.id)


# --- side effects, run after commit -----------------------------------------------------


def _enqueue_run(run_id: int) -> None:
    # Imported here because labs.tasks imports this module.
    from labs.tasks import run_lab

    run_lab.delay(run_id)


def _send(channel: str, message: dict[str, Any]) -> None:
    _send_all([(channel, message)])


def _send_all(sends: list[tuple[str, dict[str, Any]]]) -> None:
    # Best effort, like publish: a stop also waits on the row for the worker's heartbeat.
    # Together, not one after another: each send is a Redis round trip.
    layer = get_channel_layer()

    async def send(channel: str, message: dict[str, Any]) -> None:
        try:
            await layer.send(channel, message)
        except Exception:
            logger.warning("could not send %s to %s", message.get("type"), channel, exc_info=True)

    async def send_all() -> None:
        await asyncio.gather(*(send(channel, message) for channel, message in sends))

    async_to_sync(send_all)()
