"""Each L4/L3 and Classic starter runs from the web page and shows live traffic: flows for
the NLB and the GWLB, requests for the NLB in front of an ALB and the Classic LB. A run
stops as soon as the first rows are on the page. Strings come from the site's catalogs."""

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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(tempfile.gettempdir())
AT_LEAST_ONE = re.compile(r"^[1-9]\d*$")
FLOWS, REQUESTS = "flows", "requests"


@pytest.mark.parametrize(
    ("slug", "traffic", "language"),
    [
        ("nlb-static-ips", FLOWS, "en"),
        ("nlb-static-ips", FLOWS, "ko"),
        ("nlb-in-front-of-alb", REQUESTS, "en"),
        ("gwlb-appliances", FLOWS, "en"),
        ("classic-lb", REQUESTS, "en"),
    ],
)
def test_a_starter_runs_from_the_page_and_shows_live_traffic(
    demo_site: str, page: Page, slug: str, traffic: str, language: str
):
    with translation.override(language):
        title = Topology.objects.get(owner=None, slug=slug).title
        heading = gettext("Latest flows")
        stop = gettext("Stop")
        finished = str(codes.run_state("finished"))
        states = codes.catalog()["flowStates"]
    if language != "en":
        with translation.override("en"):
            assert heading != gettext("Latest flows"), "untranslated"

    log_in_and_run(page, demo_site, language, title)
    expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=RUN_TIMEOUT_MS)
    flows = page.locator("#flows")
    if traffic == FLOWS:
        row = page.locator("#flow-table tbody tr.flow").first
        expect(row).to_be_visible(timeout=RUN_TIMEOUT_MS)
        expect(flows.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.locator("#flow-total")).to_have_text(AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)
        state = row.get_attribute("data-state") or ""
        expect(row.locator(".flow-state")).to_contain_text(states[state])
        expect(row.locator("code").first).not_to_be_empty()
        if slug == "nlb-static-ips" and language == "ko":
            page.screenshot(path=str(SCREENSHOTS / f"run-flows-{language}.png"), full_page=True)
        # No HTTP in this lab: the empty request list gives way to a pointer at the flows.
        expect(page.locator("#requests-none a[href='#flows']")).to_be_visible()
        expect(page.locator("#requests")).to_be_hidden()
        # The flow table fits the page at 1280 px and at phone width, without scrolling
        # sideways; at phone width each cell names its column.
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.locator("#flows .table-scroll").evaluate(
                "box => box.scrollWidth - box.clientWidth"
            )
            assert overflow <= 0, (width, overflow)
        label = row.locator("td").nth(3).get_attribute("data-label")
        with translation.override(language):
            assert label == gettext("Target")
    else:
        expect(page.locator("#requests tbody tr.request").first).to_be_visible(
            timeout=RUN_TIMEOUT_MS
        )
        expect(page.locator("#request-total")).to_have_text(AT_LEAST_ONE)
        expect(page.locator("#requests-none")).to_have_count(0)

    page.get_by_role("button", name=stop, exact=True).click()
    run_state = page.locator("#run-state")
    expect(run_state).to_have_attribute("data-state", "finished", timeout=STOP_TIMEOUT_MS)
    expect(run_state).to_have_text(finished)
