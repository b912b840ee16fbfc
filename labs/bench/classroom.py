"""``python -m labs.bench class``: a class of learners on the site ``make run`` starts (issue 12).

BENCH_CLASS_RUNS learners (default 80) log in, open their topology, and press Run together
(threads, as many browsers would), each at BENCH_CLASS_RPS requests/s (default 10); each
watches their run over the run page's WebSocket. Reported:

- runs reaching ``running``, and how long from pressing Run (the Run view's answer, and
  the socket hearing ``running``);
- over a steady window of BENCH_CLASS_SECONDS: the request rate achieved, the delay from
  each event's ``emitted`` (worker wall clock) to the learner's socket, p50/p99, and
  worker, daphne and Redis CPU (/proc, share of one core);
- health flaps: a target leaving ``healthy`` (every target of the starter stays healthy,
  so each one is false), over the whole scenario;
- then the whole class is stopped at once: by the instructor's one message on the class
  dashboard (BENCH_CLASS_STOP=instructor, the default when a watcher can) or by every
  learner pressing Stop (BENCH_CLASS_STOP=learners): the time until every socket hears the
  run ``finished``, and the runs that ``failed`` instead (with their reasons).

Goals (one 2-core machine, the default set-up): 80 runs, p99 < 250 ms, no flaps, no run
failed, all stopped within 2 s; the dashboard's p99 < 250 ms too, and each of its rows
updated at least once a second. Written to var/bench/class.json.

``WATCHERS``: more viewers attached to the class (the classroom dashboard's socket,
playground.classrooms.bench): a factory per viewer, each one ``attach``ed once every run
is running and asked for its ``figures`` over the window (its delay, how often it updated);
they go into the report under their ``name``. One that has ``stop_all`` can stop the class.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from .site import (
    Browser,
    CpuMeter,
    RunSocket,
    Site,
    make_learner,
    measure_on_site,
    ms,
    open_run_socket,
    percentile,
    save,
)

RUNS = int(os.environ.get("BENCH_CLASS_RUNS", "80"))
RPS = float(os.environ.get("BENCH_CLASS_RPS", "10"))
SECONDS = float(os.environ.get("BENCH_CLASS_SECONDS", "20"))
STOP_BY = os.environ.get("BENCH_CLASS_STOP", "instructor")  # or "learners"
RUNNING_WITHIN = 120.0
STOPPED_WITHIN = 60.0
GOAL_P99_MS, GOAL_STOP_SECONDS = 250.0, 2.0
ENDED = ("finished", "failed")


@dataclass
class Learner:
    username: str
    topology: int
    browser: Browser
    pressed: float = 0.0  # wall clock when they pressed Run
    answered: float = 0.0  # when the Run view answered (its redirect to the run page)
    run_id: int = 0
    sock: RunSocket = field(default_factory=RunSocket)


class Watcher(Protocol):
    """Another viewer of the class (the instructor's dashboard): see WATCHERS."""

    name: str

    async def attach(self, site: Site, learners: list[Learner]) -> None: ...
    def figures(self, begin: float, end: float) -> dict[str, Any]: ...


WATCHERS: list[Callable[[], Watcher]] = []


def _enrol(site: Site, n: int) -> Learner:
    username, topology = make_learner(f"class-{n}")
    browser = Browser(site.url)
    browser.log_in(username)
    browser.get(f"/labs/topologies/{topology}/")  # on the page with the Run button
    return Learner(username, topology, browser)


def _press_run(learner: Learner, go: threading.Barrier) -> None:
    go.wait()
    learner.pressed = time.time()
    learner.run_id = learner.browser.press_run(learner.topology, RPS)
    learner.answered = time.time()


async def _start_class(site: Site) -> list[Learner]:
    with ThreadPoolExecutor(8) as pool:  # logging in: daphne checks each password
        learners = list(await asyncio.gather(*(
            asyncio.get_running_loop().run_in_executor(pool, _enrol, site, n)
            for n in range(RUNS)
        )))  # fmt: skip
    go = threading.Barrier(RUNS)
    with ThreadPoolExecutor(RUNS) as pool:
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(pool, _press_run, learner, go) for learner in learners)
        )
    for learner in learners:
        learner.sock = await open_run_socket(learner.browser, learner.run_id)
    return learners


