"""The Celery side of a lab run: one task owns one run, its event loop and its sockets.

The worker runs with a thread pool (``--pool threads``), so a task is a thread; each run
gets a fresh uvloop loop in its thread (DESIGN.md, "Worker shape").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar, cast

import uvloop
from celery import shared_task
from celery.signals import worker_ready, worker_shutting_down
from channels.db import database_sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.conf import settings

from labs import cfn
from labs.engine.events import Fault
from labs.runtime.orchestrator import ControlError, LabRuntime, RunOptions

from . import services
from .models import LabRun

logger = logging.getLogger(__name__)

State = LabRun.State
WAKE = "run.wake"  # what a run sends its own control channel to end its listener
WAKE_TIMEOUT_SECONDS = 2
SUMMARY_FAULTS = 500  # the newest `fault` events a run's summary keeps for its page


@dataclass
class RunControl:
    """How anything outside a run's loop (a message, a signal) asks it to stop."""

    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""

    def request_stop(self, reason: str) -> None:
        """Thread-safe: the first reason wins, later ones only repeat the request."""
        self.reason = self.reason or reason
        if _running_loop() is self.loop:
            # Set now, not on the next loop turn: the control listener checks it before
            # it waits on Redis again (a receive cancelled mid-BRPOP takes seconds).
            self.stop.set()
            return
        # The loop may have closed since the caller looked the run up: then it is over.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.stop.set)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


# Runs in this worker process, so a shutting-down worker can stop them all.
_controls: dict[int, RunControl] = {}
_controls_lock = threading.Condition()  # notified whenever a run ends here


@shared_task(acks_late=False, max_retries=0, ignore_result=True)
def run_lab(run_id: int) -> None:
    run = LabRun.objects.select_related("topology").filter(pk=run_id).first()
    if run is None or run.state != State.QUEUED:
        return  # deleted, or stopped while it waited in the queue
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_run_lab(run))


async def _run_lab(run: LabRun) -> None:
    # A layer of its own: channels_redis refuses receive() from two event loops on one
    # layer object, and each run in this process has its own loop.
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    control = RunControl(loop=asyncio.get_running_loop())
    try:
        channel = await layer.new_channel()
        if not await _db(services.claim_run)(run, channel):
            return
        with _registered(run.pk, control):
            await _run_claimed(run, layer, channel, control)
    finally:
        await layer.close_pools()


async def _run_claimed(run: LabRun, layer: Any, channel: str, control: RunControl) -> None:
    lab = None
    faults: list[dict[str, Any]] = []  # what learners changed, for the saved summary
    try:
        topology = cfn.load_topology(run.topology.document)
        async with LabRuntime(topology, _options(run), _emitter(layer, run)) as lab:
            await _db(services.set_state)(run, State.RUNNING, "", lab.now())
            await _serve(lab, run, layer, channel, control, faults)
        reason = control.reason or "time-limit"
        await _save_access_log(run, lab, topology)
        summary = {**lab.summary(), "faults": faults[-SUMMARY_FAULTS:]}
        await _db(services.finish_run)(run, reason, summary, lab.now())
    except cfn.TemplateError as error:
        # The template changed since the run was queued: the learner's problem, not ours.
        logger.warning("lab run %s: template has problems: %s", run.pk, error)
        await _db(services.set_state)(run, State.FAILED, "template-error", None)
    except Exception as error:
        logger.exception("lab run %s failed", run.pk)
        t = lab.now() if lab is not None else None
        if lab is not None:
            await _save_access_log(run, lab, topology)  # what was served is still worth having
        await _db(services.set_state)(run, State.FAILED, _failure_reason(error), t)


async def _serve(
    lab: LabRuntime,
    run: LabRun,
    layer: Any,
    channel: str,
    control: RunControl,
    faults: list[dict[str, Any]],
) -> None:
    """Run the lab until it stops, with its control listener and heartbeat beside it."""
    listener = asyncio.create_task(_listen(layer, channel, run, control, lab, faults))
    beater = asyncio.create_task(_beat(run, control))
    try:
        await lab.run(control.stop)
    finally:
        control.stop.set()
        beater.cancel()
        await _end_listener(listener, layer, channel)
        await asyncio.gather(listener, beater, return_exceptions=True)


async def _end_listener(listener: asyncio.Task[None], layer: Any, channel: str) -> None:
    # The listener waits in a Redis BZPOPMIN, and a receive cancelled there unwinds only
    # when that times out (seconds later). A message to ourselves ends it at once.
    try:
        await layer.send(channel, {"type": WAKE})
        await asyncio.wait({listener}, timeout=WAKE_TIMEOUT_SECONDS)
    finally:
        listener.cancel()


