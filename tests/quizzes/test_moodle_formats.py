"""Moodle GIFT and Moodle XML: the whole shipped bank goes out and comes back unchanged,
in both languages, and a broken file is refused naming the problem."""

import pytest

from playground.quizzes.bank import BankError, export_json, import_text, moodle
from playground.quizzes.models import Question

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("export", "name"), [(moodle.export_gift, "bank.gift"), (moodle.export_moodle_xml, "bank.xml")]
)
def test_the_shipped_bank_round_trips_with_both_languages(export, name):
    before = export_json(everything=False)
    text = export(None)
    assert "어느" in text or "무엇입니까" in text  # the Korean went out too
    shipped = Question.objects.count()
    Question.objects.all().delete()
    report = import_text(text, None, name=name)
    assert shipped > 0 and report.created == shipped
    assert export_json(everything=False) == before


def test_a_gift_question_reads_as_moodle_writes_it():
    question = Question.objects.get(key="alb-503-no-registered-targets")
    gift = moodle.export_gift(Question.objects.filter(pk=question.pk))
    assert gift.startswith("// elbp: {")
    assert "::alb-503-no-registered-targets::[markdown]" in gift
    assert '<span lang\\="ko" class\\="multilang">' in gift  # GIFT escapes "="


def test_multiple_right_answers_share_the_marks_and_wrong_ones_cost():
    multiple = Question.objects.filter(kind="multiple").first()
    xml = moodle.export_moodle_xml(Question.objects.filter(pk=multiple.pk))
    assert 'fraction="50"' in xml and 'fraction="-100"' in xml


@pytest.mark.parametrize(
    ("text", "name", "words"),
    [
        ("::k::What? {=A ~B", "x.gift", "no {…} answers"),
        ("What? {=A ~B}", "x.gift", "::its key::"),
        ("<quiz><question type='multichoice'>", "x.xml", "not valid XML"),
        ('<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "b">]><quiz/>', "x.xml", "DOCTYPE"),
    ],
)
def test_a_broken_moodle_file_is_refused_naming_the_problem(text, name, words):
    with pytest.raises(BankError) as caught:
        import_text(text, None, name=name)
    assert any(words in message for _line, message in caught.value.problems), caught.value.problems
