"""A live quiz end to end in Korean: an instructor and two learners, each in a browser
context of their own. The instructor pushes a long SAA-style question, sees the answers
arrive as a distribution, reveals the explanations; the leaderboard ranks the faster
right answer first.

Set SCREENSHOTS=<dir> to keep what the pages looked like (1280 px and 390 px wide).
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from playground.classrooms import services
from playground.quizzes.models import Question
from tests.browser.helpers import log_in
from tests.browser.test_class_dashboard import _shot
from tests.factories import PASSWORD, make_user
from tests.quizzes.factories import make_exam, make_question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TIMEOUT_MS = 10_000
STEM_KO = (
    "한 회사가 두 가용 영역에 걸친 Application Load Balancer 뒤에서 웹 애플리케이션을 운영합니다. "
    * 8
    + "대상이 응답하지 않을 때 로드 밸런서가 돌려주는 상태 코드는 무엇입니까? "
    + "`504`를 생각해 보십시오."
)


class LiveUi:
    def __init__(self) -> None:
        with translation.override("ko"):
            self.quiz_set = gettext("Quiz set")
            self.start = gettext("Start a live quiz")
            self.next = gettext("Show the next question")
            self.reveal = gettext("Reveal the answer")
            self.answer = gettext("Answer")
            self.wrong = gettext("Not right this time.")
            self.finished = gettext("The live quiz is over. Thank you!")
            self.leaderboard = gettext("Leaderboard")


def _log_in(browser: Browser, site: str, username: str, password: str) -> Page:
    """A browser of their own, logged in, in Korean."""
    page = browser.new_context().new_page()
    log_in(page, site, "ko", username, password)
    return page


def test_a_live_quiz_in_korean_with_two_learners(live_server_url: str, browser: Browser):
    words = LiveUi()
    question = make_question(prompt_ko=STEM_KO, prompt_en="Which code? `504`", topics=("alb",))
    Question.objects.exclude(pk=question.pk).delete()  # the drawn question is this one
    exam = make_exam(question_count=1, title_ko="실시간 모의 퀴즈")
    teacher_user = make_user("teacher", role="instructor")
    first, second = make_user("first-learner"), make_user("second-learner")
    classroom = services.create_classroom(teacher_user, "SAA 7기")
    for learner in (first, second):
        services.join_classroom(learner, classroom.join_code)
    live = f"{live_server_url}/classes/{classroom.pk}/live/"

    teacher = _log_in(browser, live_server_url, "teacher", PASSWORD)
    teacher.goto(live)
    teacher.get_by_label(words.quiz_set).select_option(str(exam.pk))
    teacher.get_by_role("button", name=words.start).click()
    expect(teacher.locator("body")).to_have_attribute("data-live-state", "lobby")

    learners = [_log_in(browser, live_server_url, u.username, PASSWORD) for u in (first, second)]
    for page in learners:
        page.goto(live)
        expect(page.locator("body")).to_have_attribute("data-live-state", "lobby")

    teacher.get_by_role("button", name=words.next).click()
    for page, pick in zip(learners, ("A.", "B."), strict=True):
        expect(page.locator("body")).to_have_attribute(
            "data-live-state", "asking", timeout=TIMEOUT_MS
        )
        expect(page.locator("#live-prompt code")).to_have_text("504")
        expect(page.locator("#live-prompt")).to_contain_text(STEM_KO[:200])
        page.locator(".choice").filter(has_text=pick).get_by_role("radio").check()
        page.get_by_role("button", name=words.answer, exact=True).click()
        expect(page.locator("body")).to_have_attribute("data-live-mine", "sent", timeout=TIMEOUT_MS)

    expect(teacher.locator("body")).to_have_attribute("data-live-answered", "2", timeout=TIMEOUT_MS)
    bars = teacher.locator(".live-bar")
    expect(bars.nth(0)).to_have_attribute("data-count", "1")
    expect(bars.nth(1)).to_have_attribute("data-count", "1")
    _shot(teacher, "live-teacher-ko")

    teacher.get_by_role("button", name=words.reveal).click()
    right, wrong = learners
    expect(right.locator("body")).to_have_attribute("data-live-mine", "right", timeout=TIMEOUT_MS)
    expect(right.locator("#live-mine")).to_contain_text(re.compile(r"\d+점"))
    expect(wrong.locator("#live-mine")).to_contain_text(words.wrong)
    expect(right.locator(".choice-correct .choice-why")).to_contain_text("1번 설명")
    board = right.locator("#live-board")
    expect(board.get_by_role("heading")).to_have_text(words.leaderboard)
    expect(board.locator("li").first).to_contain_text("first-learner")
    _shot(right, "live-learner-ko")

    teacher.get_by_role("button", name=words.next).click()
    for page in learners:
        expect(page.locator("#live-status")).to_have_text(words.finished, timeout=TIMEOUT_MS)
    assert question.answers.count() == 2
