"""The Celery side of a lab run: one task owns one run, its event loop and its sockets.

The worker runs with a thread pool (``--pool threads``), so a task is a thread, and a
pool slot is a run: the task thread waits while its run lives on the process's one uvloop
loop (``RunHost``), beside every other run of the process (DESIGN.md, "Worker shape").
One loop rather than one per run because the process's GIL is the limit: forty loops in
forty threads spent most of their time handing the GIL to one another. One loop also
means one channel layer per process: one Redis connection pool, and one blocking read
that serves every run's control channel. ``make run`` starts a worker process per core.

A run never gets lost: every wait on the way out has a deadline (a task that swallows
its cancellation cannot hold the worker slot), the control listener outlives Redis
outages and read timeouts, a stop also reaches the worker through the row its heartbeat
reads, and every worker checks every LAB_HEARTBEAT_SECONDS for runs whose worker died.
The heartbeat is the process's, not each run's: one write every LAB_HEARTBEAT_SECONDS
covers every run the process hosts (``services.beat_runs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ParamSpec, TypeVar, cast

import uvloop
from celery import shared_task
from celery.signals import worker_ready, worker_shutdown, worker_shutting_down
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from channels_redis.utils import create_pool, decode_hosts
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import close_old_connections, transaction
from django.utils import translation
from redis import asyncio as aioredis

from labs import cfn
from labs.engine import spec
from labs.engine.events import Fault
from labs.engine.recording import Recorder
from labs.engine.snapshot import RunView
from labs.runtime.orchestrator import ControlError, LabRuntime, RunOptions
from labs.runtime.shutdown import cancel_until_done

from . import services
from .models import LabRun
from .orm import in_db_thread

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

State = LabRun.State
WAKE = "run.wake"  # what a run sends its own control channel to end its listener's wait
WAKE_TIMEOUT_SECONDS = 2
CANCEL_GRACE_SECONDS = 0.1  # how long a stopping run's cancelled listener gets to end
CLOSE_SECONDS = 5  # how long a stopping run's listener and heartbeat get to end
EMIT_TIMEOUT_SECONDS = 2  # a batch Redis cannot take in this long is dropped
LISTEN_RETRY_MAX_SECONDS = 2  # the longest pause before listening again after an error
SUMMARY_FAULTS = 500  # the newest `fault` events a run's summary keeps for its page
CONSOLE_IN_FLIGHT = 8  # console requests a run sends at once; more are refused, not queued


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


class RunHost:
    """The process's event loop for lab runs, in a thread of its own, and its channel layer.

    Started on first use; it lives as long as the process (a daemon thread). channels_redis
    ties a layer's connections and its receive loop to one event loop, so the layer is
    made on this loop and used only from it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._layers: dict[str, Any] = {}
        self._beater: asyncio.Task[None] | None = None
        self._publisher: Publisher | None = None
        self._writer: Writer | None = None

    def writer(self) -> Writer:
        """What the process's runs write their states with (call it on the host's loop)."""
        if self._writer is None:
            self._writer = Writer(self.publisher())
        return self._writer

    def publisher(self) -> Publisher:
        """What the process's runs publish their events with (call it on the host's loop)."""
        if self._publisher is None:
            self._publisher = Publisher(self.layer(services.EVENTS_LAYER), services.EVENTS_LAYER)
        return self._publisher

    def keep_beating(self) -> None:
        """Start the process's heartbeat for its runs, unless it beats already (call it on
        the host's loop)."""
        if self._beater is None or self._beater.done():
            self._beater = asyncio.create_task(_beat_all(), name="lab-runs-heartbeat")

    def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` on the host's loop; returns (or raises) when it is done."""
        asyncio.run_coroutine_threadsafe(coroutine, self._running_loop()).result()

    def layer(self, alias: str = DEFAULT_CHANNEL_LAYER) -> Any:
        """The process's channel layer ``alias`` (call it on the host's loop): the default
        one for control channels, ``services.EVENTS_LAYER`` for what run pages hear."""
        if alias not in self._layers:
            self._layers[alias] = channel_layers.make_backend(alias)
        return self._layers[alias]

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = uvloop.new_event_loop()
                threading.Thread(
                    target=self._loop.run_forever, name="lab-runs", daemon=True
                ).start()
            return self._loop


class Publisher:
    """Every run's event batches of this process, to Redis together: one pipeline of
    PUBLISHes for all that were sent while the previous one was on its way.

    channels_redis's pub/sub layer sends each message alone, behind one lock per Redis
    host: a round trip per batch, one after another, for every run of the process (about
    eleven a second each). Under load those round trips queued behind one another and
    were a fifth of the worker's CPU. Subscribers are the layer's own (run pages, the
    dashboards): the channel names and the serialization are the layer's.
    """

    def __init__(self, layer: Any, alias: str) -> None:
        self.layer = layer
        config = cast(dict[str, Any], settings.CHANNEL_LAYERS[alias].get("CONFIG") or {})
        hosts = decode_hosts(config.get("hosts"))
        # Sharded across hosts, a group's channel lives on one of them: the layer knows which.
        self._redis = aioredis.Redis(connection_pool=create_pool(hosts[0]))
        self._alone = len(hosts) != 1
        self._pending: list[tuple[str, bytes, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """As the layer's ``group_send``: returns once Redis took it, or raises."""
        if self._alone:
            await self.layer.group_send(group, message)
            return
        sent = asyncio.get_running_loop().create_future()
        channel = self.layer._get_group_channel_name(group)
        self._pending.append((channel, self.layer.serialize(message), sent))
        self._wake.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_forever(), name="lab-runs-publisher")
        await sent

    async def _send_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for channel, payload, _sent in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
            except Exception as error:  # each sender hears it, as from its own publish
                for *_, sent in batch:
                    if not sent.done():
                        sent.set_exception(error)
            else:
                for *_, sent in batch:
                    if not sent.done():
                        sent.set_result(None)


class Writer:
    """Every run's state writes of this process, to the database together: one call to
    the database thread and one transaction (``services.write_together``) for all that
    were asked while the previous one was on its way; then what they announce, from this
    loop in the Publisher's one pipeline.

    A class stopped at once ended forty runs of a process within a few tenths of a
    second. Each run's writes had been a call of its own to the process's one database
    thread, each taking SQLite's write lock in turn and publishing its ``run.status``
    through a Redis connection of its own: the last run's page heard ``finished`` after
    all the others' turns, and the heartbeat waited behind them in the same thread.
    """

    def __init__(self, publisher: Publisher) -> None:
        self.publisher = publisher
        self._pending: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._wake = asyncio.Event()
        self._writing: asyncio.Task[None] | None = None

    async def write(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """``function(*args, **kwargs)`` (a ``services`` write), returned or raised once it
        is committed and what it announces is published (or given up on)."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((partial(function, *args, **kwargs), done))
        self._wake.set()
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._write_forever(), name="lab-runs-writer")
        return await done

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            try:
                calls = [call for call, _done in batch]
                outcomes, sends = await in_db_thread(services.write_together)(calls)
            except Exception as error:  # the transaction itself: each caller hears it
                for _call, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            await self._publish(sends)
            for (_call, done), (result, raised) in zip(batch, outcomes, strict=True):
                if done.done():
                    continue  # its caller was cancelled; the write stands
                if raised is not None:
                    done.set_exception(raised)
                else:
                    done.set_result(result)

    async def _publish(self, sends: services.Sends) -> None:
        # Best effort, as services.publish: the rows are committed, and a page that
        # missed an event reads the state again when its socket reconnects.
        if not sends:
            return
        try:
            async with asyncio.timeout(EMIT_TIMEOUT_SECONDS):
                outcomes = await asyncio.gather(
                    *(self.publisher.group_send(group, message) for group, message in sends),
                    return_exceptions=True,
                )
        except TimeoutError as timeout:
            outcomes = [timeout]
        failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failed:
            logger.warning("could not publish %s run state event(s): %r", len(failed), failed[0])


host = RunHost()


@shared_task(acks_late=False, max_retries=0, ignore_result=True)  # type: ignore[untyped-decorator]
def run_lab(run_id: int) -> None:
    run = LabRun.objects.filter(pk=run_id).first()
    if run is None or run.state != State.QUEUED:
        return  # deleted, or stopped while it waited in the queue
    host.run(_run_lab(run))


async def _run_lab(run: LabRun) -> None:
    layer = host.layer()
    control = RunControl(loop=asyncio.get_running_loop())
    channel = await layer.new_channel()
    if not await in_db_thread(services.claim_run)(run, channel):
        return
    with _registered(run.pk, control):
        host.keep_beating()
        await _run_claimed(run, layer, channel, control)


async def _run_claimed(run: LabRun, layer: Any, channel: str, control: RunControl) -> None:
    lab = None
    faults: list[dict[str, Any]] = []  # what learners changed, for the saved summary
    view = RunView()  # what a page that (re)connects is sent first (labs.engine.snapshot)
    recorder = Recorder(limit=settings.LAB_RUN_RECORDED_EVENTS)  # its replay, once it ends
    try:
        topology = cfn.load_topology(run.document)  # the run's own copy (LabRun.document)
        emit = _emitter(host.publisher(), run, view, recorder)
        writer = host.writer()
        async with LabRuntime(topology, _options(run), emit) as lab:
            await writer.write(services.set_state, run, State.RUNNING, "", lab.now())
            served = Served(faults, view, topology, recorder, emit)
            await _serve(lab, run, layer, channel, control, served)
            reason = control.reason or "time-limit"
            # The page hears that the worker got the stop before the tear-down is done.
            await writer.write(services.set_state, run, State.STOPPING, reason, lab.now())
        if lab.stuck:
            logger.error("lab run %s did not stop cleanly (see above)", run.pk)
        summary = {**lab.summary(), "faults": faults[-SUMMARY_FAULTS:]}
        await _finish(run, lab, topology, recorder, reason, summary)
    except cfn.TemplateError as error:
        # Only a run saved before runs kept their template (migration 0004) gets here.
        logger.warning("lab run %s: template has problems: %s", run.pk, error)
        await in_db_thread(services.set_state)(run, State.FAILED, "template-error", None)
    except Exception as error:
        logger.exception("lab run %s failed", run.pk)
        t = lab.now() if lab is not None else None
        if lab is not None:
            await _save_access_log(run, lab, topology)  # what was served is still worth having
            await _save_recording(run, recorder)
        await in_db_thread(services.set_state)(run, State.FAILED, _failure_reason(error), t)


@dataclass
class Served:
    """What a run's control listener works on besides the lab itself."""

    faults: list[dict[str, Any]]  # what learners changed, for the saved summary
    view: RunView  # every batch sent so far, for a page that (re)connects
    topology: spec.Topology
    recorder: Recorder  # every batch sent so far, for the run's replay
    # Publishes a batch as the runtime does (folded, recorded, numbered): a refusal the
    # worker words itself is in the snapshot and the replay like any event.
    emit: Callable[[list[dict[str, Any]]], Awaitable[None]]
    # Console requests on their way (labs.runtime.console): the listener goes on serving.
    sending: set[asyncio.Task[Any]] = field(default_factory=set)
    # The listener's wait for its next message, while it waits (None while it handles one).
    receiving: asyncio.Future[dict[str, Any]] | None = None


async def _serve(
    lab: LabRuntime,
    run: LabRun,
    layer: Any,
    channel: str,
    control: RunControl,
    served: Served,
) -> None:
    """Run the lab until it stops, with its control listener and recording saves beside it
    (the process's heartbeat covers it while it is registered)."""
    listener = asyncio.create_task(_listen(layer, channel, run, control, lab, served))
    keeper = asyncio.create_task(_keep_recording(run, control, served.recorder))
    try:
        await lab.run(control.stop)
    finally:
        control.stop.set()
        await _end_listening(listener, served, layer, channel)
        stuck = await cancel_until_done((listener, keeper, *served.sending), CLOSE_SECONDS)
        if stuck:
            logger.error("lab run %s: its listener or saves would not end", run.pk)


async def _end_listening(
    listener: asyncio.Task[None], served: Served, layer: Any, channel: str
) -> None:
    """End the listener: at once if it waits for a message, else once it has handled the
    one in hand (within WAKE_TIMEOUT_SECONDS; then cancelling it will do).

    Its wait is cancelled, which ends it at once, except for the one wait of the process
    that is inside Redis's BZPOPMIN: that one unwinds only when the BZPOPMIN returns, so
    if the listener has not ended within CANCEL_GRACE_SECONDS, a message to its own
    channel makes it return. A wake message for every run had been the only way: forty
    runs stopped together then waited for forty messages, which a process takes one at a
    time, four Redis round trips each (a few tenths of a second).
    """
    if served.receiving is not None:
        served.receiving.cancel()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CANCEL_GRACE_SECONDS):
            await asyncio.wait({listener})
        return
    try:
        async with asyncio.timeout(WAKE_TIMEOUT_SECONDS):
            await layer.send(channel, {"type": WAKE})
            await asyncio.wait({listener})
    except Exception:  # Redis away or slow: cancelling it will do
        return


def _options(run: LabRun) -> RunOptions:
    return RunOptions(
        duration=min(run.duration_limit, settings.LAB_RUN_MAX_SECONDS),
        clock_speed=run.clock_speed,
        rps=run.rps,
        max_rps=settings.LAB_MAX_RPS,
    )


def _emitter(
    layer: Any, run: LabRun, view: RunView, recorder: Recorder
) -> Callable[[list[dict[str, Any]]], Awaitable[None]]:
    group, owner_group = run.group_name, LabRun.summary_group(run.owner_id)

    async def emit(events: list[dict[str, Any]]) -> None:
        # Folded and numbered before the first await: a snapshot taken meanwhile (the
        # listener's, on this loop) holds exactly the batches numbered up to its seq.
        seq = view.fold(events)
        recorder.add(events)
        # Redis away must not stall the run: the batch is dropped, the counts in the
        # summary stay exact, and a page that reconnects reads the state afresh.
        try:
            async with asyncio.timeout(EMIT_TIMEOUT_SECONDS):
                message = {"type": "run.events", "events": events, "seq": seq}
                await layer.group_send(group, message)
                summary = services.summary_events(events)
                if summary:
                    await layer.group_send(
                        owner_group,
                        {
                            "type": "runs.summary",
                            "run": run.pk,
                            "owner": run.owner_id,
                            "events": summary,
                        },
                    )
        except Exception as error:
            logger.warning("lab run %s: dropped %s event(s): %r", run.pk, len(events), error)

    return emit


async def _listen(
    layer: Any,
    channel: str,
    run: LabRun,
    control: RunControl,
    lab: LabRuntime,
    served: Served,
) -> None:
    """The run's control channel: ``run.stop``, ``run.control`` (labs.services) and
    ``run.snapshot`` (labs.consumers, for a page that connects).

    It lives as long as the run: a Redis outage or a read timeout makes ``receive``
    raise, and the channel (a Redis key, with what was sent meanwhile) is still there,
    so listening again is re-subscribing.
    """
    failures = 0
    while not control.stop.is_set():
        try:
            served.receiving = asyncio.ensure_future(layer.receive(channel))
            message = await served.receiving
        except asyncio.CancelledError:
            if control.stop.is_set() and not _cancelling():
                return  # the run ended its wait (_end_listening)
            raise
        except Exception as error:
            failures += 1
            logger.warning("lab run %s: control channel: %r; listening again", run.pk, error)
            await asyncio.sleep(min(LISTEN_RETRY_MAX_SECONDS, 0.05 * 2**failures))
            continue
        finally:
            served.receiving = None
        failures = 0
        if message.get("type") == "run.stop":
            logger.info("lab run %s: stop requested by %s", run.pk, message.get("by") or "system")
            control.request_stop("stopped")
            _stop_named(message.get("runs"), message.get("by"))
        elif message.get("type") == "run.control" and _is_request(message):
            if len(served.sending) >= CONSOLE_IN_FLIGHT:
                await _refuse_busy(lab, served, message)
                continue
            task = asyncio.create_task(_send_request(lab, run, served, message))
            served.sending.add(task)
            task.add_done_callback(served.sending.discard)
        elif message.get("type") == "run.control":
            try:
                served.faults.append(await _apply_control(lab, run, served, message))
            except Exception:
                logger.exception("lab run %s: could not answer a control command", run.pk)
        elif message.get("type") == "run.snapshot":
            events = host.layer(services.EVENTS_LAYER)  # the page's own channel is there
            await _send_snapshot(events, run, lab, served.view, message.get("reply_to"))


def _cancelling() -> bool:
    """Whether this task itself is being cancelled (not only something it awaited)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _stop_named(runs: Any, by: Any) -> None:
    """A stop for several runs of this process (services.stop_runs): the others it names."""
    if not isinstance(runs, list):
        return
    with _controls_lock:
        controls = [_controls[pk] for pk in runs if isinstance(pk, int) and pk in _controls]
    for control in controls:
        if not control.stop.is_set():
            control.request_stop("stopped")
    if controls:
        by = by or "system"
        logger.info("%s lab run(s) of this process: stop requested by %s", len(controls), by)


async def _send_snapshot(
    layer: Any, run: LabRun, lab: LabRuntime, view: RunView, reply_to: Any
) -> None:
    """Answer a connecting page: the snapshot and the number of the last batch in it."""
    if not isinstance(reply_to, str) or not reply_to:
        return
    message = {
        "type": "run.snapshot",
        "snapshot": view.snapshot(lab.now(), time.time()).wire(),
        "seq": view.seq,  # read with the snapshot, before the await below
    }
    try:
        async with asyncio.timeout(EMIT_TIMEOUT_SECONDS):
            await layer.send(reply_to, message)
    except Exception as error:  # the page waits for it only so long, then goes on
        logger.warning("lab run %s: could not send a snapshot: %r", run.pk, error)


async def _apply_control(
    lab: LabRuntime, run: LabRun, served: Served, message: dict[str, Any]
) -> dict[str, Any]:
    """Apply one command; the page hears the ``fault`` event either way.

    A change that worked is emitted by the runtime itself, in the batch of the moment:
    ``by`` goes onto that very event, before the next flush (no await in between). A
    refused one is published here, as a ``fault`` event with ``error`` and ``message``.
    """
    command, by = message.get("command") or {}, message.get("by") or ""
    try:
        # The same check the page's request passed (anyone may send to the channel). In the
        # site's own language, whatever a thread of this worker last activated: pages
        # translate a refusal by its code for each viewer.
        with translation.override(settings.LANGUAGE_CODE):
            checked = services.checked_command(served.topology, command)
        event = lab.control(checked, by)
    except ValidationError as error:
        # checked_command's codes are the run page's (labs.messages.CONTROL_ERRORS).
        code = str(error.code or "ValidationError")
        event = _refusal(lab, command, by, code, " ".join(error.messages))
    except ControlError as error:
        event = _refusal(lab, command, by, error.code, error.message)
    except Exception:
        # A bug in applying one change must not end the run it was meant to change.
        logger.exception("lab run %s: control command %r failed", run.pk, command)
        event = _refusal(lab, command, by, "InternalError", "the change could not be applied")
    else:
        logger.info("lab run %s: %s by %s", run.pk, command.get("action"), by or "system")
        return event
    await served.emit([event])
    return event


def _is_request(message: dict[str, Any]) -> bool:
    command = message.get("command")
    return isinstance(command, dict) and command.get("action") == "request"


async def _send_request(
    lab: LabRuntime, run: LabRun, served: Served, message: dict[str, Any]
) -> None:
    """One console request: checked again, sent; its ``console`` event is the answer."""
    command, by = message.get("command") or {}, message.get("by") or ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            checked = services.checked_command(served.topology, command)
        await lab.send_request(checked, by)
        return
    except ValidationError as error:
        event = _refusal(
            lab, command, by, str(error.code or "ValidationError"), " ".join(error.messages)
        )
    except ControlError as error:
        event = _refusal(lab, command, by, error.code, error.message)
    except Exception:
        logger.exception("lab run %s: console request %r failed", run.pk, command)
        event = _refusal(lab, command, by, "InternalError", "the request could not be sent")
    await served.emit([event])


async def _refuse_busy(lab: LabRuntime, served: Served, message: dict[str, Any]) -> None:
    """Too many console requests on their way: this one is refused (the page says so)."""
    text = f"at most {CONSOLE_IN_FLIGHT} console requests may wait for answers at once"
    event = _refusal(lab, message.get("command") or {}, message.get("by") or "", "Busy", text)
    await served.emit([event])  # best effort, like every publish


def _refusal(
    lab: LabRuntime, command: dict[str, Any], by: str, code: str, message: str
) -> dict[str, Any]:
    command = command if isinstance(command, dict) else {}

    def text(key: str) -> str | None:
        return str(command[key]) if key in command else None

    rps = command.get("rps")
    return Fault(
        t=round(lab.now(), 3),
        emitted=time.time(),
        action=text("action"),
        target_group=text("target_group"),
        target=text("target"),
        mode=text("mode"),
        rps=float(rps) if isinstance(rps, int | float) and not isinstance(rps, bool) else None,
        by=by,
        error=code,
        message=message,
    ).wire()


async def _finish(
    run: LabRun,
    lab: LabRuntime,
    topology: spec.Topology,
    recorder: Recorder,
    reason: str,
    summary: dict[str, Any],
) -> None:
    """The run's access log, its recording and its final state: one transaction, not
    three, shared with the other runs of the process that end meanwhile (``Writer``); the
    page still hears ``finished`` only once both files are there."""
    lines: list[str] | None = None
    recording: services.Recording | None = None
    try:
        lines = lab.access_log()
    except Exception:
        logger.exception("lab run %s: could not read the access log", run.pk)
    try:
        recording = services.Recording.of(recorder)  # on the run's loop, as it must be
    except Exception:
        logger.exception("lab run %s: could not read its recording", run.pk)
    t = lab.now()
    await host.writer().write(_write_finish, run, lines, topology, recording, reason, summary, t)


def _write_finish(
    run: LabRun,
    lines: list[str] | None,
    topology: spec.Topology,
    recording: services.Recording | None,
    reason: str,
    summary: dict[str, Any],
    t: float,
) -> None:
    with transaction.atomic():
        # The run's outcome matters more than its files: each save may fail on its own.
        if lines is not None:
            try:
                with transaction.atomic():
                    services.save_access_log(run, lines, topology)
            except Exception:
                logger.exception("lab run %s: could not save the access log", run.pk)
        if recording is not None:
            try:
                with transaction.atomic():
                    services.save_recording(run, recording)
            except Exception:
                logger.exception("lab run %s: could not save its recording", run.pk)
        services.finish_run(run, reason, summary, t)


async def _save_access_log(run: LabRun, lab: LabRuntime, topology: Any) -> None:
    try:
        await in_db_thread(services.save_access_log)(run, lab.access_log(), topology)
    except Exception:
        # The run's outcome matters more than its log: record it and carry on.
        logger.exception("lab run %s: could not save the access log", run.pk)


async def _save_recording(run: LabRun, recorder: Recorder, *, so_far: bool = False) -> None:
    try:
        # Read here, on the run's loop: the recorder is not for the database thread.
        recording = services.Recording.of(recorder, so_far=so_far)
        await in_db_thread(services.save_recording)(run, recording, so_far=so_far)
    except Exception:
        logger.exception("lab run %s: could not save its recording", run.pk)


async def _keep_recording(run: LabRun, control: RunControl, recorder: Recorder) -> None:
    """Save the recording so far now and then: a worker that dies leaves that much."""
    saved = 0
    while not control.stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(settings.LAB_RUN_RECORDING_SAVE_SECONDS):
                await control.stop.wait()
        if not control.stop.is_set() and recorder.events > saved:
            saved = recorder.events
            await _save_recording(run, recorder, so_far=True)


async def _beat_all() -> None:
    """The process's heartbeat: every LAB_HEARTBEAT_SECONDS, one ``services.beat_runs`` for
    every run registered here, from claimed until its final state is written.

    On the runs' own loop, so a loop too stalled to serve them also stops vouching for
    them, and the stale-run check of another worker fails them.
    """
    while True:
        with _controls_lock:
            controls = dict(_controls)
        verdicts: dict[int, services.Beat] = {}
        if controls:
            try:
                verdicts = await in_db_thread(services.beat_runs)(list(controls))
            except Exception:  # a busy database: the next beat tries again
                logger.warning("heartbeat of %s lab run(s) failed", len(controls), exc_info=True)
        for run_id, verdict in verdicts.items():
            control = controls[run_id]
            if verdict is services.Beat.SERVE or control.stop.is_set():
                continue
            if verdict is services.Beat.LOST:
                # Someone else ended the run (declared it lost, say): stop serving it.
                control.request_stop("run-lost")
            else:
                # Asked to stop, and the control channel's message never came (Redis away).
                logger.info("lab run %s: stop found on its row", run_id)
                control.request_stop("stopped")
        await asyncio.sleep(settings.LAB_HEARTBEAT_SECONDS)


def _failure_reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return "sandbox-error"
    return "internal-error"


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


@worker_shutting_down.connect  # type: ignore[untyped-decorator]
def _stop_runs_on_shutdown(**kwargs: Any) -> None:
    """Ctrl-C on a worker ends its runs now, each saving its summary on the way out."""
    stop_all_runs("worker-shutdown", within=0)  # ask only: the worker's shutdown waits


def fail_runs_of_dead_workers() -> int:
    failed = services.fail_stale_runs()
    if failed:
        logger.warning("marked %s lab run(s) of a lost worker as failed", failed)
    return failed


class StaleRunCheck:
    """A worker's own timer: every LAB_HEARTBEAT_SECONDS, fail the runs of dead workers.

    A thread of its own, not a task: it must run when every slot of the worker's pool is
    busy with runs, and whether or not anyone has a run page open.
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return  # one per process
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="stale-run-check", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(settings.LAB_HEARTBEAT_SECONDS):
            try:
                fail_runs_of_dead_workers()
            except Exception:
                logger.exception("the stale run check failed; trying again")
            finally:
                close_old_connections()


stale_run_check = StaleRunCheck()


@worker_ready.connect  # type: ignore[untyped-decorator]
def _watch_for_dead_workers(**kwargs: Any) -> None:
    fail_runs_of_dead_workers()  # at once: this worker's predecessor may have died mid-run
    stale_run_check.start()


@worker_shutdown.connect  # type: ignore[untyped-decorator]
def _stop_watching(**kwargs: Any) -> None:
    stale_run_check.stop()
