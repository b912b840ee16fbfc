from pathlib import Path

from django.urls import reverse

from labs import services
from tests.factories import make_run, make_topology


def test_learner_sees_what_the_topology_builds(client, learner, starter):
    client.force_login(learner)
    response = client.get(reverse("labs-topology-detail", args=[starter.pk]))
    assert response.status_code == 200
    for fact in (
        "LoadBalancer",
        "WebTargets",
        "HTTP:80",
        "/health",
        "10.0.1.10:80",
        "10.0.2.10:80",
    ):
        assert fact in response.text
    assert reverse("labs-run-start", args=[starter.pk]) in response.text


def test_past_runs_are_only_the_learners_own(client, learner, other_learner, starter):
    mine = make_run(owner=learner, topology=starter)
    theirs = make_run(owner=other_learner, topology=starter)
    client.force_login(learner)
    response = client.get(reverse("labs-topology-detail", args=[starter.pk]))
    assert list(response.context["runs"]) == [mine]
    assert reverse("labs-run-detail", args=[theirs.pk]) not in response.text


def test_another_learners_topology_is_not_found(client, learner, other_learner):
    theirs = make_topology(owner=other_learner)
    client.force_login(learner)
    assert client.get(reverse("labs-topology-detail", args=[theirs.pk])).status_code == 404


def test_a_broken_template_lists_its_problems_instead_of_a_run_button(client, learner):
    broken = make_topology(owner=learner, document="Resources: [")
    client.force_login(learner)
    response = client.get(reverse("labs-topology-detail", args=[broken.pk]))
    assert response.status_code == 200
    assert response.context["problems"]
    assert reverse("labs-run-start", args=[broken.pk]) not in response.text


def test_anonymous_visitor_is_sent_to_log_in(client, starter):
    response = client.get(reverse("labs-topology-detail", args=[starter.pk]))
    assert response.status_code == 302


def test_the_page_speaks_korean(client, learner, starter):
    client.force_login(learner)
    response = client.get(
        reverse("labs-topology-detail", args=[starter.pk]), headers={"accept-language": "ko"}
    )
    assert "기본 ALB" in response.text
    assert "대상 그룹" in response.text


def test_a_fork_says_where_it_came_from(client, learner, starter):
    fork = services.fork_topology(learner, starter)
    client.force_login(learner)
    response = client.get(reverse("labs-topology-detail", args=[fork.pk]))
    assert "Basic ALB (copy)" in response.text
    original = reverse("labs-topology-detail", args=[starter.pk])
    assert f'Forked from <a href="{original}">Basic ALB</a>.' in response.text


def test_an_ecs_service_says_its_tasks_run_as_dummy_targets(client, learner):
    text = (Path(__file__).parents[1] / "templates" / "ecs_service_path_rules.yaml").read_text()
    topology = make_topology(owner=learner, document=text)
    client.force_login(learner)
    response = client.get(reverse("labs-topology-detail", args=[topology.pk]))
    assert "ECS service <code>WebService</code>: 3 tasks simulated as dummy targets" in (
        response.text
    )
    assert "ECS service <code>ApiService</code>: 2 tasks simulated" in response.text


def test_every_problem_is_one_line_and_the_simulated_types_are_listed_once(client, learner):
    text = (Path(__file__).parents[1] / "templates" / "ecs_service_path_rules.yaml").read_text()
    broken = text.replace("Priority: 10", "Priority: 0").replace("  Port: 8080\n", "  Port: 0\n")
    topology = make_topology(owner=learner, document=broken)
    client.force_login(learner)
    response = client.get(reverse("labs-topology-detail", args=[topology.pk]))
    assert "This template has 2 problems" in response.text
    assert response.text.count('class="problem-sentence"') == 2
    assert "ApiRule.Properties.Priority" in response.text
    assert "ApiTargets.Properties.Port" in response.text

    fine = make_topology(owner=learner, document=text, slug="fine")
    page = client.get(reverse("labs-topology-detail", args=[fine.pk])).text
    assert page.count("What the playground simulates") == 1
    assert page.count("<code>AWS::ECS::Service</code>") == 1
    assert "<code>AWS::ElasticLoadBalancingV2::ListenerRule</code>" in page
