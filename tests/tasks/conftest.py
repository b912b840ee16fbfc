import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

from tests.factories import make_run

Event = dict[str, Any]


class GroupListener:
    """Subscribes to a run's group and waits (with a timeout, never a sleep) for events."""

    def __init__(self, run_id: int) -> None:
        self.group = f"run.{run_id}"
        self.layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        self.channel = ""
        self.seen: list[Event] = []

    async def __aenter__(self) -> "GroupListener":
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.layer.group_discard(self.group, self.channel)
        await self.layer.close_pools()

    async def wait_for(self, wanted: Callable[[Event], bool], within: float = 10) -> Event:
        async with asyncio.timeout(within):
            while True:
                message = await self.layer.receive(self.channel)
                assert message["type"] == "run.events"
                for event in message["events"]:
                    self.seen.append(event)
                    if wanted(event):
                        return event


def status(state: str) -> Callable[[Event], bool]:
    return lambda event: event["type"] == "run.status" and event["state"] == state


def of_type(kind: str) -> Callable[[Event], bool]:
    return lambda event: event["type"] == kind


@pytest.fixture
def queued_run(learner):
    return make_run(owner=learner, duration_limit=60)
