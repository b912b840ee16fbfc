"""Import and export: round trips in both formats, every bad row named, all or nothing."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from playground.quizzes.bank import BankError, export_csv, export_json, import_text
from playground.quizzes.models import Choice, Question
from tests.quizzes.factories import make_question

pytestmark = pytest.mark.django_db


def _snapshot():
    return [
        (q.key, q.updated_at, [(c.pk, c.text_ko, c.is_correct) for c in q.choices.all()])
        for q in Question.objects.order_by("key").prefetch_related("choices")
    ]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_reimporting_an_export_changes_nothing(fmt):
    make_question(key="extra-one", correct=(2, 3), choices=5)
    before = _snapshot()
    text = export_json() if fmt == "json" else export_csv()

    report = import_text(text, fmt)

    assert report.created == report.updated == 0
    assert report.unchanged == Question.objects.count()
    assert _snapshot() == before  # not even updated_at moved
    assert (export_json() if fmt == "json" else export_csv()) == text


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_import_into_an_empty_bank_recreates_every_question(fmt):
    make_question(
        key="multi", correct=(1, 4), choices=5, reference_url="https://docs.aws.amazon.com/x"
    )
    text = export_json() if fmt == "json" else export_csv()
    Question.objects.all().delete()

    report = import_text(text, fmt)

    assert report.created > 60
    multi = Question.objects.get(key="multi")
    assert multi.kind == "multiple" and multi.choose == 2
    assert [c.is_correct for c in multi.choices.all()] == [True, False, False, True, False]
    assert (export_json() if fmt == "json" else export_csv()) == text


def test_a_changed_row_is_updated_and_the_rest_left_alone():
    question = make_question(key="edit-me")
    data = json.loads(export_json())
    row = next(q for q in data["questions"] if q["key"] == "edit-me")
    row["choices"][0]["text"]["ko"] = "바뀐 보기"
    before = Question.objects.exclude(pk=question.pk).order_by("pk").values_list("updated_at")

    report = import_text(json.dumps(data), "json")

    assert (report.created, report.updated) == (0, 1)
    assert question.choices.get(position=1).text_ko == "바뀐 보기"
    after = Question.objects.exclude(pk=question.pk).order_by("pk").values_list("updated_at")
    assert list(after) == list(before)


def _json_with_bad_rows():
    data = json.loads(export_json(Question.objects.filter(key="good-one"), everything=False))
    good = data["questions"][0]
    no_correct = {
        **good,
        "key": "no-correct",
        "choices": [{**c, "correct": False} for c in good["choices"]],
    }
    unknown_topic = {**good, "key": "unknown-topic", "topics": ["warp-drive"]}
    no_korean = {**good, "key": "no-korean", "prompt": {"en": "Hello?", "ko": ""}}
    duplicate = {**good}
    return json.dumps(
        {"questions": [good, no_correct, unknown_topic, no_korean, duplicate]},
        ensure_ascii=False,
        indent=2,
    )


def test_a_json_import_with_bad_rows_names_each_line_and_imports_nothing():
    make_question(key="good-one")
    text = _json_with_bad_rows()
    Question.objects.filter(key="good-one").delete()
    count = Question.objects.count()
    lines = {
        q: text.count("\n", 0, text.index(f'"key": "{q}"'))
        for q in ("no-correct", "unknown-topic", "no-korean")
    }

    with pytest.raises(BankError) as raised:
        import_text(text, "json")

    problems = raised.value.problems
    messages = " | ".join(f"{line}: {message}" for line, message in problems)
    assert "exactly one correct choice" in messages
    assert "unknown topic “warp-drive”" in messages
    assert "needs every Korean text" in messages
    assert "is already used on line" in messages
    # Each problem is reported on the line where its question starts ("{" before "key").
    assert {line for line, _ in problems} >= {lines[q] for q in lines}
    assert Question.objects.count() == count  # the good row was not imported either


def test_a_csv_import_with_bad_rows_names_each_line_and_imports_nothing():
    make_question(key="good-one")
    rows = list(csv.DictReader(io.StringIO(export_csv(Question.objects.filter(key="good-one")))))
    good = rows[0]
    bad_difficulty = {**good, "key": "bad-difficulty", "difficulty": "impossible"}
    multiline = {**good, "key": "multi-line", "prompt_en": "First line\nsecond line"}
    bad_key = {**multiline, "key": "Bad Key!", "prompt_en": "Fine"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(good), lineterminator="\n")
    writer.writeheader()
    writer.writerows([bad_difficulty, multiline, bad_key])
    Question.objects.filter(key="good-one").delete()
    count = Question.objects.count()

    with pytest.raises(BankError) as raised:
        import_text(out.getvalue(), "csv")

    problems = raised.value.problems
    # Line 2: first record; line 3–4: the two-line prompt; line 5: the bad key.
    assert [line for line, _ in problems] == [2, 5]
    assert "difficulty must be easy, medium or hard" in problems[0][1]
    assert "key must be lower-case" in problems[1][1]
    assert Question.objects.count() == count


def test_broken_json_is_reported_with_its_line():
    with pytest.raises(BankError) as raised:
        import_text('{"questions": [\n  {"key": "x",}\n]}', "json")
    assert raised.value.problems[0][0] == 2
    assert "not valid JSON" in raised.value.problems[0][1]


def test_a_multiple_response_question_needs_as_many_correct_choices_as_it_asks_for():
    make_question(key="two-right", correct=(1, 2))
    data = json.loads(export_json(Question.objects.filter(key="two-right"), everything=False))
    data["questions"][0]["choose"] = 3
    with pytest.raises(BankError, match="choose 3, correct 2"):
        import_text(json.dumps(data), "json")


def test_the_command_exports_json_and_csv_to_stdout():
    out = io.StringIO()
    call_command("quiz", "export", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["format"] == "elb-playground-quiz-bank"
    out = io.StringIO()
    call_command("quiz", "export", "--format", "csv", stdout=out)
    assert out.getvalue().startswith("key,status,kind,choose,difficulty,topics")


def test_the_command_imports_a_file(tmp_path):
    path = tmp_path / "bank.json"
    path.write_text(export_json(), encoding="utf-8")
    out = io.StringIO()
    call_command("quiz", "import", str(path), stdout=out)
    assert "0 created, 0 updated" in out.getvalue()


def test_the_command_exits_2_listing_every_bad_row(tmp_path):
    make_question(key="good-one")
    path = tmp_path / "bad.json"
    path.write_text(_json_with_bad_rows(), encoding="utf-8")
    Question.objects.filter(key="good-one").delete()
    choices = Choice.objects.count()
    err = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("quiz", "import", str(path), stderr=err)

    assert raised.value.returncode == 2
    assert "nothing was imported" in str(raised.value)
    reported = err.getvalue().splitlines()
    assert len(reported) == 4
    assert all(line.startswith(f"{path}:") for line in reported)
    assert Choice.objects.count() == choices
