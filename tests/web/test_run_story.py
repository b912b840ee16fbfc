"""An ended run's story: its recording for the replay, and the read-only link its owner
shares (labs.views.stories, labs.services.stories)."""

import json

import pytest
from django.urls import reverse

from labs import services
from labs.engine.recording import Recorder
from labs.models import LabRun
from tests.factories import make_run, make_user

SUMMARY = {
    "requests": 4,
    "by_status": {"200": 2, "302": 1, "503": 1},
    "by_target": {"10.0.1.10:80": 2},
    "faults": [{"type": "fault", "t": 2.0, "action": "deregister", "by": "learner"}],
}
EVENTS = [
    {"type": "health", "t": 0.0, "target_group": "Web", "target": "10.0.1.10:80",
     "state": "initial", "previous": None},
    {"type": "request", "t": 1.0, "target_group": "Web", "target": "10.0.1.10:80",
     "elb_status_code": 200, "trace_id": "a"},
    {"type": "fault", "t": 2.0, "action": "deregister", "target": "10.0.1.10:80",
     "by": "learner"},
    {"type": "request", "t": 3.0, "target_group": "Web", "target": "10.0.1.10:80",
     "elb_status_code": 200, "trace_id": "b"},
    {"type": "console", "t": 3.5, "id": "console-1", "method": "GET", "url": "/",
     "client_ip": "198.51.100.7", "status": 200, "by": "learner"},
]  # fmt: skip


@pytest.fixture
def finished_run(learner):
    run = make_run(owner=learner, state="finished", reason="stopped", summary=SUMMARY)
    recorder = Recorder(limit=4)
    recorder.add([*EVENTS, {**EVENTS[1], "trace_id": "c"}])
    services.save_recording(run, services.Recording.of(recorder))
    return run


def _recording(client, run):
    return client.get(reverse("labs-run-recording", args=[run.pk]))


def test_the_owner_gets_the_recording_with_its_checkpoints(client, finished_run):
    client.force_login(finished_run.owner)
    story = _recording(client, finished_run).json()
    assert story["events"] == EVENTS  # in order; the request past the limit left out
    assert story["omitted"] == {"request": 1, "flow": 0}
    assert story["checkpoints"][0] == {
        "at": 0, "t": 0.0, "counts": {}, "requests": [], "health": [], "flows": [],
        "faults": [], "consoles": [], "tls_errors": [], "metrics": 0,
    }  # fmt: skip
    assert story["clockSpeed"] == 10.0


def test_another_learner_and_a_visitor_get_no_recording(client, other_learner, finished_run):
    assert _recording(client, finished_run).status_code == 302  # to log in
    client.force_login(other_learner)
    assert _recording(client, finished_run).status_code == 404


def test_a_run_without_a_recording_has_none_to_replay(client, learner):
    run = make_run(owner=learner, state="failed", reason="worker-lost")
    client.force_login(learner)
    assert _recording(client, run).status_code == 404


def test_the_ended_run_page_shows_answers_by_status_class(client, finished_run):
    client.force_login(finished_run.owner)
    response = client.get(reverse("labs-run-detail", args=[finished_run.pk]))
    text = response.content.decode()
    assert 'data-status-class="2XX"' in text
    assert "50.0 %" in text and "25.0 %" in text
    assert 'id="replay"' in text and 'id="health-timeline"' in text
    assert "Create a read-only link" in text
    assert "labs/js/run_detail.js" in text


def _share(client, run):
    return client.post(reverse("labs-run-share", args=[run.pk]))


