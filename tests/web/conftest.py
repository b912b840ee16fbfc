import pytest

from labs import services
from tests.factories import make_run, make_topology


@pytest.fixture
def starter(db):
    return make_topology(slug="basic-alb", title_en="Basic ALB", title_ko="기본 ALB")


@pytest.fixture
def learners_run(learner, starter):
    return make_run(owner=learner, topology=starter)


@pytest.fixture
def running_run(learners_run):
    learners_run.state, learners_run.control_channel = "running", "specific.test!one"
    learners_run.save()
    return learners_run


@pytest.fixture
def sent(monkeypatch):
    """What control_run sends to control channels, after commit."""
    messages = []
    monkeypatch.setattr(services.runs, "_send", lambda channel, m: messages.append((channel, m)))
    return messages
