from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from labs import services, tasks
from labs.models import LabRun
from tests.factories import make_run, make_topology
from tests.tasks.conftest import GroupListener, status


@pytest.fixture
def enqueued(monkeypatch):
    run_ids = []
    monkeypatch.setattr(tasks.run_lab, "delay", run_ids.append)
    return run_ids


def test_start_run_enqueues_only_after_commit(
    learner, enqueued, django_capture_on_commit_callbacks
):
    topology = make_topology()
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.start_run(learner, topology, clock_speed=5, rps=20, duration=30)
        assert enqueued == []
    for callback in callbacks:
        callback()
    assert enqueued == [run.pk]
    assert (run.state, run.clock_speed, run.rps, run.duration_limit) == ("queued", 5, 20, 30)


def test_start_run_uses_the_site_defaults(learner, enqueued, settings):
    run = services.start_run(learner, make_topology())
    assert run.clock_speed == settings.LAB_DEFAULT_CLOCK_SPEED
    assert run.duration_limit == settings.LAB_RUN_MAX_SECONDS
    assert run.rps is None


def test_a_template_error_saves_nothing_and_names_the_problem(learner, enqueued):
    topology = make_topology(document="Resources: [")
    with pytest.raises(ValidationError) as caught:
        services.start_run(learner, topology)
    assert "CloudFormation" in caught.value.messages[0]
    assert not LabRun.objects.exists()


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"clock_speed": 0}, "clock_speed"),
        ({"clock_speed": 31}, "clock_speed"),
        ({"rps": 0}, "rps"),
        ({"rps": 10**9}, "rps"),
        ({"duration": 10**9}, "duration"),
    ],
)
def test_limits_are_clear_validation_errors(learner, enqueued, options, code):
    with pytest.raises(ValidationError) as caught:
        services.start_run(learner, make_topology(), **options)
    assert caught.value.code == code
    assert not LabRun.objects.exists()


def test_a_learner_may_have_only_so_many_runs_going(learner, enqueued, settings):
    settings.LAB_RUNS_PER_USER = 2
    topology = make_topology()
    make_run(owner=learner, topology=topology, state="running")
    make_run(owner=learner, topology=topology, state="finished")
    services.start_run(learner, topology)
    with pytest.raises(ValidationError) as caught:
        services.start_run(learner, topology)
    assert caught.value.code == "quota"


def test_stopping_a_queued_run_finishes_it_here(learner):
    run = make_run(owner=learner)
    services.stop_run(learner, run)
    run.refresh_from_db()
    assert (run.state, run.reason) == ("finished", "stopped")
    assert run.ended_at is not None


def test_another_learner_cannot_stop_a_run(learner, other_learner):
    run = make_run(owner=learner)
    with pytest.raises(PermissionDenied):
        services.stop_run(other_learner, run)
    assert LabRun.objects.get(pk=run.pk).state == "queued"


@pytest.mark.django_db(transaction=True)
async def test_stopping_a_running_run_tells_its_worker(learner):
    from channels.db import database_sync_to_async
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    control = await layer.new_channel()
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=control
    )
    await database_sync_to_async(services.stop_run)(learner, run)
    message = await layer.receive(control)
    assert message == {"type": "run.stop", "by": learner.username, "runs": [run.pk]}
    await layer.close_pools()


def test_a_final_state_never_changes(learner):
    run = make_run(owner=learner, state="failed", reason="worker-lost")
    assert not services.set_state(run, "finished", "stopped")
    run.refresh_from_db()
    assert (run.state, run.reason) == ("failed", "worker-lost")


@pytest.mark.django_db(transaction=True)
async def test_set_state_publishes_a_status_event(learner):
    from channels.db import database_sync_to_async

    run = await database_sync_to_async(make_run)(owner=learner, state="starting")
    async with GroupListener(run.pk) as listener:
        await database_sync_to_async(services.set_state)(run, "running", "", 0.5)
        event = await listener.wait_for(status("running"))
    assert isinstance(event.pop("emitted"), float)  # the worker's wall clock
    assert event == {"type": "run.status", "t": 0.5, "state": "running", "reason": ""}


