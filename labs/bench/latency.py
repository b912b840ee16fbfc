"""A steady-rate HTTP load (open loop) that records each request's latency.

wrk drives as fast as it can; latency *added* by a proxy is measured at a fixed rate
instead, the same rate through the proxy and straight to the backend.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
from collections.abc import Callable, Coroutine
from time import perf_counter
from typing import Any

import uvloop

CONNECTIONS = 20


async def _paced(
    rate: float, seconds: float, one: Callable[[float], Coroutine[Any, Any, None]]
) -> None:
    """Start ``one(due)`` at a steady ``rate`` (open loop: late answers never slow the load)."""
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []
    # perf_counter, not loop.time(): uvloop's clock moves in whole milliseconds.
    start = perf_counter()
    for n in range(int(rate * seconds)):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - perf_counter()))
        tasks.append(loop.create_task(one(due)))
    await asyncio.gather(*tasks)


async def _run_new_connections(host: str, port: int, rate: float, seconds: float) -> list[float]:
    """Each request on a connection of its own: connect, ask, read the answer, close."""
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    latencies: list[float] = []

    async def one(scheduled: float) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        await reader.read()  # to the server's close
        writer.close()
        latencies.append((perf_counter() - scheduled) * 1000)

    await _paced(rate, seconds, one)
    return latencies


async def _run(host: str, port: int, rate: float, seconds: float) -> list[float]:
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(CONNECTIONS):
        idle.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []

    async def one(scheduled: float) -> None:
        reader, writer = await idle.get()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        latencies.append((perf_counter() - scheduled) * 1000)  # from when it was due
        idle.put_nowait((reader, writer))

    await _paced(rate, seconds, one)
    return latencies


def measure(
    host: str, port: int, *, rate: float, seconds: float, new_connections: bool = False
) -> dict[str, float]:
    """Run the load in a child pinned to core 1 (away from the proxy under test).

    ``new_connections``: every request opens (and closes) a connection of its own.
    """
    output = subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            sys.executable,
            "-m",
            "labs.bench.latency",
            host,
            str(port),
            str(rate),
            str(seconds),
            *(["--new-connections"] if new_connections else []),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latencies = sorted(float(x) for x in output.split())
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
    }


if __name__ == "__main__":
    host, port, rate, seconds = (
        sys.argv[1],
        int(sys.argv[2]),
        float(sys.argv[3]),
        float(sys.argv[4]),
    )
    run = _run_new_connections if "--new-connections" in sys.argv[5:] else _run
    for value in uvloop.run(run(host, port, rate, seconds)):
        print(f"{value:.4f}")
