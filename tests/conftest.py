"""Personas and the shared Redis test database.

Redis is real in tests (STYLE.md §6). REDIS_URL must point at a database of its own
(the Makefile picks one and a per-checkout REDIS_KEY_PREFIX); this checkout's keys are
deleted once per session, never db 0 by accident.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from django.conf import settings

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
