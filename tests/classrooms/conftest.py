"""Two classes: the instructor's (with ``learner``) and another instructor's (with
``other_learner``), and every persona of the permission matrix."""

import pytest

from playground.accounts import roles
from playground.classrooms import services
from tests.factories import make_run, make_user


@pytest.fixture
def other_instructor(db):
    return make_user("other-instructor", role=roles.INSTRUCTOR)


@pytest.fixture
def classroom(instructor, learner):
    classroom = services.create_classroom(instructor, "SAA cohort 7")
    services.join_classroom(learner, classroom.join_code)
    return classroom


@pytest.fixture
def other_classroom(other_instructor, other_learner):
    classroom = services.create_classroom(other_instructor, "Other cohort")
    services.join_classroom(other_learner, classroom.join_code)
    return classroom


@pytest.fixture
def learners_run(learner):
    return make_run(owner=learner)


@pytest.fixture
def personas(client, learner, other_learner, instructor, other_instructor, admin):
    """Log ``client`` in as a persona by name (None: anonymous)."""
    people = {
        "learner": learner,
        "other_learner": other_learner,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin,
    }

    def login(name):
        client.logout()
        if name != "anonymous":
            client.force_login(people[name])
        return client

    return login
