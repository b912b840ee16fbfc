"""The run page never loses its run, in English and in Korean: a dropped socket is said and
mended (the live counts carry on), and a run waiting for a worker slot says where it stands.

Strings come from the site's own catalogs; in Korean each must differ from its English
source, so a missing translation fails the test. Screenshots go to /tmp for a look.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, WebSocketRoute, expect

from labs import messages as codes
from labs import services
from labs.models import Topology
from tests.browser.helpers import (
    RUN_TIMEOUT_MS,
    STOP_TIMEOUT_MS,
    demo_account,
    log_in,
    log_in_and_run,
)
from tests.browser.test_run_controls import _count, _wait_for_total
from tests.browser.test_run_demo_lab import Ui
from tests.factories import make_run, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECONNECT_TIMEOUT_MS = 15_000  # the page retries with a growing pause, at most a few seconds
SHOTS = Path(tempfile.gettempdir())  # screenshots of the page, to look at


class Network:
    """Between the page and daphne, Playwright carries each WebSocket; ``drop`` cuts them.

    Both sides close for real (the consumer disconnects, the page's socket fires
    ``close``), and while the network is down every new socket is closed at once.
    """

    def __init__(self, page: Page) -> None:
        self.down = False
        self._open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket("**/ws/**", self._carry)

    def _carry(self, socket: WebSocketRoute) -> None:
        if self.down:
            socket.close()
            return
        self._open.append((socket, socket.connect_to_server()))

    def drop(self) -> None:
        self.down = True
        for page_side, server_side in self._open:
            server_side.close()
            page_side.close()
        self._open.clear()

    def restore(self) -> None:
        self.down = False


class NoticeUi:
    def __init__(self, language: str) -> None:
        with translation.override(language):
            self.reconnecting = str(codes.UI["reconnecting"])
            self.reconnected = str(codes.UI["reconnected"])
            self.waiting = str(codes.RUN_REASONS["waiting-for-slot"])
            self.position = {n: str(codes.UI["queuePosition"]) % {"position": n} for n in (1, 2)}
            self.queued = str(codes.run_state("queued"))

    def texts(self) -> list[str]:
        return [self.reconnecting, self.reconnected, self.waiting, self.queued, self.position[1]]


def _translated(language: str) -> NoticeUi:
    ui = NoticeUi(language)
    if language != "en":
        assert not set(ui.texts()) & set(NoticeUi("en").texts()), "untranslated"
    return ui


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_dropped_socket_is_said_and_mended_and_the_counts_carry_on(
    demo_site: str, page: Page, language: str
):
    notices = _translated(language)
    network = Network(page)
    log_in_and_run(page, demo_site, language, Ui(language).topology)
    body, notice = page.locator("body"), page.locator("#ws-notice")
    expect(body).to_have_attribute("data-ws", "open", timeout=RUN_TIMEOUT_MS)
    _wait_for_total(page, 5)

    network.drop()
    expect(body).to_have_attribute("data-ws", "reconnecting", timeout=RECONNECT_TIMEOUT_MS)
    expect(notice).to_have_text(notices.reconnecting)
    expect(notice).to_be_visible()
    _screenshot(page, f"run-page-reconnecting-{language}.png")
    before = _count(page, "#request-total")

    network.restore()
    expect(body).to_have_attribute("data-ws", "open", timeout=RECONNECT_TIMEOUT_MS)
    expect(notice).to_have_text(notices.reconnected)
    # The run went on meanwhile; the snapshot and the live stream carry the counts on.
    _wait_for_total(page, before + 10)
    _screenshot(page, f"run-page-reconnected-{language}.png")

    page.get_by_role("button", name=Ui(language).stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_queued_run_waits_for_a_free_slot_and_says_where_it_stands(
    demo_site: str, page: Page, language: str
):
    """Runs put in the queue without enqueueing them: no worker takes them, so they wait."""
    notices = _translated(language)
    username, password = demo_account("learner")
    topology = Topology.objects.get(owner=None, slug="basic-alb")
    ahead = make_run(topology=topology, owner=make_user("ahead"))
    ours = make_run(topology=topology, owner=get_user_model().objects.get(username=username))

    log_in(page, demo_site, language, username, password)
    page.goto(demo_site + reverse("labs-run-detail", args=[ours.pk]))
    state, reason = page.locator("#run-state"), page.locator("#run-reason")
    expect(page.locator("body")).to_have_attribute("data-ws", "open", timeout=RUN_TIMEOUT_MS)
    expect(state).to_have_attribute("data-state", "queued")
    expect(state).to_have_text(notices.queued)
    expect(reason).to_have_text(f"{notices.waiting} {notices.position[2]}")
    expect(reason).to_have_attribute("data-position", "2")
    _screenshot(page, f"run-page-queued-{language}.png")

    # The run ahead leaves the queue: the page hears its new place at once.
    _off_the_browsers_thread(services.stop_run, None, ahead)
    expect(reason).to_have_text(f"{notices.waiting} {notices.position[1]}")
    expect(reason).to_have_attribute("data-position", "1")
    _off_the_browsers_thread(services.stop_run, None, ours)
    expect(state).to_have_attribute("data-state", "finished")


def _off_the_browsers_thread(function: Callable[..., object], *args: object) -> None:
    """Playwright's event loop sits in this thread, and asgiref will not publish from a
    thread with an event loop (services.publish would log and drop the event)."""

    def call() -> None:
        try:
            function(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(call).result()


def _screenshot(page: Page, name: str) -> None:
    # Hangul comes from the self-hosted font, fetched on first use (font-display: swap).
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=SHOTS / name, full_page=True)
