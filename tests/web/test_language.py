from django.urls import reverse


def test_the_switcher_turns_the_site_korean_and_back(client, db):
    response = client.post(
        reverse("set_language"), {"language": "ko", "next": reverse("home")}, follow=True
    )
    assert '<html lang="ko">' in response.text
    assert ">English<" in response.text
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True
    )
    assert '<html lang="en">' in response.text
    assert ">한국어<" in response.text


def test_every_page_has_the_switcher(client, learner):
    client.force_login(learner)
    for name in ("home", "labs-topology-list"):
        assert reverse("set_language") in client.get(reverse(name)).text
    client.logout()
    for name in ("accounts-login", "accounts-signup"):
        assert reverse("set_language") in client.get(reverse(name)).text
