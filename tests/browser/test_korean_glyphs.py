"""Korean renders as Hangul, not as empty boxes, on a machine with no Korean system font.

This machine has no Korean font (`fc-list :lang=ko` is empty), like a bare Linux box or a
lab VM, so every Hangul glyph must come from the font the site serves. For each Korean
label on the page the test measures the text as the page laid it out, and the same text
in a probe span whose font stack is the browser's fallback only: the fallback has no
Hangul, so it draws the missing-glyph box, and a label whose width equals the probe's was
drawn with boxes too (Noto Sans KR's syllables are wider than the box).

The page loads over a slow network with the cache off, as on a busy lab VM: that is when
a font arrives after the text was laid out, the case the boxes came from. On a fast
loopback the font wins the race and the old stylesheet passes too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import RUN_TIMEOUT_MS, demo_account, submit_log_in
from tests.browser.test_run_demo_lab import Ui

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every element of these kinds whose own text has Hangul: nav, buttons, headings, labels,
# badges, the language switcher.
LABELS = "nav a, button, .button, h1, h2, h3, label, legend, th, .health-badge, .state"

# Returns, for each Korean label, its text, its laid-out width and the fallback's width.
MEASURE = """selector => {
  const hangul = /[\\uac00-\\ud7a3]/;
  const rows = [];
  for (const element of document.querySelectorAll(selector)) {
    const text = element.textContent.trim();
    if (!hangul.test(text) || element.getClientRects().length === 0) continue;
    const range = document.createRange();
    range.selectNodeContents(element);
    const style = getComputedStyle(element);
    const probe = document.createElement("span");
    probe.textContent = element.textContent;
    probe.style.cssText = "position:absolute; white-space:pre; font-family:sans-serif;"
      + `font-size:${style.fontSize}; font-weight:${style.fontWeight};`
      + `letter-spacing:${style.letterSpacing}`;
    document.body.append(probe);
    const fallback = probe.getBoundingClientRect().width;
    probe.remove();
    rows.push({text, width: range.getBoundingClientRect().width, fallback});
  }
  return rows;
}"""


# For each element showing code with Hangul in it (a template's Korean title), the width of
# its Hangul in the element's own font stack and in the generic monospace alone, which has
# none: equal widths mean boxes. Code is measured on its Hangul only, as its widest line
# is often Latin and would measure the same either way.
MEASURE_CODE = """selector => {
  const rows = [];
  for (const element of document.querySelectorAll(selector)) {
    const runs = (element.value ?? element.textContent).match(/[\\uac00-\\ud7a3]+/g);
    if (!runs || element.getClientRects().length === 0) continue;
    const text = runs.join(" ").slice(0, 60);
    const style = getComputedStyle(element);
    const width = family => {
      const probe = document.createElement("span");
      probe.textContent = text;
      probe.style.cssText = "position:absolute; white-space:pre;"
        + `font-family:${family}; font-size:${style.fontSize}`;
      document.body.append(probe);
      const measured = probe.getBoundingClientRect().width;
      probe.remove();
      return measured;
    };
    rows.push({text, width: width(style.fontFamily), fallback: width("monospace")});
  }
  return rows;
}"""


# What Chrome's DevTools call a slow connection: 300 ms round trip, 100 kB/s.
SLOW_NETWORK = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 100_000,
    "uploadThroughput": 100_000,
}


def _slow_network(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)


def _boxed_labels(page: Page) -> list[str]:
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    rows = page.evaluate(MEASURE, LABELS)
    assert rows, "no Korean label on the page"
    return [row["text"] for row in rows if abs(row["width"] - row["fallback"]) < 0.5]


def _boxed_code(page: Page) -> list[str]:
    page.evaluate("document.fonts.ready.then(() => true)")
    rows = page.evaluate(MEASURE_CODE, "pre, code, textarea")
    assert rows, "no Korean in code on the page"
    return [row["text"] for row in rows if abs(row["width"] - row["fallback"]) < 0.5]


def test_korean_labels_render_as_hangul_on_a_machine_without_a_korean_font(
    demo_site: str, page: Page
) -> None:
    ui = Ui("ko")
    _slow_network(page)
    page.goto(f"{demo_site}/")
    page.get_by_role("button", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    assert _boxed_labels(page) == [], "home page"

    page.goto(f"{demo_site}/accounts/login/")
    assert _boxed_labels(page) == [], "login page"
    submit_log_in(page, "ko", *demo_account("learner"))

    page.get_by_role("link", name=ui.topology).click()
    assert _boxed_labels(page) == [], "topology page"
    source = page.locator("details.template-source")
    source.locator("summary").click()
    expect(source.locator("pre")).to_be_visible()
    assert _boxed_code(page) == [], "the template's text"
    source.locator("summary").click()
    page.get_by_role("button", name=ui.run, exact=True).click()
    stop = page.get_by_role("button", name=ui.stop, exact=True)
    expect(stop).to_be_visible(timeout=RUN_TIMEOUT_MS)
    assert _boxed_labels(page) == [], "run page"
    stop.click()
