from django.urls import reverse

from labs import services
from tests.factories import DEMO_TEMPLATE


def _two_revisions(learner, topology):
    services.save_document(learner, topology, DEMO_TEMPLATE.replace("/health", "/ping"), "ping")


def test_the_owner_sees_every_revision_newest_first(
    client, learner, own_topology, django_assert_num_queries
):
    _two_revisions(learner, own_topology)
    client.force_login(learner)
    url = reverse("labs-topology-revisions", args=[own_topology.pk])
    with django_assert_num_queries(4):  # session, user, topology, revisions with authors
        response = client.get(url)
    assert [r.number for r in response.context["revisions"]] == [2, 1]
    assert "Edited the template" in response.text
    assert reverse("labs-revision-restore", args=[own_topology.pk, 1]) in response.text
    assert reverse("labs-revision-restore", args=[own_topology.pk, 2]) not in response.text


def test_the_difference_between_two_revisions(client, learner, own_topology):
    _two_revisions(learner, own_topology)
    client.force_login(learner)
    url = reverse("labs-revision-diff", args=[own_topology.pk])
    unified = client.get(url, {"from": 1, "to": 2})
    assert unified.status_code == 200
    assert '<tr class="delete">' in unified.text and "HealthCheckPath: /health" in unified.text
    assert '<tr class="insert">' in unified.text and "HealthCheckPath: /ping" in unified.text
    split = client.get(url, {"from": 2, "to": 1, "layout": "split"})
    assert split.context["old"].number == 1
    assert '<tr class="replace">' in split.text
    assert client.get(url, {"from": 1, "to": 9}).status_code == 404


def test_restoring_a_revision(client, learner, own_topology):
    _two_revisions(learner, own_topology)
    client.force_login(learner)
    response = client.post(reverse("labs-revision-restore", args=[own_topology.pk, 1]), follow=True)
    assert "Restored revision 1 as revision 3." in response.text
    own_topology.refresh_from_db()
    assert own_topology.document == DEMO_TEMPLATE


def test_another_learner_sees_no_history_and_restores_nothing(
    client, learner, other_learner, own_topology
):
    _two_revisions(learner, own_topology)
    client.force_login(other_learner)
    assert client.get(reverse("labs-topology-revisions", args=[own_topology.pk])).status_code == 404
    url = reverse("labs-revision-restore", args=[own_topology.pk, 1])
    assert client.post(url).status_code == 404
    assert own_topology.revisions.count() == 2


def test_anonymous_visitor_is_sent_to_log_in(client, own_topology):
    response = client.get(reverse("labs-topology-revisions", args=[own_topology.pk]))
    assert response.status_code == 302


def test_the_history_speaks_korean(client, learner, own_topology):
    _two_revisions(learner, own_topology)
    client.force_login(learner)
    response = client.get(
        reverse("labs-topology-revisions", args=[own_topology.pk]),
        headers={"accept-language": "ko"},
    )
    assert "템플릿을 편집함" in response.text
