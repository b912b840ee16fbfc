"""Every class page, for each persona: the class's instructor and admins in, everyone else
404 (we do not confirm a class exists), anonymous to the login page."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from playground.asgi import application
from playground.classrooms.models import Assignment, Hint
from tests.factories import make_run, make_topology

PERSONAS = ["anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin"]
TEACHERS = {"instructor", "admin"}


def _instructor_pages(classroom, learner, run):
    pk = classroom.pk
    return [
        ("get", reverse("classrooms-detail", args=[pk]), {}),
        ("get", reverse("classrooms-dashboard", args=[pk]), {}),
        ("get", reverse("classrooms-learner", args=[pk, learner.pk]), {}),
        ("get", reverse("classrooms-export", args=[pk]) + "?by=learner", {}),
        ("get", reverse("classrooms-export", args=[pk]) + "?by=lab", {}),
        ("get", reverse("classrooms-export", args=[pk]) + "?by=question", {}),
        ("post", reverse("classrooms-hint", args=[pk, learner.pk]), {"text": "Look at the TG."}),
        ("post", reverse("classrooms-hint-class", args=[pk]), {"text": "Check the listener."}),
        ("post", reverse("classrooms-stop", args=[pk, learner.pk]), {"run": run.pk}),
        ("post", reverse("classrooms-fault", args=[pk]), {"mode": "hang"}),
        ("post", reverse("classrooms-stop-all", args=[pk]), {}),
        ("post", reverse("classrooms-archive", args=[pk]), {"archived": "0"}),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_instructor_pages_let_in_only_the_classs_instructor_and_admins(
    persona, personas, classroom, other_classroom, learner, learners_run
):
    client = personas(persona)
    for method, url, data in _instructor_pages(classroom, learner, learners_run):
        response = getattr(client, method)(url, data)
        if persona == "anonymous":
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("accounts-login")), url
        elif persona in TEACHERS:
            assert response.status_code in (200, 302), (url, response.status_code)
            if response.status_code == 302:
                assert not response["Location"].startswith(reverse("accounts-login")), url
        else:
            assert response.status_code == 404, (persona, url, response.status_code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_classs_instructor_and_admins_can_hint(persona, personas, classroom, learner):
    personas(persona).post(
        reverse("classrooms-hint", args=[classroom.pk, learner.pk]), {"text": "Check port 80."}
    )
    assert Hint.objects.filter(learner=learner).exists() == (persona in TEACHERS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_classs_instructor_and_admins_can_hint_the_whole_class(
    persona, personas, classroom, learner, other_classroom, other_learner
):
    personas(persona).post(
        reverse("classrooms-hint-class", args=[classroom.pk]), {"text": "Health checks, all."}
    )
    assert Hint.objects.filter(learner=learner).exists() == (persona in TEACHERS)
    assert not Hint.objects.filter(learner=other_learner).exists()  # never another class's


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_classs_instructor_and_admins_can_stop_every_run_of_the_class(
    persona, personas, classroom, learner, other_classroom, other_learner
):
    mine = make_run(owner=learner, state="running")
    theirs = make_run(owner=other_learner, state="running")
    response = personas(persona).post(reverse("classrooms-stop-all", args=[classroom.pk]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.stop_requested_at is not None) == (persona in TEACHERS), response.status_code
    assert theirs.stop_requested_at is None  # never another class's


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_classs_instructor_and_admins_can_assign(persona, personas, classroom):
    lab = make_topology(owner=None)
    personas(persona).post(
        reverse("classrooms-assign", args=[classroom.pk]),
        {"topology": lab.pk, "due_at": "2030-01-01T09:00"},
    )
    assert Assignment.objects.filter(classroom=classroom).exists() == (persona in TEACHERS)


def test_a_learner_of_another_class_is_a_404_in_this_one(personas, classroom, other_learner):
    client = personas("instructor")
    url = reverse("classrooms-learner", args=[classroom.pk, other_learner.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("learner", 200),
        ("other_learner", 404),
        ("instructor", 404),
        ("other_instructor", 404),
        ("admin", 404),
    ],
)
def test_a_learners_class_page_is_theirs_alone(persona, status, personas, classroom):
    response = personas(persona).get(reverse("classrooms-mine", args=[classroom.pk]))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("learner", 200),
        ("other_learner", 404),
        ("instructor", 200),
        ("other_instructor", 404),
        ("admin", 200),
    ],
)
def test_a_learners_run_is_seen_by_them_their_instructor_and_admins(
    persona, status, personas, classroom, other_classroom, learners_run
):
    response = personas(persona).get(reverse("labs-run-detail", args=[learners_run.pk]))
    assert response.status_code == status


def test_an_archived_class_no_longer_shows_its_learners_runs(
    personas, classroom, learners_run, instructor
):
    from playground.classrooms import services

    services.archive_classroom(classroom, instructor)
    response = personas("instructor").get(reverse("labs-run-detail", args=[learners_run.pk]))
    assert response.status_code == 404


def test_the_class_list_shows_each_instructor_only_their_classes(
    personas, classroom, other_classroom
):
    page = personas("instructor").get(reverse("classrooms-list")).content.decode()
    assert classroom.name in page
    assert other_classroom.name not in page
    page = personas("learner").get(reverse("classrooms-list")).content.decode()
    assert classroom.name in page
    assert "New class" not in page  # a learner cannot create classes


def test_a_learner_cannot_create_a_class(personas):
    from playground.classrooms.models import Classroom

    response = personas("learner").post(reverse("classrooms-create"), {"name": "Mine"})
    assert response.status_code == 404
    assert not Classroom.objects.exists()


# --- the dashboard's socket -------------------------------------------------------------


def _headers(client, user):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"origin", b"http://testserver"), (b"cookie", cookie)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_dashboard_socket_lets_in_only_the_classs_instructor_and_admins(
    persona, client, request
):
    classroom = await database_sync_to_async(request.getfixturevalue)("classroom")
    await database_sync_to_async(request.getfixturevalue)("other_classroom")
    if persona == "anonymous":
        headers = [(b"origin", b"http://testserver")]
    else:
        user = await database_sync_to_async(request.getfixturevalue)(persona)
        headers = await database_sync_to_async(_headers)(client, user)
    ws = WebsocketCommunicator(
        application, f"/ws/classes/{classroom.pk}/dashboard/", headers=headers
    )
    connected, _ = await ws.connect()
    assert connected == (persona in TEACHERS)
    if connected:
        frame = await ws.receive_json_from(5)
        assert [row["username"] for row in frame["rows"]] == ["learner"]
        # Each message of the socket is the instructor's to send: a class-wide hint here.
        await ws.send_json_to({"action": "hint", "learner": None, "text": "All: check SGs."})
        reply = await ws.receive_json_from(5)
        while "done" not in reply and "error" not in reply:
            reply = await ws.receive_json_from(5)
        assert reply["done"] == "hint", reply
    hinted = await database_sync_to_async(
        lambda: sorted(Hint.objects.values_list("learner__username", flat=True))
    )()
    assert hinted == (["learner"] if connected else [])
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_dashboard_socket_refuses_another_origin(client, request):
    classroom = await database_sync_to_async(request.getfixturevalue)("classroom")
    instructor = await database_sync_to_async(request.getfixturevalue)("instructor")
    headers = await database_sync_to_async(_headers)(client, instructor)
    headers = [(b"origin", b"http://evil.example"), headers[1]]
    ws = WebsocketCommunicator(
        application, f"/ws/classes/{classroom.pk}/dashboard/", headers=headers
    )
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()  # let the refused consumer finish inside this test's loop
