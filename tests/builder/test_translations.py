import re

import pytest
from django.utils import translation

from labs import intrinsics, messages
from labs.models import CHANGE_SUMMARIES
from labs.validation import RULES


@pytest.mark.parametrize(
    "table",
    [messages.PROBLEM_CODES, messages.PROBLEM_RULES, messages.NOT_RUNNABLE, CHANGE_SUMMARIES],
)
def test_every_builder_code_reads_in_korean(table):
    with translation.override("ko"):
        korean = {code: str(text) for code, text in table.items()}
    with translation.override("en"):
        english = {code: str(text) for code, text in table.items()}
    assert [code for code in table if korean[code] == english[code]] == []
    assert all(re.search("[가-힣]", text) for text in korean.values())


def test_every_problem_rule_with_words_is_a_registered_rule():
    assert intrinsics.TRANSFORM.id in RULES  # the template-level rules count too
    assert sorted(set(messages.PROBLEM_RULES) - set(RULES)) == []


def test_a_problem_code_without_words_reads_as_nothing():
    assert messages.problem_code("Brand.New") == ""


def test_a_reason_the_runtime_gives_reads_with_its_detail():
    with translation.override("en"):
        assert (
            messages.not_runnable("unsupported-load-balancer-type:network")
            == "this load balancer type is not simulated yet: network"
        )
        assert messages.not_runnable("something-else") == "something-else"