async def measure(site: Site) -> dict[str, Any]:
    learners = await _start_class(site)
    running = await _wait_all(learners, ("running", *ENDED), RUNNING_WITHIN)
    watchers = [make() for make in WATCHERS]
    for watcher in watchers:
        await watcher.attach(site, learners)
    cpu = CpuMeter(site.processes())
    begin = time.time()
    cpu.start()
    await asyncio.sleep(SECONDS)  # the measuring window itself
    shares = cpu.stop()
    end = time.time()
    stopper = next((w for w in watchers if hasattr(w, "stop_all")), None)
    stop_by = "instructor" if STOP_BY == "instructor" and stopper is not None else "learners"
    stop_asked = time.time()
    if stop_by == "instructor":
        answered = await stopper.stop_all()  # type: ignore[union-attr]
    else:
        for learner in learners:
            learner.sock.send({"action": "stop"})
    await _wait_all(learners, ENDED, STOPPED_WITHIN)
    for learner in learners:
        await learner.sock.close()
    figures = _figures(learners, running, begin, end, stop_asked, shares)
    figures["stop_by"] = stop_by
    if stop_by == "instructor":
        figures["stop_answered_s"] = _s(answered - stop_asked)
    figures["watchers"] = {watcher.name: watcher.figures(begin, end) for watcher in watchers}
    for name, shown in figures["watchers"].items():
        if "delay_p99_ms" in shown:
            p99 = shown["delay_p99_ms"]
            figures["goals"][f"{name} p99 < {GOAL_P99_MS:g} ms"] = (p99 or 1e9) < GOAL_P99_MS
        if "row_updates_per_s_min" in shown:
            rate = shown["row_updates_per_s_min"] or 0
            every = shown["rows_updated"] == shown["rows"]
            # 5 % for the jitter of a loaded machine's timers
            figures["goals"][f"{name} rows updated at least once a second"] = every and rate >= 0.95
    return figures


async def _wait_all(learners: list[Learner], states: tuple[str, ...], within: float) -> int:
    """How many runs reached one of ``states`` within ``within`` seconds (all, or fewer)."""

    def reached(learner: Learner) -> bool:
        return any(state in learner.sock.states for state in states)

    with contextlib.suppress(TimeoutError):
        await asyncio.gather(
            *(learner.sock.wait_until(partial(reached, learner), within) for learner in learners)
        )
    return sum(reached(learner) for learner in learners)


