import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from labs import intrinsics, messages
from labs.validation import RULES


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


def _rules_the_source_registers() -> set[str]:
    """Every id passed to ``rule("...")`` anywhere in labs/, read from the code itself, so
    a rule in a module the registry has not imported yet is still asked for its words."""
    found = set()
    for path in (Path(__file__).resolve().parents[2] / "labs").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "rule"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_the_registry_holds_every_rule_the_source_registers():
    defined = _rules_the_source_registers()

    assert len(defined) >= 100  # the walk found the validator's rules
    assert sorted(defined - set(RULES)) == []


@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_rule_the_validator_can_raise_reads_first_in_the_learners_language(language):
    rules = set(RULES) | _rules_the_source_registers()
    with translation.override(language):
        lines = {
            rule_id: messages.problem_line("Thing", "Properties.X", "Code", "cfn words", rule_id)
            for rule_id in rules
        }
    assert sorted(set(rules) - set(messages.PROBLEM_RULES)) == []
    if language == "ko":
        assert [r for r, line in lines.items() if not re.search("[가-힣]", line["sentence"])] == []
        assert {line["detail"] for line in lines.values()} == {"cfn words"}
    else:
        # English reads cfn's own words, which name the values found.
        assert {line["sentence"] for line in lines.values()} == {"Cfn words"}
