"""The live quiz's socket (``/ws/classes/<pk>/live/``), for the instructor and the class.

Frames to the page: ``{"live": view}`` (live_quiz.view, built for this viewer) on connect
and after every change; ``{"error": "ValidationError", "message": "..."}``.
Frames from the page: a learner ``{"action": "answer", "choices": [<choice id>, ...]}``;
the instructor ``{"action": "next" | "reveal" | "finish"}`` or
``{"action": "leaderboard", "shown": true | false}``.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from labs.frames import FrameError, parse_frame
from labs.language import in_language, viewer_language
from labs.orm import in_db_thread

from . import live_quiz
from .access import classes_taught_by
from .models import Classroom

logger = logging.getLogger(__name__)
TEACHER_ACTIONS = ("next", "reveal", "finish", "leaderboard")


class LiveQuizConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    classroom: Classroom | None = None
    teaching = False

    async def connect(self) -> None:
        pk = self.scope["url_route"]["kwargs"]["pk"]
        found = await _find(self.scope["user"], pk)
        if found is None:
            await self.close()
            return
        self.classroom, self.teaching = found
        self.language = viewer_language(self.scope)
        await self.channel_layer.group_add(f"classroom.{pk}.live", self.channel_name)
        await self.accept()
        await self._send_view()

    async def disconnect(self, code: int) -> None:
        if self.classroom is not None:
            await self.channel_layer.group_discard(
                f"classroom.{self.classroom.pk}.live", self.channel_name
            )

    async def live_changed(self, message: dict[str, Any]) -> None:
        await self._send_view()

    async def _send_view(self) -> None:
        view = await in_language(
            self.language, _view, self.classroom, self.scope["user"], self.teaching
        )
        await self.send_json({"live": view})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        with translation.override(self.language):
            try:
                content = parse_frame(text_data, bytes_data)
            except FrameError as error:
                await self._reject(str(error))
                return
            allowed = TEACHER_ACTIONS if self.teaching else ("answer",)
            if not isinstance(content, dict) or content.get("action") not in allowed:
                await self._reject(_("Unknown action."))
                return
            try:
                await in_language(self.language, _act, self.classroom, self.scope["user"], content)
            except (ValidationError, PermissionDenied) as error:
                messages = error.messages if isinstance(error, ValidationError) else [str(error)]
                await self._reject(" ".join(messages))
            except Exception:
                logger.exception("live quiz %s: a message failed", self.scope["path"])
                await self._reject(_("This message could not be handled."))

    async def _reject(self, message: str) -> None:
        await self.send_json({"error": "ValidationError", "message": message})


@in_db_thread
def _find(user: Any, pk: int) -> tuple[Classroom, bool] | None:
    taught = classes_taught_by(user).filter(pk=pk).first()
    if taught is not None:
        return taught, True
    if not user.is_authenticated:
        return None
    joined = Classroom.objects.filter(
        pk=pk, memberships__learner=user, archived_at__isnull=True
    ).first()
    return (joined, False) if joined is not None else None


def _view(classroom: Classroom, user: Any, teaching: bool) -> dict[str, Any]:
    return live_quiz.view(live_quiz.current(classroom) or _last(classroom), user, teaching=teaching)


def _last(classroom: Classroom) -> Any:
    return classroom.live_quizzes.select_related("question_set").first()


def _act(classroom: Classroom, user: Any, content: dict[str, Any]) -> None:
    quiz = live_quiz.current(classroom)
    if quiz is None:
        raise ValidationError(_("No live quiz is going in this class."))
    action = content["action"]
    if action == "answer":
        live_quiz.answer(quiz, user, content.get("choices"))
    elif action == "next":
        live_quiz.next_question(quiz, user)
    elif action == "reveal":
        live_quiz.reveal(quiz, user)
    elif action == "finish":
        live_quiz.finish(quiz, user)
    else:
        live_quiz.set_leaderboard(quiz, user, bool(content.get("shown")))
