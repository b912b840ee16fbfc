"""The run controls without JavaScript: a form post to labs-run-control."""

import pytest
from django.urls import reverse

from labs.models import LabRun

DEREGISTER = {"action": "deregister", "target_group": "WebTargets", "target": "10.0.1.10:80"}


def _url(run):
    return reverse("labs-run-control", args=[run.pk])


def test_owner_deregisters_a_target(client, running_run, sent, django_capture_on_commit_callbacks):
    client.force_login(running_run.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(running_run), DEREGISTER)
    assert response.status_code == 302
    assert response["Location"] == reverse("labs-run-detail", args=[running_run.pk])
    assert sent == [
        ("specific.test!one", {"type": "run.control", "command": DEREGISTER, "by": "learner"})
    ]


def test_the_traffic_rate_is_sent_as_a_number(
    client, running_run, sent, django_capture_on_commit_callbacks
):
    client.force_login(running_run.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(running_run), {"action": "traffic", "rps": "2.5"})
    assert sent[0][1]["command"] == {"action": "traffic", "rps": 2.5}


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"action": "traffic", "rps": "lots"}, "traffic rate"),
        ({**DEREGISTER, "target": "10.0.9.9:80"}, "is not a target of"),
        ({"action": "fault", "target": "10.0.1.10:80", "mode": "melt"}, "fault mode"),
    ],
)
def test_a_bad_change_says_why_on_the_page(client, running_run, sent, form, words):
    client.force_login(running_run.owner)
    response = client.post(_url(running_run), form, follow=True)
    assert response.redirect_chain == [(reverse("labs-run-detail", args=[running_run.pk]), 302)]
    assert words in response.text
    assert sent == []


def test_the_script_gets_json(client, running_run, sent):
    client.force_login(running_run.owner)
    accept = {"accept": "application/json"}
    ok = client.post(_url(running_run), DEREGISTER, headers=accept)
    assert ok.json() == {"sent": True}
    bad = client.post(_url(running_run), {"action": "explode"}, headers=accept)
    assert bad.status_code == 400
    assert bad.json()["error"] == "ValidationError"


def test_korean_learners_read_the_problem_in_korean(client, running_run, sent):
    client.force_login(running_run.owner)
    response = client.post(
        _url(running_run),
        {"action": "explode"},
        headers={"accept": "application/json", "accept-language": "ko"},
    )
    assert response.json()["message"] == (
        "알 수 없는 변경입니다. deregister, register, fault, traffic, scale, sg, request "
        "중 하나를 쓰십시오."
    )


def test_a_run_that_is_not_running_cannot_be_changed(client, learners_run, sent):
    client.force_login(learners_run.owner)
    response = client.post(_url(learners_run), DEREGISTER, headers={"accept": "application/json"})
    assert response.status_code == 400
    assert sent == []


def test_staff_may_change_any_run(client, admin, running_run, sent):
    client.force_login(admin)
    response = client.post(_url(running_run), DEREGISTER, headers={"accept": "application/json"})
    assert response.json() == {"sent": True}


def test_another_learner_cannot_change_the_run(client, other_learner, running_run, sent):
    client.force_login(other_learner)
    assert client.post(_url(running_run), DEREGISTER).status_code == 404
    assert sent == []


def test_control_must_be_a_post(client, running_run):
    client.force_login(running_run.owner)
    assert client.get(_url(running_run)).status_code == 405


def test_anonymous_visitor_is_sent_to_log_in(client, running_run, sent):
    response = client.post(_url(running_run), DEREGISTER)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
    assert sent == []
    assert LabRun.objects.get(pk=running_run.pk).state == "running"