def _figures(
    learners: list[Learner],
    running: int,
    begin: float,
    end: float,
    stop_asked: float,
    cpu: dict[str, float],
) -> dict[str, Any]:
    window = [a for learner in learners for a in learner.sock.arrivals if begin < a.at <= end]
    delays = [a.delay for a in window if "emitted" in a.event and a.event["type"] != "snapshot"]
    requests = sum(a.event["type"] == "request" for a in window)
    startups = [
        lr.sock.states["running"] - lr.pressed for lr in learners if "running" in lr.sock.states
    ]
    answers = [lr.answered - lr.pressed for lr in learners]
    stops = [
        min(lr.sock.states.get(state, float("inf")) for state in ENDED) - stop_asked
        for lr in learners
    ]
    failed = Counter(_final(lr)[1] for lr in learners if _final(lr)[0] == "failed")
    changes = Counter(
        f"{a.event.get('previous')}->{a.event['state']} ({a.event.get('reason')})"
        for lr in learners
        for a in lr.sock.arrivals
        if a.event["type"] == "health" and a.event.get("previous") != a.event["state"]
    )
    flaps = sum(n for change, n in changes.items() if change.startswith("healthy->"))
    figures: dict[str, Any] = {
        "runs": len(learners),
        "rps_each": RPS,
        "running": running,
        "run_view_p50_s": _s(percentile(answers, 50)),
        "run_view_max_s": _s(max(answers, default=None)),
        "startup_p50_s": _s(percentile(startups, 50)),
        "startup_max_s": _s(max(startups, default=None)),
        "seconds": round(end - begin, 2),
        "requests_per_s": round(requests / (end - begin), 1),
        "events_per_s": round(len(window) / (end - begin), 1),
        "delay_p50_ms": ms(percentile(delays, 50)),
        "delay_p99_ms": ms(percentile(delays, 99)),
        "delay_max_ms": ms(max(delays, default=None)),
        "health_flaps": flaps,
        "health_changes": dict(changes),
        "stop_all_s": _s(max(stops, default=None)),
        "stop_p50_s": _s(percentile(stops, 50)),
        "failed": dict(failed),
        "never_heard_running": {  # run id -> the states its learner's socket did hear
            lr.run_id: list(lr.sock.states) for lr in learners if "running" not in lr.sock.states
        },
        "worker_cpu": cpu["worker"],
        "daphne_cpu": cpu["daphne"],
        "redis_cpu": cpu["redis"],
    }
    figures["goals"] = {
        f"{RUNS} runs running": running == len(learners),
        f"p99 < {GOAL_P99_MS:g} ms": (figures["delay_p99_ms"] or 1e9) < GOAL_P99_MS,
        "no health flaps": flaps == 0,
        "no run failed": not failed,
        f"all stopped within {GOAL_STOP_SECONDS:g} s": (figures["stop_all_s"] or 1e9)
        < GOAL_STOP_SECONDS,
    }
    return figures


def _final(learner: Learner) -> tuple[str, str]:
    statuses = [a.event for a in learner.sock.arrivals if a.event["type"] == "run.status"]
    last = statuses[-1] if statuses else {"state": "?", "reason": ""}
    return last["state"], last.get("reason") or ""


def _s(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def report(figures: dict[str, Any], load_before: str, load_after: str) -> None:
    f = figures
    print(f"\nA class through the site ({load_before} before, {load_after} after)")
    print(
        f"  {f['running']}/{f['runs']} runs running; Run answered in p50 {f['run_view_p50_s']} s"
        f" / max {f['run_view_max_s']} s; running after p50 {f['startup_p50_s']} s"
        f" / max {f['startup_max_s']} s"
    )
    print(
        f"  {f['requests_per_s']} req/s ({f['rps_each']:g} asked of each), "
        f"{f['events_per_s']} events/s; delay p50 {f['delay_p50_ms']} ms, "
        f"p99 {f['delay_p99_ms']} ms, max {f['delay_max_ms']} ms"
    )
    print(
        f"  CPU (share of one core): worker {f['worker_cpu']:.0%}, daphne {f['daphne_cpu']:.0%}"
        f", Redis {f['redis_cpu']:.0%}; health flaps {f['health_flaps']}"
    )
    answered = f" (its answer after {f['stop_answered_s']} s)" if "stop_answered_s" in f else ""
    print(
        f"  stopped by the {f['stop_by']}{answered}: all within {f['stop_all_s']} s"
        f" (p50 {f['stop_p50_s']} s); failed: {f['failed'] or 'none'}"
    )
    for name, shown in f["watchers"].items():
        print(f"  {name}: {shown}")
    for goal, met in f["goals"].items():
        print(f"  {goal}: {'met' if met else 'NOT MET'}")


def main() -> None:
    figures, before, after = measure_on_site(measure)
    report(figures, before, after)
    out = save("class", {"load_before": before, "load_after": after, **figures})
    print(f"  written to {out}")


if __name__ == "__main__":
    main()
