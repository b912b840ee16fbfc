"""The live lab's forms without JavaScript: an AZ fault and traffic settings, posted to
labs-run-control, reach the worker as the checked command; the page draws the panels."""

import pytest
from django.urls import reverse


def _url(run):
    return reverse("labs-run-control", args=[run.pk])


@pytest.mark.parametrize(
    ("posted", "command"),
    [
        (
            {"action": "fault", "on": "az:us-east-1a", "mode": "5xx"},
            {"action": "fault", "az": "us-east-1a", "mode": "5xx"},
        ),
        (
            {"action": "fault", "on": "target:10.0.1.10:80", "mode": "flap"},
            {"action": "fault", "target": "10.0.1.10:80", "mode": "flap"},
        ),
        (
            {"action": "traffic", "clients": "3", "keep_alive": ["false", "true"]},
            {"action": "traffic", "clients": 3, "keep_alive": True},
        ),
        (
            {"action": "traffic", "clients": "2", "keep_alive": "false"},
            {"action": "traffic", "clients": 2, "keep_alive": False},
        ),
    ],
)
def test_the_live_forms_send_the_checked_command(
    client, running_run, sent, django_capture_on_commit_callbacks, posted, command
):
    client.force_login(running_run.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(running_run), posted)
    assert response.status_code == 302
    assert sent[0][1]["command"] == command


def test_the_run_page_draws_the_live_lab_for_a_running_run(client, running_run):
    client.force_login(running_run.owner)
    html = client.get(reverse("labs-run-detail", args=[running_run.pk])).content.decode()
    assert 'id="live-lab"' in html and 'id="console-form"' in html
    assert '<option value="az:us-east-1a">' in html
    assert 'value="target:10.0.1.10:80"' in html
    assert 'src="/static/labs/js/run_console.js"' in html


def test_an_ended_run_has_no_live_lab(client, learners_run):
    learners_run.state = "finished"
    learners_run.save()
    client.force_login(learners_run.owner)
    html = client.get(reverse("labs-run-detail", args=[learners_run.pk])).content.decode()
    assert 'id="live-lab"' not in html


ASG_STARTER = "labs/starters/asg-replaces-failed-instance.yaml"


@pytest.fixture
def asg_run(running_run):
    from pathlib import Path

    running_run.document = (Path(__file__).resolve().parents[2] / ASG_STARTER).read_text()
    running_run.save()
    return running_run


def test_the_run_page_has_a_desired_capacity_form_per_auto_scaling_group(client, asg_run):
    client.force_login(asg_run.owner)
    html = client.get(reverse("labs-run-detail", args=[asg_run.pk])).content.decode()
    assert 'name="group" value="WebGroup"' in html
    assert 'name="desired" min="1" max="4" step="1" value="2"' in html


def test_the_desired_capacity_form_sends_the_scale_command(
    client, asg_run, sent, django_capture_on_commit_callbacks
):
    client.force_login(asg_run.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(asg_run), {"action": "scale", "group": "WebGroup", "desired": "3"}
        )
    assert response.status_code == 302
    assert sent[0][1]["command"] == {"action": "scale", "group": "WebGroup", "desired": 3}


def test_a_desired_capacity_outside_the_sizes_is_refused_in_awss_words(client, asg_run, sent):
    client.force_login(asg_run.owner)
    response = client.post(
        _url(asg_run),
        {"action": "scale", "group": "WebGroup", "desired": "9"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Desired capacity:9 must be between the specified min size:1 and max size:4"
    )
    assert sent == []
