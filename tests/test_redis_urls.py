"""One Redis URL, spelled for redis-py and for kombu."""

import pytest

from playground.redis_urls import broker_url, with_db


@pytest.mark.parametrize(
    ("url", "db", "expected"),
    [
        ("unix:///srv/var/redis.sock", 9, "unix:///srv/var/redis.sock?db=9"),
        ("unix:///srv/var/redis.sock?db=1", 9, "unix:///srv/var/redis.sock?db=9"),
        ("redis://127.0.0.1:6379/0", 9, "redis://127.0.0.1:6379/9"),
        ("redis://127.0.0.1:6379", 3, "redis://127.0.0.1:6379/3"),
    ],
)
def test_with_db_keeps_the_server_and_changes_the_database(url, db, expected):
    assert with_db(url, db) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("unix:///srv/var/redis.sock?db=9", "redis+socket:///srv/var/redis.sock?virtual_host=9"),
        ("unix:///srv/var/redis.sock", "redis+socket:///srv/var/redis.sock?virtual_host=0"),
        ("redis://127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
    ],
)
def test_broker_url_speaks_kombus_dialect_for_unix_sockets(url, expected):
    assert broker_url(url) == expected
