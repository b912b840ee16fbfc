"""The run page's controls: per-target changes, the traffic rate, the Faults log, the
access-log download, in English and in Korean."""

import json
import re

from django.urls import reverse

from labs import cfn, services
from tests.factories import make_run


def _page(client, run, language="en"):
    client.force_login(run.owner)
    return client.get(
        reverse("labs-run-detail", args=[run.pk]), headers={"accept-language": language}
    )


def _script(response, element_id: str) -> dict:
    start = response.text.index(f'id="{element_id}" type="application/json">')
    start = response.text.index(">", start) + 1
    return json.loads(response.text[start : response.text.index("</script>", start)])


def test_a_live_run_offers_every_control(client, learner):
    run = make_run(owner=learner, state="running", rps=12.5)
    response = _page(client, run)
    html = response.text
    assert html.count('value="deregister"') == 3
    assert html.count('value="register"') == 3
    assert html.count('<select name="mode"') == 3
    for mode in ("normal", "reset", "hang", "garbage", "short-body", "unhealthy", "stopped"):
        assert html.count(f'<option value="{mode}">') == 3
    assert 'for="fault-mode-1"' in html and 'id="fault-mode-1"' in html  # labelled
    assert re.search(r'id="traffic-rps" name="rps" min="0" max="200" step="any" value="12.5"', html)
    assert reverse("labs-run-control", args=[run.pk]) in html
    assert re.search(r'<p id="access-log" hidden>', html)
    assert 'id="faults"' in html


def test_the_traffic_rate_starts_at_the_topologys_own(client, learner):
    response = _page(client, make_run(owner=learner, state="running"))
    assert 'value="10"' in response.text  # Metadata.Playground.Traffic of the demo


def test_an_ended_run_offers_its_access_log_and_no_controls(client, learner):
    run = make_run(owner=learner, state="finished", reason="stopped")
    services.save_access_log(run, ["http line"], cfn.load_topology(run.topology.document))
    html = _page(client, run).text
    assert '<p id="access-log">' in html
    assert f'href="{reverse("labs-run-access-log", args=[run.pk])}" download' in html
    assert 'value="deregister"' not in html
    assert 'id="traffic-form"' not in html


def test_an_ended_run_without_a_log_offers_no_download(client, learner):
    run = make_run(owner=learner, state="failed", reason="template-error")
    assert '<p id="access-log" hidden>' in _page(client, run).text


def test_the_controls_speak_korean(client, learner):
    run = make_run(owner=learner, state="running")
    response = _page(client, run, "ko")
    html = response.text
    for korean in ("등록 취소", "이 실행 중의 변경 사항", "속도 설정", "적용", "연결 재설정 (502)"):
        assert korean in html
    text = _script(response, "run-text")
    assert text["faultModes"]["hang"] == "멈춤, 응답하지 않음 (504)"
    assert text["faultLog"]["deregister"] == (
        "%(by)s 님이 %(target_group)s에서 %(target)s의 등록을 취소했습니다."
    )
    assert text["controlErrors"]["InvalidTarget"] == (
        "지금은 이 대상에 이 변경을 적용할 수 없습니다."
    )
    assert text["health"]["draining"] == "드레이닝"
    assert text["healthReasons"]["Target.DeregistrationInProgress"]


def test_every_controls_word_reads_in_korean(client, learner):
    english = _script(_page(client, make_run(owner=learner)), "run-text")
    korean = _script(_page(client, make_run(owner=learner), "ko"), "run-text")
    for table in ("faultModes", "faultLog", "controlErrors"):
        assert english[table].keys() == korean[table].keys()
        same = [code for code in english[table] if english[table][code] == korean[table][code]]
        assert same == []


def test_the_rate_sits_in_the_live_labs_traffic_panel_once(client, learner):
    html = _page(client, make_run(owner=learner, state="running")).text
    assert html.count('id="traffic-form"') == 1
    assert html.index('id="traffic-heading"') < html.index('id="traffic-form"')
    assert html.index('id="traffic-form"') < html.index('id="traffic-settings"')
