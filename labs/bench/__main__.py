"""``make bench``: our ALB proxy against HAProxy, same machine, same backend, same run.

Both proxies get one core (taskset -c 0); the backend (a HAProxy answering 200 with a
100-byte body by itself) and the load generator (wrk -t1 -c50) share the other. The two
proxies are measured in alternation, several rounds, and the medians compared, because
runs on these 2-vCPU machines are bimodal from one minute to the next
(spec/PROXY_PERFORMANCE.md). Then the latency our proxy adds at a steady 1,000
requests/s: p99 through it minus p99 straight to the backend.
Figures are printed and written to var/bench/alb.json.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from .latency import measure

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "alb.json"
BACKEND_PORT, HAPROXY_PORT, OURS_PORT = 18080, 18081, 18082
OURS_HOST = "127.0.1.5"
BODY = "x" * 99 + "\n"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))

_GLOBAL = """
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""
BACKEND_CONFIG = (
    _GLOBAL
    + f"""
frontend backend_answers
    bind 127.0.0.1:{BACKEND_PORT}
    http-request return status 200 content-type text/plain string "{BODY.strip()}"
"""
)
HAPROXY_CONFIG = (
    _GLOBAL
    + f"""
frontend proxy
    bind 127.0.0.1:{HAPROXY_PORT}
    option forwardfor
    default_backend app
backend app
    http-reuse always
    server target 127.0.0.1:{BACKEND_PORT}
"""
)


def ensure_tools() -> None:
    missing = [tool for tool in ("haproxy", "wrk", "taskset") if shutil.which(tool) is None]
    if not missing:
        return
    packages = {"haproxy": "haproxy", "wrk": "wrk", "taskset": "util-linux"}
    command = ["apt-get", "install", "-y", *(packages[m] for m in missing)]
    if os.geteuid() != 0:
        command.insert(0, "sudo")
    print(f"installing {', '.join(missing)}: {' '.join(command)}", flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def start(stack: ExitStack, cpu: int, *command: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        ["taskset", "-c", str(cpu), *command], stdout=subprocess.PIPE, cwd=ROOT
    )

    def stop() -> None:
        process.terminate()
        process.wait(5)

    stack.callback(stop)
    return process


def wrk(url: str) -> dict[str, float]:
    result = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c50", f"-d{SECONDS}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "99%"):
            figures[words[0]] = _ms(words[1])
    return figures


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def wait_until_serving(host: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {host}:{port} after 10 s")


def main() -> None:
    ensure_tools()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        backend, proxy = Path(tmp) / "backend.cfg", Path(tmp) / "haproxy.cfg"
        backend.write_text(BACKEND_CONFIG)
        proxy.write_text(HAPROXY_CONFIG)
        # The proxies under test get core 0 each in turn (they idle while the other is
        # measured); the backend, answering by itself, and the load generator get core 1.
        start(stack, 1, "haproxy", "-f", str(backend), "-db")
        start(stack, 0, "haproxy", "-f", str(proxy), "-db")
        start(
            stack,
            0,
            sys.executable,
            "-m",
            "labs.bench.serve",
            "--port",
            str(OURS_PORT),
            "--backend",
            f"127.0.0.1:{BACKEND_PORT}",
        )
        for host, port in (
            ("127.0.0.1", BACKEND_PORT),
            ("127.0.0.1", HAPROXY_PORT),
            (OURS_HOST, OURS_PORT),
        ):
            wait_until_serving(host, port)
        ours, theirs = [], []
        for round_ in range(ROUNDS):
            ours.append(wrk(f"http://{OURS_HOST}:{OURS_PORT}/"))
            theirs.append(wrk(f"http://127.0.0.1:{HAPROXY_PORT}/"))
            print(
                f"round {round_ + 1}/{ROUNDS}: ours {ours[-1]['rps']:,.0f} req/s, "
                f"haproxy {theirs[-1]['rps']:,.0f} req/s",
                flush=True,
            )
        direct = measure("127.0.0.1", BACKEND_PORT, rate=1000, seconds=SECONDS)
        proxied = measure(OURS_HOST, OURS_PORT, rate=1000, seconds=SECONDS)
    report(ours, theirs, direct, proxied)


def report(
    ours: list[dict[str, float]],
    theirs: list[dict[str, float]],
    direct: dict[str, float],
    proxied: dict[str, float],
) -> None:
    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    figures = {
        "ours_rps": round(median(ours, "rps")),
        "haproxy_rps": round(median(theirs, "rps")),
        "ours_p50_ms": round(median(ours, "50%"), 3),
        "ours_p99_ms": round(median(ours, "99%"), 3),
        "haproxy_p50_ms": round(median(theirs, "50%"), 3),
        "haproxy_p99_ms": round(median(theirs, "99%"), 3),
        "added_p99_ms_at_1000rps": round(proxied["p99_ms"] - direct["p99_ms"], 3),
        "rounds": ROUNDS,
        "seconds_per_run": SECONDS,
    }
    figures["ratio"] = round(figures["ours_rps"] / figures["haproxy_rps"], 3)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nALB proxy vs HAProxy (wrk -t1 -c50, {SECONDS}s x {ROUNDS}, medians)")
    print(
        f"  ours     {figures['ours_rps']:>9,} req/s  p50 {figures['ours_p50_ms']} ms"
        f"  p99 {figures['ours_p99_ms']} ms"
    )
    print(
        f"  haproxy  {figures['haproxy_rps']:>9,} req/s  p50 {figures['haproxy_p50_ms']} ms"
        f"  p99 {figures['haproxy_p99_ms']} ms"
    )
    print(f"  ratio    {figures['ratio']}x HAProxy")
    print(
        f"  added p99 at 1,000 req/s: {figures['added_p99_ms_at_1000rps']} ms "
        f"(p99 {proxied['p99_ms']:.3f} ms through ours, {direct['p99_ms']:.3f} ms direct)"
    )
    print(f"  written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
