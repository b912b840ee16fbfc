import json

import pytest
from django.urls import reverse

from tests.factories import make_run


def test_owner_sees_the_live_page(client, learners_run):
    client.force_login(learners_run.owner)
    response = client.get(reverse("labs-run-detail", args=[learners_run.pk]))
    assert response.status_code == 200
    config = json.loads(_script(response, "run-config"))
    assert config == {
        "wsPath": f"/ws/runs/{learners_run.pk}/",
        "state": "queued",
        "reason": "waiting-for-slot",
        "position": 1,
        "summary": {},
        "clockSpeed": 10.0,
        "recordingUrl": f"/labs/runs/{learners_run.pk}/recording/",
    }
    assert 'data-target="10.0.1.11:80"' in response.text
    assert "labs/js/run_detail.js" in response.text
    assert "10×" in response.text  # the lab clock speed


def test_staff_may_watch_any_run(client, admin, learners_run):
    client.force_login(admin)
    assert client.get(reverse("labs-run-detail", args=[learners_run.pk])).status_code == 200


def test_another_learners_run_is_not_found(client, other_learner, learners_run):
    client.force_login(other_learner)
    assert client.get(reverse("labs-run-detail", args=[learners_run.pk])).status_code == 404


def test_instructor_without_a_class_cannot_watch_a_learners_run(client, instructor, learners_run):
    # Classrooms come later; until then an instructor is just another non-owner.
    client.force_login(instructor)
    assert client.get(reverse("labs-run-detail", args=[learners_run.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, learners_run):
    response = client.get(reverse("labs-run-detail", args=[learners_run.pk]))
    assert response.status_code == 302


def test_a_failed_run_says_why(client, learner):
    run = make_run(owner=learner, state="failed", reason="worker-lost")
    client.force_login(learner)
    response = client.get(reverse("labs-run-detail", args=[run.pk]))
    assert "The worker running this lab stopped answering." in response.text


def test_the_page_and_its_script_strings_speak_korean(client, learner):
    run = make_run(owner=learner, state="failed", reason="worker-lost")
    client.force_login(learner)
    response = client.get(
        reverse("labs-run-detail", args=[run.pk]), headers={"accept-language": "ko"}
    )
    text = json.loads(_script(response, "run-text"))
    assert text["states"]["running"] == "실행 중"
    assert text["health"]["healthy"] == "정상"
    assert "대상" in response.text


@pytest.mark.parametrize(
    ("language", "docs", "chart"),
    [
        ("en", "https://docs.aws.amazon.com/elasticloadbalancing/", "Requests a second"),
        ("ko", "https://docs.aws.amazon.com/ko_kr/elasticloadbalancing/", "초당 요청 수"),
    ],
)
def test_the_trace_and_charts_speak_the_viewers_language_and_link_its_aws_docs(
    client, learner, language, docs, chart
):
    run = make_run(owner=learner, state="running")
    client.force_login(learner)
    response = client.get(
        reverse("labs-run-detail", args=[run.pk]), headers={"accept-language": language}
    )
    text = json.loads(_script(response, "run-text"))
    assert text["docs"]["rules"] == f"{docs}latest/application/rule-condition-types.html"
    assert all(text["trace"].values()) and all(text["charts"].values())
    for chart_id in ("requests", "latency", "hosts", "errors"):
        assert f'id="chart-{chart_id}"' in response.text
    assert chart in response.text


def _script(response, element_id: str) -> str:
    start = response.text.index(f'id="{element_id}" type="application/json">')
    start = response.text.index(">", start) + 1
    return response.text[start : response.text.index("</script>", start)]