def _options(run: LabRun) -> RunOptions:
    return RunOptions(
        duration=min(run.duration_limit, settings.LAB_RUN_MAX_SECONDS),
        clock_speed=run.clock_speed,
        rps=run.rps,
        max_rps=settings.LAB_MAX_RPS,
    )


def _emitter(layer: Any, run: LabRun) -> Callable[[list[dict[str, Any]]], Awaitable[None]]:
    group = run.group_name

    async def emit(events: list[dict[str, Any]]) -> None:
        await layer.group_send(group, {"type": "run.events", "events": events})

    return emit


async def _listen(
    layer: Any,
    channel: str,
    run: LabRun,
    control: RunControl,
    lab: LabRuntime,
    faults: list[dict[str, Any]],
) -> None:
    """The run's control channel: ``run.stop`` and ``run.control`` (labs.services)."""
    while not control.stop.is_set():
        message = await layer.receive(channel)
        if message.get("type") == "run.stop":
            logger.info("lab run %s: stop requested by %s", run.pk, message.get("by") or "system")
            control.request_stop("stopped")
        elif message.get("type") == "run.control":
            event = await _apply_control(lab, run, layer, message)
            faults.append(event)


async def _apply_control(
    lab: LabRuntime, run: LabRun, layer: Any, message: dict[str, Any]
) -> dict[str, Any]:
    """Apply one command; the page hears the ``fault`` event either way.

    A change that worked is emitted by the runtime itself, in the batch of the moment:
    ``by`` goes onto that very event, before the next flush (no await in between). A
    refused one is published here, as a ``fault`` event with ``error`` and ``message``.
    """
    command, by = message.get("command") or {}, message.get("by") or ""
    try:
        event = lab.control(command, by)
    except ControlError as error:
        event = _refusal(lab, command, by, error.code, error.message)
    except Exception:
        # A bug in applying one change must not end the run it was meant to change.
        logger.exception("lab run %s: control command %r failed", run.pk, command)
        event = _refusal(lab, command, by, "InternalError", "the change could not be applied")
    else:
        logger.info("lab run %s: %s by %s", run.pk, command.get("action"), by or "system")
        return event
    await layer.group_send(run.group_name, {"type": "run.events", "events": [event]})
    return event


def _refusal(
    lab: LabRuntime, command: dict[str, Any], by: str, code: str, message: str
) -> dict[str, Any]:
    fields = ("target_group", "target", "mode")
    rps = command.get("rps")
    return Fault(
        t=round(lab.now(), 3),
        emitted=time.time(),
        action=str(command["action"]) if "action" in command else None,
        **{key: str(command[key]) for key in fields if key in command},
        rps=float(rps) if isinstance(rps, int | float) and not isinstance(rps, bool) else None,
        by=by,
        error=code,
        message=message,
    ).wire()


async def _save_access_log(run: LabRun, lab: LabRuntime, topology: Any) -> None:
    try:
        await _db(services.save_access_log)(run, lab.access_log(), topology)
    except Exception:
        # The run's outcome matters more than its log: record it and carry on.
        logger.exception("lab run %s: could not save the access log", run.pk)


async def _beat(run: LabRun, control: RunControl) -> None:
    while not control.stop.is_set():
        if not await _db(services.beat)(run):
            # Someone else ended the run (declared it lost, say): stop serving it.
            control.request_stop("run-lost")
            return
        await asyncio.sleep(settings.LAB_HEARTBEAT_SECONDS)


def _failure_reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return "sandbox-error"
    return "internal-error"


P = ParamSpec("P")
R = TypeVar("R")


def _db(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Django's ORM from the run's loop: in a thread, with stale connections closed."""
    return cast(Callable[P, Awaitable[R]], database_sync_to_async(function))


@contextlib.contextmanager
def _registered(run_id: int, control: RunControl) -> Iterator[None]:
    with _controls_lock:
        _controls[run_id] = control
    try:
        yield
    finally:
        with _controls_lock:
            _controls.pop(run_id, None)
            _controls_lock.notify_all()


def stop_all_runs(reason: str, within: float) -> bool:
    """Ask every run in this process to stop; True once all ended within ``within`` s."""
    with _controls_lock:
        for control in _controls.values():
            control.request_stop(reason)
        return _controls_lock.wait_for(lambda: not _controls, timeout=within)


@worker_shutting_down.connect
def _stop_runs_on_shutdown(**kwargs: Any) -> None:
    """Ctrl-C on a worker ends its runs now, each saving its summary on the way out."""
    stop_all_runs("worker-shutdown", within=0)  # ask only: the worker's shutdown waits


@worker_ready.connect
def _fail_runs_of_dead_workers(**kwargs: Any) -> None:
    failed = services.fail_stale_runs()
    if failed:
        logger.warning("marked %s lab run(s) of a lost worker as failed", failed)
