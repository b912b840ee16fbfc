"""Two checkouts sharing one Redis server and database never see each other's messages."""

import asyncio
import uuid

import pytest
import redis
from celery import Celery
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from playground.redis_urls import broker_url

TIMEOUT = 5


@pytest.fixture
def two_prefixes():
    """Two checkouts' prefixes on this session's Redis; their keys are removed after."""
    run = uuid.uuid4().hex[:8]
    prefixes = (f"{settings.REDIS_KEY_PREFIX}:a{run}", f"{settings.REDIS_KEY_PREFIX}:b{run}")
    yield prefixes
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        for prefix in prefixes:
            for key in client.scan_iter(match=f"{prefix}:*"):
                client.delete(key)
    finally:
        client.close()


def _layer(prefix):
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    return RedisChannelLayer(**{**config, "prefix": f"{prefix}:asgi"})


def test_settings_prefix_every_channel_layer_key_and_celery_queue():
    prefix = settings.REDIS_KEY_PREFIX
    for layer in settings.CHANNEL_LAYERS.values():  # pub/sub too: it ignores the db number
        assert layer["CONFIG"]["prefix"].startswith(f"{prefix}:")
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"].startswith(f"{prefix}:")
    assert settings.CELERY_TASK_DEFAULT_QUEUE.startswith(f"{prefix}.")


async def test_a_group_message_of_one_checkout_never_reaches_the_other(two_prefixes):
    a, b = (_layer(prefix) for prefix in two_prefixes)
    try:
        listener_a = await a.new_channel()
        listener_b = await b.new_channel()
        await a.group_add("run.1", listener_a)
        await b.group_add("run.1", listener_b)  # same group name, same run id
        await a.group_send("run.1", {"type": "run.events", "from": "a"})
        await b.group_send("run.1", {"type": "run.events", "from": "b"})
        got_a = await asyncio.wait_for(a.receive(listener_a), TIMEOUT)
        got_b = await asyncio.wait_for(b.receive(listener_b), TIMEOUT)
        assert (got_a["from"], got_b["from"]) == ("a", "b")  # b's first message is its own
    finally:
        await a.flush()
        await b.flush()


def _celery(prefix):
    app = Celery(f"checkout-{prefix}", set_as_current=False)
    app.conf.update(
        broker_url=broker_url(settings.REDIS_URL),
        broker_transport_options={
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "global_keyprefix": f"{prefix}:celery:",
        },
        task_default_queue=f"{prefix}.celery",
    )
    return app


def _waiting(client, prefix):
    """Messages waiting in a checkout's Celery queue, read from the Redis key itself."""
    return client.llen(f"{prefix}:celery:{prefix}.celery")


def test_a_task_queued_by_one_checkout_waits_only_in_its_own_queue(two_prefixes):
    a, b = (_celery(prefix) for prefix in two_prefixes)
    a.send_task("labs.tasks.run_lab", args=[0])
    b.send_task("labs.tasks.run_lab", args=[0])
    b.send_task("labs.tasks.run_lab", args=[0])
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        assert [_waiting(client, prefix) for prefix in two_prefixes] == [1, 2]
        run = two_prefixes[0].rsplit(":a", 1)[1]
        written = [key.decode() for key in client.scan_iter(match=f"*{run}*")]
    finally:
        client.close()
    assert written
    assert all(key.startswith(two_prefixes) for key in written)  # nothing outside a prefix
