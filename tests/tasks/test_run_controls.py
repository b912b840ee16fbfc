"""Changing a running lab: the service's checks, the control channel, and the task applying
commands through the real runtime; the access log the task keeps when the run ends."""

import asyncio
import contextlib
import gzip
import re
from collections.abc import AsyncIterator

import pytest
from channels.db import database_sync_to_async
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from labs import cfn, services
from labs import messages as codes
from labs.models import LabRun, RunAccessLog
from labs.runtime.targets import FAULT_MODES
from labs.tasks import run_lab
from tests.factories import make_run
from tests.tasks.conftest import GroupListener, of_type, status

WEB1, WEB2, WEB3 = "10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"
DEREGISTER_WEB1 = {"action": "deregister", "target_group": "WebTargets", "target": WEB1}


def fault(action: str, *, error: bool = False):
    return lambda e: e["type"] == "fault" and e["action"] == action and ("error" in e) == error


def health(target: str, state: str):
    return lambda e: e["type"] == "health" and e["target"] == target and e["state"] == state


# --- the service's checks -----------------------------------------------------------------


@pytest.fixture
def running_run(learner):
    return make_run(owner=learner, state="running", control_channel="specific.test!one")


NOT_AN_OBJECT = "Send the change as an object"
UNKNOWN = "Unknown change."
NO_GROUP = "Choose one of this run's target groups."
NOT_A_TARGET = "is not a target of WebTargets."
NOT_AN_INSTANCE = "is not an instance of this run."
NO_MODE = "Choose a fault mode:"
BAD_RATE = "The traffic rate must be a number from 0 to"


@pytest.mark.parametrize(
    ("command", "code", "says"),
    [
        ("deregister", "ValidationError", NOT_AN_OBJECT),
        ({"action": "explode"}, "ValidationError", UNKNOWN),
        ({"target_group": "WebTargets", "target": WEB1}, "ValidationError", UNKNOWN),
        (
            {"action": "deregister", "target_group": "Nope", "target": WEB1},
            "TargetGroupNotFound",
            NO_GROUP,
        ),
        (
            {"action": "register", "target_group": "WebTargets", "target": "10.0.9.9:80"},
            "InvalidTarget",
            NOT_A_TARGET,
        ),
        ({"action": "deregister", "target_group": "WebTargets"}, "InvalidTarget", NOT_A_TARGET),
        (
            {"action": "deregister", "target_group": "WebTargets", "target": [WEB1]},
            "InvalidTarget",
            NOT_A_TARGET,
        ),
        (
            {"action": "deregister", "target_group": ["WebTargets"], "target": WEB1},
            "TargetGroupNotFound",
            NO_GROUP,
        ),
        ({"action": ["fault"], "target": WEB1, "mode": "reset"}, "ValidationError", UNKNOWN),
        (
            {"action": "fault", "target": {"ip": WEB1}, "mode": "reset"},
            "InvalidTarget",
            NOT_AN_INSTANCE,
        ),
        ({"action": "fault", "target": WEB1, "mode": ["reset"]}, "ValidationError", NO_MODE),
        ({"action": "traffic", "rps": float("nan")}, "ValidationError", BAD_RATE),
        ({"action": "traffic", "rps": float("inf")}, "ValidationError", BAD_RATE),
        ({"action": "fault", "target": WEB1, "mode": "explode"}, "ValidationError", NO_MODE),
        (
            {"action": "fault", "target": "192.0.2.1:80", "mode": "reset"},
            "InvalidTarget",
            NOT_AN_INSTANCE,
        ),
        ({"action": "traffic", "rps": -1}, "ValidationError", BAD_RATE),
        ({"action": "traffic", "rps": 10**6}, "ValidationError", BAD_RATE),
        ({"action": "traffic", "rps": "5"}, "ValidationError", BAD_RATE),
        ({"action": "traffic", "rps": True}, "ValidationError", BAD_RATE),
        ({"action": "traffic"}, "ValidationError", "Say what to change"),
    ],
)
def test_a_bad_command_is_refused_before_it_reaches_the_worker(
    learner, running_run, command, code, says, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValidationError) as caught,
    ):
        services.control_run(learner, running_run, command)
    # The code is the one the run page words (the worker passes it on as it is).
    assert caught.value.code == code
    assert code in codes.CONTROL_ERRORS
    assert says in caught.value.messages[0]
    assert callbacks == []


