"""The instructor's live dashboard of one class (``/ws/classes/<pk>/dashboard/``).

It follows each learner's summary group (labs.models.LabRun.summary_group: run.status,
metrics once a second, fault), never the run's every request, plus the class's own group
(``classroom.<pk>``: a learner joined, hit a validation error, got a hint).

Frames to the page:
    ``{"rows": [row, ...]}`` on connect (dashboard.learner_row), then
    ``{"row": row}`` when a learner's facts change, ``{"removed": <learner id>}``,
    ``{"live": {"learner", "run", "rps", "error_rate", "unhealthy", "t", "emitted"}}``
    from each ``metrics`` event. ``emitted`` is the worker's wall clock (epoch seconds)
    when it sent the event, so the delay from worker to dashboard can be measured on the
    page (body[data-live-delay-ms]) or by any client of this socket;
    ``{"done": <action>, "message": "..."}`` or ``{"error": "ValidationError", "message"}``.
Frames from the page (each calls one service of playground.classrooms.services):
    ``{"action": "hint", "learner": <id> | null, "text": "..."}`` (null: every learner),
    ``{"action": "stop", "run": <id>}``, ``{"action": "stop", "all": true}`` (every run of
    the class still going, at once: services.stop_class_runs),
    ``{"action": "fault", "mode": "<fault mode>", "run": <id> | null, "target": "<ip:port>"?}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from labs import services as lab_services
from labs.frames import FrameError, parse_frame
from labs.language import in_language, viewer_language
from labs.models import LabRun
from labs.orm import in_db_thread

from . import services
from .access import classes_taught_by, get_learner_of_class
from .dashboard import LiveStats, learner_row, learner_rows
from .models import Classroom, Membership

logger = logging.getLogger(__name__)


class DashboardConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    # The runs' summaries come on the layer run events travel (labs.services.EVENTS_LAYER),
    # and so do the class's own "read this row again" messages (services._tell_dashboards).
    channel_layer_alias = lab_services.EVENTS_LAYER
    classroom: Classroom | None = None
    learners: set[int] = set()
    stale: set[int]  # learners whose row is to be sent again (_row_later)
    sending_rows: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.stale = set()
        pk = self.scope["url_route"]["kwargs"]["pk"]
        self.classroom = await _find_class(self.scope["user"], pk)
        if self.classroom is None:
            await self.close()
            return
        self.language = viewer_language(self.scope)
        await self.channel_layer.group_add(self.classroom.group_name, self.channel_name)
        rows = await in_language(self.language, learner_rows, self.classroom)
        self.learners = {row["learner"] for row in rows}
        for learner in self.learners:
            await self.channel_layer.group_add(LabRun.summary_group(learner), self.channel_name)
        await self.accept()
        await self.send_json({"rows": rows})

    async def disconnect(self, code: int) -> None:
        if self.sending_rows is not None:
            self.sending_rows.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sending_rows
        if self.classroom is None:
            return
        await self.channel_layer.group_discard(self.classroom.group_name, self.channel_name)
        for learner in self.learners:
            await self.channel_layer.group_discard(LabRun.summary_group(learner), self.channel_name)

    async def runs_summary(self, message: dict[str, Any]) -> None:
        learner = message.get("owner")
        if learner not in self.learners:
            return
        changed = False
        for event in message.get("events") or []:
            if event.get("type") == "metrics":
                live = {"learner": learner, "run": message.get("run"), **LiveStats.of(event)}
                live |= {"t": event.get("t"), "emitted": event.get("emitted")}
                await self.send_json({"live": live})
            else:
                changed = True  # a state change or a fault: the row says so
        if changed:
            self._row_later(learner)

    def _row_later(self, learner: int) -> None:
        """Send the learner's row again, read once the rows in hand are sent.

        A class stopped at once changed every row twice (stopping, finished) within a
        few tenths of a second: a row each time, each read in the web process's one
        database thread, was some 160 rows read one after another beside the learners'
        own pages. A row asked for while others are read is read with the next ones, once:
        it is read after the change all the same.
        """
        self.stale.add(learner)
        if self.sending_rows is None or self.sending_rows.done():
            self.sending_rows = asyncio.create_task(self._send_stale_rows())

    async def _send_stale_rows(self) -> None:
        while self.stale:
            learners, self.stale = sorted(self.stale), set()
            rows = await in_language(self.language, _rows_of, self.classroom, learners)
            for row in rows:
                await self.send_json({"row": row})

    async def classroom_learner(self, message: dict[str, Any]) -> None:
        learner = message.get("learner")
        if not isinstance(learner, int):
            return
        if not await _is_member(self.classroom, learner):
            if learner in self.learners:
                self.learners.discard(learner)
                await self.channel_layer.group_discard(
                    LabRun.summary_group(learner), self.channel_name
                )
                await self.send_json({"removed": learner})
            return
        if learner not in self.learners:
            self.learners.add(learner)
            await self.channel_layer.group_add(LabRun.summary_group(learner), self.channel_name)
        await self._send_row(learner)

    async def _send_row(self, learner: int) -> None:
        row = await in_language(self.language, _row_of, self.classroom, learner)
        if row is not None:
            await self.send_json({"row": row})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.language):
            try:
                content = parse_frame(text_data, bytes_data)
            except FrameError as error:
                await self._reject(str(error))
                return
            if not isinstance(content, dict) or content.get("action") not in ACTIONS:
                await self._reject(_('Unknown action. Use "hint", "stop" or "fault".'))
                return
            action = content["action"]
            if self.classroom is None:
                return  # frames only arrive once connect() found the class and accepted
            try:
                done = await in_db_thread(_act)(
                    self.scope["user"], self.classroom, content, self.language
                )
            except (PermissionDenied, ValidationError, Http404) as error:
                await self._reject(_refusal(error))
                return
            except Exception:
                logger.exception("class dashboard %s: a message failed", self.scope["path"])
                await self._reject(_("This message could not be handled."))
                return
            await self.send_json({"done": action, "message": done})

    async def _reject(self, message: str) -> None:
        await self.send_json({"error": "ValidationError", "message": message})


ACTIONS = ("hint", "stop", "fault")


def _refusal(error: Exception) -> str:
    if isinstance(error, Http404):
        return _("No such learner or run in this class.")
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _act(user: Any, classroom: Classroom, content: dict[str, Any], language: str) -> str:
    """One dashboard action, through its service; what to tell the instructor."""
    with translation.override(language):
        classroom.refresh_from_db()
        action = content["action"]
        # Only an explicit null means everyone: a frame that forgot its learner is refused.
        if action == "hint" and "learner" in content and content["learner"] is None:
            count = services.send_class_hint(classroom, user, _text(content.get("text")))
            return ngettext(
                "Hint sent to %(count)s learner.", "Hint sent to %(count)s learners.", count
            ) % {"count": count}
        if action == "hint":
            learner = get_learner_of_class(classroom, content.get("learner"))
            services.send_hint(classroom, user, learner, _text(content.get("text")))
            return _("Hint sent to %(learner)s.") % {"learner": learner.get_username()}
        if action == "stop" and content.get("all") is True:
            count = services.stop_class_runs(classroom, user)
            return ngettext(
                "Asked %(count)s run to stop.", "Asked %(count)s runs to stop.", count
            ) % {"count": count}
        if action == "stop":
            stopped = _run_of_class(classroom, content.get("run"))
            services.stop_learner_run(classroom, user, stopped)
            return _("Asked the run of %(learner)s to stop.") % {
                "learner": stopped.owner.get_username()
            }
        mode = _text(content.get("mode"))
        target = content.get("target")
        run = _run_of_class(classroom, content["run"]) if content.get("run") is not None else None
        told = services.inject_fault(
            classroom, user, mode, run=run, target=target if isinstance(target, str) else None
        )
        return ngettext("Fault sent to %(count)s run.", "Fault sent to %(count)s runs.", told) % {
            "count": told
        }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _run_of_class(classroom: Classroom, run_id: Any) -> LabRun:
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise Http404 from None
    found = (
        LabRun.objects.filter(pk=pk, owner__class_memberships__classroom=classroom)
        .select_related("owner")
        .first()
    )
    if found is None:
        raise Http404
    return found


@in_db_thread
def _find_class(user: Any, pk: int) -> Classroom | None:
    return classes_taught_by(user).filter(pk=pk).first()


@in_db_thread
def _is_member(classroom: Classroom | None, learner: int) -> bool:
    return Membership.objects.filter(classroom=classroom, learner_id=learner).exists()


def _rows_of(classroom: Classroom, learner_ids: list[int]) -> list[dict[str, Any]]:
    """The rows of those learners still in the class, as ``_row_of`` reads one."""
    memberships = Membership.objects.filter(
        classroom=classroom, learner_id__in=learner_ids
    ).select_related("learner")
    return [learner_row(classroom, m.learner, m.joined_at) for m in memberships]


def _row_of(classroom: Classroom, learner_id: int) -> dict[str, Any] | None:
    membership = (
        Membership.objects.filter(classroom=classroom, learner_id=learner_id)
        .select_related("learner")
        .first()
    )
    if membership is None:
        return None
    return learner_row(classroom, membership.learner, membership.joined_at)
