"""Issue 10's acceptance: the live lab holds together. A learner runs the path-routing
starter, opens the trace of a /posts request (the rule that matched, why the others did
not), injects a 5xx fault and sees HTTPCode_Target_5XX_Count rise in the chart, sends a
console request, reloads mid-run and sees the counts carry on (not reset) with the Faults
log and the console's answer still there, stops, and steps backwards through the replay
(the count goes down by one); in English and in Korean. Strings come from the site's
catalogs; in Korean each must differ from its English source."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from labs import messages as codes
from labs.models import Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run
from tests.browser.test_live_console import POSTS1, LiveUi
from tests.browser.test_run_controls import _wait_for_total
from tests.browser.test_run_replay import MAX_STEPS, ReplayUi, _logged_lines
from tests.browser.test_run_trace import TraceUi, _total

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())  # live-lab-<language>-<moment>-<width>.png, to look at


# What sticks out of the page at phone width: boxes, text, and what is positioned out of
# its scroll box (a visually hidden label once was).
WIDE_JS = """() => [...document.querySelectorAll('body *')].filter((e) => {
  const right = e.getBoundingClientRect().left + e.scrollWidth;
  const wide = right > document.documentElement.clientWidth + 1;
  return wide && getComputedStyle(e).position !== 'static';
}).slice(0, 5).map((e) => `${e.tagName}.${e.getAttribute('class')}`)"""


def _shoot(page: Page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        # At phone width nothing makes the page scroll sideways.
        if width == 390:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            wide = page.evaluate(WIDE_JS)
            assert overflow <= 0, f"{name}: the page is {overflow}px wider than a phone: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_learner_traces_faults_reloads_stops_and_steps_back_through_the_story(
    demo_site: str, page: Page, language: str
):
    trace_ui, live_ui, replay_ui = TraceUi(language), LiveUi(language), ReplayUi(language)
    if language != "en":
        assert not set(live_ui.texts()) & set(LiveUi("en").texts()), "untranslated"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, trace_ui.topology)
    body = page.locator("body")
    expect(body).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)

    # The trace of a /posts request: rule 20 matched, rule 10 did not, and why.
    posts = page.locator('#requests tr.request[data-path^="/posts"]').first
    expect(posts).to_be_visible(timeout=RUN_TIMEOUT_MS)
    posts.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#trace")
    expect(panel.locator('.trace-rule[data-rule="20"]')).to_have_attribute("data-matched", "true")
    expect(panel.locator('.trace-rule[data-rule="20"]')).to_contain_text(trace_ui.matched)
    skipped = panel.locator('.trace-rule[data-rule="10"]')
    expect(skipped).to_have_attribute("data-matched", "false")
    expect(skipped).to_contain_text(re.compile(f"{re.escape(trace_ui.path)}.*{trace_ui.false}"))

    # A 5xx fault on a posts target: logged, and the target's 5XX count rises in the chart.
    inject = page.get_by_role("region", name=live_ui.inject)
    inject.get_by_label(live_ui.on, exact=True).select_option(f"target:{POSTS1}")
    inject.get_by_role("button", name="5xx", exact=True).click()
    log = page.locator("#faults")
    expect(log).to_contain_text(live_ui.logged)
    errors = page.locator("#chart-errors .chart-last")
    rising = re.compile(re.escape(live_ui.target5xx) + r" [1-9]")
    expect(errors).to_contain_text(rising, timeout=RUN_TIMEOUT_MS)

    # A console request: its answer, and a line in the log.
    console = page.get_by_role("region", name=live_ui.send, exact=True)
    console.get_by_label(live_ui.path, exact=True).fill("/posts/7")
    console.get_by_role("button", name=live_ui.send_button, exact=True).click()
    result = page.locator("#console-result")
    expect(result).to_have_attribute("data-rule", "20", timeout=RUN_TIMEOUT_MS)
    answered = result.get_attribute("data-id") or ""
    expect(log.locator('li[data-action="console"]')).to_contain_text("/posts/7")
    _shoot(page, f"live-lab-{language}-running")

    # Reload mid-run: the counts carry on from the snapshot, the log and the answer stay.
    _wait_for_total(page, _total(page) + 5)
    before = _total(page)
    page.reload()
    expect(body).to_have_attribute("data-snapshot", re.compile(r"^\d+$"), timeout=RUN_TIMEOUT_MS)
    assert _total(page) >= before  # not from 0
    expect(log).to_contain_text(live_ui.logged)
    expect(log.locator('li[data-action="console"]')).to_contain_text("/posts/7")
    expect(result).to_have_attribute("data-id", answered)
    expect(result).to_have_attribute("data-rule", "20")
    expect(errors).to_contain_text(rising)  # the charts' series came with the snapshot
    _wait_for_total(page, _total(page) + 5)

    # Stop: the page total is the access log's; the story replays with the same log.
    page.get_by_role("button", name=trace_ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
    expect(body).to_have_attribute("data-replay", "ready", timeout=STOP_TIMEOUT_MS)
    total = _total(page)
    assert total == _logged_lines()
    expect(log).to_contain_text(live_ui.logged)
    expect(log.locator('li[data-action="console"]')).to_contain_text("/posts/7")
    _shoot(page, f"live-lab-{language}-finished")

    # Step backwards: one event at a time, until the count goes down by exactly one.
    diagram = page.locator("#live-diagram")
    drawn = diagram.get_attribute("data-marks-drawn")
    back = page.get_by_role("button", name=replay_ui.back)
    for _ in range(MAX_STEPS):
        back.click()
        if _total(page) < total:
            break
    assert _total(page) == total - 1
    # The diagram redrew its counts and states without a mark flying for each step.
    assert diagram.get_attribute("data-marks-drawn") == drawn
    expect(diagram.locator(".mark")).to_have_count(0)
    expect(page.locator("#faults li.fault").first).to_be_visible()
    assert str(codes.FAULT_LOG["empty"]) not in (log.text_content() or "")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_nlb_run_page_fits_a_phone_running_and_finished(
    demo_site: str, page: Page, language: str
):
    with translation.override(language):
        title = Topology.objects.get(owner=None, slug="nlb-static-ips").title
        stop = gettext("Stop")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, title)
    expect(page.locator("#flow-table tbody tr.flow").first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#flow-count")).to_be_visible()
    _shoot(page, f"live-lab-nlb-{language}-running")
    page.get_by_role("button", name=stop, exact=True).click()
    body = page.locator("body")
    expect(body).to_have_attribute("data-state", "finished", timeout=STOP_TIMEOUT_MS)
    expect(body).to_have_attribute("data-replay", "ready", timeout=STOP_TIMEOUT_MS)
    _shoot(page, f"live-lab-nlb-{language}-finished")
