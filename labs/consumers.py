"""The run page's WebSocket: live events out, stop requests in."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import services
from .models import LabRun

# How often an open run page checks that the run's worker still beats. With
# LAB_STALE_SECONDS of 20 a dead worker shows as failed within 25 seconds.
WATCHDOG_SECONDS = 5


class RunConsumer(AsyncJsonWebsocketConsumer):
    """One browser tab watching one run (``/ws/runs/<pk>/``).

    Frames to the browser: ``{"events": [...]}`` (DESIGN.md's events, as the worker
    batched them) or ``{"error": "ValidationError", "message": "..."}``.
    Frames from the browser: ``{"action": "stop"}``.
    """

    run: LabRun | None = None
    watchdog: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.run = await _find_run(self.scope["user"], self.scope["url_route"]["kwargs"]["pk"])
        if self.run is None:
            await self.close()
            return
        # Join before reading the state, so no change between the two is missed.
        await self.channel_layer.group_add(self.run.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"events": [await _current_status(self.run)]})
        self.watchdog = asyncio.create_task(self._watch_worker(self.run.pk))

    async def disconnect(self, code: int) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watchdog
        if self.run is not None:
            await self.channel_layer.group_discard(self.run.group_name, self.channel_name)

    async def run_events(self, message: dict[str, Any]) -> None:
        await self.send_json({"events": message["events"]})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self._reject(_('Send a JSON object, such as {"action": "stop"}.'))
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("action") != "stop":
            await self._reject(_('Unknown action. The only action is "stop".'))
            return
        try:
            await database_sync_to_async(services.stop_run)(self.scope["user"], self.run)
        except PermissionDenied as error:
            await self._reject(str(error))

    async def _reject(self, message: str) -> None:
        await self.send_json({"error": "ValidationError", "message": message})

    async def _watch_worker(self, run_id: int) -> None:
        while True:
            await asyncio.sleep(WATCHDOG_SECONDS)
            await database_sync_to_async(services.fail_stale_runs)(run_id)


@database_sync_to_async
def _find_run(user: Any, pk: int) -> LabRun | None:
    return LabRun.objects.visible_to(user).filter(pk=pk).first()


@database_sync_to_async
def _current_status(run: LabRun) -> dict[str, Any]:
    run.refresh_from_db()
    return services.status_event(run)
