import re

import pytest
from django.urls import reverse

from labs.gallery import LEARNING_PATH
from labs.models import Topology
from playground.accounts.views import LOAD_BALANCERS
from tests.factories import make_run, make_topology


def test_anonymous_visitor_sees_sign_up_and_log_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b'href="/accounts/signup/"' in response.content
    assert b'href="/accounts/login/"' in response.content


def test_learner_sees_their_recent_runs(client, learners_run):
    client.force_login(learners_run.owner)
    response = client.get(reverse("home"))
    assert reverse("labs-run-detail", args=[learners_run.pk]).encode() in response.content


def test_home_speaks_korean_when_asked(client, db):
    response = client.get(reverse("home"), headers={"accept-language": "ko"})
    assert '<html lang="ko">' in response.text
    assert "회원 가입" in response.text


@pytest.fixture
def learning_path(db):
    """The path's first three starters, in the order labs.gallery.LEARNING_PATH gives."""
    return [
        make_topology(owner=None, slug=slug, title_en=f"Step {n}")
        for n, slug in enumerate(LEARNING_PATH[:3], start=1)
    ]


def test_the_home_page_shows_the_first_labs_own_diagram(client, learning_path):
    response = client.get(reverse("home"))
    assert 'data-testid="diagram"' in response.text
    assert "Step 1" in response.text  # the caption names it


def test_the_four_load_balancers_link_to_their_starters(client, db):
    starters = {
        lb.name: make_topology(owner=None, slug=lb.starter, title_en=f"The {lb.name} lab")
        for lb in LOAD_BALANCERS
    }
    response = client.get(reverse("home"))
    for starter in starters.values():
        link = f'href="{reverse("labs-topology-detail", args=[starter.pk])}">{starter.title_en}<'
        assert link in response.text


def test_a_learner_is_sent_on_to_the_first_step_they_have_not_run(client, learner, learning_path):
    first, second, third = learning_path
    client.force_login(learner)
    assert _next_step(client) == ("1", first)
    make_run(owner=learner, topology=first)
    assert _next_step(client) == ("2", second)
    # Their own copy of a starter counts as that step.
    make_run(owner=learner, topology=make_topology(owner=learner, forked_from=second))
    assert _next_step(client) == ("3", third)


def test_someone_elses_runs_do_not_move_a_learner_on(client, learner, other_learner, learning_path):
    make_run(owner=other_learner, topology=learning_path[0])
    client.force_login(learner)
    assert _next_step(client) == ("1", learning_path[0])


def test_with_every_step_run_the_home_page_offers_the_labs(client, learner, learning_path):
    for topology in learning_path:
        make_run(owner=learner, topology=topology)
    client.force_login(learner)
    response = client.get(reverse("home"))
    assert 'data-testid="next-step"' not in response.text
    assert f'href="{reverse("labs-topology-list")}"' in response.text


def test_a_broken_starter_leaves_the_home_page_without_its_picture(client, db):
    make_topology(owner=None, slug=LEARNING_PATH[0], document="Resources: [")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert 'data-testid="diagram"' not in response.text


def _next_step(client) -> tuple[str, object] | None:
    response = client.get(reverse("home"))
    found = re.search(
        r'href="/labs/topologies/(\d+)/" data-testid="next-step">[^<]*?lab (\d+),', response.text
    )
    if found is None:
        return None
    return found.group(2), Topology.objects.get(pk=int(found.group(1)))
