"""The run page's live diagram (labs.run_diagram): the drawing of the template the run
keeps, and the targets and words its script starts from."""

import json
from pathlib import Path

from django.urls import reverse

from tests.factories import make_run, make_topology
from tests.web.test_run_detail import _script

STARTERS = Path(__file__).resolve().parents[2] / "labs" / "starters"


def _page(client, run, language="en"):
    client.force_login(run.owner)
    url = reverse("labs-run-detail", args=[run.pk])
    return client.get(url, headers={"accept-language": language})


def test_the_run_page_draws_the_template_the_run_keeps(client, learner):
    run = make_run(owner=learner, state="running")
    run.topology.document = (STARTERS / "path-routing.yaml").read_text("utf-8")
    run.topology.save()  # edited after the run started: the run's drawing stays its own
    response = _page(client, run)
    assert response.status_code == 200
    assert 'id="live-diagram"' in response.text
    assert 'data-target-group="WebTargets" data-target-id="Web1"' in response.text
    assert "UsersTargets" not in response.text
    assert "labs/js/run_diagram.js" in response.text


def test_its_script_learns_each_targets_address_and_id(client, learner):
    response = _page(client, make_run(owner=learner))
    config = json.loads(_script(response, "run-diagram-config"))
    assert config["targets"][0] == {
        "group": "WebTargets",
        "id": "Web1",
        "address": "10.0.1.10:80",
        "port": "80",
        "az": "us-east-1a",
        "aliases": [],
    }
    assert set(config["meanings"]) >= {"healthy", "unhealthy", "draining", "initial"}


def test_a_classic_load_balancers_instances_are_listed_under_its_name(client, learner):
    document = (STARTERS / "classic-lb.yaml").read_text("utf-8")
    run = make_run(owner=learner, topology=make_topology(document=document))
    config = json.loads(_script(_page(client, run), "run-diagram-config"))
    assert [(t["group"], t["id"]) for t in config["targets"]] == [
        ("LoadBalancer", "Web1"),
        ("LoadBalancer", "Web2"),
    ]


def test_an_alb_run_shows_the_request_legend_and_not_the_flow_one(client, learner):
    text = _page(client, make_run(owner=learner)).text
    assert 'data-outcome="lb5xx"' in text
    assert 'data-outcome="flow"' not in text


def test_a_run_whose_template_no_longer_reads_has_no_diagram_but_a_page(client, learner):
    run = make_run(owner=learner, state="failed", reason="worker-lost", document="{not yaml")
    response = _page(client, run)
    assert response.status_code == 200
    assert 'id="live-diagram"' not in response.text


def test_a_finished_run_says_the_diagram_shows_its_final_counts(client, learner):
    response = _page(client, make_run(owner=learner, state="finished"))
    assert "the diagram shows its final counts and health" in response.text


def test_the_diagram_and_its_words_speak_korean(client, learner):
    response = _page(client, make_run(owner=learner, state="finished"), "ko")
    assert "실시간 다이어그램" in response.text
    config = json.loads(_script(response, "run-diagram-config"))
    assert config["words"]["groupHealthy"] == "정상 %(healthy)s/%(total)s"
    assert config["outcomes"]["lb5xx"] == "로드 밸런서가 보낸 5xx"


def test_an_nlbs_alb_target_is_known_by_its_nodes_addresses_too(client, learner):
    document = (STARTERS / "nlb-in-front-of-alb.yaml").read_text("utf-8")
    run = make_run(owner=learner, topology=make_topology(document=document))
    config = json.loads(_script(_page(client, run), "run-diagram-config"))
    alb = next(t for t in config["targets"] if t["group"] == "AlbTargets")
    assert alb["address"] == alb["id"] == "ApplicationLoadBalancer"
    assert len(alb["aliases"]) == 2
    assert all(address.endswith(":80") for address in alb["aliases"])
