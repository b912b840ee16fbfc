"""``make bench``, second part: our NLB node against HAProxy in TCP mode, same run.

Throughput: iperf3 sends 64 KB writes through each proxy to an iperf3 server (MB/s).
New connections: wrk with ``Connection: close`` through each proxy to the HTTP backend, so
every request is a connection of its own (connections/s). Then the latency our NLB adds to
a whole connection (connect, ask, answer, close) at a steady 500 connections/s: p99 through
it minus p99 straight to the backend. As in the ALB bench, each proxy gets core 0 while it
is measured and the load and backends core 1; rounds alternate and medians are compared.
Figures are printed and written to var/bench/nlb.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .latency import measure
from .tools import ROOT, SECONDS, spread, start, wait_until_serving, wrk

OUT = ROOT / "var" / "bench" / "nlb.json"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
HTTP_BACKEND_PORT = 18080  # the ALB bench's backend: HAProxy answering by itself
IPERF_PORT, HAPROXY_IPERF_PORT, OURS_IPERF_PORT = 18090, 18091, 18092
HAPROXY_HTTP_PORT, OURS_HTTP_PORT = 18093, 18094
OURS_HOST = "127.0.1.6"  # the bench NLB node's loopback address (labs.bench.serve_tcp)
WRITE = "64K"


def haproxy_tcp_config(*, http: tuple[int, int], iperf: tuple[int, int]) -> str:
    """HAProxy in ``mode tcp``, one thread, as the NLB node is measured against: each pair
    is (the port it listens on, the backend port on 127.0.0.1 it forwards to)."""
    return f"""
global
    nbthread 1
    maxconn 4000
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend to_iperf
    bind 127.0.0.1:{iperf[0]}
    default_backend iperf
frontend to_http
    bind 127.0.0.1:{http[0]}
    default_backend http
backend iperf
    server iperf 127.0.0.1:{iperf[1]}
backend http
    server http 127.0.0.1:{http[1]}
"""


def iperf(host: str, port: int) -> dict[str, float]:
    """MB/s received by the server for 64 KB writes through ``host:port``."""
    command = ["taskset", "-c", "1", "iperf3", "-c", host, "-p", str(port), "-l", WRITE]
    result = subprocess.run(
        [*command, "-t", str(SECONDS), "-J"],
        capture_output=True,
        text=True,
        check=True,
    )
    received = json.loads(result.stdout)["end"]["sum_received"]["bits_per_second"]
    return {"mb_s": received / 8 / 1_000_000}


def connections(host: str, port: int) -> dict[str, float]:
    figures = wrk(f"http://{host}:{port}/", SECONDS, "Connection: close")
    return {"conn_s": figures["rps"]}


def _ours(stack: ExitStack, port: int, backend_port: int) -> None:
    start(
        stack,
        0,
        sys.executable,
        "-m",
        "labs.bench.serve_tcp",
        "--port",
        str(port),
        "--backend",
        f"127.0.0.1:{backend_port}",
    )


def main(warnings: list[str]) -> None:
    """Runs while the ALB bench's HTTP backend still answers on HTTP_BACKEND_PORT."""
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "haproxy-tcp.cfg"
        config.write_text(
            haproxy_tcp_config(
                http=(HAPROXY_HTTP_PORT, HTTP_BACKEND_PORT), iperf=(HAPROXY_IPERF_PORT, IPERF_PORT)
            )
        )
        # The readiness probe is an empty connection, which iperf3 would log as an error.
        start(stack, 1, "iperf3", "-s", "-p", str(IPERF_PORT), quiet=True)
        start(stack, 0, "haproxy", "-f", str(config), "-db")
        _ours(stack, OURS_IPERF_PORT, IPERF_PORT)
        _ours(stack, OURS_HTTP_PORT, HTTP_BACKEND_PORT)
        for host, port in (
            ("127.0.0.1", IPERF_PORT),
            ("127.0.0.1", HAPROXY_IPERF_PORT),
            (OURS_HOST, OURS_IPERF_PORT),
            (OURS_HOST, OURS_HTTP_PORT),
        ):
            wait_until_serving(host, port)
        rounds: dict[str, list[dict[str, float]]] = {"ours": [], "haproxy": []}
        for round_ in range(ROUNDS):
            rounds["ours"].append(
                iperf(OURS_HOST, OURS_IPERF_PORT) | connections(OURS_HOST, OURS_HTTP_PORT)
            )
            rounds["haproxy"].append(
                iperf("127.0.0.1", HAPROXY_IPERF_PORT) | connections("127.0.0.1", HAPROXY_HTTP_PORT)
            )
            ours, theirs = rounds["ours"][-1], rounds["haproxy"][-1]
            print(
                f"tcp round {round_ + 1}/{ROUNDS}: ours {ours['mb_s']:,.0f} MB/s "
                f"{ours['conn_s']:,.0f} conn/s, haproxy {theirs['mb_s']:,.0f} MB/s "
                f"{theirs['conn_s']:,.0f} conn/s",
                flush=True,
            )
        direct = measure(
            "127.0.0.1", HTTP_BACKEND_PORT, rate=500, seconds=SECONDS, new_connections=True
        )
        proxied = measure(
            OURS_HOST, OURS_HTTP_PORT, rate=500, seconds=SECONDS, new_connections=True
        )
    report(rounds, direct, proxied, warnings)


def report(
    rounds: dict[str, list[dict[str, float]]],
    direct: dict[str, float],
    proxied: dict[str, float],
    warnings: list[str],
) -> None:
    sides = {
        name: {key: spread(runs, key) for key in ("mb_s", "conn_s")}
        for name, runs in rounds.items()
    }
    figures: dict[str, Any] = {
        "quiet": not warnings,
        "warnings": warnings,
        "spread": sides,
        "throughput_ratio": round(
            sides["ours"]["mb_s"]["median"] / sides["haproxy"]["mb_s"]["median"], 3
        ),
        "connections_ratio": round(
            sides["ours"]["conn_s"]["median"] / sides["haproxy"]["conn_s"]["median"], 3
        ),
        "added_p99_ms_per_connection_at_500_per_s": round(proxied["p99_ms"] - direct["p99_ms"], 3),
        "rounds": ROUNDS,
        "seconds_per_run": SECONDS,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nNLB (TCP) vs HAProxy mode tcp ({SECONDS}s x {ROUNDS}; min / median / max)")
    for name, unit, label in (
        ("mb_s", "MB/s", "throughput, 64 KB writes"),
        ("conn_s", "conn/s", "new connections"),
    ):
        ours, theirs = sides["ours"][name], sides["haproxy"][name]
        print(
            f"  {label:<26} ours {ours['min']:,.0f} / {ours['median']:,.0f} / {ours['max']:,.0f}"
            f"   haproxy {theirs['min']:,.0f} / {theirs['median']:,.0f} / {theirs['max']:,.0f}"
            f" {unit}"
        )
    print(f"  throughput ratio   {figures['throughput_ratio']}x HAProxy")
    print(f"  connections ratio  {figures['connections_ratio']}x HAProxy")
    print(
        "  added p99 per connection at 500/s: "
        f"{figures['added_p99_ms_per_connection_at_500_per_s']} ms "
        f"(p99 {proxied['p99_ms']:.3f} ms through ours, {direct['p99_ms']:.3f} ms direct)"
    )
    if warnings:
        print("  NOT A MEASUREMENT: the machine was busy (" + "; ".join(warnings) + ")")
    print(f"  written to {OUT.relative_to(ROOT)}")
