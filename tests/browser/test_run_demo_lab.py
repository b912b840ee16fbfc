"""A learner runs the demo lab in a real browser, in English and in Korean.

Every string the test looks for comes from the site's own translation catalogs, and in
Korean each must differ from its English source: a missing translation fails the test.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Page, expect

from labs import messages as codes
from labs.models import Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, log_in_and_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGETS = ("10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80")  # Web1, Web2, Web3
AT_LEAST_TEN = re.compile(r"^([1-9]\d+)$")
AT_LEAST_ONE = re.compile(r"^[1-9]\d*$")


class Ui:
    """The page's strings in ``language``, looked up where the templates look them up."""

    def __init__(self, language: str) -> None:
        topology = Topology.objects.get(owner=None, slug="basic-alb")
        with translation.override(language):
            login_form = AuthenticationForm()
            self.username = str(login_form.fields["username"].label)
            self.password = str(login_form.fields["password"].label)
            self.log_in = gettext("Log in")
            self.run = pgettext("verb: start a lab run", "Run")
            self.stop = gettext("Stop")
            self.finished = str(codes.run_state("finished"))
            self.topology = topology.title

    def texts(self) -> list[str]:
        return list(vars(self).values())


@pytest.mark.parametrize("language", ["en", "ko"])
def test_learner_runs_the_demo_lab_and_stops_it(demo_site: str, page: Page, language: str):
    ui = Ui(language)
    if language != "en":
        assert not set(ui.texts()) & set(Ui("en").texts()), "untranslated UI strings"

    log_in_and_run(page, demo_site, language, ui.topology)

    total = page.locator("#request-total")
    expect(total).to_have_text(AT_LEAST_TEN, timeout=RUN_TIMEOUT_MS)
    targets = page.locator("#targets")
    for address in TARGETS:
        row = targets.get_by_role("row").filter(has_text=address)
        expect(row.locator(".count")).to_have_text(AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)

    page.get_by_role("button", name=ui.stop, exact=True).click()
    state = page.locator("#run-state")
    expect(state).to_have_attribute("data-state", "finished", timeout=STOP_TIMEOUT_MS)
    expect(state).to_have_text(ui.finished)
