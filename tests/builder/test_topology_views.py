from django.urls import reverse

from labs.models import Topology


def test_a_learner_creates_a_blank_topology_and_lands_in_the_builder(client, learner):
    client.force_login(learner)
    response = client.post(reverse("labs-topology-new"), {"slug": "lab", "title_en": "Lab"})
    topology = Topology.objects.get(owner=learner)
    assert response.status_code == 302
    assert response["Location"] == reverse("labs-topology-builder", args=[topology.pk])
    assert topology.revisions.get().change == "create"


def test_a_taken_name_shows_the_form_again(client, learner, own_topology):
    client.force_login(learner)
    response = client.post(reverse("labs-topology-new"), {"slug": "mine", "title_en": "Again"})
    assert response.status_code == 400
    assert response.context["form"].errors["slug"]


def test_forking_a_starter_opens_the_learners_copy(client, learner, starter):
    client.force_login(learner)
    response = client.post(reverse("labs-topology-fork", args=[starter.pk]))
    fork = Topology.objects.get(owner=learner)
    assert response["Location"] == reverse("labs-topology-builder", args=[fork.pk])
    assert fork.forked_from == starter


def test_another_learners_topology_cannot_be_forked(client, other_learner, own_topology):
    client.force_login(other_learner)
    response = client.post(reverse("labs-topology-fork", args=[own_topology.pk]))
    assert response.status_code == 404
    assert not Topology.objects.filter(owner=other_learner).exists()


def test_fork_must_be_a_post(client, learner, starter):
    client.force_login(learner)
    assert client.get(reverse("labs-topology-fork", args=[starter.pk])).status_code == 405


def test_anonymous_visitor_is_sent_to_log_in(client, starter):
    assert client.post(reverse("labs-topology-fork", args=[starter.pk])).status_code == 302
    assert client.get(reverse("labs-topology-new")).status_code == 302


def test_the_new_topology_page_speaks_korean(client, learner):
    client.force_login(learner)
    response = client.get(reverse("labs-topology-new"), headers={"accept-language": "ko"})
    assert "새 토폴로지" in response.text
