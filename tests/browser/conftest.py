"""A real browser against a real site: daphne in a child process, a Celery worker, Redis.

The live server is what ``channels.testing.ChannelsLiveServerTestCase`` starts — daphne
in a child process on the test database — but started as production starts it
(``python -m daphne``) rather than forked: a forked child inherits whatever earlier tests
left in this process (asgiref's executor thread, channel layers bound to other event
loops) and then hangs. Tests are ``django_db(transaction=True)``: the server and the
worker see what the test commits.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import worker_shutting_down
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from labs.tasks import stop_all_runs
from playground.celery import app as celery_app
from playground.embedded import die_with_parent

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
SERVER_START_TIMEOUT = 30
HOST = "127.0.0.1"  # in ALLOWED_HOSTS, so the WebSocket origin check passes


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: from its first use to the end of the session, Playwright's
    sync API leaves an event loop set in the main thread, which breaks every later async
    test (pytest-asyncio) and sync ORM call (Django's async-safety check)."""
    browser_dir = Path(__file__).parent
    items.sort(key=lambda item: browser_dir in Path(item.path).parents)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium when installed, else the one `playwright install` fetched."""
    args = {
        **browser_type_launch_args,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }
    if DEBIAN_CHROMIUM.exists():
        args["executable_path"] = str(DEBIAN_CHROMIUM)
    return args


@pytest.fixture(scope="session")
def base_url() -> None:
    """No fixed base URL (the live server's port is picked at start); this replaces the
    fallback fixture pytest-playwright defines as a method, which pytest 9 warns about."""
    return None


@pytest.fixture(scope="module", autouse=True)
def _allow_async_unsafe() -> Iterator[None]:
    # Playwright's sync API keeps an event loop set in this thread, and Django then refuses
    # ORM calls from it. Module scope: the worker's start and stop and the flush after each
    # test touch the database too.
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def live_server_url(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """daphne serving the site and its static files, in a process of its own."""
    with django_db_blocker.unblock():
        database = str(connections["default"].settings_dict["NAME"])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.browser.live_settings",
        "BROWSER_TEST_DATABASE_NAME": database,
    }
    argv = [sys.executable, "-m", "daphne", "--fd", "", "tests.browser.live_asgi:application"]
    log_path = Path(settings.VAR_DIR) / "browser-daphne.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with _listening_socket() as listener, log_path.open("wb") as log:
        argv[4] = str(listener.fileno())
        server = subprocess.Popen(  # noqa: S603 - our own argv
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            preexec_fn=die_with_parent,  # safe: it starts before the worker's threads
        )
        url = f"http://{HOST}:{listener.getsockname()[1]}"
    try:
        _wait_until_serving(server, url, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def _listening_socket() -> Iterator[socket.socket]:
    """Bound and listening before daphne starts: no port to guess, no race for it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(128)
        yield listener


def _wait_until_serving(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"{url}/", timeout=2):  # noqa: S310 - our own URL
                return
        except urllib.error.HTTPError:
            return  # an error page is an answer all the same
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            log = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"daphne did not start serving {url}:\n{log}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def lab_worker(live_server_url: str) -> Iterator[Any]:
    """A real Celery worker (thread pool, as in production) on the suite's Redis.

    After the live server, so that daphne starts before this process has threads.
    """
    with start_worker(
        celery_app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker
        # What a real worker's warm shutdown (SIGTERM) announces: runs still going (a test
        # that failed before Stop) end now instead of at their time limit.
        worker_shutting_down.send(sender=worker.hostname, sig="SIGTERM", how="Warm", exitcode=0)


@pytest.fixture(autouse=True)
def _runs_end_with_their_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A run a test left going must not outlive it: the next test's database is reset."""
    yield
    if "lab_worker" in request.fixturenames:
        assert stop_all_runs("test-ended", within=15), "a lab run did not stop within 15 s"


@pytest.fixture
def demo_site(live_server_url: str, lab_worker: Any) -> str:
    """The local default's demo content (accounts, starter topologies) on the live site."""
    call_command("seed_demo", stdout=io.StringIO())
    return live_server_url
