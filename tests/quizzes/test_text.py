"""Quiz content reads as written: Markdown renders, unsafe HTML does not, and a right
choice's explanation does not repeat the verdict the page shows."""

import pytest
from django.urls import reverse

from playground.quizzes import text
from playground.quizzes.services import exams
from tests.quizzes.factories import make_exam, make_question


def test_backticks_become_code():
    assert str(text.markdown("A `503` answer")) == "<p>A <code>503</code> answer</p>\n"


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", "[x](javascript:alert(1))", '<img src=x onerror="a()">'],
)
def test_html_and_script_links_do_not_survive(hostile):
    html = str(text.markdown(hostile))
    assert "<script" not in html and 'href="javascript' not in html and "<img" not in html


@pytest.mark.parametrize(
    ("why", "shown"),
    [
        ("Correct.", ""),
        ("Correct: it drains.", "it drains."),
        ("맞습니다.", ""),
        ("It drains.", "It drains."),
    ],
)
def test_a_right_choice_does_not_say_correct_twice(why, shown):
    assert text.choice_why(why, is_correct=True) == shown


def test_a_wrong_choice_keeps_its_words():
    assert text.choice_why("Correct only for NLB.", is_correct=False) == "Correct only for NLB."


def test_the_result_page_renders_markdown_and_lines_explanations_up(client, learner, empty_bank):
    question = make_question(prompt_en="Which `Target.Timeout`?")
    question.choices.filter(position=1).update(explanation_en="Correct.")
    attempt = exams.start_attempt(learner, make_exam(question_count=1))
    item = attempt.items.get()
    exams.save_item(item, [question.choices.get(position=1).pk], flagged=False)
    exams.submit(attempt)
    client.force_login(learner)
    page = client.get(reverse("quizzes-attempt", args=[attempt.pk])).content.decode()
    assert "<code>Target.Timeout</code>" in page
    assert "`" not in page.split('id="answers-heading"')[1]
    # Each explanation sits in its choice's body, under the text.
    assert '<span class="choice-body"><span class="choice-text">Choice 2' in page


def test_submitting_with_unanswered_questions_asks_first(client, learner, empty_bank):
    make_question()
    make_question()
    attempt = exams.start_attempt(learner, make_exam(question_count=2))
    client.force_login(learner)
    url = reverse("quizzes-attempt-submit", args=[attempt.pk])

    response = client.post(url, follow=True)
    attempt.refresh_from_db()
    assert attempt.is_open
    assert "2 questions are still unanswered" in response.content.decode()

    client.post(url, {"confirm": "unanswered"})
    attempt.refresh_from_db()
    assert not attempt.is_open


def test_submitting_with_everything_answered_does_not_ask(client, learner, empty_bank):
    question = make_question()
    attempt = exams.start_attempt(learner, make_exam(question_count=1))
    exams.save_item(attempt.items.get(), [question.choices.first().pk], flagged=False)
    client.force_login(learner)
    client.post(reverse("quizzes-attempt-submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    assert not attempt.is_open
