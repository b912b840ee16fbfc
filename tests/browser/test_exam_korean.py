"""A learner sits a 5-question exam in Korean in a real browser and sees the score.

Every string the test looks for comes from the site's catalogs under Korean, and each must
differ from its English source: a missing translation fails the test.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from playground.quizzes.models import Question, QuestionSet
from tests.browser.helpers import log_in
from tests.factories import PASSWORD, make_user
from tests.quizzes.factories import make_exam, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMEOUT_MS = 10_000


class Ui:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.quizzes = gettext("Quizzes")
            self.start = gettext("Start the exam")
            self.next = gettext("Next")
            self.review = gettext("Review answers")
            self.flag = gettext("Flag for review")
            self.submit = gettext("Submit the exam")
            self.passed = gettext("Passed")
            self.flagged = gettext("%(count)s is flagged for review.") % {"count": 1}

    def texts(self) -> list[str]:
        return list(vars(self).values())


def test_a_learner_sits_a_five_question_exam_in_korean(live_server_url: str, page: Page):
    ui = Ui("ko")
    assert not set(ui.texts()) & set(Ui("en").texts()), "untranslated UI strings"
    QuestionSet.objects.all().delete()  # only this exam, only these questions
    Question.objects.all().delete()
    for _ in range(6):
        make_question(correct=(1,))  # the right answer is always A (보기 1)
    make_exam(
        question_count=5,
        time_limit_minutes=10,
        passing_percent=60,
        title_en="Mini exam",
        title_ko="미니 모의고사",
    )
    user = make_user("exam-taker")

    log_in(page, live_server_url, "ko", user.username, PASSWORD)

    page.get_by_role("link", name=ui.quizzes, exact=True).click()
    expect(page.get_by_role("heading", name="미니 모의고사")).to_be_visible()
    page.get_by_role("button", name=ui.start).click()

    expect(page.locator("#time-left")).to_have_text(
        re.compile(r"^(9|10):\d\d$"), timeout=TIMEOUT_MS
    )
    for number in range(1, 6):
        expect(page.locator("#question-heading")).to_contain_text(f"{number}번")
        choices = page.get_by_role("radio")
        # Four right answers and one wrong one (B on the last question).
        (choices.nth(1) if number == 5 else choices.first).check()
        if number == 2:
            page.get_by_label(ui.flag).check()
        button = ui.next if number < 5 else ui.review
        page.get_by_role("button", name=button, exact=True).click()

    expect(page.get_by_text(ui.flagged)).to_be_visible()
    page.get_by_role("button", name=ui.submit).click()

    expect(page.locator("#score")).to_have_text("80%", timeout=TIMEOUT_MS)
    expect(page.locator("#verdict")).to_have_text(ui.passed)
    expect(page.locator("#breakdown")).to_be_visible()
