from django.urls import reverse

from labs.models import LabRun


def test_owner_stops_a_queued_run(client, learners_run, django_capture_on_commit_callbacks):
    client.force_login(learners_run.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("labs-run-stop", args=[learners_run.pk]))
    assert response.status_code == 302
    learners_run.refresh_from_db()
    assert (learners_run.state, learners_run.reason) == ("finished", "stopped")


def test_stop_answers_json_to_the_pages_script(client, learners_run):
    client.force_login(learners_run.owner)
    response = client.post(
        reverse("labs-run-stop", args=[learners_run.pk]), headers={"accept": "application/json"}
    )
    assert response.json() == {"state": "finished"}


def test_another_learner_cannot_stop_the_run(client, other_learner, learners_run):
    client.force_login(other_learner)
    assert client.post(reverse("labs-run-stop", args=[learners_run.pk])).status_code == 404
    assert LabRun.objects.get(pk=learners_run.pk).state == "queued"


def test_stop_must_be_a_post(client, learners_run):
    client.force_login(learners_run.owner)
    assert client.get(reverse("labs-run-stop", args=[learners_run.pk])).status_code == 405


def test_anonymous_visitor_is_sent_to_log_in(client, learners_run):
    response = client.post(reverse("labs-run-stop", args=[learners_run.pk]))
    assert response.status_code == 302
    assert LabRun.objects.get(pk=learners_run.pk).state == "queued"
