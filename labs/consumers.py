"""The run page's WebSocket: live events out, stop requests in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from . import services
from .frames import FrameError, parse_frame
from .language import viewer_language
from .models import LabRun
from .orm import in_db_thread

# How often a web process with run pages open checks that their workers still beat. With
# LAB_STALE_SECONDS of 20 a dead worker shows as failed within 25 seconds.
WATCHDOG_SECONDS = 5
# How long a connecting page's events wait for the worker's snapshot; past it they flow
# without one (a worker that is starting, stopping or gone).
SNAPSHOT_TIMEOUT_SECONDS = 3

logger = logging.getLogger(__name__)
# States in which the run's worker answers a snapshot request (its control listener runs).
SNAPSHOT_STATES = frozenset({LabRun.State.STARTING, LabRun.State.RUNNING})

Send = Callable[[dict[str, Any]], Awaitable[None]]


class PageWatchdog:
    """Fails the runs whose worker stopped beating, while this process has run pages open.

    One check for the process, not one per page: each page's own was a query (and, with
    no persistent connections, a new database connection) every WATCHDOG_SECONDS, a
    quarter of the web process's CPU with a class of 30 open. Every worker checks too;
    this one covers a site whose workers are all gone, for the pages that watch it.
    """

    def __init__(self) -> None:
        self.pages = 0
        self.task: asyncio.Task[None] | None = None

    def opened(self) -> None:
        loop = asyncio.get_running_loop()
        if self.task is not None and self.task.get_loop() is not loop:
            self.task, self.pages = None, 0  # the pages of a loop that is gone (a test's)
        self.pages += 1
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._watch(), name="run-pages-watchdog")

    async def closed(self) -> None:
        self.pages = max(0, self.pages - 1)
        if self.pages or self.task is None:
            return
        task, self.task = self.task, None
        if task.get_loop() is asyncio.get_running_loop():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCHDOG_SECONDS)
            try:
                await in_db_thread(services.fail_stale_runs)()
            except Exception:  # a busy database: the next check tries again
                logger.warning("the run pages' stale-run check failed", exc_info=True)


watchdog = PageWatchdog()


class ViewerExtension(Protocol):
    """More a run page's socket does for one viewer (the in-lab quiz, say)."""

    async def resume(self, send: Send) -> None: ...
    async def observe(self, events: list[dict[str, Any]], send: Send) -> None: ...
    async def receive(self, content: Any, send: Send) -> bool: ...


# Site-wide apps register here from their AppConfig.ready(): labs never imports them
# (DESIGN.md's layout: imports flow from playground's apps down to labs, not back).
viewer_extensions: list[Callable[[dict[str, Any], LabRun], Awaitable[ViewerExtension]]] = []


