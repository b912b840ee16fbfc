"""A learner runs the path-routing starter, injects a 5xx fault on a posts target and
watches HTTPCode_Target_5XX_Count rise in the chart, then sends a /posts request from the
console and reads its answer and its trace with the rule that matched; in English and in
Korean. Strings come from the site's catalogs; in Korean each must differ from English."""

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
from tests.browser.test_run_controls import _wait_for_total
from tests.browser.test_run_trace import TraceUi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())
POSTS1 = "10.0.1.20:80"


class LiveUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.live = gettext("Live lab")
            self.send = gettext("Send a request")
            self.send_button = gettext("Send the request")
            self.path = gettext("Path")
            self.client = gettext("Client IP")
            self.inject = gettext("Inject a fault")
            self.on = gettext("On")
            self.target5xx = str(codes.CHARTS["target5xx"])
            self.logged = str(codes.FAULT_LOG["fault"]) % {
                "by": "learner",
                "target": POSTS1,
                "mode": codes.FAULT_MODES["5xx"],
            }
            self.matched = codes.catalog()["trace"]["ruleMatched"]
            self.pause, self.resume = gettext("Pause"), gettext("Resume")
            self.traffic = gettext("Traffic")

    def texts(self) -> list[str]:
        return [self.live, self.send, self.send_button, self.inject, self.logged, self.pause]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_5xx_fault_shows_in_the_chart_and_a_console_request_shows_its_trace(
    demo_site: str, page: Page, language: str
):
    ui, trace_ui = LiveUi(language), TraceUi(language)
    if language != "en":
        assert not set(ui.texts()) & set(LiveUi("en").texts()), "untranslated"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, trace_ui.topology)
    expect(page.locator("body")).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    _wait_for_total(page, 5)

    faults = page.get_by_role("region", name=ui.inject)
    faults.get_by_label(ui.on, exact=True).select_option(f"target:{POSTS1}")
    five = faults.get_by_role("button", name="5xx", exact=True)
    if language == "en":
        five.click()
    else:
        five.focus()
        page.keyboard.press("Enter")  # the buttons work from the keyboard
    log = page.locator("#faults")
    expect(log.get_by_role("listitem").first).to_contain_text(ui.logged)
    expect(page.locator(f'#targets tr[data-target="{POSTS1}"]')).to_have_attribute(
        "data-fault", "5xx"
    )
    errors = page.locator("#chart-errors .chart-last")
    rising = re.compile(re.escape(ui.target5xx) + r" [1-9]")
    expect(errors).to_contain_text(rising, timeout=RUN_TIMEOUT_MS)

    console = page.get_by_role("region", name=ui.send, exact=True)
    console.get_by_label(ui.path, exact=True).fill("/posts/7")
    console.get_by_role("button", name=ui.send_button, exact=True).click()
    result = page.locator("#console-result")
    expect(result).to_have_attribute("data-status", re.compile(r"^(200|500)$"))
    expect(result).to_have_attribute("data-rule", "20", timeout=RUN_TIMEOUT_MS)
    matched = result.locator('.trace-rule[data-rule="20"]')
    expect(matched).to_have_attribute("data-matched", "true")
    expect(matched).to_contain_text("PostsRule")
    expect(matched).to_contain_text(ui.matched)
    expect(result.locator("#console-body")).not_to_be_empty()

    pause = page.get_by_role("region", name=ui.traffic, exact=True).get_by_role(
        "button", name=ui.pause, exact=True
    )
    pause.click()
    expect(page.locator("#traffic-pause")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#traffic-pause")).to_have_text(ui.resume)

    shot = SCREENSHOTS / f"live-console-{language}"
    page.screenshot(path=f"{shot}.png", full_page=True)
    page.locator("#live-lab").screenshot(path=f"{shot}-live.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.locator("#live-lab").screenshot(path=f"{shot}-phone-live.png")
    for part in ("console-form", "console-result", "inject", "traffic"):
        page.locator(f"#{part}").screenshot(path=f"{shot}-phone-{part}.png")
    page.screenshot(path=f"{shot}-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name=trace_ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
    expect(page.locator("#live-lab")).to_be_hidden()


def test_two_console_requests_from_one_client_stick_to_one_target(demo_site: str, page: Page):
    """The worker's cookie jar for the client IP sends AWSALB back; the trace says so."""
    ui = LiveUi("en")
    with translation.override("en"):
        topology = Topology.objects.get(owner=None, slug="sticky-sessions").title
        honoured = codes.CONSOLE["sticky"] % {"cookie": "AWSALB", "target": ""}
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, "en", topology)
    expect(page.locator("body")).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    _wait_for_total(page, 3)
    console = page.get_by_role("region", name=ui.send, exact=True)
    console.get_by_label(ui.path, exact=True).fill("/shop/cart")
    console.get_by_label(ui.client, exact=True).fill("198.51.100.77")
    send = console.get_by_role("button", name=ui.send_button, exact=True)
    result = page.locator("#console-result")
    send.click()
    expect(result).to_have_attribute("data-target", re.compile(r"^10\."), timeout=RUN_TIMEOUT_MS)
    first = result.get_attribute("data-target")
    first_id = result.get_attribute("data-id")
    expect(page.locator("#console-jar")).to_contain_text("AWSALB=")
    expect(send).to_be_enabled()
    send.click()
    expect(result).not_to_have_attribute("data-id", first_id or "")
    expect(result).to_have_attribute("data-target", first or "", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#console-sticky")).to_be_visible()
    expect(page.locator("#console-sticky")).to_contain_text(honoured.split(":")[0])
    expect(result.locator('[data-step="targetGroup"], [data-step="target"]').first).to_be_visible()
    page.get_by_role("button", name=TraceUi("en").stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
