"""The class's results as CSV: only the class's learners, in rows a spreadsheet opens."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import make_run


def _rows(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("kind", ["learner", "lab", "question"])
def test_each_export_is_a_csv_of_the_class_only(
    kind, client, classroom, other_classroom, instructor, learner, other_learner
):
    make_run(owner=learner, state="failed")
    make_run(owner=other_learner, state="failed")
    client.force_login(instructor)
    response = client.get(reverse("classrooms-export", args=[classroom.pk]), {"by": kind})
    assert response["Content-Type"].startswith("text/csv")
    assert f"-by-{kind}.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert "other-learner" not in text
    if kind != "question":
        assert _rows(response)[1][0] == "learner"


def test_per_learner_counts_runs_and_failures(client, classroom, instructor, learner):
    make_run(owner=learner, state="failed")
    make_run(owner=learner, state="finished")
    client.force_login(instructor)
    rows = _rows(client.get(reverse("classrooms-export", args=[classroom.pk]), {"by": "learner"}))
    header, row = rows
    assert row[header.index("runs")] == "2"
    assert row[header.index("failed runs")] == "1"


def test_an_unknown_export_is_a_404(client, classroom, instructor):
    client.force_login(instructor)
    response = client.get(reverse("classrooms-export", args=[classroom.pk]), {"by": "nope"})
    assert response.status_code == 404


def test_the_headers_follow_the_viewers_language(client, classroom, instructor):
    client.force_login(instructor)
    with translation.override("ko"):
        url = reverse("classrooms-export", args=[classroom.pk])
    response = client.get(url, {"by": "learner"}, HTTP_ACCEPT_LANGUAGE="ko")
    assert _rows(response)[0][0] == "학습자"