# channels ships no type information, so its base class is Any to mypy.
class RunConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One browser tab watching one run (``/ws/runs/<pk>/``).

    Frames to the browser: ``{"events": [...]}`` (DESIGN.md's events, as the worker
    batched them) or ``{"error": "ValidationError", "message": "..."}``. On connect to a
    running run the first events frame after the status is ``[snapshot]``, from the worker
    (labs.tasks, labs.engine.snapshot): the worker numbers its batches, the snapshot says
    the last one it holds, and only later batches follow, so the page's counts stay exact.
    Frames from the browser: ``{"action": "stop"}``; ``{"action": "control", "command":
    {...}}`` (labs.services.control_run; a fault through labs.services.inject_fault; a
    console request's fields are checked by labs.frames.checked_request).
    """

    channel_layer_alias = services.EVENTS_LAYER  # what the worker publishes; commands: default
    run: LabRun | None = None
    watched = False  # counted among the pages the process's watchdog covers
    extensions: list[ViewerExtension] = []
    # Batches that came while the snapshot was awaited (None: not waiting), the number of
    # the last batch the page has, and the task that gives up on the snapshot.
    held: list[dict[str, Any]] | None = None
    awaiting_snapshot = False
    seen_seq = 0
    snapshot_timer: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.run = await _find_run(self.scope["user"], self.scope["url_route"]["kwargs"]["pk"])
        if self.run is None:
            await self.close()
            return
        # Join before reading the state, so no change between the two is missed.
        await self.channel_layer.group_add(self.run.group_name, self.channel_name)
        await self.accept()
        status = await _current_status(self.run)
        await self.send_json({"events": [status]})
        if status["state"] in SNAPSHOT_STATES and self.run.control_channel:
            await self._ask_for_snapshot(self.run.control_channel)
        self.extensions = [await open_(self.scope, self.run) for open_ in viewer_extensions]
        for extension in self.extensions:
            await extension.resume(self.send_json)
        watchdog.opened()
        self.watched = True

    async def disconnect(self, code: int) -> None:
        if self.watched:
            self.watched = False
            await watchdog.closed()
        if self.snapshot_timer is not None:
            self.snapshot_timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.snapshot_timer
        if self.run is not None:
            await self.channel_layer.group_discard(self.run.group_name, self.channel_name)

    async def run_events(self, message: dict[str, Any]) -> None:
        if self.held is not None:
            self.held.append(message)  # in order, behind what waits for the snapshot
            return
        await self._forward(message)

    async def _forward(self, message: dict[str, Any]) -> None:
        seq = message.get("seq")  # the worker's batches are numbered; other senders' not
        if isinstance(seq, int):
            if seq <= self.seen_seq:
                return  # already in the snapshot the page got
            self.seen_seq = seq
        await self.send_json({"events": message["events"]})
        for extension in self.extensions:
            await extension.observe(message["events"], self.send_json)

    async def run_snapshot(self, message: dict[str, Any]) -> None:
        """The worker's answer to ``_ask_for_snapshot``: send it, then what came since."""
        if not self.awaiting_snapshot:
            return  # too late: the events already flowed without it
        self.awaiting_snapshot = False
        if self.snapshot_timer is not None:
            self.snapshot_timer.cancel()
        self.seen_seq = int(message["seq"])
        await self.send_json({"events": [message["snapshot"]]})
        await self._release_held()

    async def _ask_for_snapshot(self, control_channel: str) -> None:
        # Joined the group first (connect), so every batch after the snapshot reaches us.
        message = {"type": "run.snapshot", "reply_to": self.channel_name}
        try:
            await get_channel_layer().send(control_channel, message)
        except Exception:
            logger.warning("run %s: could not ask its worker for a snapshot", self.scope["path"])
            return
        self.held, self.awaiting_snapshot = [], True
        self.snapshot_timer = asyncio.create_task(self._give_up_on_snapshot())

    async def _give_up_on_snapshot(self) -> None:
        await asyncio.sleep(SNAPSHOT_TIMEOUT_SECONDS)
        self.awaiting_snapshot = False
        await self._release_held()

    async def _release_held(self) -> None:
        # What arrives while this sends joins the queue (held stays a list until empty),
        # so batches go out in order and none is dropped as "already seen".
        while self.held:
            await self._forward(self.held.pop(0))
        self.held = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # A bad frame is answered with an error frame naming the problem, in the viewer's
        # language; it never closes the socket with 1011 (labs.frames has the rules).
        with translation.override(viewer_language(self.scope)):
            try:
                content = parse_frame(text_data, bytes_data)
            except FrameError as error:
                await self._reject(str(error))
                return
            if not isinstance(content, dict):
                await self._reject(_('Send a JSON object, such as {"action": "stop"}.'))
                return
            try:
                await self.receive_json(content)
            except Exception:
                logger.exception("run %s: a message could not be handled", self.scope["path"])
                await self._reject(_("This message could not be handled."))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.run is None:
            return  # frames only arrive once connect() found the run and accepted
        for extension in self.extensions:
            if await extension.receive(content, self.send_json):
                return
        if isinstance(content, dict) and content.get("action") == "control":
            await self._control(self.run, content.get("command"))
            return
        if not isinstance(content, dict) or content.get("action") != "stop":
            await self._reject(_('Unknown action. Use "stop" or "control".'))
            return
        try:
            await in_db_thread(services.stop_run)(self.scope["user"], self.run)
        except PermissionDenied as error:
            await self._reject(str(error))

    async def _control(self, run: LabRun, command: Any) -> None:
        """``{"action": "control", "command": {...}}``: change the running lab.

        Nothing comes back when it is sent: the worker's ``fault`` event says what happened.
        """
        refusal = await _control_run(self.scope["user"], run, command, viewer_language(self.scope))
        if refusal:
            await self._reject(refusal)

    async def _reject(self, message: str) -> None:
        await self.send_json({"error": "ValidationError", "message": message})


@in_db_thread
def _find_run(user: Any, pk: int) -> LabRun | None:
    return LabRun.objects.visible_to(user).filter(pk=pk).first()


@in_db_thread
def _control_run(user: Any, run: LabRun, command: Any, language: str) -> str:
    """labs.services.control_run; why it refused, in the viewer's language, or ""."""
    with translation.override(language):
        try:
            if isinstance(command, dict) and command.get("action") == "fault":
                # The one way in for a fault, the instructor's dashboard's too.
                services.inject_fault(
                    user,
                    run,
                    command.get("mode"),
                    target=command.get("target"),
                    az=command.get("az"),
                )
            else:
                services.control_run(user, run, command)
        except PermissionDenied as error:
            return str(error)
        except ValidationError as error:
            return " ".join(error.messages)
    return ""


@in_db_thread
def _current_status(run: LabRun) -> dict[str, Any]:
    run.refresh_from_db()
    return services.status_event(run)
