"""Personas and the shared Redis test database.

Redis is real in tests (STYLE.md §6). REDIS_URL must point at a database of its own
(the Makefile picks one and a per-checkout REDIS_KEY_PREFIX); this checkout's keys are
deleted once per session, never db 0 by accident.
"""

import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from django.conf import settings
from django.core.management.base import CommandError
from django.db import OperationalError, connections
from django.test import TransactionTestCase
from django.utils import translation

from playground.accounts import roles
from tests.factories import make_user


def _redis_db(url: str) -> int:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return int(parse_qs(parts.query).get("db", ["0"])[0])
    return int(parts.path.strip("/") or 0)


@pytest.fixture(scope="session", autouse=True)
def _fresh_redis_test_db() -> None:
    if _redis_db(settings.REDIS_URL) == 0:
        pytest.exit(
            "REDIS_URL points at Redis db 0, which a dev server may be using; "
            "run the tests through `make test` or set REDIS_URL=redis://127.0.0.1:6379/9",
            returncode=2,
        )
    # Only this checkout's keys: another checkout may share the server and database.
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for key in client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:*", count=1000):
            client.delete(key)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """Django's LocaleMiddleware activates the request's language and leaves it active in
    the thread, so a test client's Korean request made every later test in the process
    speak Korean (tests/classrooms alone: "No question is open" came back in Korean)."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


QUIET_DATABASE_TIMEOUT = 15
FLUSH_ATTEMPTS = 3
logger = logging.getLogger(__name__)


@pytest.fixture(scope="session", autouse=True)
def _flush_waits_for_other_writers() -> Iterator[None]:
    """A transactional test's flush (one TRUNCATE of every table on PostgreSQL) must not
    race the site's other processes: daphne still answering the request a closing browser
    sent (a Stop), a worker's last heartbeat. A transaction of theirs that holds one table
    and wants another deadlocks with the TRUNCATE, and PostgreSQL may cancel the flush
    ("Database test_test couldn't be flushed", CI 2026-12-01). So the flush first waits
    until no other session is inside a transaction, and a flush PostgreSQL chose as the
    deadlock's victim is tried again: the other transaction has gone through by then.
    """
    flush = TransactionTestCase._fixture_teardown

    def flush_when_quiet(self: TransactionTestCase) -> None:
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            for alias in self._databases_names(include_mirrors=False):
                _wait_until_alone(alias)
            try:
                return flush(self)
            except CommandError as error:
                if not isinstance(error.__cause__, OperationalError) or attempt == FLUSH_ATTEMPTS:
                    raise
                logger.warning("flush %s lost to another transaction: %s", attempt, error.__cause__)

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(TransactionTestCase, "_fixture_teardown", flush_when_quiet)
        yield


def _wait_until_alone(alias: str) -> None:
    """Until no other session of this database is inside a transaction (PostgreSQL only:
    SQLite's flush waits for its one write lock by itself)."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + QUIET_DATABASE_TIMEOUT
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state <> 'idle' AND backend_type = 'client backend'"
    )
    busy: Any = None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(query)
            (busy,) = cursor.fetchone()
        if not busy:
            return
        time.sleep(0.05)
    logger.warning("flushing while %s other session(s) are still in a transaction", busy)


@pytest.fixture
def learner(db):
    return make_user("learner", role=roles.LEARNER)


@pytest.fixture
def other_learner(db):
    return make_user("other-learner", role=roles.LEARNER)


@pytest.fixture
def instructor(db):
    return make_user("instructor", role=roles.INSTRUCTOR)


@pytest.fixture
def admin(db):
    return make_user("admin", is_staff=True, is_superuser=True)
