"""CPU per new connection through our NLB node: this tree against another, and HAProxy.

``python -m labs.bench.tcp_ab [--base DIR] [--rounds N] [--seconds S] [--full]``

A/B for speed work on ``labs.runtime.proxy_tcp``: the node of this checkout and the node
of ``DIR`` (another source tree, e.g. ``git archive main labs | tar -x -C DIR``) run side
by side on core 0, with HAProxy in ``mode tcp`` beside them; wrk with ``Connection:
close`` (every request a connection of its own) drives each in turn, alternating, from
core 1, against one HTTP backend (a HAProxy answering by itself). For each run it prints
connections/s and the CPU time the proxy's process spent per connection (utime + stime
from /proc): unlike connections/s, that barely depends on what else shares the machine,
so it is the figure to compare on a busy machine. ``--full`` adds, per round, iperf3's
throughput (64 KB writes, BENCH_SECONDS long) through each, and at the end the p99 each
node adds to a whole
connection at a steady 500 connections/s (``labs.bench.latency``, through it minus
straight to the backend). Ports sit apart from ``make bench``'s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from .latency import measure
from .tcp import haproxy_tcp_config, iperf
from .tools import ROOT, cpu_seconds, wait_until_serving, wrk

BASE = int(os.environ.get("BENCH_AB_PORT", "28180"))
BACKEND, HAPROXY, OURS, THEIRS = BASE, BASE + 1, BASE + 2, BASE + 3
IPERF, HAPROXY_IPERF, OURS_IPERF, THEIRS_IPERF = BASE + 4, BASE + 5, BASE + 6, BASE + 7
HOST = "127.0.1.6"  # serve_tcp's node address

CONFIG = f"""
global
    nbthread 1
    maxconn 4000
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend backend_answers
    mode http
    bind 127.0.0.1:{BACKEND}
    http-request return status 200 content-type text/plain string "{"x" * 99}"
"""


def _start(stack: ExitStack, cpu: int, command: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["taskset", "-c", str(cpu), *command],
        stdout=subprocess.DEVNULL,
        cwd=cwd,
        env=os.environ | {"PYTHONPATH": str(cwd)},
    )

    def stop() -> None:
        process.terminate()
        process.wait(5)

    stack.callback(stop)
    return process


def _node(
    stack: ExitStack, tree: Path, port: int, backend: int = BACKEND
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "labs.bench.serve_tcp", "--port", str(port)]
    return _start(stack, 0, [*command, "--backend", f"127.0.0.1:{backend}"], tree)


def costed(pid: int, host: str, port: int, seconds: int) -> tuple[float, float]:
    """(connections/s, CPU µs of ``pid`` per connection) for one wrk run."""
    before = cpu_seconds(pid)
    figures = wrk(f"http://{host}:{port}/", seconds, "Connection: close")
    return figures["rps"], (cpu_seconds(pid) - before) / max(figures["requests"], 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, help="another source tree to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="throughput and p99 too")
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        backend, proxy = Path(tmp) / "backend.cfg", Path(tmp) / "proxy.cfg"
        backend.write_text(CONFIG)
        proxy.write_text(haproxy_tcp_config(http=(HAPROXY, BACKEND), iperf=(HAPROXY_IPERF, IPERF)))
        _start(stack, 1, ["haproxy", "-f", str(backend), "-db"], ROOT)
        sides = {"haproxy": (_start(stack, 0, ["haproxy", "-f", str(proxy), "-db"], ROOT), HAPROXY)}
        sides["this"] = (_node(stack, ROOT, OURS), OURS)
        if args.base is not None:
            sides["base"] = (_node(stack, args.base.resolve(), THEIRS), THEIRS)
        for port in (BACKEND, HAPROXY):
            wait_until_serving("127.0.0.1", port)
        for name, (_, port) in sides.items():
            if name != "haproxy":
                wait_until_serving(HOST, port)
        iperf_ports = {"haproxy": HAPROXY_IPERF, "this": OURS_IPERF, "base": THEIRS_IPERF}
        if args.full:
            _start(stack, 1, ["iperf3", "-s", "-p", str(IPERF)], ROOT)
            _node(stack, ROOT, OURS_IPERF, IPERF)
            if args.base is not None:
                _node(stack, args.base.resolve(), THEIRS_IPERF, IPERF)
            for name in sides:
                wait_until_serving("127.0.0.1" if name == "haproxy" else HOST, iperf_ports[name])
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        throughput: dict[str, list[float]] = {name: [] for name in sides}
        for round_ in range(args.rounds):
            for name, (process, port) in sides.items():
                host = "127.0.0.1" if name == "haproxy" else HOST
                runs[name].append(costed(process.pid, host, port, args.seconds))
                if args.full:
                    throughput[name].append(iperf(host, iperf_ports[name])["mb_s"])
            line = "  ".join(f"{n} {r[-1][0]:,.0f}/s {r[-1][1]:.1f} us" for n, r in runs.items())
            if args.full:
                line += "  MB/s " + " ".join(f"{n} {t[-1]:,.0f}" for n, t in throughput.items())
            print(f"round {round_ + 1}: {line}", flush=True)
        print("medians:")
        for name, results in runs.items():
            rate = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            line = f"  {name:<8} {rate:>9,.0f} conn/s  {cpu:6.1f} us CPU per connection"
            if args.full:
                line += f"  {statistics.median(throughput[name]):>7,.0f} MB/s"
            print(line)
        if args.full:
            direct = measure(
                "127.0.0.1", BACKEND, rate=500, seconds=args.seconds, new_connections=True
            )
            for name, (_, port) in sides.items():
                if name != "haproxy":
                    through = measure(
                        HOST, port, rate=500, seconds=args.seconds, new_connections=True
                    )
                    added = through["p99_ms"] - direct["p99_ms"]
                    print(
                        f"  {name}: added p99 per connection at 500/s {added:.3f} ms "
                        f"({through['p99_ms']:.3f} through it, {direct['p99_ms']:.3f} direct)"
                    )


if __name__ == "__main__":
    main()
