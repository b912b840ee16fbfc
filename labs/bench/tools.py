"""What the benchmarks share: the tools they need, processes on a core, wrk, a quiet check."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
TOOLS = {"haproxy": "haproxy", "wrk": "wrk", "taskset": "util-linux", "iperf3": "iperf3"}


def ensure_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    packages = TOOLS
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = [*sudo, "apt-get", "install", "-y", "-qq", *(packages[m] for m in missing)]
    print(f"installing {', '.join(missing)}: {' '.join(install)}", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(install, check=True, stdout=subprocess.DEVNULL)


def start(
    stack: ExitStack, cpu: int, *command: str, quiet: bool = False
) -> subprocess.Popen[bytes]:
    """``command`` on core ``cpu`` until the stack closes; ``quiet``: its stderr dropped."""
    process = subprocess.Popen(
        ["taskset", "-c", str(cpu), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL if quiet else None,
        cwd=ROOT,
    )

    def stop() -> None:
        process.terminate()
        process.wait(5)

    stack.callback(stop)
    return process


def wrk(url: str, seconds: int = SECONDS, *headers: str) -> dict[str, float]:
    """wrk -t1 -c50 on core 1: requests/s and the p50/p99 latency in ms."""
    extra = [arg for header in headers for arg in ("-H", header)]
    result = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c50", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = {}
    for line in result.stdout.splitlines():
        words = line.split()
        if " requests in " in line:
            figures["requests"] = float(words[0])
        elif line.startswith("Requests/sec:"):
            figures["rps"] = float(words[1])
        elif len(words) == 2 and words[0] in ("50%", "99%"):
            figures[words[0]] = _ms(words[1])
    return figures


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def wrk_costed(pid: int, url: str) -> dict[str, float]:
    """``wrk`` against ``url``, with the CPU time process ``pid`` spent per request (us):
    unlike req/s, it barely depends on what else shares the machine."""
    before = cpu_seconds(pid)
    figures = wrk(url)
    figures["cpu_us"] = (cpu_seconds(pid) - before) / max(figures["requests"], 1) * 1e6
    return figures


def _ms(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def busy_cpu_share(seconds: float = 2.0) -> float:
    """The share of all cores that was not idle over ``seconds``, before we start anything."""

    def totals() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields), idle

    total0, idle0 = totals()
    time.sleep(seconds)
    total1, idle1 = totals()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_until_serving(host: str, port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {host}:{port} after 10 s")


def spread(runs: list[dict[str, float]], key: str) -> dict[str, float]:
    """min / median / max of one figure over the rounds."""
    values = [run[key] for run in runs]
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }
