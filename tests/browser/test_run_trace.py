"""A learner runs the path-routing starter, opens the story of a /posts request, watches
the charts and the health checks, reloads mid-run and sees the counts carry on; in English
and in Korean. Every string comes from the site's catalogs (labs.messages)."""

from __future__ import annotations

import gzip
import re
import tempfile
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from labs import messages as codes
from labs.models import LabRun, RunAccessLog, Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run
from tests.browser.test_run_controls import _wait_for_total

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the page looked like, for a person to open afterwards (run-trace-<language>*.png).
SCREENSHOTS = Path(tempfile.gettempdir())


class TraceUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.topology = Topology.objects.get(owner=None, slug="path-routing").title
            catalog = codes.catalog()
            t = catalog["trace"]
            self.matched, self.not_matched = t["ruleMatched"], t["ruleNotMatched"]
            self.false = t["conditionNoMatch"]
            self.rules_doc = t["docs"] % {"page": catalog["docs"]["rulesTitle"]}
            self.rules_url = catalog["docs"]["rules"]
            self.path = catalog["fields"]["path-pattern"]
            self.close = t["close"]
            self.requests_chart = catalog["charts"]["requests"]
            self.passed = catalog["charts"]["checkPassed"]
            self.failed = catalog["charts"]["checkFailed"]
            self.mismatch = catalog["healthReasons"]["Target.ResponseCodeMismatch"]
            self.apply = gettext("Apply")
            self.stop = gettext("Stop")

    def texts(self) -> list[str]:
        return [self.matched, self.not_matched, self.false, self.rules_doc, self.path]


def _total(page: Page) -> int:
    return int(page.locator("#request-total").get_attribute("data-count") or 0)


def _logged_lines() -> int:
    log = RunAccessLog.objects.get(run=LabRun.objects.get())
    return len(gzip.decompress(log.data).decode().splitlines())


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_trace_of_a_posts_request_says_which_rule_matched_and_why_the_others_did_not(
    demo_site: str, page: Page, language: str
):
    ui = TraceUi(language)
    if language != "en":
        assert not set(ui.texts()) & set(TraceUi("en").texts()), "untranslated"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, ui.topology)

    posts = page.locator('#requests tr.request[data-path^="/posts"]').first
    expect(posts).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(posts).to_contain_text("20 (PostsRule)")
    if language == "en":
        posts.click()
    else:
        posts.focus()
        page.keyboard.press("Enter")  # the list works from the keyboard

    panel = page.locator("#trace")
    expect(panel).to_be_visible()
    matched = panel.locator('.trace-rule[data-rule="20"]')
    expect(matched).to_have_attribute("data-matched", "true")
    expect(matched).to_contain_text("PostsRule")
    expect(matched).to_contain_text(ui.matched)
    skipped = panel.locator('.trace-rule[data-rule="10"]')
    expect(skipped).to_have_attribute("data-matched", "false")
    expect(skipped).to_contain_text(ui.not_matched)
    expect(skipped).to_contain_text(re.compile(f"{re.escape(ui.path)}.*/users.*{ui.false}.*/posts"))
    doc = panel.get_by_role("link", name=ui.rules_doc)
    expect(doc).to_have_attribute("href", ui.rules_url)
    expect(panel.locator(".trace-log-line")).to_contain_text("targetgroup/PostsTargets/")
    expect(panel.locator('[data-step="headers"]')).to_contain_text("X-Forwarded-For")

    requests_chart = page.locator("#chart-requests")
    expect(requests_chart).to_contain_text(ui.requests_chart)
    expect(requests_chart).not_to_have_attribute("data-points", "0", timeout=RUN_TIMEOUT_MS)
    expect(requests_chart.locator(".chart-last")).to_contain_text("RequestCount")
    checks = page.locator("#targets .check-list li")
    expect(checks.first).to_contain_text(ui.passed, timeout=RUN_TIMEOUT_MS)

    # A target that fails its checks says so, with AWS's reason code and its meaning.
    users1 = page.locator('#targets tr[data-target="10.0.1.10:80"]')
    users1.locator("select").select_option("unhealthy")
    users1.get_by_role("button", name=ui.apply, exact=True).click()
    health = users1.locator(".health")
    expect(health).to_have_attribute("data-health", "unhealthy", timeout=RUN_TIMEOUT_MS)
    expect(health.locator(".health-code")).to_have_text("Target.ResponseCodeMismatch")
    expect(health.locator(".health-reason")).to_have_text(ui.mismatch)
    last_check = users1.locator(".check-list li").first
    expect(last_check).to_have_attribute("data-passed", "false")
    expect(last_check).to_contain_text(f"✗ {ui.failed}")
    expect(last_check).to_contain_text("500")
    shot = SCREENSHOTS / f"run-trace-{language}"
    page.screenshot(path=f"{shot}.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=f"{shot}-phone.png", full_page=True)
    panel.screenshot(path=f"{shot}-phone-panel.png")
    page.locator("#targets").screenshot(path=f"{shot}-phone-targets.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    _wait_for_total(page, 15)
    before = _total(page)
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-snapshot", re.compile(r"^\d+$"))
    assert _total(page) >= before  # it carries on from the snapshot, not from 0
    expect(page.locator("#requests tr.request").first).to_be_visible()
    _wait_for_total(page, _total(page) + 10)

    page.get_by_role("button", name=ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
    assert _total(page) == _logged_lines()
