"""The whole site for the benchmarks that go through it: what ``make run`` starts.

An embedded Redis, the Celery worker(s) and daphne, started by ``playground.devserver``'s
own ``Supervisor`` (so a bench measures the worker shape ``make run`` has), on a bench
database and Redis socket under ``var/bench/site/`` and a free port. Learners log in over
HTTP with their password, press Run through the run form, and watch their run over the
run page's WebSocket with their session cookie and the site's own Origin, as a browser does.
"""

from __future__ import annotations

import asyncio
import base64
import http.cookiejar
import json
import os
import re
import shutil
import socket
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .tools import ROOT

VAR_DIR = ROOT / "var" / "bench" / "site"
PASSWORD = "bench-pass-4821"  # noqa: S105 - a throwaway account on a throwaway database
STARTER = ROOT / "labs" / "starters" / "basic-alb.yaml"
CLK_TCK = os.sysconf("SC_CLK_TCK")


MAX_RPS = 2000  # the pipeline bench's fastest run (the site's default limit is 200)


def setup_django() -> None:
    """This process reads the bench database too (accounts, the saved access logs).

    Settings are read from the environment at import, so only the first call sets up (a
    fresh database); the benches of one ``make bench`` share it, each with its own learners.
    """
    from django.apps import apps

    from playground.embedded import ping

    if apps.ready:
        return
    if ping(VAR_DIR / "redis.sock"):
        raise SystemExit(f"bench: another bench of this checkout is using {VAR_DIR}")
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True)
    # The embedded default, whatever the shell has; BENCH_DATABASE_URL to compare a server.
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    os.environ["PLAYGROUND_VAR_DIR"] = str(VAR_DIR)
    os.environ["LAB_MAX_RPS"] = str(MAX_RPS)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "playground.settings"
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Site:
    """``with Site() as site:`` the site serves on ``site.url`` until the block ends."""

    def __init__(self) -> None:
        from playground.embedded import EmbeddedRedis

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis = EmbeddedRedis(VAR_DIR / "redis.sock")
        self.supervisor: Any = None

    def __enter__(self) -> Site:
        from django.conf import settings

        from playground import devserver

        env = dict(os.environ)
        env["REDIS_URL"] = self.redis.start()
        devserver._prepare_database(env, demo=False)
        self.supervisor = devserver.Supervisor(
            self.port, env, settings.LAB_RUNS_PER_WORKER, settings.LAB_WORKER_PROCESSES
        )
        self.supervisor.start(self.redis)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        self.redis.stop()

    def processes(self) -> dict[str, list[int]]:
        """The pids whose CPU a bench reports: worker(s), daphne, Redis."""
        return {
            "worker": [w.process.pid for w in self.supervisor.workers],
            "daphne": [self.supervisor.web.process.pid],
            "redis": [self.redis.process.pid] if self.redis.process else [],
        }


Measured = TypeVar("Measured")


def measure_on_site(
    measure: Callable[[Site], Coroutine[Any, Any, Measured]],
) -> tuple[Measured, str, str]:
    """Start the site on the bench database, run ``measure`` on it, stop the site.

    Returns what ``measure`` returned and the machine's load before and after, which the
    report prints next to the figures (they come from a shared machine).
    """
    setup_django()
    before = load()
    with Site() as site:
        measured = asyncio.run(measure(site))
    return measured, before, load()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their children so far (/proc)."""
    total = 0.0
    for pid in pids:
        for task in _with_descendants(pid):
            try:
                fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it exited
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    return total


def _with_descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in children.read_text().split())
            except OSError:
                continue
    return found


class CpuMeter:
    """Each process group's CPU share of one core between ``start`` and ``stop``."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._begin: dict[str, float] = {}
        self._at = 0.0
        self.shares: dict[str, float] = {}

    def start(self) -> None:
        self._at = time.monotonic()
        self._begin = {name: cpu_seconds(pids) for name, pids in self.groups.items()}

    def stop(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._at
        self.shares = {
            name: round((cpu_seconds(pids) - self._begin[name]) / elapsed, 3)
            for name, pids in self.groups.items()
        }
        return self.shares


def make_learner(username: str, clients: int = 6) -> tuple[str, int]:
    """A learner with a copy of the basic ALB starter (``clients`` simulated clients).

    Returns the username and the topology's id.
    """
    from django.contrib.auth import get_user_model

    from labs.services import topologies
    from playground.accounts import roles

    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    roles.add_role(user, roles.LEARNER)
    document = re.sub(r"Clients: \d+", f"Clients: {clients}", STARTER.read_text())
    topology = topologies.create_topology(user, slug="bench", title_en="Bench", document=document)
    return username, topology.pk


class Browser:
    """One learner's HTTP side: cookies, the CSRF token, forms posted as a page posts them."""

    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name and c.value is not None)

    def get(self, path: str) -> tuple[str, str]:
        """The page's final URL (after redirects) and its text."""
        with self._opener.open(self.site_url + path, timeout=60) as response:
            return response.geturl(), response.read().decode()

    def post(self, path: str, fields: dict[str, Any]) -> str:
        """Post a form from ``path``'s page (with its CSRF token); the final URL."""
        data = {**fields, "csrfmiddlewaretoken": self.cookie("csrftoken")}
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.site_url + path, data=body)  # noqa: S310 - ours
        with self._opener.open(request, timeout=60) as response:
            response.read()
            return str(response.geturl())

    def log_in(self, username: str) -> None:
        self.get("/accounts/login/")  # sets the CSRF cookie
        landed = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        if "/accounts/login/" in landed:
            raise SystemExit(f"bench: {username} could not log in")

    def start_run(self, topology_id: int, rps: float, clock_speed: int = 10) -> int:
        """Open the topology's page and press Run; the id of the run page it lands on."""
        self.get(f"/labs/topologies/{topology_id}/")
        return self.press_run(topology_id, rps, clock_speed)

    def press_run(self, topology_id: int, rps: float, clock_speed: int = 10) -> int:
        """Press Run (the topology's page is open); the id of the run page it lands on."""
        landed = self.post(
            f"/labs/topologies/{topology_id}/run/", {"clock_speed": clock_speed, "rps": rps}
        )
        found = re.search(r"/runs/(\d+)/$", landed)
        if found is None:
            raise SystemExit(f"bench: pressing Run landed on {landed}")
        return int(found.group(1))


