from django.contrib.auth import get_user_model
from django.urls import reverse

from playground.accounts import roles
from tests.factories import PASSWORD


def test_sign_up_creates_a_learner_and_logs_them_in(client, db):
    response = client.post(
        reverse("accounts-signup"),
        {"username": "newbie", "password1": "correct-horse-42", "password2": "correct-horse-42"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("labs-topology-list")
    user = get_user_model().objects.get(username="newbie")
    assert roles.has_role(user, roles.LEARNER)
    assert client.get(reverse("labs-topology-list")).status_code == 200


def test_sign_up_with_mismatched_passwords_shows_the_error(client, db):
    response = client.post(
        reverse("accounts-signup"),
        {"username": "newbie", "password1": "correct-horse-42", "password2": "other-horse-42"},
    )
    assert response.status_code == 200
    assert b"field-errors" in response.content
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_log_in_goes_to_the_labs(client, learner):
    response = client.post(
        reverse("accounts-login"), {"username": learner.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("labs-topology-list")


def test_log_in_with_a_wrong_password_says_so(client, learner):
    response = client.post(
        reverse("accounts-login"), {"username": learner.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"form-errors" in response.content


def test_log_out_is_a_post(client, learner):
    client.force_login(learner)
    assert client.get(reverse("accounts-logout")).status_code == 405
    response = client.post(reverse("accounts-logout"))
    assert response.status_code == 302
    assert client.get(reverse("labs-topology-list")).status_code == 302


def test_role_groups_exist_after_migrating(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"learner", "instructor"}