def test_fail_stale_runs_fails_only_runs_whose_worker_went_quiet(learner, settings):
    settings.LAB_STALE_SECONDS = 20
    now = timezone.now()
    quiet = make_run(owner=learner, state="running", heartbeat_at=now - timedelta(seconds=60))
    beating = make_run(owner=learner, state="running", heartbeat_at=now)
    queued = make_run(owner=learner, state="queued")
    done = make_run(owner=learner, state="finished", heartbeat_at=now - timedelta(hours=1))
    assert services.fail_stale_runs() == 1
    states = dict(LabRun.objects.values_list("pk", "state"))
    assert states == {
        quiet.pk: "failed",
        beating.pk: "running",
        queued.pk: "queued",
        done.pk: "finished",
    }
    quiet.refresh_from_db()
    assert quiet.reason == "worker-lost"


def test_fail_stale_runs_can_look_at_one_run(learner):
    long_ago = timezone.now() - timedelta(hours=1)
    first = make_run(owner=learner, state="running", heartbeat_at=long_ago)
    second = make_run(owner=learner, state="stopping", heartbeat_at=long_ago)
    assert services.fail_stale_runs(first.pk) == 1
    assert LabRun.objects.get(pk=second.pk).state == "stopping"


@pytest.mark.django_db(transaction=True)
async def test_stopping_many_runs_sends_one_message_for_each_worker_process(learner):
    from channels.db import database_sync_to_async
    from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers

    # Two layers are two processes: their channels' names differ before the "!".
    one, other = (channel_layers.make_backend(DEFAULT_CHANNEL_LAYER) for _ in range(2))
    channels = [await one.new_channel() for _ in range(3)] + [await other.new_channel()]
    runs = [
        await database_sync_to_async(make_run)(
            owner=learner, state="running", control_channel=channel
        )
        for channel in channels
    ]
    assert await database_sync_to_async(services.stop_runs)(learner, runs) == 4

    named = {"type": "run.stop", "by": learner.username, "runs": [run.pk for run in runs[:3]]}
    assert await one.receive(channels[0]) == named
    assert await one.receive(channels[2]) == named  # the last too, in case the first ended
    assert await other.receive(channels[3]) == {**named, "runs": [runs[3].pk]}
    await one.send(channels[1], {"type": "marker"})
    assert await one.receive(channels[1]) == {"type": "marker"}  # nothing came before
    assert all(
        row.stop_requested_at is not None
        for row in await database_sync_to_async(list)(LabRun.objects.filter(owner=learner))
    )
    for layer in (one, other):
        await layer.close_pools()


@pytest.mark.django_db(transaction=True)
def test_write_together_commits_what_worked_and_holds_back_its_publishes(learner):
    first = make_run(owner=learner, state="running")
    second = make_run(owner=learner, state="running")

    def broken() -> None:
        services.set_state(second, "stopping", "stopped", 1.0)  # rolled back with the error
        raise RuntimeError("boom")

    outcomes, sends = services.write_together(
        [lambda: services.set_state(first, "stopping", "stopped", 1.0), broken]
    )

    assert outcomes[0] == (True, None)
    assert outcomes[1][0] is None and isinstance(outcomes[1][1], RuntimeError)
    rows = dict(LabRun.objects.values_list("pk", "state"))
    assert rows == {first.pk: "stopping", second.pk: "running"}
    # Only the write that stood is announced: to its page, and to the class dashboards.
    groups = [group for group, _message in sends]
    assert groups == [f"run.{first.pk}", LabRun.summary_group(learner.pk)]
    [event] = sends[0][1]["events"]
    assert (event["type"], event["state"], event["reason"]) == ("run.status", "stopping", "stopped")
