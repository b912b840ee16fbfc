import pytest

from tests.factories import make_run, make_topology


@pytest.fixture
def starter(db):
    return make_topology(slug="basic-alb", title_en="Basic ALB", title_ko="기본 ALB")


@pytest.fixture
def learners_run(learner, starter):
    return make_run(owner=learner, topology=starter)
