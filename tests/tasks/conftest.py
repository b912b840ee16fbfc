import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from channels.layers import channel_layers

from labs import services
from tests.factories import make_run

Event = dict[str, Any]


class GroupListener:
    """Subscribes to a run's group and waits (with a timeout, never a sleep) for events."""

    def __init__(self, run_id: int) -> None:
        self.group = f"run.{run_id}"
        self.layer = channel_layers.make_backend(services.EVENTS_LAYER)
        self.channel = ""
        self.seen: list[Event] = []
        self._pending: deque[Event] = deque()

    async def __aenter__(self) -> "GroupListener":
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.layer.group_discard(self.group, self.channel)
        await self.layer.flush()

    async def seen_or_wait_for(self, wanted: Callable[[Event], bool], within: float = 10) -> Event:
        """Like ``wait_for``, but an event that already arrived counts too."""
        for event in self.seen:
            if wanted(event):
                return event
        return await self.wait_for(wanted, within)

    async def wait_for(self, wanted: Callable[[Event], bool], within: float = 10) -> Event:
        async with asyncio.timeout(within):
            while True:
                # The rest of a batch waits for the next call: no event is skipped.
                while self._pending:
                    event = self._pending.popleft()
                    self.seen.append(event)
                    if wanted(event):
                        return event
                message = await self.layer.receive(self.channel)
                assert message["type"] == "run.events"
                self._pending.extend(message["events"])


def status(state: str) -> Callable[[Event], bool]:
    return lambda event: event["type"] == "run.status" and event["state"] == state


def of_type(kind: str) -> Callable[[Event], bool]:
    return lambda event: event["type"] == kind


@pytest.fixture
def queued_run(learner):
    return make_run(owner=learner, duration_limit=60)