@pytest.mark.parametrize(
    ("command", "sent"),
    [
        ({**DEREGISTER_WEB1, "extra": "dropped"}, DEREGISTER_WEB1),
        (
            {"action": "register", "target_group": "WebTargets", "target": WEB2},
            {"action": "register", "target_group": "WebTargets", "target": WEB2},
        ),
        (
            {"action": "fault", "target": WEB1, "mode": "hang"},
            {"action": "fault", "target": WEB1, "mode": "hang"},
        ),
        ({"action": "traffic", "rps": 0}, {"action": "traffic", "rps": 0.0}),
        ({"action": "traffic", "rps": 200}, {"action": "traffic", "rps": 200.0}),
    ],
)
def test_a_good_command_is_reduced_to_what_its_action_uses(learner, running_run, command, sent):
    assert services.control_run(learner, running_run, command) == sent


def test_every_fault_the_runtime_has_is_offered_in_both_languages_and_no_other():
    with translation.override("ko"):
        korean = {mode: str(codes.FAULT_MODES[mode]) for mode in FAULT_MODES}
    with translation.override("en"):
        english = {mode: str(codes.FAULT_MODES[mode]) for mode in FAULT_MODES}
    assert [
        m for m in FAULT_MODES if korean[m] == english[m] or not re.search("[가-힣]", korean[m])
    ] == []
    assert sorted(set(codes._FAULT_MODE_WORDS) - set(FAULT_MODES)) == []  # no stale words


def test_another_learner_cannot_change_a_run(other_learner, running_run):
    with pytest.raises(PermissionDenied):
        services.control_run(other_learner, running_run, DEREGISTER_WEB1)


def test_staff_may_change_any_run(admin, running_run):
    assert services.control_run(admin, running_run, DEREGISTER_WEB1) == DEREGISTER_WEB1


@pytest.mark.parametrize("state", ["queued", "starting", "stopping", "finished", "failed"])
def test_only_a_running_run_can_be_changed(learner, state):
    run = make_run(owner=learner, state=state, control_channel="specific.test!one")
    with pytest.raises(ValidationError) as caught:
        services.control_run(learner, run, DEREGISTER_WEB1)
    assert caught.value.code == "not-running"


@pytest.mark.django_db(transaction=True)
async def test_control_run_sends_the_command_to_the_runs_control_channel(learner):
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    control = await layer.new_channel()
    run = await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=control
    )
    await database_sync_to_async(services.control_run)(learner, run, DEREGISTER_WEB1)
    message = await layer.receive(control)
    assert message == {"type": "run.control", "command": DEREGISTER_WEB1, "by": "learner"}
    await layer.close_pools()


def test_the_access_log_keeps_its_newest_lines_gzipped(learner, monkeypatch):
    monkeypatch.setattr(services.runs, "ACCESS_LOG_MAX_LINES", 3)
    run = make_run(owner=learner)
    topology = cfn.load_topology(run.topology.document)
    log = services.save_access_log(run, [f"line {n}" for n in range(5)], topology)
    assert gzip.decompress(bytes(log.data)).decode() == "line 2\nline 3\nline 4\n"
    assert log.lines == 3
    # 123456789012_elasticloadbalancing_us-east-1_app.<lb>.<id>_<end>_<ip>_<random>.log
    account, service, region, lb, end, ip, rest = log.file_name.split("_")
    assert (account, service, region) == ("123456789012", "elasticloadbalancing", "us-east-1")
    assert lb.startswith("app.LoadBalancer.") and len(lb.rsplit(".", 1)[1]) == 16
    assert len(end) == len("20240215T2340Z") and end.endswith("Z")
    assert ip.startswith("10.0.")
    assert rest.endswith(".log") and len(rest) == len("abcdefgh.log")


# --- the task applies commands through the real runtime -------------------------------------


async def _refreshed(run: LabRun) -> LabRun:
    return await LabRun.objects.select_related("topology").aget(pk=run.pk)


