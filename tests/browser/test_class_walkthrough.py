"""A new instructor's first class, in Korean, on a browser with no Korean font installed:
create it, share the link, a learner mistypes the code and then joins by the link, a due
date in the past is refused, hints go out from the dashboard's rows, filters that match no
one say so. Each page is checked for sideways overflow at 390 px.

Set SCREENSHOTS=<dir> to keep what the pages looked like (1280 px and 390 px wide).
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, Page, expect

from labs.models import Topology
from playground.classrooms.models import Classroom
from tests.browser.helpers import demo_account, log_in
from tests.browser.test_class_dashboard import _shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LANGUAGE = "ko"


@pytest.fixture
def site(live_server_url: str) -> str:
    call_command("seed_demo", stdout=io.StringIO())
    return live_server_url


def t(message: str, **values: object) -> str:
    with translation.override(LANGUAGE):
        text = gettext(message)
    assert text != message or not re.search(r"[A-Za-z]{3}", message), f"untranslated: {message}"
    return text % values if values else text


def _fits(page: Page) -> None:
    """Nothing pushes the page wider than a 390 px phone (a table scrolls in its own box)."""
    page.set_viewport_size({"width": 390, "height": 900})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def test_a_new_instructors_first_class_in_korean(site: str, browser: Browser):
    name = f"SAA 8기 {uuid.uuid4().hex[:4]}"
    teacher = browser.new_context().new_page()
    log_in(teacher, site, LANGUAGE, *demo_account("instructor"))
    teacher.get_by_role("link", name=t("Classes"), exact=True).first.click()
    teacher.get_by_label(t("Class name")).fill(name)
    teacher.get_by_role("button", name=t("Create the class")).click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text(name)
    classroom = Classroom.objects.get(name=name)
    link = teacher.get_by_test_id("join-link")
    expect(link).to_contain_text(f"/classes/join/{classroom.join_code}/")
    join_url = link.inner_text()
    _fits(teacher)
    _shot(teacher, "walk-class-detail-ko")

    # A due date that has passed is named, not saved; one to come is listed.
    starter = Topology.objects.get(owner=None, slug="basic-alb")
    form = teacher.locator("form", has=teacher.get_by_label(t("Starter lab")))
    form.get_by_label(t("Starter lab")).select_option(str(starter.pk))
    form.get_by_label(t("Due")).fill("2020-01-01T09:00")
    form.get_by_role("button", name=t("Assign"), exact=True).click()
    expect(teacher.locator(".message-error")).to_have_text(
        t("This due date has already passed. Choose a time still to come.")
    )
    assert not classroom.assignments.exists()
    later = timezone.localtime() + timedelta(days=7)
    form.get_by_label(t("Starter lab")).select_option(str(starter.pk))
    form.get_by_label(t("Due")).fill(later.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_role("button", name=t("Assign"), exact=True).click()
    expect(teacher.locator(".message-success")).to_have_text(t("Assigned."))
    _shot(teacher, "walk-assigned-ko")

    teacher.get_by_role("link", name=t("Live dashboard")).click()
    expect(teacher.locator("body")).to_have_attribute("data-ws", "open")
    expect(teacher.locator("#dashboard-empty")).to_be_visible()
    expect(teacher.locator("#dashboard-empty")).to_contain_text(
        t("Share the join code or link from the class page.")
    )
    _fits(teacher)
    _shot(teacher, "walk-dashboard-empty-ko")

    # The learner mistypes the code, then follows the link, which names the class.
    learner = browser.new_context().new_page()
    log_in(learner, site, LANGUAGE, *demo_account("learner"))
    learner.goto(f"{site}/classes/join/ZZZZ9999/")
    expect(learner.get_by_test_id("joining")).to_have_count(0)
    learner.get_by_role("button", name=t("Join"), exact=True).click()
    expect(learner.locator("main")).to_contain_text(
        t("No class has this join code. Check it with your instructor.")
    )
    _fits(learner)
    _shot(learner, "walk-join-bad-code-ko")
    learner.goto(join_url)
    expect(learner.get_by_test_id("joining")).to_contain_text(name)
    learner.get_by_role("button", name=t("Join"), exact=True).click()
    expect(learner.get_by_role("heading", level=1)).to_have_text(name)
    with translation.override(LANGUAGE):
        expect(learner.locator("main")).to_contain_text(str(starter.title))
    _fits(learner)
    _shot(learner, "walk-learner-class-ko")

    # The learner's row appears on the open dashboard; a hint goes from that row.
    row = teacher.locator('tr[data-learner][data-state="none"]')
    expect(row).to_have_count(1)
    expect(teacher.locator("#dashboard-empty")).to_be_hidden()
    to_learner = t("Hint to %(learner)s", learner="learner")
    teacher.get_by_role("button", name=to_learner).click()
    dialog = teacher.get_by_role("dialog", name=to_learner)
    dialog.get_by_role("button", name=t("Send the hint")).click()  # empty: the browser asks
    expect(dialog).to_be_visible()
    dialog.get_by_label(t("Hint"), exact=True).fill("리스너 규칙의 우선순위를 확인하십시오.")
    _fits(teacher)
    _shot(teacher, "walk-dashboard-hint-ko")
    dialog.get_by_role("button", name=t("Send the hint")).click()
    expect(dialog).to_be_hidden()
    expect(teacher.locator("#dashboard-notice")).to_have_text(
        t("Hint sent to %(learner)s.", learner="learner")
    )
    learner.reload()
    expect(learner.locator(".hint-list")).to_contain_text("리스너 규칙의 우선순위를 확인하십시오.")

    teacher.get_by_label(t("Find a learner")).fill("아무도없음")
    expect(teacher.locator("#dashboard-none-shown")).to_be_visible()
    expect(row).to_have_count(0)
    teacher.get_by_label(t("Find a learner")).fill("")
    teacher.get_by_label(t("Show")).select_option("stuck")
    expect(teacher.locator("#dashboard-none-shown")).to_be_visible()
    _shot(teacher, "walk-dashboard-none-shown-ko")