def test_the_owner_shares_a_read_only_link_and_revokes_it(client, other_learner, finished_run):
    client.force_login(finished_run.owner)
    assert _share(client, finished_run).status_code == 302
    finished_run.refresh_from_db()
    token = finished_run.share_token
    assert token and len(token) >= 40
    page = client.get(reverse("labs-run-detail", args=[finished_run.pk])).content.decode()
    assert f"/labs/shared/{token}/" in page and "Stop sharing" in page
    _share(client, finished_run)  # sharing again keeps the same link
    finished_run.refresh_from_db()
    assert finished_run.share_token == token

    client.force_login(other_learner)  # someone else, with the link
    assert client.get(reverse("labs-run-detail", args=[finished_run.pk])).status_code == 404
    assert _recording(client, finished_run).status_code == 404
    assert client.get(reverse("labs-shared-run", args=[token])).status_code == 200
    client.logout()  # what the page says, with no one's name in the menu
    shared = client.get(reverse("labs-shared-run", args=[token]))
    assert shared.status_code == 200
    text = shared.content.decode()
    assert 'id="replay"' in text and "read-only" in text
    for owner_only in ("/stop/", "/control/", "Stop sharing", "Create a read-only",
                       "access-log/", "learner", "control-form", "/labs/runs/"):  # fmt: skip
        assert owner_only not in text.replace(f'"{token}"', ""), owner_only
    config = json.loads(text.split('id="run-config" type="application/json">')[1].split("<")[0])
    assert config["wsPath"] is None
    assert config["recordingUrl"] == f"/labs/shared/{token}/recording/"
    story = client.get(config["recordingUrl"]).json()
    kinds = ["health", "request", "fault", "request", "console"]
    assert [e["type"] for e in story["events"]] == kinds
    assert all("by" not in event for event in story["events"])  # no one is named

    client.force_login(finished_run.owner)
    client.post(reverse("labs-run-unshare", args=[finished_run.pk]))
    client.force_login(other_learner)
    assert client.get(reverse("labs-shared-run", args=[token])).status_code == 404
    assert client.get(config["recordingUrl"]).status_code == 404


def test_a_guessed_link_is_not_found(client, finished_run):
    client.force_login(finished_run.owner)
    _share(client, finished_run)
    client.logout()
    assert client.get(reverse("labs-shared-run", args=["x" * 43])).status_code == 404
    assert client.get("/labs/shared/%20/").status_code == 404


def test_a_run_still_going_cannot_be_shared(client, learner):
    run = make_run(owner=learner, state="running")
    client.force_login(learner)
    response = _share(client, run)
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.share_token is None
    page = client.get(response["Location"]).content.decode()
    assert "Only a run that has ended can be shared." in page


def test_only_the_owner_shares_and_revokes(client, admin, other_learner, finished_run):
    client.force_login(other_learner)
    assert _share(client, finished_run).status_code == 404
    client.force_login(admin)  # staff may watch any run, but not share someone's
    _share(client, finished_run)
    finished_run.refresh_from_db()
    assert finished_run.share_token is None
    services.share_run(finished_run.owner, finished_run)
    client.post(reverse("labs-run-unshare", args=[finished_run.pk]))
    assert LabRun.objects.get(pk=finished_run.pk).share_token is not None


def test_sharing_needs_a_post(client, finished_run):
    client.force_login(finished_run.owner)
    assert client.get(reverse("labs-run-share", args=[finished_run.pk])).status_code == 405


def test_the_shared_page_speaks_korean(client, finished_run):
    token = services.share_run(finished_run.owner, finished_run)
    response = client.get(
        reverse("labs-shared-run", args=[token]), headers={"accept-language": "ko"}
    )
    text = response.content.decode()
    assert "읽기 전용" in text and "한 단계 뒤로" in text and "상태 코드 클래스" in text
    catalog = json.loads(text.split('id="run-text" type="application/json">')[1].split("</")[0])
    assert catalog["replay"]["live"] == "실시간"


def test_another_users_run_shared_by_them_is_theirs_only(client, finished_run):
    stranger = make_user("stranger")
    client.force_login(stranger)
    response = client.post(reverse("labs-run-unshare", args=[finished_run.pk]))
    assert response.status_code == 404
