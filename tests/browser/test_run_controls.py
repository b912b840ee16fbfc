"""A learner deregisters a target of the running demo lab and watches it drain, in English
and in Korean; then downloads the run's access log.

Strings come from the site's own catalogs; in Korean each must differ from its English
source, so a missing translation fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from labs import messages as codes
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run
from tests.browser.test_run_demo_lab import Ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEB1 = "10.0.1.10:80"
AT_LEAST_ONE = re.compile(r"^[1-9]\d*$")
MORE_REQUESTS = 20  # after the target drains, this many more requests all go elsewhere


class ControlsUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.deregister = gettext("Deregister")
            self.faults = gettext("Changes during this run")
            self.draining = str(codes.HEALTH_STATES["draining"])
            self.deregistration = str(codes.HEALTH_REASONS["Target.DeregistrationInProgress"])
            self.logged = str(codes.FAULT_LOG["deregister"]) % {
                "by": "learner",
                "target": WEB1,
                "target_group": "WebTargets",
            }
            self.download = gettext("Download the access log")

    def texts(self) -> list[str]:
        return [self.deregister, self.faults, self.draining, self.logged, self.download]


def _count(page: Page, selector: str) -> int:
    return int(page.locator(selector).get_attribute("data-count") or 0)


def _wait_for_total(page: Page, at_least: int) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('request-total').dataset.count) >= n",
        arg=at_least,
        timeout=RUN_TIMEOUT_MS,
    )


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_deregistered_target_drains_and_gets_no_new_requests(
    demo_site: str, page: Page, language: str
):
    ui, controls = Ui(language), ControlsUi(language)
    if language != "en":
        assert not set(controls.texts()) & set(ControlsUi("en").texts()), "untranslated"
    log_in_and_run(page, demo_site, language, ui.topology)

    row = page.locator("#targets").get_by_role("row").filter(has_text=WEB1)
    expect(row.locator(".count")).to_have_text(AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)
    expect(page.locator("body")).to_have_attribute("data-state", "running")

    deregister = row.get_by_role("button", name=controls.deregister, exact=True)
    deregister.focus()
    page.keyboard.press("Enter")  # the controls work from the keyboard

    health = row.locator(".health")
    expect(health).to_have_attribute("data-health", "draining")
    expect(health.locator(".health-badge")).to_have_text(controls.draining)
    expect(health.locator(".health-reason")).to_have_text(controls.deregistration)
    faults = page.get_by_role("region", name=controls.faults)
    expect(faults.get_by_role("listitem").first).to_contain_text(controls.logged)

    # Requests already in flight when it was deregistered may still finish: let them,
    # then the target's count must stay put while the others keep serving.
    _wait_for_total(page, _count(page, "#request-total") + 5)
    drained = _count(page, f'#targets tr[data-target="{WEB1}"]')
    _wait_for_total(page, _count(page, "#request-total") + MORE_REQUESTS)
    assert _count(page, f'#targets tr[data-target="{WEB1}"]') == drained
    expect(health).to_have_attribute("data-health", "draining")

    page.get_by_role("button", name=ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
    expect(page.locator("#traffic-form")).to_be_hidden()  # nothing left to change
    with page.expect_download() as download:
        page.get_by_role("link", name=controls.download).click()
    assert download.value.suggested_filename.startswith(
        "123456789012_elasticloadbalancing_us-east-1_app.LoadBalancer."
    )
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines and all(line.startswith("http ") for line in lines)
