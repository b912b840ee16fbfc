"""The run's access log download: owner and staff only, a text file named as AWS names it."""

import gzip
import re

import pytest
from django.urls import reverse

from labs import cfn, services
from tests.factories import make_run

LINES = [
    "http 2026-11-27T17:00:00.000000Z app/LoadBalancer/abc 203.0.113.7:40000 10.0.1.10:80 "
    '0.000 0.001 0.000 200 200 80 250 "GET http://lb:80/ HTTP/1.1" "curl/8" - - '
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/WebTargets/x "
    '"Root=1-00000000-000000000000000000000000" "-" "-" 0 2026-11-27T17:00:00.000000Z '
    '"forward" "-" "-" "10.0.1.10:80" "200" "-" "-" TID_x',
    "http second line",
]
FILE_NAME = re.compile(
    r"^123456789012_elasticloadbalancing_us-east-1_app\.LoadBalancer\.[0-9a-f]{16}_"
    r"\d{8}T\d{4}Z_10\.0\.\d+\.\d+_[a-z0-9]{8}\.log$"
)


@pytest.fixture
def ended_run(learners_run):
    learners_run.state, learners_run.reason = "finished", "stopped"
    learners_run.save()
    services.save_access_log(learners_run, LINES, cfn.load_topology(learners_run.topology.document))
    return learners_run


def _url(run):
    return reverse("labs-run-access-log", args=[run.pk])


def test_the_owner_downloads_the_log_as_text(client, ended_run):
    client.force_login(ended_run.owner)
    response = client.get(_url(ended_run))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert FILE_NAME.match(disposition.split("filename=", 1)[1].strip('"'))
    assert b"".join(response.streaming_content).decode() == "\n".join(LINES) + "\n"


def test_the_file_keeps_its_name_from_one_download_to_the_next(client, ended_run):
    client.force_login(ended_run.owner)
    first = client.get(_url(ended_run))["Content-Disposition"]
    assert client.get(_url(ended_run))["Content-Disposition"] == first


def test_staff_may_download_any_runs_log(client, admin, ended_run):
    client.force_login(admin)
    assert client.get(_url(ended_run)).status_code == 200


def test_another_learners_log_is_not_found(client, other_learner, ended_run):
    client.force_login(other_learner)
    assert client.get(_url(ended_run)).status_code == 404


def test_instructor_without_a_class_cannot_download_a_learners_log(client, instructor, ended_run):
    client.force_login(instructor)
    assert client.get(_url(ended_run)).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, ended_run):
    response = client.get(_url(ended_run))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_a_run_without_a_log_has_nothing_to_download(client, learner):
    run = make_run(owner=learner, state="finished", reason="stopped")
    client.force_login(learner)
    assert client.get(_url(run)).status_code == 404


def test_a_big_log_is_stored_compressed_and_served_whole(client, learners_run):
    lines = [f"http line {n} " + "x" * 200 for n in range(20_000)]
    log = services.save_access_log(
        learners_run, lines, cfn.load_topology(learners_run.topology.document)
    )
    assert len(log.data) < len("\n".join(lines)) / 20
    client.force_login(learners_run.owner)
    body = b"".join(client.get(_url(learners_run)).streaming_content).decode()
    assert body.splitlines() == lines
    assert gzip.decompress(bytes(log.data)).decode() == body
