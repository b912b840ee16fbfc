"""``python -m labs.bench pipeline``: the event pipeline through the real site (issue 10).

One lab run at a time, at 50, 500 and 2,000 requests/s, on the site ``make run`` starts
(labs.bench.site: a real Celery worker, the embedded Redis, daphne), watched by one learner
over the run page's WebSocket. For each rate, over a steady window of BENCH_PIPELINE_SECONDS:

- requests proxied/s: the run's access log (saved by the worker when the run ends);
- events delivered/s: every event the learner's socket got;
- delay: from the worker's ``emitted`` wall clock (a request event's is stamped as the
  finished request is absorbed) to the socket, p50 and p99, request and metrics events;
- every request event delivered: the request events the socket got after its snapshot
  against the access log's lines minus the requests the snapshot already counted;
- metrics exact: the per-second ``metrics`` series (snapshot + stream) has every second
  and its RequestCount sums to the access log's lines; each second is also compared with
  the log's lines whose response time falls between its window's close and the previous
  one's (the log's clock is the loop's, so a request on a boundary may land one over);
- worker and daphne CPU, from /proc, as a share of one core.

Goals: at 500 req/s every request event delivered and p99 < 250 ms; at 2,000 req/s the
metrics exact and p99 < 500 ms. Printed as a table and written to var/bench/pipeline.json.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import time
from datetime import datetime
from itertools import pairwise
from typing import Any

from .site import (
    Browser,
    CpuMeter,
    RunSocket,
    Site,
    load,
    make_learner,
    measure_on_site,
    ms,
    open_run_socket,
    percentile,
    save,
)

RATES = tuple(int(r) for r in os.environ.get("BENCH_PIPELINE_RATES", "50,500,2000").split(","))
SECONDS = float(os.environ.get("BENCH_PIPELINE_SECONDS", "15"))
CLIENTS = 60  # simulated clients: 2,000 req/s needs many (each sends one request at a time)
GOAL_P99_MS = {500: 250.0, 2000: 500.0}
STATE_TIMEOUT = 60.0


async def measure(site: Site, rate: int) -> dict[str, Any]:
    username, topology = await asyncio.to_thread(make_learner, f"pipeline-{rate}", CLIENTS)
    browser = Browser(site.url)
    await asyncio.to_thread(browser.log_in, username)
    run_id = await asyncio.to_thread(browser.start_run, topology, rate)
    sock = await open_run_socket(browser, run_id)
    await sock.wait_for_state("running", STATE_TIMEOUT)
    await sock.wait_until(lambda: _requests_arrived(sock), STATE_TIMEOUT)
    cpu = CpuMeter(site.processes())
    first, begin = len(sock.arrivals), time.time()
    cpu.start()
    await asyncio.sleep(SECONDS)  # the measuring window itself, not a wait for an event
    shares = cpu.stop()
    last, end = len(sock.arrivals), time.time()
    sock.send({"action": "stop"})
    await sock.wait_for_state("finished", STATE_TIMEOUT)
    await sock.close()
    lines = await _access_log(run_id)
    return _figures(rate, sock, first, last, begin, end, lines, shares)


def _requests_arrived(sock: RunSocket) -> bool:
    return any(a.event.get("type") == "request" for a in sock.arrivals)


async def _access_log(run_id: int) -> list[str]:
    from asgiref.sync import sync_to_async

    from labs.models import RunAccessLog

    log = await sync_to_async(RunAccessLog.objects.get, thread_sensitive=False)(run_id=run_id)
    return gzip.decompress(log.data).decode().splitlines()


def _figures(
    rate: int,
    sock: RunSocket,
    first: int,
    last: int,
    begin: float,
    end: float,
    lines: list[str],
    cpu: dict[str, float],
) -> dict[str, Any]:
    window = sock.arrivals[first:last]
    seconds = end - begin
    answered = [_response_time(line) for line in lines]
    request_delays = [a.delay for a in window if a.event["type"] == "request"]
    metrics_delays = [a.delay for a in window if a.event["type"] == "metrics"]
    figures: dict[str, Any] = {
        "rate": rate,
        "seconds": round(seconds, 2),
        "requests_per_s": round(sum(begin < t <= end for t in answered) / seconds, 1),
        "events_per_s": round(len(window) / seconds, 1),
        "request_events_per_s": round(len(request_delays) / seconds, 1),
        "request_p50_ms": ms(percentile(request_delays, 50)),
        "request_p99_ms": ms(percentile(request_delays, 99)),
        "request_max_ms": ms(max(request_delays, default=None)),
        "metrics_p99_ms": ms(percentile(metrics_delays, 99)),
        "worker_cpu": cpu["worker"],
        "daphne_cpu": cpu["daphne"],
        "redis_cpu": cpu["redis"],
        **_delivered(sock, len(lines)),
        **_metrics_exact(sock, answered),
    }
    figures["goals"] = _goals(figures)
    return figures


def _response_time(line: str) -> float:
    # AWS's ALB log: "type time elb ...", time being when the response went out.
    return datetime.fromisoformat(line.split(" ", 2)[1]).timestamp()


def _delivered(sock: RunSocket, logged: int) -> dict[str, Any]:
    """Request events the socket got, against what the access log says there were."""
    snapshot = next((a.event for a in sock.arrivals if a.event["type"] == "snapshot"), None)
    before = int(snapshot["counts"].get("requests", 0)) if snapshot else 0
    live = [a.event for a in sock.arrivals if a.event["type"] == "request"]
    sampled = sum(bool(event.get("sampled")) for event in live)
    return {
        "logged_requests": logged,
        "in_snapshot": before,
        "request_events": len(live),
        "sampled_events": sampled,
        "missing_request_events": logged - before - len(live),
    }


def _metrics_exact(sock: RunSocket, answered: list[float]) -> dict[str, Any]:
    series: dict[float, dict[str, Any]] = {}
    for arrival in sock.arrivals:
        event = arrival.event
        if event["type"] == "snapshot":
            for metrics in event["series"].get("metrics", []):
                series[metrics["t"]] = metrics
        elif event["type"] == "metrics":
            series[event["t"]] = event
    ordered = [series[t] for t in sorted(series)]
    counted = [_request_count(m) for m in ordered]
    # Each window against the log lines answered since the previous window closed.
    logged = [sum(t <= ordered[0]["emitted"] for t in answered)] + [
        sum(before["emitted"] < t <= after["emitted"] for t in answered)
        for before, after in pairwise(ordered)
    ]
    differences = [count - log for count, log in zip(counted[1:], logged[1:], strict=True)]
    gaps = sum(b["t"] - a["t"] > 1.5 * _lab_second(ordered) for a, b in pairwise(ordered))
    return {
        "metrics_windows": len(ordered),
        "metrics_gaps": gaps,
        "metrics_request_count": sum(counted),
        "metrics_total_exact": sum(counted) == len(answered),
        "seconds_equal_to_log": sum(d == 0 for d in differences),
        "seconds_compared": len(differences),
        "largest_second_difference": max((abs(d) for d in differences), default=0),
        "per_second": [  # lab-clock t, the metrics event's RequestCount, the log's lines
            [m["t"], count, log] for m, count, log in zip(ordered, counted, logged, strict=True)
        ],
    }


def _lab_second(ordered: list[dict[str, Any]]) -> float:
    """Lab-clock seconds between two windows (the clock runs 10x: 10)."""
    steps = sorted(b["t"] - a["t"] for a, b in pairwise(ordered))
    return steps[len(steps) // 2] if steps else 1.0


def _request_count(metrics: dict[str, Any]) -> int:
    return int(sum(lb.get("RequestCount", 0) for lb in metrics["load_balancers"].values()))


def _goals(figures: dict[str, Any]) -> dict[str, bool]:
    rate, p99 = figures["rate"], figures["request_p99_ms"]
    goals: dict[str, bool] = {}
    if rate in GOAL_P99_MS:
        goals[f"p99 < {GOAL_P99_MS[rate]:g} ms"] = p99 is not None and p99 < GOAL_P99_MS[rate]
    if rate == 500:
        goals["every request event delivered"] = (
            figures["missing_request_events"] == 0 and figures["sampled_events"] == 0
        )
    if rate == 2000:
        goals["metrics exact"] = figures["metrics_total_exact"] and not figures["metrics_gaps"]
    return goals


def report(results: list[dict[str, Any]], load_before: str, load_after: str) -> None:
    print(f"\nEvent pipeline through the site ({load_before} before, {load_after} after)")
    head = (
        f"{'req/s asked':>11} {'proxied/s':>9} {'events/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>7} {'missing':>7} {'sampled':>7} {'metrics=log':>11} "
        f"{'worker':>6} {'daphne':>6} {'redis':>6}"
    )
    print(head)
    for r in results:
        exact = f"{r['seconds_equal_to_log']}/{r['seconds_compared']}"
        exact += "" if r["metrics_total_exact"] else " (sum!)"
        print(
            f"{r['rate']:>11} {r['requests_per_s']:>9} {r['events_per_s']:>8} "
            f"{r['request_p50_ms']!s:>7} {r['request_p99_ms']!s:>7} {r['request_max_ms']!s:>7} "
            f"{r['missing_request_events']:>7} {r['sampled_events']:>7} {exact:>11} "
            f"{r['worker_cpu']:>6.0%} {r['daphne_cpu']:>6.0%} {r['redis_cpu']:>6.0%}"
        )
    for r in results:
        for goal, met in r["goals"].items():
            print(f"  {r['rate']} req/s: {goal}: {'met' if met else 'NOT MET'}")


async def measure_each_rate(site: Site) -> list[dict[str, Any]]:
    results = []
    for rate in RATES:
        results.append(await measure(site, rate))
        print(f"pipeline: {rate} req/s measured ({load()})", flush=True)
    return results


def main() -> None:
    results, before, after = measure_on_site(measure_each_rate)
    report(results, before, after)
    out = save("pipeline", {"load_before": before, "load_after": after, "runs": results})
    print(f"  written to {out}")


if __name__ == "__main__":
    main()