@contextlib.asynccontextmanager
async def running(run: LabRun) -> AsyncIterator[GroupListener]:
    """The run served by ``run_lab`` in a thread; stopped at the end, even on a failure."""
    async with GroupListener(run.pk) as listener:
        worker = asyncio.create_task(asyncio.to_thread(run_lab, run.pk))
        try:
            await listener.wait_for(status("running"))
            yield listener
        finally:
            await database_sync_to_async(services.stop_run)(run.owner, await _refreshed(run))
            await asyncio.wait_for(worker, 10)
        await listener.seen_or_wait_for(status("finished"))


@pytest.mark.django_db(transaction=True)
async def test_the_task_deregisters_a_target_which_drains_and_gets_no_new_requests(learner):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=60)
    async with running(run) as listener:
        await listener.wait_for(lambda e: e["type"] == "request" and e.get("target") == WEB1)
        await database_sync_to_async(services.control_run)(
            learner, await _refreshed(run), DEREGISTER_WEB1
        )
        event = await listener.wait_for(fault("deregister"))
        assert event["by"] == "learner"
        assert (event["target_group"], event["target"]) == ("WebTargets", WEB1)
        draining = await listener.seen_or_wait_for(health(WEB1, "draining"))
        assert draining["reason"] == "Target.DeregistrationInProgress"
        # Twenty more requests, none of them to the draining target.
        after: list[dict] = []
        while len(after) < 20:
            request = await listener.wait_for(of_type("request"))
            if request["t"] > event["t"]:
                after.append(request)
        assert {r["target"] for r in after} == {WEB2, WEB3}
        # What the worker cannot apply comes back as a fault event with the error.
        await database_sync_to_async(services.control_run)(
            learner, await _refreshed(run), DEREGISTER_WEB1
        )
        refused = await listener.wait_for(fault("deregister", error=True))
        assert (refused["error"], refused["by"]) == ("InvalidTarget", "learner")
        assert refused["message"]
    finished = await listener.seen_or_wait_for(status("finished"))
    assert finished["access_log"] is True
    faults = [e for e in listener.seen if e["type"] == "fault"]
    assert len(faults) == 2  # the runtime's own event carries "by": nothing is sent twice
    run = await _refreshed(run)
    assert [f["action"] for f in run.summary["faults"]] == ["deregister", "deregister"]
    log = await RunAccessLog.objects.aget(run=run)
    lines = gzip.decompress(bytes(log.data)).decode().splitlines()
    assert len(lines) == log.lines == run.summary["requests"]
    assert all(line.startswith("http ") for line in lines)
    assert not any(f" {WEB1} " in line for line in lines[-20:])


@pytest.mark.django_db(transaction=True)
async def test_a_command_the_runtime_refuses_is_published_with_its_error(learner):
    run = await database_sync_to_async(make_run)(owner=learner, duration_limit=60)
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    try:
        async with running(run) as listener:
            run = await _refreshed(run)
            # Past the web side's checks (a stale page, say): the runtime has the last word.
            command = {"action": "fault", "target": "10.0.1.99:80", "mode": "reset"}
            message = {"type": "run.control", "command": command, "by": "someone"}
            await layer.send(run.control_channel, message)
            refused = await listener.wait_for(fault("fault", error=True))
            assert (refused["target"], refused["error"]) == ("10.0.1.99:80", "InvalidTarget")
            # The service's code reaches the page as it is: no table in between.
            command = {"action": "deregister", "target_group": "Nope", "target": WEB1}
            await layer.send(run.control_channel, {**message, "command": command})
            refused = await listener.wait_for(fault("deregister", error=True))
            assert (refused["target_group"], refused["error"]) == ("Nope", "TargetGroupNotFound")
            assert refused["message"] == "Choose one of this run's target groups."
            # The run goes on and still takes commands.
            await database_sync_to_async(services.control_run)(
                learner, run, {"action": "traffic", "rps": 0}
            )
            paused = await listener.wait_for(fault("traffic"))
            assert (paused["rps"], paused["by"]) == (0.0, "learner")
    finally:
        await layer.close_pools()
