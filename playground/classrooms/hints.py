"""Hints on the learner's run page: the instructor's messages come over the run's socket.

A hint sent while the learner's run is going reaches the page as DESIGN.md-style
``hint`` event (services._publish_hint, on ``run.<id>``); the unread ones come back when
the page (re)connects (``resume``). Frames from the page:
``{"action": "hint.read", "ids": [<hint id>, ...]}`` marks them read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.utils.translation import gettext as _

from labs.models import LabRun
from labs.orm import in_db_thread

from . import services
from .models import Hint

Send = Callable[[dict[str, Any]], Awaitable[None]]
READ = "hint.read"


class LabHints:
    """One viewer's hints; only the run's owner gets theirs."""

    def __init__(self, run: LabRun, user: Any) -> None:
        self.run, self.user = run, user
        self.enabled = user.is_authenticated and run.owner_id == user.pk

    @classmethod
    async def open(cls, scope: dict[str, Any], run: LabRun) -> LabHints:
        return cls(run, scope["user"])

    async def resume(self, send: Send) -> None:
        if not self.enabled:
            return
        events = await in_db_thread(_unread)(self.user)
        if events:
            await send({"events": events})

    async def observe(self, events: list[dict[str, Any]], send: Send) -> None:
        return  # hints arrive as events of their own: the consumer forwards them

    async def receive(self, content: Any, send: Send) -> bool:
        if not isinstance(content, dict) or content.get("action") != READ:
            return False
        ids = content.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            message = _("Send the hints read as a list of their numbers.")
            await send({"error": "ValidationError", "message": message})
            return True
        if self.enabled:
            await in_db_thread(services.mark_hints_read)(self.user, ids)
        return True


def _unread(user: Any) -> list[dict[str, Any]]:
    hints = Hint.objects.filter(
        learner=user, read_at__isnull=True, classroom__archived_at__isnull=True
    ).select_related("classroom__instructor")
    return [services.hint_event(h) for h in reversed(hints[:10])]
