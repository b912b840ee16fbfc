"""A learner sends a console request for a host the HTTPS listener's certificate does not
cover: the answer, the TLS failures list and the Faults log say why in the learner's
language; reloaded mid-run, the page gets the failure back from the worker's snapshot."""

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
from tests.browser.test_run_demo_lab import Ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())
UNCOVERED = "shop.example.net"  # https-redirect's certificate is for www.example.com


class TlsUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.topology = Topology.objects.get(owner=None, slug="https-redirect").title
            self.send = gettext("Send a request")
            self.send_button = gettext("Send the request")
            self.listener = gettext("Listener")
            self.host = gettext("Host header")
            self.mismatch = str(codes.TLS_REASONS["hostname-mismatch"])
            self.failed = str(codes.CONSOLE["tlsFailed"]).split("%(reason)s")[0]
            self.no_trace = str(codes.CONSOLE["traceNoRequest"])
            self.stop = Ui(language).stop


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_console_request_the_certificate_does_not_cover_says_why_and_survives_a_reload(
    demo_site: str, page: Page, language: str
):
    ui = TlsUi(language)
    if language != "en":
        assert ui.mismatch != TlsUi("en").mismatch, "untranslated"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, ui.topology)
    expect(page.locator("body")).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)

    console = page.get_by_role("region", name=ui.send, exact=True)
    listener = console.get_by_label(ui.listener, exact=True)
    https = listener.locator("option", has_text="443").get_attribute("value")
    listener.select_option(https)
    console.get_by_label(ui.host, exact=True).fill(UNCOVERED)
    console.get_by_role("button", name=ui.send_button, exact=True).click()
    result = page.locator("#console-result")
    expect(result).to_have_attribute("data-status", "error", timeout=RUN_TIMEOUT_MS)
    heading = page.locator("#console-result-heading")
    expect(heading).to_contain_text(ui.failed)
    expect(heading).to_contain_text(ui.mismatch)
    expect(heading).to_contain_text(UNCOVERED)  # the TLS library's words, after ours
    expect(page.locator("#console-trace-note")).to_have_text(ui.no_trace)

    failures = page.locator("#tls-errors")
    expect(failures).to_be_visible()
    expect(page.locator("#tls-error-count")).to_have_text("1")
    expect(page.locator("#tls-errors-list li").first).to_contain_text(ui.mismatch)
    expect(page.locator("#faults li").first).to_contain_text(ui.mismatch)

    shot = SCREENSHOTS / f"tls-failure-{language}"
    page.locator("#console-result").screenshot(path=f"{shot}-console.png")
    failures.screenshot(path=f"{shot}-list.png")

    page.reload()  # a page joining the run late: the snapshot brings the failure back
    expect(page.locator("body")).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    expect(failures).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#tls-error-count")).to_have_text("1")
    rows = page.locator("#tls-errors-list li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(re.compile(re.escape(UNCOVERED)))
    expect(rows.first).to_contain_text(ui.mismatch)
    failures.screenshot(path=f"{shot}-reloaded.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    failures.screenshot(path=f"{shot}-phone-list.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name=ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
