"""``make run``: the local site as one supervised group of processes.

    python -m playground.devserver [--port 8000]

Migrates, loads the demo content (local default only), starts an embedded Redis unless
``REDIS_URL`` is set, LAB_WORKER_PROCESSES Celery workers (one per core) and daphne, and
prints the URL once daphne answers.
Ctrl-C stops every child and exits 0. A Celery worker that dies is restarted (its runs
are then marked failed by the heartbeat check, and the site keeps working); if daphne or
Redis dies, everything stops.

Each child runs in its own session, so the terminal's Ctrl-C reaches only this process,
which stops the web server and the worker before the Redis they talk to. Each child also
asks the kernel to kill it when this process dies, so none outlives a SIGKILLed supervisor.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from playground.embedded import EmbeddedRedis, EmbeddedRedisError, die_with_parent

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = str(BASE_DIR / "manage.py")
HOST = "127.0.0.1"
SERVE_TIMEOUT = 60.0  # daphne's first start imports everything; later ones take ~2 s
STOP_TIMEOUT = 10.0  # a worker's warm shutdown stops its runs first
WORKER_CRASH_LOOP = 3  # restarts in a row within WORKER_MIN_UPTIME before giving up
WORKER_MIN_UPTIME = 10.0


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop everything and exit ``code``."""

    def __init__(self, code: int = 0, message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = field(default=0)

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own argv, no shell
            self.argv,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,  # safe: the supervisor starts no threads
        )
        self.started = time.monotonic()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{self.name} did not stop within {STOP_TIMEOUT:g}s; killing it")
            self.process.kill()
            self.process.wait()


def say(message: str) -> None:
    print(f"devserver: {message}", file=sys.stderr, flush=True)


def _raise_stop(signum: int, frame: Any) -> None:
    # Restore the defaults so a second Ctrl-C during shutdown still gets through.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    raise Stop(0)


def _settings() -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    from django.conf import settings  # after the environment is final

    return settings


def _manage(
    env: dict[str, str], *args: str, capture: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, MANAGE, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=capture,
        text=True,
        check=False,
    )


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _answers_http(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _prepare_database(env: dict[str, str], demo: bool) -> str:
    """Migrate, then load the demo content; return what seed_demo printed (credentials)."""
    if _manage(env, "migrate", "--noinput", "-v", "0").returncode != 0:
        raise Stop(1, "`manage.py migrate` failed (see above)")
    if not demo:
        return ""
    seeded = _manage(env, "seed_demo", capture=True)
    if seeded.returncode != 0:
        say(f"`manage.py seed_demo` failed; serving without demo content:\n{seeded.stderr}")
        return ""
    return seeded.stdout.strip()


def _banner(port: int, demo_text: str, embedded: bool) -> str:
    url = f"http://{HOST}:{port}/"
    lines = [f"ELB Playground is running at {url}", ""]
    if demo_text:
        lines += ["Demo accounts (local default only):", *demo_text.splitlines(), ""]
    lines.append("Redis: embedded (var/)" if embedded else "Redis: REDIS_URL")
    lines.append("Ctrl-C stops daphne, the Celery workers and Redis.")
    width = max(len(line) for line in lines) + 4
    rule = "=" * width
    return "\n".join([rule, *(f"  {line}" for line in lines), rule])


class Supervisor:
    """daphne and ``processes`` Celery workers, each hosting up to ``concurrency`` runs.

    A worker process per core: each hosts its runs on one event loop, and one process's
    GIL holds it to one core (labs.tasks, "Worker shape").
    """

    def __init__(
        self, port: int, env: dict[str, str], concurrency: int, processes: int = 1
    ) -> None:
        self.port = port
        python = sys.executable
        self.workers = [
            Child(f"Celery worker {n}", _worker_argv(python, concurrency, n), env)
            for n in range(1, processes + 1)
        ]
        web = [python, "-m", "daphne", "-b", HOST, "-p", str(port), "playground.asgi:application"]
        self.web = Child("daphne", web, env)

    def start(self, redis: EmbeddedRedis | None) -> None:
        for worker in self.workers:
            worker.start()
        self.web.start()
        deadline = time.monotonic() + SERVE_TIMEOUT
        while not _answers_http(self.port):
            self.check(redis)
            if time.monotonic() > deadline:
                raise Stop(
                    1, f"daphne did not answer on port {self.port} within {SERVE_TIMEOUT:g}s"
                )
            time.sleep(0.1)

    def check(self, redis: EmbeddedRedis | None) -> None:
        """One look at the children: restart a dead worker, stop on a dead server."""
        if redis is not None and not redis.alive():
            raise Stop(1, "the embedded Redis exited; stopping everything")
        code = self.web.exited()
        if code is not None:
            raise Stop(1, f"daphne exited with code {code}; stopping everything")
        for worker in self.workers:
            code = worker.exited()
            if code is not None:
                self._restart_worker(worker, code)

    def _restart_worker(self, worker: Child, code: int) -> None:
        quick = time.monotonic() - worker.started < WORKER_MIN_UPTIME
        worker.quick_deaths = worker.quick_deaths + 1 if quick else 0
        if worker.quick_deaths >= WORKER_CRASH_LOOP:
            raise Stop(1, f"{worker.name} keeps dying (exit code {code}); stopping everything")
        say(f"{worker.name} exited with code {code}; restarting it")
        worker.start()

    def stop(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        children = (self.web, *self.workers)
        for child in children:
            child.terminate()
        for child in children:
            child.wait_or_kill(deadline)


def _worker_argv(python: str, concurrency: int, number: int) -> list[str]:
    return [
        python, "-m", "celery", "-A", "playground", "--quiet", "worker",
        "--pool", "threads", "--concurrency", str(concurrency), "-l", "INFO",
        "--without-mingle", "--without-gossip", "--hostname", f"lab-worker-{number}@%h",
    ]  # fmt: skip


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m playground.devserver", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    return parser.parse_args(argv)


def _serve(port: int, settings: Any, redis: EmbeddedRedis | None) -> int:
    env = dict(os.environ)
    if redis is not None:
        env["REDIS_URL"] = redis.start()
    demo_text = _prepare_database(env, bool(settings.DEMO_CONTENT))
    supervisor = Supervisor(
        port, env, int(settings.LAB_RUNS_PER_WORKER), int(settings.LAB_WORKER_PROCESSES)
    )
    try:
        supervisor.start(redis)
        print(_banner(port, demo_text, redis is not None), flush=True)
        while True:
            supervisor.check(redis)
            time.sleep(0.2)
    finally:
        supervisor.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if not _port_is_free(args.port):
        say(f"port {args.port} on {HOST} is in use; try `make run PORT={args.port + 1}`")
        return 1
    try:
        settings = _settings()
        embedded = not os.environ.get("REDIS_URL")
        redis = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET) if embedded else None
    except ImproperlyConfigured as error:
        say(f"configuration error: {error}")
        return 1
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    try:
        return _serve(args.port, settings, redis)
    except Stop as stop:
        say(stop.message or "stopped")
        return stop.code
    except EmbeddedRedisError as error:
        say(str(error))
        return 1
    finally:
        if redis is not None:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
