"""An in-lab question matches the event that raised it: a 504 from a hanging target never
asks about a 503 from an empty target group, and the other way round."""

import pytest

from playground.quizzes.models import Question
from playground.quizzes.services import lab
from tests.factories import make_run
from tests.quizzes.factories import make_question


@pytest.fixture
def both(empty_bank):
    no_targets = make_question(topics=("alb",), lab_trigger="lb_503", key="q-503")
    timeout = make_question(topics=("alb",), lab_trigger="lb_504", key="q-504")
    return no_targets, timeout


@pytest.mark.parametrize(("trigger", "key"), [("lb_503", "q-503"), ("lb_504", "q-504")])
def test_each_lb_error_asks_its_own_question(trigger, key, both, learner):
    asked = lab.push_question(make_run(owner=learner), learner, trigger, t=100.0)
    assert asked.question.key == key


def test_a_504_never_falls_back_to_the_503_question(both, learner):
    Question.objects.filter(key="q-504").delete()
    assert lab.push_question(make_run(owner=learner), learner, "lb_504", t=100.0) is None


def test_a_general_question_of_the_topic_is_still_a_fallback(both, learner):
    Question.objects.filter(key="q-504").delete()
    make_question(topics=("alb",), key="q-general")
    asked = lab.push_question(make_run(owner=learner), learner, "lb_504", t=100.0)
    assert asked.question.key == "q-general"


def test_the_shipped_bank_asks_the_timeout_question_on_a_504(learner):
    asked = lab.push_question(make_run(owner=learner), learner, "lb_504", t=100.0)
    assert asked.question.key == "alb-504-target-timeout"
