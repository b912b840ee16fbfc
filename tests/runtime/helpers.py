"""Run a topology on real loopback sockets and collect what it emits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labs.cfn import load_topology, parse_document
from labs.engine.spec import Topology
from labs.runtime.orchestrator import Event, LabRuntime, RunOptions, ScriptedRequest

STARTER = Path(__file__).resolve().parents[2] / "labs" / "starters" / "basic-alb.yaml"


def starter_document() -> dict[str, Any]:
    return parse_document(STARTER.read_text())


def topology(edit: Callable[[dict[str, Any]], None] | None = None) -> Topology:
    """The demo topology, optionally edited as plain CloudFormation data first."""
    document = starter_document()
    if edit is not None:
        edit(document)
    return load_topology(json.dumps(document))


async def run_until(
    topo: Topology, done: Callable[[list[Event]], bool], *, within: float = 10.0, **options: Any
) -> tuple[list[Event], LabRuntime]:
    """Run until ``done(events)`` holds; fail if it does not within ``within`` seconds."""
    events: list[Event] = []
    stop = asyncio.Event()

    async def emit(batch: list[Event]) -> None:
        events.extend(batch)
        if done(events):
            stop.set()

    options.setdefault("clock_speed", 30)
    async with LabRuntime(
        topo, RunOptions(duration=within, **options), emit, sample_events=False
    ) as lab:
        await lab.run(stop)
    assert done(events), f"condition not met within {within}s; last events: {events[-5:]}"
    return events, lab


async def run_script(
    topo: Topology, *requests: ScriptedRequest, **options: Any
) -> tuple[list[Event], LabRuntime]:
    events: list[Event] = []

    async def emit(batch: list[Event]) -> None:
        events.extend(batch)

    # Real-time AWS timers by default: a loaded machine must not fail a health check that
    # would pass on AWS (5 s timeout) just because the lab clock made it 0.5 s.
    options.setdefault("clock_speed", 1)
    async with LabRuntime(
        topo, RunOptions(duration=30, requests=requests, **options), emit, sample_events=False
    ) as lab:
        await lab.run(asyncio.Event())
    return events, lab


def of_type(events: list[Event], kind: str) -> list[Event]:
    return [event for event in events if event["type"] == kind]


def open_sockets() -> set[str]:
    """This process's socket inodes (Linux): compared before and after a run."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:"):
            found.add(link)
    return found


def listening_ports() -> set[tuple[str, int]]:
    """Listening TCP sockets owned by this process, from /proc/net/tcp."""
    mine = {link[8:-1] for link in open_sockets()}
    listening = set()
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in mine:
                host_hex, port_hex = local.split(":")
                host = ".".join(str(int(host_hex[i : i + 2], 16)) for i in (6, 4, 2, 0))
                listening.add((host, int(port_hex, 16)))
    return listening


def starter(name: str, edit: Callable[[dict[str, Any]], None] | None = None) -> Topology:
    """Another starter of labs/starters, optionally edited."""
    document = parse_document((STARTER.parent / name).read_text())
    if edit is not None:
        edit(document)
    return load_topology(json.dumps(document))


class EventLog:
    """What a lab emitted, with a way to wait for an event (no sleeps)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = asyncio.Condition()

    async def emit(self, batch: list[Event]) -> None:
        async with self._arrived:
            self.events.extend(batch)
            self._arrived.notify_all()

    async def wait_for(self, predicate: Callable[[Event], bool], within: float = 10.0) -> None:
        """Until an emitted event satisfies ``predicate``; fails after ``within`` seconds."""
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: any(predicate(e) for e in self.events))


async def settled(condition: Callable[[], bool], within: float = 2.0) -> None:
    """Yield to the loop until ``condition()`` holds or ``within`` seconds pass (no sleeps:
    each turn is a yield). For what a closed run finishes a loop turn or two after it
    returned, such as a transport's ``connection_lost`` closing its socket; the caller
    asserts the condition afterwards, so a socket that never closes still fails."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while True:
                if condition():
                    return
                await asyncio.sleep(0)  # a yield, not a sleep
