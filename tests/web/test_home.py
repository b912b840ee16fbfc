from django.urls import reverse


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
