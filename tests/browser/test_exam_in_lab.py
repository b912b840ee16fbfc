"""End to end: a real worker runs the HTTPS-redirect starter, its first redirect reaches the
quiz logic, and the learner answers the pushed question on the run page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from labs.models import Topology
from playground.quizzes.bank import import_text
from playground.quizzes.models import LabQuestion
from tests.browser.helpers import RUN_TIMEOUT_MS, log_in_and_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = Path(__file__).resolve().parents[2] / "playground" / "quizzes" / "content"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_redirect_in_the_lab_asks_a_question_that_is_answered_inline(
    demo_site: str, page: Page, language: str
):
    import_text((CONTENT / "questions.json").read_text(encoding="utf-8"), "json")
    topology = Topology.objects.get(owner=None, slug="https-redirect")
    with translation.override(language):
        stop = gettext("Stop")
        check, heading = gettext("Check my answer"), gettext("Quiz: what just happened?")
        trigger = gettext("The load balancer answered with a redirect.")
        title = topology.title

    log_in_and_run(page, demo_site, language, title)

    quiz = page.locator("#lab-quiz")
    expect(page.locator("body")).to_have_attribute("data-quiz", "asked", timeout=RUN_TIMEOUT_MS)
    expect(quiz.get_by_role("heading", name=heading)).to_be_visible()
    expect(quiz).to_contain_text(trigger)
    quiz.get_by_role("radio").first.check()
    quiz.get_by_role("button", name=check).click()

    expect(page.locator("body")).to_have_attribute("data-quiz", "answered", timeout=5_000)
    expect(quiz.locator(".choice-why").first).to_be_visible()
    asked = LabQuestion.objects.get(user__username="learner", run__topology=topology)
    assert asked.trigger == "redirect" and asked.answer is not None

    page.get_by_role("button", name=stop, exact=True).click()
