"""A learner adds a certificate, an HTTPS listener that uses it and a Lambda function from
the keyboard, in English and in Korean; the listener's certificate settings show only
while its protocol is HTTPS or TLS. Labels come from the site's own forms."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Locator, Page, expect

from labs import forms as builder_forms
from labs.forms.actions import WeightedGroupRowForm
from labs.models import Topology
from tests.browser.helpers import demo_account, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVE_TIMEOUT_MS = 10_000


def _label(form_class: type, field: str) -> str:
    return str(form_class.base_fields[field].label)


def _field(scope: Page | Locator, label: str) -> Locator:
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def _saved(page: Page, revision: int) -> None:
    expect(page.locator("body")).to_have_attribute(
        "data-revision", str(revision), timeout=SAVE_TIMEOUT_MS
    )


@pytest.mark.parametrize("language", ["en", "ko"])
def test_learner_adds_a_certificate_an_https_listener_and_a_function(
    demo_site: str, page: Page, language: str
):
    editors = builder_forms.EDITORS
    with translation.override(language):
        starter = Topology.objects.get(owner=None, slug="basic-alb").title
        add_certificate = str(editors["certificate"].add_label)
        add_listener = str(editors["listener"].add_label)
        add_function = str(editors["lambda-function"].add_label)
        logical_id = _label(builder_forms.ResourceForm, "logical_id")
        protocol, port, certificate = (
            _label(editors["listener"], name) for name in ("protocol", "port", "certificate")
        )
        handler = _label(editors["lambda-function"], "handler")
        group_row = gettext("Target group %(number)s") % {"number": 1}
        target_group = _label(WeightedGroupRowForm, "target_group")
        fork = gettext("Fork")

    log_in(page, demo_site, language, *demo_account("learner"))
    page.get_by_role("link", name=starter).click()
    page.get_by_role("button", name=fork, exact=True).click()
    _saved(page, 1)

    page.get_by_role("link", name=add_certificate).click()
    editor = page.locator('#editor form[data-kind="certificate"][data-original-id=""]')
    _field(editor, logical_id).fill("SiteCert")
    _field(editor, logical_id).press("Enter")
    _saved(page, 2)
    expect(page.locator('#outline a[data-edit="SiteCert"]')).to_be_visible()

    page.get_by_role("link", name=f"+ {add_listener}", exact=True).click()
    editor = page.locator('#editor form[data-kind="listener"][data-original-id=""]')
    secure = editor.locator('fieldset[data-show-value="HTTPS TLS"]')
    main = editor.locator("fieldset").first  # the redirect action has a protocol and port too
    expect(secure).to_be_hidden()
    _field(main, protocol).select_option("HTTPS")
    expect(secure).to_be_visible()
    _field(main, port).fill("443")
    _field(secure, certificate).select_option("SiteCert")
    _field(editor.get_by_role("group", name=group_row), target_group).select_option("WebTargets")
    _field(editor, logical_id).fill("HttpsListener")
    _field(editor, logical_id).press("Enter")
    _saved(page, 3)
    expect(page.locator('#diagram [data-resource="HttpsListener"]')).to_contain_text("HTTPS:443")

    page.get_by_role("link", name=add_function).click()
    editor = page.locator('#editor form[data-kind="lambda-function"][data-original-id=""]')
    _field(editor, handler).select_option("hello")
    _field(editor, logical_id).fill("Hello")
    _field(editor, logical_id).press("Enter")
    _saved(page, 4)
    expect(page.locator("#outline")).to_contain_text("HelloPermission")
