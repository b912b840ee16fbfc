"""An instructor watches a learner's run on the class dashboard, in a browser of their own,
breaks it with a fault the learner sees, and sends a hint that appears in the lab.

Strings come from the site's catalogs; in Korean each must differ from its English source.
Set SCREENSHOTS=<dir> to keep what the pages looked like (1280 px and 390 px wide).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import Browser, Page, expect

from labs import messages as codes
from playground.classrooms import services
from playground.classrooms.models import Classroom
from tests.browser.helpers import RUN_TIMEOUT_MS, demo_account, log_in, log_in_and_run
from tests.browser.test_run_demo_lab import Ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEB1 = "10.0.1.10:80"
SHOTS = os.environ.get("SCREENSHOTS")


class DashboardUi:
    def __init__(self, language: str) -> None:
        self.language = language
        with translation.override(language):
            self.dashboard = gettext("Live dashboard")
            self.inject_all = gettext("Inject into all")
            self.send_hint = gettext("Send the hint")
            self.hint_label = gettext("Hint")
            self.faulted = str(codes.FAULT_LOG["fault"]) % {
                "by": "instructor",
                "target": WEB1,
                "mode": str(codes.FAULT_MODES["hang"]),
            }
            self.hint_heading = gettext("Hint from your instructor")
            self.hint_to_learner = gettext("Hint to %(learner)s") % {"learner": "learner"}
            self.class_hint = gettext("Hint to the whole class")
            self.send_everyone = gettext("Send to everyone")
            self.stop_all = gettext("Stop every run")

    def sent_to_class(self, count: int) -> str:
        with translation.override(self.language):
            return ngettext(
                "Hint sent to %(count)s learner.", "Hint sent to %(count)s learners.", count
            ) % {"count": count}


def _shot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("language", ["ko", "en"])
def test_instructor_breaks_a_learners_run_and_hints_from_the_dashboard(
    demo_site: str, browser: Browser, language: str
):
    ui, words = Ui(language), DashboardUi(language)
    if language != "en":
        english = DashboardUi("en")
        assert words.inject_all != english.inject_all and words.faulted != english.faulted
        assert words.hint_to_learner != english.hint_to_learner
        assert words.class_hint != english.class_hint
    users = get_user_model().objects
    instructor, learner = users.get(username="instructor"), users.get(username="learner")
    classroom = Classroom.objects.filter(instructor=instructor).first()
    if classroom is None:
        classroom = services.create_classroom(instructor, "SAA 7기")
    services.join_classroom(learner, classroom.join_code)

    learner_page = browser.new_context().new_page()
    log_in_and_run(learner_page, demo_site, language, ui.topology)
    expect(learner_page.locator("#request-total")).to_have_text(
        re.compile(r"^[1-9]\d+$"), timeout=RUN_TIMEOUT_MS
    )

    teacher = browser.new_context().new_page()
    log_in(teacher, demo_site, language, *demo_account("instructor"))
    teacher.goto(f"{demo_site}/classes/{classroom.pk}/dashboard/")
    row = teacher.locator(f'tr[data-learner="{learner.pk}"]')
    expect(row).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    expect(teacher.locator("body")).to_have_attribute(
        "data-live-delay-ms", re.compile(r"^\d+$"), timeout=RUN_TIMEOUT_MS
    )
    _shot(teacher, f"dashboard-{language}")

    teacher.locator("#class-fault-mode").select_option("hang")
    teacher.get_by_role("button", name=words.inject_all).click()
    expect(learner_page.locator("#faults")).to_contain_text(words.faulted, timeout=10_000)

    # A hint from the learner's row: a dialog outside the live table, sent over the socket.
    teacher.get_by_role("button", name=words.hint_to_learner).click()
    dialog = teacher.get_by_role("dialog", name=words.hint_to_learner)
    dialog.get_by_label(words.hint_label).fill("대상 그룹의 상태 확인 경로를 보십시오.")
    _shot(teacher, f"dashboard-hint-dialog-{language}")
    dialog.get_by_role("button", name=words.send_hint).click()
    expect(dialog).to_be_hidden()
    hints = learner_page.locator("#lab-hints")
    expect(hints).to_contain_text("대상 그룹의 상태 확인 경로를 보십시오.", timeout=10_000)

    # And one to the whole class, from the same page.
    teacher.get_by_label(words.class_hint).fill("모든 리스너의 포트를 확인하십시오.")
    teacher.get_by_role("button", name=words.send_everyone).click()
    members = classroom.memberships.count()
    expect(teacher.locator("#dashboard-notice")).to_have_text(words.sent_to_class(members))
    expect(teacher.get_by_label(words.class_hint)).to_have_value("")
    expect(hints).to_contain_text("모든 리스너의 포트를 확인하십시오.", timeout=10_000)

    teacher.get_by_role("link", name="learner", exact=True).click()
    teacher.get_by_label(words.hint_label).fill("보안 그룹의 인바운드 규칙을 확인하십시오.")
    _shot(teacher, f"learner-{language}")
    teacher.get_by_role("button", name=words.send_hint).click()
    expect(hints).to_be_visible(timeout=10_000)
    expect(hints).to_contain_text("보안 그룹의 인바운드 규칙을 확인하십시오.")
    expect(hints.get_by_role("heading")).to_have_text(words.hint_heading)
    _shot(learner_page, f"run-with-hint-{language}")

    # The instructor ends the lesson: every run of the class stops, after a confirmation.
    teacher.goto(f"{demo_site}/classes/{classroom.pk}/dashboard/")
    expect(row).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    teacher.once("dialog", lambda confirm: confirm.accept())
    teacher.get_by_role("button", name=words.stop_all).click()
    expect(learner_page.locator("body")).to_have_attribute("data-state", "finished", timeout=10_000)
    expect(row).not_to_have_attribute("data-state", "running", timeout=10_000)
