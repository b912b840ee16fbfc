"""The quiz admin: statistics, filters, bulk publish, preview, import and export."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from playground.quizzes.bank import BankError, export_json, import_text
from playground.quizzes.models import Question
from playground.quizzes.services.answers import record_answer
from tests.factories import make_user
from tests.quizzes.factories import correct_ids, make_question, make_topic

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:quizzes_question_changelist")


@pytest.fixture
def staff_client(client, admin):
    client.force_login(admin)
    return client


def test_the_list_shows_times_answered_percent_correct_and_the_favourite_wrong_choice(
    staff_client, empty_bank
):
    question = make_question(key="stats-me")
    wrong_c = question.choices.get(position=3)
    for n in range(4):
        user = make_user()
        picks = correct_ids(question) if n == 0 else [wrong_c.pk]
        record_answer(user, question, picks, "practice")

    response = staff_client.get(CHANGELIST)

    row = response.context["cl"].result_list.get(pk=question.pk)
    admin = response.context["cl"].model_admin
    assert admin.answered(row) == 4
    assert admin.percent_correct(row) == "25%"
    assert admin.most_chosen_wrong(row) == "C (×3)"


def test_the_language_filter_finds_questions_missing_korean(staff_client, empty_bank):
    complete = make_question(key="complete")
    missing = make_question(key="missing", prompt_ko="")
    response = staff_client.get(CHANGELIST, {"languages": "missing-ko"})
    keys = [q.key for q in response.context["cl"].result_list]
    assert keys == [missing.key]
    response = staff_client.get(CHANGELIST, {"languages": "complete"})
    assert [q.key for q in response.context["cl"].result_list] == [complete.key]


def test_bulk_publish_skips_questions_without_korean(staff_client, empty_bank):
    ready = make_question(key="ready", status="draft")
    not_ready = make_question(key="not-ready", status="draft", explanation_ko="")
    response = staff_client.post(
        CHANGELIST,
        {
            "action": "publish",
            "_selected_action": [ready.pk, not_ready.pk],
        },
        follow=True,
    )
    ready.refresh_from_db()
    not_ready.refresh_from_db()
    assert (ready.status, not_ready.status) == ("published", "draft")
    assert "not-ready" in response.content.decode()


def test_bulk_unpublish_returns_questions_to_draft(staff_client, empty_bank):
    question = make_question()
    staff_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [question.pk]})
    question.refresh_from_db()
    assert question.status == "draft"


def test_the_change_page_previews_both_languages_side_by_side(staff_client):
    question = make_question(prompt_en="Which cookie?", prompt_ko="어떤 쿠키입니까?")
    response = staff_client.get(reverse("admin:quizzes_question_change", args=[question.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Which cookie?" in page and "어떤 쿠키입니까?" in page
    assert 'class="quiz-preview"' in page and 'lang="ko"' in page


def test_the_admin_exports_the_bank(staff_client):
    response = staff_client.get(reverse("admin:quizzes_question_export", args=["json"]))
    assert response["Content-Disposition"] == 'attachment; filename="quiz-bank.json"'
    assert json.loads(response.content)["questions"]


def test_a_bad_upload_lists_its_problems_and_imports_nothing(staff_client):
    question = make_question(key="upload-me")
    data = json.loads(export_json(Question.objects.filter(pk=question.pk), everything=False))
    data["questions"][0]["key"] = "Not A Key"
    count = Question.objects.count()
    upload = SimpleUploadedFile("bank.json", json.dumps(data).encode(), "application/json")

    response = staff_client.post(reverse("admin:quizzes_question_import"), {"file": upload})

    assert response.status_code == 200
    assert "line 1: key must be lower-case" in response.content.decode()
    assert Question.objects.count() == count


def test_a_good_upload_imports_and_says_how_much(staff_client, empty_bank):
    make_question(key="round-trip")
    text = export_json()
    Question.objects.all().delete()
    upload = SimpleUploadedFile("bank.json", text.encode(), "application/json")

    response = staff_client.post(
        reverse("admin:quizzes_question_import"), {"file": upload}, follow=True
    )

    assert "1 created" in response.content.decode()
    assert Question.objects.filter(key="round-trip").exists()


def test_learners_cannot_open_the_quiz_admin(client, learner):
    client.force_login(learner)
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response.url


def _form(question_fields, choices):
    data = {
        "key": "from-admin",
        "status": "published",
        "kind": "single",
        "choose": 1,
        "difficulty": 2,
        "topics": [],
        "reference_url": "",
        "lab_trigger": "",
        "prompt_en": "Which one?",
        "prompt_ko": "어느 것입니까?",
        "explanation_en": "Because.",
        "explanation_ko": "그렇기 때문입니다.",
        "choices-TOTAL_FORMS": len(choices),
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 2,
        "choices-MAX_NUM_FORMS": 1000,
        **question_fields,
    }
    for n, (correct, text_ko) in enumerate(choices):
        data.update(
            {
                f"choices-{n}-position": n + 1,
                f"choices-{n}-text_en": f"Choice {n}",
                f"choices-{n}-text_ko": text_ko,
                f"choices-{n}-explanation_en": "Why.",
                f"choices-{n}-explanation_ko": "이유.",
            }
        )
        if correct:
            data[f"choices-{n}-is_correct"] = "on"
    return data


def test_a_question_with_both_languages_is_saved_from_the_admin(staff_client):
    topic = make_topic("alb")
    response = staff_client.post(
        reverse("admin:quizzes_question_add"),
        _form({"topics": [topic.pk]}, [(True, "가"), (False, "나")]),
    )
    assert response.status_code == 302, response.context["errors"]
    assert Question.objects.get(key="from-admin").choices.count() == 2


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([(True, "가"), (False, "")], "needs every Korean text"),
        ([(True, "가"), (True, "나")], "exactly one correct choice"),
    ],
)
def test_the_admin_refuses_a_question_that_breaks_the_rules(staff_client, choices, message):
    topic = make_topic("alb")
    response = staff_client.post(
        reverse("admin:quizzes_question_add"), _form({"topics": [topic.pk]}, choices)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.filter(key="from-admin").exists()


def _bank_file(question_fields, choices):
    """The question ``_form`` posts, as a bank file for the importer."""
    fields = {**_form(question_fields, choices), **question_fields}
    question = {
        "key": fields["key"],
        "status": fields["status"],
        "kind": fields["kind"],
        "choose": fields["choose"],
        "difficulty": "medium",
        "topics": ["alb"],
        "reference_url": fields["reference_url"],
        "prompt": {"en": fields["prompt_en"], "ko": fields["prompt_ko"]},
        "explanation": {"en": fields["explanation_en"], "ko": fields["explanation_ko"]},
        "choices": [
            {
                "text": {"en": f"Choice {n}", "ko": text_ko},
                "explanation": {"en": "Why.", "ko": "이유."},
                "correct": correct,
            }
            for n, (correct, text_ko) in enumerate(choices)
        ],
    }
    return json.dumps({"questions": [question]})


RIGHT, WRONG = (True, "가"), (False, "나")


# Each of these the admin used to accept and the importer refused.
@pytest.mark.parametrize(
    ("fields", "choices", "message"),
    [
        ({"choose": 2}, [RIGHT, WRONG, WRONG], "a single-response question has exactly one"),
        (
            {"kind": "multiple", "choose": 1},
            [RIGHT, WRONG, WRONG],
            "a multiple-response question has choose ≥ 2",
        ),
        ({}, [RIGHT, *[WRONG] * 6], "a question has 2 to 6 choices, not 7."),
        (
            {"kind": "multiple", "choose": 2},
            [RIGHT, RIGHT],
            "choose must be fewer than the number of choices.",
        ),
        ({"key": "From_Admin"}, [RIGHT, WRONG], "key must be lower-case letters, digits"),
        (
            {"reference_url": "ftp://docs.example.com/elb"},
            [RIGHT, WRONG],
            "reference_url is not a web address.",
        ),
    ],
)
def test_the_admin_and_the_importer_refuse_the_same_question_with_the_same_words(
    staff_client, fields, choices, message
):
    topic = make_topic("alb")
    count = Question.objects.count()

    response = staff_client.post(
        reverse("admin:quizzes_question_add"), _form({"topics": [topic.pk], **fields}, choices)
    )
    with pytest.raises(BankError) as refused:
        import_text(_bank_file(fields, choices), "json")

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert any(error.startswith(message) for error in errors), errors
    assert any(problem.startswith(message) for _, problem in refused.value.problems)
    assert Question.objects.count() == count


def test_the_importer_refuses_a_key_longer_than_the_admin_allows(db):
    too_long = "k" * 81
    with pytest.raises(BankError) as refused:
        import_text(_bank_file({"key": too_long}, [RIGHT, WRONG]), "json")
    assert (1, "key must be at most 80 characters long.") in refused.value.problems
    assert not Question.objects.filter(key=too_long).exists()


def test_publishing_refuses_a_question_that_breaks_a_rule_and_says_why(staff_client, empty_bank):
    broken = make_question(key="broken", status="draft")
    broken.choices.update(is_correct=False)  # an old row from before the rules

    response = staff_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [broken.pk]}, follow=True
    )

    broken.refresh_from_db()
    assert broken.status == "draft"
    said = [str(message) for message in response.context["messages"]]
    assert any(m.startswith("broken was not published: a single-response question") for m in said)
