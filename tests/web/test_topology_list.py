from django.urls import reverse

from tests.factories import make_topology


def test_learner_sees_starters_and_their_own_topologies(client, learner, other_learner, starter):
    own = make_topology(owner=learner, title_en="Mine")
    theirs = make_topology(owner=other_learner, title_en="Theirs")
    client.force_login(learner)
    response = client.get(reverse("labs-topology-list"))
    assert response.status_code == 200
    gallery = response.context["gallery"]
    assert (gallery.own, gallery.starters, gallery.what_ifs) == ([own], [starter], [])
    assert theirs.title_en not in response.text


def test_the_starters_follow_the_learning_path_and_the_what_ifs_come_last(client, learner):
    # Created in an order that is neither the path's nor the alphabet's.
    classic = make_topology(slug="classic-lb", title_en="Classic")
    what_if = make_topology(slug="whatif-fail-open", title_en="What if: fail open")
    asg = make_topology(slug="asg-replaces-failed-instance", title_en="What if: ASG")
    unknown = make_topology(slug="aaa-not-on-the-path", title_en="Newest starter")
    basic = make_topology(slug="basic-alb", title_en="Basic ALB")
    paths = make_topology(slug="path-routing", title_en="Paths")
    client.force_login(learner)
    response = client.get(reverse("labs-topology-list"), headers={"accept-language": "en"})
    gallery = response.context["gallery"]
    assert gallery.starters == [basic, paths, classic, unknown]
    assert gallery.what_ifs == [asg, what_if]
    text = response.text
    assert text.index("Starters, in learning order") < text.index("What-if scenarios")
    assert text.index("Basic ALB") < text.index("Paths") < text.index("What if: ASG")


def test_a_learners_own_topologies_come_first_newest_first(client, learner, starter):
    older = make_topology(owner=learner, title_en="Older one")
    newer = make_topology(owner=learner, title_en="Newer one")
    client.force_login(learner)
    response = client.get(reverse("labs-topology-list"), headers={"accept-language": "en"})
    assert response.context["gallery"].own == [newer, older]
    text = response.text
    assert text.index("Your topologies") < text.index("Newer one") < text.index("Older one")
    assert (
        text.index("Older one")
        < text.index("Starters, in learning order")
        < text.index("Basic ALB")
    )


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
    assert "기본 제공 토폴로지(학습 순서)" in korean.text
