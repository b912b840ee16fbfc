"""The worker process's one publisher: every run's batches reach their pages, together."""

import asyncio

import pytest
import redis
from channels.layers import channel_layers
from django.conf import settings

from labs import services
from labs.tasks import Publisher
from tests.tasks.conftest import GroupListener

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = 20


def _publishes() -> int:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return int(client.info("commandstats").get("cmdstat_publish", {}).get("calls", 0))
    finally:
        client.close()


async def test_batches_sent_at_once_by_many_runs_each_reach_their_own_pages():
    publisher = Publisher(channel_layers.make_backend(services.EVENTS_LAYER), services.EVENTS_LAYER)
    listeners = [GroupListener(run_id) for run_id in range(1, RUNS + 1)]
    for listener in listeners:
        await listener.__aenter__()
    try:
        before = await asyncio.to_thread(_publishes)
        await asyncio.gather(
            *(
                publisher.group_send(
                    f"run.{run_id}",
                    {"type": "run.events", "events": [{"type": "x", "run": run_id}], "seq": 1},
                )
                for run_id in range(1, RUNS + 1)
            )
        )
        assert await asyncio.to_thread(_publishes) - before == RUNS  # one each, none lost
        for run_id, listener in enumerate(listeners, start=1):
            event = await listener.wait_for(lambda e: e["type"] == "x", within=5)
            assert event["run"] == run_id  # and only its own
    finally:
        for listener in listeners:
            await listener.__aexit__(None, None, None)


async def test_a_batch_redis_does_not_take_fails_each_of_its_senders(tmp_path, settings):
    settings.CHANNEL_LAYERS = {
        **settings.CHANNEL_LAYERS,
        "nowhere": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": f"unix://{tmp_path}/no-redis.sock"}]},
        },
    }
    publisher = Publisher(channel_layers.make_backend("nowhere"), "nowhere")
    results = await asyncio.gather(
        *(publisher.group_send(f"run.{n}", {"type": "run.events"}) for n in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(result, redis.ConnectionError) for result in results), results
