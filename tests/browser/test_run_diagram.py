"""The live diagram (issue 10): a learner runs the path-routing starter and watches its
requests travel on the builder's drawing, the rule they match light up, each target's
health and count appear on it; selecting a target opens its health in the trace panel,
selecting a request mark its decision trace. In English and in Korean; the strings come
from the site's catalogs (labs.run_diagram, labs.messages)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from labs import messages as codes
from labs import run_diagram
from labs.models import Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run
from tests.browser.test_run_demo_lab import AT_LEAST_ONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())  # run-diagram-<language>*.png, for a person
USERS1 = '[data-target="10.0.1.10:80"][data-target-group="UsersTargets"]'


class DiagramUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.topology = Topology.objects.get(owner=None, slug="path-routing").title
            catalog = codes.catalog()
            words = {code: str(text) for code, text in run_diagram.WORDS.items()}
            self.heading = gettext("Live diagram")
            self.outcomes = [str(text) for text in run_diagram.OUTCOMES.values()][:5]
            self.healthy = catalog["health"]["healthy"]
            self.unhealthy = catalog["health"]["unhealthy"]
            self.all_healthy = words["groupHealthy"] % {"healthy": 2, "total": 2}
            self.one_healthy = words["groupHealthy"] % {"healthy": 1, "total": 2}
            self.health_heading = words["healthHeading"] % {
                "target": "Users1 (10.0.1.10:80)",
                "group": "UsersTargets",
            }
            self.healthy_meaning = str(run_diagram.STATE_MEANINGS["healthy"])
            self.unhealthy_meaning = str(run_diagram.STATE_MEANINGS["unhealthy"])
            self.mismatch = catalog["healthReasons"]["Target.ResponseCodeMismatch"]
            self.passed = catalog["charts"]["checkPassed"]
            self.final = gettext(
                "This run has ended: the diagram shows its final counts and health."
            )
            self.apply = gettext("Apply")
            self.deregister = gettext("Deregister")
            self.draining = catalog["health"]["draining"]
            self.stop = gettext("Stop")

    def texts(self) -> list[str]:
        return [
            self.heading,
            *self.outcomes,
            self.all_healthy,
            self.health_heading,
            self.healthy_meaning,
            self.final,
        ]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_requests_travel_on_the_diagram_and_a_target_explains_its_health(
    demo_site: str, page: Page, language: str
):
    ui = DiagramUi(language)
    if language != "en":
        assert not set(ui.texts()) & set(DiagramUi("en").texts()), "untranslated"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, language, ui.topology)

    section = page.locator("#live-diagram")
    expect(section.get_by_role("heading", name=ui.heading)).to_be_visible()
    expect(section.locator("#diagram-motion")).to_be_hidden()
    for words in ui.outcomes:  # the legend names every outcome beside its shape
        expect(section.locator(".mark-legend")).to_contain_text(words)

    # Requests travel: marks are drawn, move for a while and arrive at their target.
    expect(section.locator(".marks .mark-ok").first).to_be_attached(timeout=RUN_TIMEOUT_MS)
    page.wait_for_function(
        "() => Number(document.getElementById('live-diagram')?.dataset.marksArrived || 0) >= 5",
        timeout=RUN_TIMEOUT_MS,
    )
    expect(section.locator('g.rule[data-rule="10"]')).to_have_attribute(
        "data-lit", "true", timeout=RUN_TIMEOUT_MS
    )

    # Each target shows its health and count; its group, how many are healthy.
    users1 = section.locator(f"g.instance .live-target{USERS1}")
    expect(users1).to_have_attribute("data-health", "healthy", timeout=RUN_TIMEOUT_MS)
    expect(users1).to_have_attribute("data-count", AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)
    expect(users1).to_contain_text(f"✓ {ui.healthy}")
    expect(users1).to_have_attribute("aria-label", re.compile(re.escape(ui.healthy)))
    users = section.locator('g.target-group[data-target-group="UsersTargets"] .tg-health')
    expect(users).to_have_text(ui.all_healthy, timeout=RUN_TIMEOUT_MS)
    line = section.locator(f"g.target-group .live-target{USERS1}")
    expect(line).to_contain_text(re.compile(r"✓ [1-9]"))

    # Selecting the target (a click on its box; in Korean, the keyboard on its group's
    # line, the one tab stop per target) opens its health.
    if language == "en":
        users1.click(position={"x": 30, "y": 12})  # its name: marks rest at its middle
        opened_from = users1
    else:
        line.focus()
        expect(line).to_have_attribute("tabindex", "0")
        page.keyboard.press("Enter")
        opened_from = line
    panel = page.locator("#trace")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-target", "10.0.1.10:80")
    expect(panel.locator("#trace-heading")).to_have_text(ui.health_heading)
    state = panel.locator('[data-step="health-state"]')
    expect(state).to_contain_text(ui.healthy_meaning)
    expect(panel.locator('[data-step="health-checks"] li').first).to_contain_text(ui.passed)

    # It turns unhealthy: the diagram and the open panel say so, with AWS's reason code.
    row = page.locator('#targets tr[data-target="10.0.1.10:80"]')
    row.locator("select").select_option("unhealthy")
    row.get_by_role("button", name=ui.apply, exact=True).click()
    expect(users1).to_have_attribute("data-health", "unhealthy", timeout=RUN_TIMEOUT_MS)
    expect(users1.locator(".live-reason")).to_have_text("Target.ResponseCodeMismatch")
    expect(users).to_have_text(ui.one_healthy)
    expect(state).to_contain_text(ui.unhealthy_meaning)
    expect(state.locator(".health-why")).to_contain_text("Target.ResponseCodeMismatch")
    expect(state.locator(".health-why")).to_contain_text(ui.mismatch)

    expect(panel).to_be_in_viewport()  # beside the diagram, not far below it

    # Deregistering a target drains it: the sign and the word say so on the drawing.
    posts1 = section.locator('g.instance .live-target[data-target="10.0.1.20:80"]')
    page.locator('#targets tr[data-target="10.0.1.20:80"]').get_by_role(
        "button", name=ui.deregister, exact=True
    ).click()
    expect(posts1).to_have_attribute("data-health", "draining", timeout=RUN_TIMEOUT_MS)
    expect(posts1).to_contain_text(f"↓ {ui.draining}")

    shot = SCREENSHOTS / f"run-diagram-{language}"
    page.screenshot(path=f"{shot}.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=f"{shot}-phone-panel.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Escape closes the panel and hands the focus back to the target it was opened from.
    panel.press("Escape")
    expect(panel).to_be_hidden()
    expect(opened_from).to_be_focused()
    section.screenshot(path=f"{shot}-section.png")
    page.set_viewport_size({"width": 390, "height": 844})
    section.screenshot(path=f"{shot}-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A request mark opens that request's decision trace.
    trace_id = page.wait_for_function(
        """() => {
            const mark = document.querySelector('#live-diagram .mark[data-trace-id]');
            if (!mark) return null;
            mark.dispatchEvent(new MouseEvent("click", { bubbles: true }));
            return mark.dataset.traceId;
        }""",
        timeout=RUN_TIMEOUT_MS,
    ).json_value()
    expect(panel).to_have_attribute("data-trace-id", trace_id)
    expect(panel.locator(".trace-rule").first).to_be_visible()

    # An ended run keeps its final counts and health on the diagram, after a reload too.
    page.get_by_role("button", name=ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
    page.reload()
    expect(section.locator("#diagram-final")).to_have_text(ui.final)
    expect(users1).to_have_attribute("data-count", AT_LEAST_ONE)
    expect(users1).to_have_attribute("data-health", re.compile(r"^\w+$"))
    expect(users1).to_have_attribute("data-inflight", "0")
    page.screenshot(path=f"{shot}-finished.png", full_page=True)


def test_with_reduced_motion_a_request_flashes_where_it_ended(demo_site: str, page: Page):
    page.emulate_media(reduced_motion="reduce")
    log_in_and_run(page, demo_site, "en", DiagramUi("en").topology)
    expect(page.locator("#live-diagram")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#diagram-motion")).to_be_visible()  # and says so
    # No travel: a mark is put where its request ended the moment it is drawn.
    page.wait_for_function(
        "() => Number(document.getElementById('live-diagram')?.dataset.marksArrived || 0) >= 3",
        timeout=RUN_TIMEOUT_MS,
    )
    drawn = page.locator("#live-diagram").get_attribute("data-marks-drawn")
    arrived = page.locator("#live-diagram").get_attribute("data-marks-arrived")
    assert int(arrived or 0) >= int(drawn or 0)  # each arrived the moment it was drawn
    expect(page.locator(f"#live-diagram g.instance .live-target{USERS1}")).to_have_attribute(
        "data-inflight", "0"
    )
    page.get_by_role("button", name=gettext("Stop"), exact=True).click()


@pytest.mark.parametrize("slug", ["nlb-static-ips", "gwlb-appliances"])
def test_an_nlb_or_gwlb_run_draws_its_flows(demo_site: str, page: Page, slug: str):
    with translation.override("en"):
        title = Topology.objects.get(owner=None, slug=slug).title
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in_and_run(page, demo_site, "en", title)
    section = page.locator("#live-diagram")
    expect(section.locator('.mark-legend [data-outcome="flow"]')).to_contain_text(
        str(run_diagram.OUTCOMES["flow"])
    )
    # Each target counts the flows it was given (from the snapshot when they opened before
    # the page connected: an NLB's clients keep their connections).
    counted = section.locator("g.target-group .live-target:not([data-count='0'])")
    expect(counted.first).to_have_attribute("data-count", AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)
    expect(counted.first).to_have_attribute("data-health", "healthy", timeout=RUN_TIMEOUT_MS)
    if slug == "gwlb-appliances":  # a flow event for every packet: they travel
        expect(section.locator(".marks .mark-flow").first).to_be_attached(timeout=RUN_TIMEOUT_MS)
        page.wait_for_function(
            "() => Number(document.getElementById('live-diagram').dataset.marksArrived) >= 1",
            timeout=RUN_TIMEOUT_MS,
        )
    section.screenshot(path=str(SCREENSHOTS / f"run-diagram-{slug}.png"))
    page.get_by_role("button", name=gettext("Stop"), exact=True).click()


def test_at_a_high_rate_the_diagram_draws_a_sample_and_says_so(demo_site: str, page: Page):
    ui = DiagramUi("en")
    log_in_and_run(page, demo_site, "en", ui.topology)
    section = page.locator("#live-diagram")
    expect(section).to_have_attribute("data-marks-drawn", AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)
    sampling = section.locator("#diagram-sampling")
    expect(sampling).to_be_hidden()  # 10 requests a second: every one is drawn
    page.locator("#traffic-rps").fill("120")
    page.get_by_role("button", name=gettext("Set the rate"), exact=True).click()
    shown = re.escape(str(run_diagram.WORDS["sampled"])).replace(r"%\(n\)s", r"([2-9]|\d\d+)")
    expect(sampling).to_have_text(re.compile(f"^{shown}$"), timeout=RUN_TIMEOUT_MS)
    # The drawing stays bounded whatever the rate: at most MAX_MARKS (40) marks at once.
    page.wait_for_function(
        "() => Number(document.getElementById('live-diagram').dataset.marksDrawn) >= 60",
        timeout=RUN_TIMEOUT_MS,
    )
    assert 0 < int(section.get_attribute("data-marks-peak") or 0) <= 40
    page.get_by_role("button", name=gettext("Stop"), exact=True).click()
