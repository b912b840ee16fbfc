"""Pause, step and replay in a real browser: a learner runs the path-routing starter, pauses
the live view (the stream keeps arriving, held and counted), goes back to live, stops the
run, steps backwards through its recording and sees the request count go down, replays it
at 4x, and shares a read-only link that a visitor opens; in English and in Korean. Every
string comes from the site's catalogs (labs.messages, the templates' own)."""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Browser, Page, expect

from labs import messages as codes
from labs.models import LabRun, RunAccessLog, Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())  # run-replay-<language>-<width>.png, to look at
AT_LEAST_FIVE = re.compile(r"^([5-9]|\d\d+)$")
AT_LEAST_ONE = re.compile(r"^[1-9]\d*$")
MAX_STEPS = 200  # stepping back from the end reaches a request well before this


class ReplayUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.topology = Topology.objects.get(owner=None, slug="path-routing").title
            replay = codes.catalog()["replay"]
            self.pause, self.play = replay["pause"], replay["play"]
            self.live, self.new_events = replay["live"], replay["newEvents"]
            self.back = gettext("◀ Step back")
            self.forward = gettext("Step forward ▶")
            self.to_live = gettext("● Back to live")
            self.speed = gettext("Speed")
            self.timeline = gettext("Timeline: one step per event")
            self.stop = gettext("Stop")
            self.share = gettext("Create a read-only link")
            self.stop_sharing = gettext("Stop sharing")
            self.story = gettext("The run's story")
            self.shared = gettext("A shared run: you are watching its story and replay, read-only.")
            self.share_heading = pgettext("proportion", "Share")

    def texts(self) -> list[str]:
        return [self.pause, self.play, self.back, self.forward, self.to_live, self.share]


def _count(page: Page) -> int:
    return int(page.locator("#request-total").get_attribute("data-count") or 0)


def _shoot(page: Page, name: str) -> None:
    """The whole page at desktop and phone width, and at phone width its top and story."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390-top.png"))
    page.locator("#story").screenshot(path=str(SCREENSHOTS / f"{name}-390-story.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_learner_pauses_steps_back_and_replays_a_run(
    demo_site: str, page: Page, browser: Browser, language: str
):
    ui = ReplayUi(language)
    if language != "en":
        assert not set(ui.texts()) & set(ReplayUi("en").texts()), "untranslated"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, ui.topology)
    body = page.locator("body")
    expect(body).to_have_attribute("data-ws", "open", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#request-total")).to_have_text(AT_LEAST_FIVE, timeout=RUN_TIMEOUT_MS)
    expect(body).to_have_attribute("data-replay-mode", "live")

    # Paused: the stream keeps arriving, held and counted, and the count stands still.
    page.get_by_role("button", name=ui.pause).click()
    expect(body).to_have_attribute("data-replay-mode", "paused")
    paused_at = _count(page)
    new = page.locator("#replay-new")
    expect(new).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert _count(page) == paused_at
    # While it runs, a step back un-draws what the page has seen since it opened.
    back = page.get_by_role("button", name=ui.back)
    for _ in range(MAX_STEPS):
        back.click()
        if _count(page) < paused_at:
            break
    assert _count(page) == paused_at - 1
    page.get_by_role("button", name=ui.to_live).click()
    expect(body).to_have_attribute("data-replay-mode", "live")
    expect(new).to_be_hidden()
    assert _count(page) > paused_at  # what was held is drawn

    page.get_by_role("button", name=ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
    expect(body).to_have_attribute("data-replay", "ready", timeout=STOP_TIMEOUT_MS)
    total = _count(page)
    assert total == _logged_lines()  # the recording's story has every request the log has
    expect(page.locator("#status-classes")).to_contain_text("2XX")
    expect(page.locator("#health-timeline li").first).to_be_visible()
    _shoot(page, f"run-replay-{language}-ended")

    # Step backwards from the end: events un-draw one at a time, the count goes down by one.
    for _ in range(MAX_STEPS):
        back.click()
        if _count(page) < total:
            break
    assert _count(page) == total - 1
    position = int(body.get_attribute("data-replay-position") or 0)
    expect(page.locator("#requests tbody tr.request").first).to_be_visible()
    page.get_by_role("button", name=ui.forward).click()
    assert _count(page) == total
    assert int(body.get_attribute("data-replay-position") or 0) == position + 1

    # Scrub to the start (keyboard), then replay at 4x until it is all back.
    scrub = page.get_by_label(ui.timeline)
    scrub.focus()
    page.keyboard.press("Home")
    expect(page.locator("#request-total")).to_have_text("0")
    expect(page.locator("#requests tbody tr.request")).to_have_count(0)
    page.get_by_label(ui.speed).select_option("4")
    page.get_by_role("button", name=ui.play).click()
    expect(body).to_have_attribute("data-replay-mode", "playing")
    _shoot(page, f"run-replay-{language}-playing")
    expect(page.locator("#request-total")).to_have_text(str(total), timeout=RUN_TIMEOUT_MS)
    expect(body).to_have_attribute("data-replay-mode", "paused", timeout=RUN_TIMEOUT_MS)
    # The health timeline's times take the replay to that change.
    change = page.locator("#health-timeline button[data-seek]").last
    moment = change.get_attribute("data-seek") or ""
    change.click()
    expect(body).to_have_attribute("data-replay-position", moment)

    # A read-only link: a visitor who is not logged in sees the story and the replay.
    page.get_by_role("button", name=ui.share).click()
    link = page.locator("#share-url").input_value()
    page.locator("#share").screenshot(path=str(SCREENSHOTS / f"run-replay-{language}-share.png"))
    visitor = browser.new_context(locale=language)
    try:
        shared = visitor.new_page()
        shared.set_viewport_size({"width": 1280, "height": 900})
        shared.goto(link)  # in the visitor's browser language (Accept-Language)
        expect(shared.locator("html")).to_have_attribute("lang", language)
        expect(shared.get_by_text(ui.shared)).to_be_visible()
        expect(shared.locator("body")).to_have_attribute("data-replay", "ready")
        expect(shared.locator("#request-total")).to_have_text(str(total))
        expect(shared.get_by_role("button", name=ui.stop, exact=True)).to_have_count(0)
        expect(shared.get_by_role("button", name=ui.stop_sharing)).to_have_count(0)
        shared.get_by_role("button", name=ui.back).click()
        expect(shared.locator("#request-total")).to_have_text(AT_LEAST_ONE)
        _shoot(shared, f"run-replay-{language}-shared")
    finally:
        visitor.close()


def _logged_lines() -> int:
    log = RunAccessLog.objects.get(run=LabRun.objects.get())
    return len(gzip.decompress(log.data).decode().splitlines())