@dataclass
class Arrival:
    """One event as the learner's socket got it."""

    event: dict[str, Any]
    at: float  # wall clock on arrival

    @property
    def delay(self) -> float:
        return self.at - float(self.event["emitted"])


@dataclass
class RunSocket:
    """The run page's WebSocket: every event it gets, with its arrival time."""

    arrivals: list[Arrival] = field(default_factory=list)
    states: dict[str, float] = field(default_factory=dict)  # run.status state -> first seen
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    writer: Any = None
    reader_task: Any = None
    on_events: Callable[[list[dict[str, Any]], float], None] | None = None

    def received(self, frame: dict[str, Any]) -> None:
        at = time.time()
        events = frame.get("events") or []
        for event in events:
            self.arrivals.append(Arrival(event, at))
            if event.get("type") == "run.status":
                self.states.setdefault(event["state"], at)
        if self.on_events is not None:
            self.on_events(events, at)
        self.changed.set()

    async def wait_for_state(self, state: str, within: float) -> float:
        """When the run first reached ``state`` (wall clock); raises TimeoutError."""
        async with asyncio.timeout(within):
            while state not in self.states:
                self.changed.clear()
                await self.changed.wait()
        return self.states[state]

    async def wait_until(self, done: Callable[[], bool], within: float) -> None:
        async with asyncio.timeout(within):
            while not done():
                self.changed.clear()
                await self.changed.wait()

    def send(self, message: dict[str, Any]) -> None:
        self.writer.write(_frame(0x1, json.dumps(message).encode()))

    async def close(self) -> None:
        self.writer.write(_frame(0x8, (1000).to_bytes(2, "big")))
        async with asyncio.timeout(10):
            await self.closed.wait()
        self.writer.close()


RunSocketT = TypeVar("RunSocketT", bound=RunSocket)


async def open_run_socket(browser: Browser, run_id: int) -> RunSocket:
    """Connect to the run page's socket as the logged-in browser does, and read it."""
    return await open_socket(browser, f"/ws/runs/{run_id}/", RunSocket())


async def open_socket(browser: Browser, path: str, sock: RunSocketT) -> RunSocketT:
    """Connect ``sock`` (a RunSocket, or one that reads other frames) to ``path``."""
    host, port = urllib.parse.urlsplit(browser.site_url).netloc.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {browser.site_url}\r\n"
            f"Cookie: sessionid={browser.cookie('sessionid')}\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    if not head.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"bench: the run socket was refused: {head.splitlines()[0]!r}")
    sock.writer = writer
    sock.reader_task = asyncio.create_task(_read_frames(reader, sock))
    return sock


async def _read_frames(reader: asyncio.StreamReader, sock: RunSocket) -> None:
    """RFC 6455 from the server's side: unmasked frames, text messages (maybe fragmented)."""
    message = b""
    try:
        while True:
            first, second = await reader.readexactly(2)
            length = second & 0x7F
            if length >= 126:
                size = 2 if length == 126 else 8
                length = int.from_bytes(await reader.readexactly(size), "big")
            payload = await reader.readexactly(length)
            opcode = first & 0x0F
            if opcode == 0x8:  # close
                return
            if opcode == 0x9:  # daphne pings every 20 s and closes a socket that never pongs
                sock.writer.write(_frame(0xA, payload))
                continue
            if opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:  # FIN
                    sock.received(json.loads(message))
                    message = b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return
    finally:
        sock.closed.set()
        sock.changed.set()


def _frame(opcode: int, payload: bytes) -> bytes:
    """A client's frame: always masked (RFC 6455, 5.3)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 1 << 16:
        head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    masked = bytes(byte ^ mask[n % 4] for n, byte in enumerate(payload))
    return head + mask + masked


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def load() -> str:
    """``uptime``'s load averages, to print next to figures from a shared machine."""
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return f"load average {one}, {five}, {fifteen}"


def save(name: str, figures: dict[str, Any]) -> Path:
    out = ROOT / "var" / "bench" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return out
