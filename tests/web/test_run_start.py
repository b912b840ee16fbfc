import pytest
from django.urls import reverse

from labs import tasks
from labs.models import LabRun
from tests.factories import make_run, make_topology


@pytest.fixture
def enqueued(monkeypatch):
    """The run ids the view handed to Celery (the worker itself is tests/tasks' business)."""
    run_ids = []
    monkeypatch.setattr(tasks.run_lab, "delay", run_ids.append)
    return run_ids


def test_run_queues_a_lab_run_after_commit(
    client, learner, starter, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("labs-run-start", args=[starter.pk]), {"clock_speed": 20})
    run = LabRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("labs-run-detail", args=[run.pk])
    assert (run.owner, run.topology, run.state, run.clock_speed) == (learner, starter, "queued", 20)
    assert len(callbacks) == 1
    assert enqueued == [run.pk]


def test_a_bad_clock_speed_shows_the_form_again(client, learner, starter, enqueued):
    client.force_login(learner)
    response = client.post(reverse("labs-run-start", args=[starter.pk]), {"clock_speed": 99})
    assert response.status_code == 400
    assert response.context["form"].errors["clock_speed"]
    assert not LabRun.objects.exists()


def test_a_broken_template_is_refused_with_its_problems(client, learner, enqueued):
    broken = make_topology(owner=learner, document="Resources: [")
    client.force_login(learner)
    response = client.post(
        reverse("labs-run-start", args=[broken.pk]), {"clock_speed": 10}, follow=True
    )
    assert "CloudFormation" in response.text
    assert not LabRun.objects.exists()
    assert enqueued == []


def test_the_per_user_limit_is_a_message_not_an_error(client, learner, starter, enqueued, settings):
    settings.LAB_RUNS_PER_USER = 1
    make_run(owner=learner, topology=starter, state="running")
    client.force_login(learner)
    response = client.post(
        reverse("labs-run-start", args=[starter.pk]), {"clock_speed": 10}, follow=True
    )
    assert "Stop one before starting another." in response.text
    assert LabRun.objects.count() == 1


def test_starting_another_learners_topology_is_not_found(client, learner, other_learner, enqueued):
    theirs = make_topology(owner=other_learner)
    client.force_login(learner)
    response = client.post(reverse("labs-run-start", args=[theirs.pk]), {"clock_speed": 10})
    assert response.status_code == 404


def test_run_must_be_a_post(client, learner, starter):
    client.force_login(learner)
    assert client.get(reverse("labs-run-start", args=[starter.pk])).status_code == 405


def test_anonymous_visitor_is_sent_to_log_in(client, starter, enqueued):
    response = client.post(reverse("labs-run-start", args=[starter.pk]), {"clock_speed": 10})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))
    assert not LabRun.objects.exists()
