import re

import pytest
from django.utils import translation

from labs import messages
from labs.models import CHANGE_SUMMARIES


@pytest.mark.parametrize("table", [messages.PROBLEM_CODES, messages.NOT_RUNNABLE, CHANGE_SUMMARIES])
def test_every_builder_code_reads_in_korean(table):
    with translation.override("ko"):
        korean = {code: str(text) for code, text in table.items()}
    with translation.override("en"):
        english = {code: str(text) for code, text in table.items()}
    assert [code for code in table if korean[code] == english[code]] == []
    assert all(re.search("[가-힣]", text) for text in korean.values())


def test_a_problem_code_without_words_reads_as_nothing():
    assert messages.problem_code("Brand.New") == ""


def test_a_reason_the_runtime_gives_reads_with_its_detail():
    with translation.override("en"):
        assert (
            messages.not_runnable("unsupported-load-balancer-type:network")
            == "this load balancer type is not simulated yet: network"
        )
        assert messages.not_runnable("something-else") == "something-else"
