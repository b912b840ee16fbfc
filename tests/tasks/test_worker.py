"""End to end below the browser: the view queues, a real Celery worker runs, Redis carries."""

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker
from channels.db import database_sync_to_async
from django.urls import reverse

import labs.tasks  # noqa: F401 - registers run_lab with the app the worker serves
from labs import services
from labs.models import LabRun
from playground.celery import app
from tests.factories import make_topology
from tests.tasks.conftest import GroupListener, of_type, status

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def celery_worker():
    # The thread pool, as in production: each run owns an event loop in its thread.
    with start_worker(
        app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=20
    ) as worker:
        yield worker


def test_a_run_started_from_the_page_sends_requests_to_the_group(client, learner, celery_worker):
    topology = make_topology()
    client.force_login(learner)
    response = client.post(reverse("labs-run-start", args=[topology.pk]), {"clock_speed": 10})
    run = LabRun.objects.get()
    assert response["Location"] == reverse("labs-run-detail", args=[run.pk])

    request = async_to_sync(_first_event)(run.pk, "request")
    assert request["target"].startswith("10.0.")

    finished = async_to_sync(_stop_and_wait)(learner, run)
    assert finished["reason"] == "stopped"
    run.refresh_from_db()
    assert run.state == "finished"


async def _first_event(run_id, kind):
    async with GroupListener(run_id) as listener:
        return await listener.wait_for(of_type(kind), within=30)


async def _stop_and_wait(user, run):
    async with GroupListener(run.pk) as listener:
        await database_sync_to_async(services.stop_run)(user, run)
        return await listener.wait_for(status("finished"), within=10)
