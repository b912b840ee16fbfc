"""What most browser tests do first: log in, in English or in Korean, and start a run.

Labels come from where the login page takes them (Django's AuthenticationForm and the
catalogs), so the same steps work in either language.
"""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Page, expect

from playground.accounts.management.commands.seed_demo import DEMO_ACCOUNTS

RUN_TIMEOUT_MS = 30_000  # the worker builds the sandbox, then traffic is 10 requests/s
STOP_TIMEOUT_MS = 5_000  # Stop ends a run within a second; the margin is for slow CI


def demo_account(username: str) -> tuple[str, str]:
    """The username and password ``seed_demo`` gives the demo account ``username``."""
    name, password, *_ = next(a for a in DEMO_ACCOUNTS if a[0] == username)
    return name, password


def log_in(page: Page, site: str, language: str, username: str, password: str) -> None:
    """Opens the login page in ``language`` and logs in; returns once the site let them in."""
    page.goto(f"{site}/accounts/login/")
    if language == "ko":  # a new browser context asks for English
        page.get_by_role("button", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    submit_log_in(page, language, username, password)
    expect(page).not_to_have_url(f"{site}/accounts/login/")


def submit_log_in(page: Page, language: str, username: str, password: str) -> None:
    """Fills in and sends the login form already open on ``page`` in ``language``."""
    with translation.override(language):
        form = AuthenticationForm()
        username_label = str(form.fields["username"].label)
        password_label = str(form.fields["password"].label)
        button = gettext("Log in")
    page.get_by_label(username_label).fill(username)
    page.get_by_label(password_label).fill(password)
    page.get_by_role("button", name=button, exact=True).click()


def log_in_and_run(page: Page, site: str, language: str, topology: str) -> None:
    """The demo learner logs in, opens the starter titled ``topology`` and presses Run."""
    log_in(page, site, language, *demo_account("learner"))
    page.get_by_role("link", name=topology).click()
    with translation.override(language):
        run = pgettext("verb: start a lab run", "Run")
    page.get_by_role("button", name=run, exact=True).click()
