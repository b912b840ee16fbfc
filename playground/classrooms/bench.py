"""The instructor's dashboard as ``python -m labs.bench class`` watches it (issue 12).

A ``labs.bench.classroom`` watcher (registered by this app's ready()): once every learner's
run is running, an instructor makes a class, the learners join it, and the instructor
opens the class dashboard's socket (``/ws/classes/<pk>/dashboard/``) as a browser does.
Reported: the delay from each ``live`` frame's ``emitted`` (the worker's wall clock) to
the dashboard, p50/p99, and how often each learner's row was updated (the goal: at least
once a second), over the bench's window. It can also stop the whole class in one message
(``{"action": "stop", "all": true}``), as the instructor's Stop-all does.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from labs.bench.site import (
    PASSWORD,
    Browser,
    RunSocket,
    Site,
    ms,
    open_socket,
    percentile,
)

ANSWER_WITHIN = 30.0


class DashboardSocket(RunSocket):
    """The dashboard's frames: ``rows``, ``row``, ``live`` and the answers to actions."""

    def __init__(self) -> None:
        super().__init__()
        self.lives: list[tuple[float, dict[str, Any]]] = []  # (arrival, live frame)
        self.answers: list[tuple[float, dict[str, Any]]] = []  # done / error frames
        self.rows_at = 0.0

    def received(self, frame: dict[str, Any]) -> None:
        at = time.time()
        if "live" in frame:
            self.lives.append((at, frame["live"]))
        elif "rows" in frame:
            self.rows_at = self.rows_at or at
        elif "done" in frame or "error" in frame:
            self.answers.append((at, frame))
        self.changed.set()


class DashboardWatcher:
    name = "dashboard"

    def __init__(self) -> None:
        self.sock = DashboardSocket()
        self.learners: list[Any] = []

    async def attach(self, site: Site, learners: list[Any]) -> None:
        self.learners = learners
        username = await asyncio.to_thread(_make_class, [lr.username for lr in learners])
        browser = Browser(site.url)
        await asyncio.to_thread(browser.log_in, username)
        self.classroom = await asyncio.to_thread(_class_of, username)
        path = f"/ws/classes/{self.classroom}/dashboard/"
        self.sock = await open_socket(browser, path, DashboardSocket())
        await self.sock.wait_until(lambda: bool(self.sock.rows_at), ANSWER_WITHIN)

    async def stop_all(self) -> float:
        """Stop every run of the class in one message; when the dashboard said it was done."""
        asked = len(self.sock.answers)
        self.sock.send({"action": "stop", "all": True})
        await self.sock.wait_until(lambda: len(self.sock.answers) > asked, ANSWER_WITHIN)
        at, frame = self.sock.answers[asked]
        if "error" in frame:
            raise SystemExit(f"bench: the dashboard refused to stop the class: {frame}")
        return at

    def figures(self, begin: float, end: float) -> dict[str, Any]:
        window = [(at, live) for at, live in self.sock.lives if begin < at <= end]
        delays = [at - float(live["emitted"]) for at, live in window if live.get("emitted")]
        by_run: dict[Any, list[float]] = {}
        for at, live in window:
            by_run.setdefault(live.get("run"), []).append(at)
        seconds = end - begin
        # How often each row changed while it was watched: 20 updates 1 s apart are 1/s.
        rates = [
            (len(times) - 1) / (times[-1] - times[0])
            for times in by_run.values()
            if len(times) > 1 and times[-1] > times[0]
        ]
        gaps = [b - a for times in by_run.values() for a, b in itertools.pairwise(times)]
        return {
            "updates_per_s": round(len(window) / seconds, 1),
            "rows_updated": len(by_run),
            "rows": len(self.learners),
            "row_updates_per_s_min": round(min(rates), 2) if rates else None,
            "row_gap_max_s": round(max(gaps), 2) if gaps else None,
            "delay_p50_ms": ms(percentile(delays, 50)),
            "delay_p99_ms": ms(percentile(delays, 99)),
            "delay_max_ms": ms(max(delays, default=None)),
        }


def _make_class(usernames: list[str]) -> str:
    """An instructor and their class, which every learner joins; the instructor's name."""
    from django.contrib.auth import get_user_model

    from playground.accounts import roles

    from . import services

    users = get_user_model().objects
    instructor = users.create_user(username="class-instructor", password=PASSWORD)
    roles.add_role(instructor, roles.INSTRUCTOR)
    classroom = services.create_classroom(instructor, "Bench class")
    for learner in users.filter(username__in=usernames):
        services.join_classroom(learner, classroom.join_code)
    return str(instructor.username)


def _class_of(username: str) -> int:
    from .models import Classroom

    return int(Classroom.objects.get(instructor__username=username).pk)
