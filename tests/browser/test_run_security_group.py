"""Changes the exam asks "what if" about, made from the run page while the lab runs, in
English and in Korean: the targets' security group loses (then regains) the rule that
admits the load balancer; an instance Auto Scaling launched gets a row, a fault, and is
replaced, and a page that joins later lists what runs now.

Strings come from the site's catalogs; in Korean each must differ from its English source.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from labs import messages as codes
from labs.models import Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run
from tests.browser.test_run_replay import ReplayUi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(tempfile.gettempdir())
TARGETS = ("10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80")
# At the demo's 10x clock the default checks (every 30 s, 2 to fail, 5 to pass) take
# 6 wall seconds to fail and 15 to pass again: the margin is for a busy machine.
CHANGE_TIMEOUT_MS = 40_000


class SgUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.group = gettext(
                "Security group of the targets: the inbound rule that admits the load balancer"
            )
            self.remove = gettext("Remove the rule")
            self.restore = gettext("Restore the rule")
            self.timeout = str(codes.HEALTH_REASONS["Target.Timeout"])
            rules = "tcp 80 from LoadBalancerSecurityGroup"
            values = {"by": "learner", "security_group": "WebSecurityGroup", "rules": rules}
            self.removed = str(codes.FAULT_LOG["sgRevoke"]) % values
            self.restored = str(codes.FAULT_LOG["sgAuthorize"]) % values
            self.faults = gettext("Changes during this run")
            self.title = Topology.objects.get(owner=None, slug="basic-alb").title

    def texts(self) -> list[str]:
        return [self.group, self.remove, self.restore, self.timeout, self.removed]


def _shoot(page: Page, name: str) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("language", ["en", "ko"])
def test_removing_the_lb_rule_times_the_checks_out_and_restoring_it_heals(
    demo_site: str, page: Page, language: str
):
    ui = SgUi(language)
    if language != "en":
        assert not set(ui.texts()) & set(SgUi("en").texts()), "untranslated"
    log_in_and_run(page, demo_site, language, ui.title)
    rows = [page.locator(f'#targets tr[data-target="{t}"]') for t in TARGETS]
    for row in rows:
        expect(row.locator(".health")).to_have_attribute(
            "data-health", "healthy", timeout=RUN_TIMEOUT_MS
        )
    form = page.locator("#sg-form")
    expect(form.get_by_label(ui.group)).to_have_value("WebSecurityGroup")
    form.get_by_role("button", name=ui.remove, exact=True).click()
    faults = page.get_by_role("region", name=ui.faults)
    expect(faults.get_by_role("listitem").first).to_contain_text(ui.removed)
    for row in rows:
        health = row.locator(".health")
        expect(health).to_have_attribute("data-health", "unhealthy", timeout=CHANGE_TIMEOUT_MS)
        expect(health.locator(".health-code")).to_have_text("Target.Timeout")
        expect(health.locator(".health-reason")).to_have_text(ui.timeout)
    _shoot(page, f"sg-removed-{language}")
    form.get_by_role("button", name=ui.restore, exact=True).click()
    expect(faults.get_by_role("listitem").first).to_contain_text(ui.restored)
    for row in rows:
        expect(row.locator(".health")).to_have_attribute(
            "data-health", "healthy", timeout=CHANGE_TIMEOUT_MS
        )


class AsgUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.title = Topology.objects.get(owner=None, slug="asg-replaces-failed-instance").title
            self.desired = gettext(
                "Desired capacity of %(group)s (%(min)s to %(max)s instances)"
            ) % {"group": "WebGroup", "min": 1, "max": 4}
            self.set_desired = gettext("Set desired capacity")
            self.fault = gettext("Fault for the launched instance")
            self.apply = gettext("Apply")
            self.stop = gettext("Stop")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_launched_instance_gets_a_row_and_a_fault_and_goes_when_replaced(
    demo_site: str, page: Page, language: str
):
    ui = AsgUi(language)
    log_in_and_run(page, demo_site, language, ui.title)
    expect(page.locator("body")).to_have_attribute("data-state", "running", timeout=RUN_TIMEOUT_MS)
    page.get_by_label(ui.desired).fill("3")
    page.get_by_role("button", name=ui.set_desired, exact=True).click()
    launched = page.locator("#targets tr[data-launched]").filter(has_text="WebGroup-3")
    expect(launched.locator(".health")).to_have_attribute(
        "data-health", "healthy", timeout=RUN_TIMEOUT_MS
    )
    address = launched.get_attribute("data-target") or ""
    expect(launched.locator("td").nth(2)).to_have_text("us-east-1a")
    _shoot(page, f"asg-launched-{language}")
    # Past its 30 s grace period (3 wall seconds), stopped: EC2 fails it, Auto Scaling
    # terminates it (20 s of draining) and launches WebGroup-4.
    fault = launched.get_by_label(ui.fault)
    expect(fault).to_be_visible()
    fault.select_option("stopped")
    launched.get_by_role("button", name=ui.apply, exact=True).click()
    replacement = page.locator("#targets tr[data-launched]").filter(has_text="WebGroup-4")
    expect(replacement).to_be_visible(timeout=CHANGE_TIMEOUT_MS)
    expect(page.locator(f'#targets tr[data-target="{address}"]')).to_have_count(
        0, timeout=CHANGE_TIMEOUT_MS
    )
    # A page that joins now (the snapshot) lists WebGroup-4, not the terminated one.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#targets tr[data-launched]").filter(has_text="WebGroup-4")).to_be_visible(
        timeout=CHANGE_TIMEOUT_MS
    )
    expect(page.locator(f'#targets tr[data-target="{address}"]')).to_have_count(0)

    # The replay: from the start, WebGroup-3 appears, goes, and WebGroup-4 comes.
    replay = ReplayUi(language)
    page.get_by_role("button", name=ui.stop, exact=True).click()
    body = page.locator("body")
    expect(body).to_have_attribute("data-replay", "ready", timeout=STOP_TIMEOUT_MS)
    scrub = page.get_by_label(replay.timeline)
    scrub.focus()
    page.keyboard.press("Home")
    rows = page.locator("#targets tr[data-launched]")
    expect(rows).to_have_count(0)
    page.get_by_label(replay.speed).select_option("4")
    page.get_by_role("button", name=replay.play).click()
    first = page.locator(f'#targets tr[data-target="{address}"]')
    expect(first).to_have_count(1, timeout=CHANGE_TIMEOUT_MS)
    expect(first).to_have_count(0, timeout=CHANGE_TIMEOUT_MS)
    expect(rows.filter(has_text="WebGroup-4")).to_be_visible(timeout=CHANGE_TIMEOUT_MS)
