from django.urls import reverse

from tests.factories import make_topology


def test_learner_sees_starters_and_their_own_topologies(client, learner, other_learner, starter):
    own = make_topology(owner=learner, title_en="Mine")
    theirs = make_topology(owner=other_learner, title_en="Theirs")
    client.force_login(learner)
    response = client.get(reverse("labs-topology-list"))
    assert response.status_code == 200
    assert list(response.context["topologies"]) == [starter, own]
    assert theirs.title_en not in response.text


def test_the_list_takes_a_fixed_number_of_queries(client, learner, django_assert_num_queries):
    for _ in range(3):
        make_topology()
    client.force_login(learner)
    # session, user, topologies
    with django_assert_num_queries(3):
        client.get(reverse("labs-topology-list"))


def test_anonymous_visitor_is_sent_to_log_in(client, db):
    response = client.get(reverse("labs-topology-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts-login"))


def test_titles_follow_the_language(client, learner, starter):
    client.force_login(learner)
    english = client.get(reverse("labs-topology-list"), headers={"accept-language": "en"})
    korean = client.get(reverse("labs-topology-list"), headers={"accept-language": "ko"})
    assert "Basic ALB" in english.text
    assert "기본 ALB" in korean.text
    assert "실습" in korean.text
