"""A learner builds path routing in the builder, runs it, and watches /users and /posts
land on their own target groups, in English and in Korean.

From a fork of the basic ALB starter (three instances, one target group behind an HTTP:80
listener) the learner adds two target groups and two path-pattern rules through the
builder's forms, sets the traffic to /users and /posts, and presses Run. Every label the
test uses comes from the site's own forms and catalogs, so a missing Korean translation
fails it.
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from playwright.sync_api import Locator, Page, expect

from labs import forms as builder_forms
from labs.forms.actions import ActionForm, ConditionRowForm, WeightedGroupRowForm
from labs.forms.balancing import TargetRowForm
from labs.models import Topology
from tests.browser.helpers import RUN_TIMEOUT_MS, STOP_TIMEOUT_MS, demo_account, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AT_LEAST_ONE = re.compile(r"^[1-9]\d*$")
SAVE_TIMEOUT_MS = 10_000
# Where the basic ALB starter puts the instances the new target groups use.
USERS_TARGET, POSTS_TARGET = "10.0.1.10:80", "10.0.2.10:80"  # Web1, Web3


def _label(form_class: type, field: str) -> str:
    return str(form_class.base_fields[field].label)


class Ui:
    """The builder's strings in ``language``, taken from where the pages take them."""

    def __init__(self, language: str) -> None:
        editors = builder_forms.EDITORS
        with translation.override(language):
            self.topology = Topology.objects.get(owner=None, slug="basic-alb").title
            self.fork = gettext("Fork")
            self.add_target_group = str(editors["target-group"].add_label)
            self.add_rule = str(editors["listener-rule"].add_label)
            self.traffic = gettext("Traffic the run sends")
            self.save = gettext("Save")
            self.logical_id = _label(builder_forms.ResourceForm, "logical_id")
            self.target_row = gettext("Target %(number)s") % {"number": 1}
            self.target = _label(TargetRowForm, "resource")
            self.health_path = _label(editors["target-group"], "hc_path")
            self.condition_row = gettext("Condition %(number)s") % {"number": 1}
            self.condition = _label(ConditionRowForm, "field")
            self.path_condition = gettext("Path")
            self.values = _label(ConditionRowForm, "values")
            self.group_row = gettext("Target group %(number)s") % {"number": 1}
            self.target_group = _label(WeightedGroupRowForm, "target_group")
            self.action = _label(ActionForm, "action_type")
            self.paths = _label(editors["traffic"], "paths")
            self.run = pgettext("verb: start a lab run", "Run")
            self.stop = gettext("Stop")

    def texts(self) -> list[str]:
        return [value for name, value in vars(self).items() if name != "topology"]


def _field(scope: Page | Locator, label: str) -> Locator:
    """The control labelled ``label`` (Django adds a colon to labels)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def _saved(page: Page, revision: int) -> None:
    expect(page.locator("body")).to_have_attribute(
        "data-revision", str(revision), timeout=SAVE_TIMEOUT_MS
    )


def _add_target_group(page: Page, ui: Ui, name: str, instance: str, revision: int) -> None:
    page.get_by_role("link", name=ui.add_target_group).click()
    editor = page.locator('#editor form[data-kind="target-group"][data-original-id=""]')
    expect(editor).to_be_visible()
    _field(editor, ui.logical_id).fill(name)
    _field(editor.get_by_role("group", name=ui.target_row), ui.target).select_option(instance)
    _field(editor, ui.health_path).fill("/health")
    editor.get_by_role("button", name=ui.add_target_group, exact=True).click()
    _saved(page, revision)
    expect(page.locator(f'#diagram [data-resource="{name}"]')).to_be_visible()


def _add_path_rule(page: Page, ui: Ui, name: str, path: str, group: str, revision: int) -> None:
    page.get_by_role("link", name=ui.add_rule).click()
    editor = page.locator('#editor form[data-kind="listener-rule"][data-original-id=""]')
    expect(editor).to_be_visible()
    _field(editor, ui.logical_id).fill(name)
    condition = editor.get_by_role("group", name=ui.condition_row)
    _field(condition, ui.condition).select_option(label=ui.path_condition)
    _field(condition, ui.values).fill(path)
    forward = editor.get_by_role("group", name=ui.group_row)
    _field(forward, ui.target_group).select_option(group)
    # Enter in a text field submits, as it should for a keyboard user.
    _field(editor, ui.logical_id).press("Enter")
    _saved(page, revision)
    expect(page.locator(f'#diagram [data-resource="{name}"]')).to_be_visible()


def _set_traffic(page: Page, ui: Ui, paths: str, revision: int) -> None:
    page.get_by_role("link", name=ui.traffic).click()
    editor = page.locator('#editor form[data-kind="traffic"]')
    expect(editor).to_be_visible()
    _field(editor, ui.paths).fill(paths)
    editor.get_by_role("button", name=ui.save, exact=True).click()
    _saved(page, revision)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_learner_builds_path_routing_and_sees_each_path_reach_its_group(
    demo_site: str, page: Page, language: str
):
    ui = Ui(language)
    if language != "en":
        untranslated = set(ui.texts()) & set(Ui("en").texts())
        assert not untranslated, f"untranslated UI strings: {untranslated}"
    log_in(page, demo_site, language, *demo_account("learner"))

    page.get_by_role("link", name=ui.topology).click()
    page.get_by_role("button", name=ui.fork, exact=True).click()
    _saved(page, 1)

    _add_target_group(page, ui, "UsersTargets", "Web1", revision=2)
    _add_target_group(page, ui, "PostsTargets", "Web3", revision=3)
    _add_path_rule(page, ui, "UsersRule", "/users", "UsersTargets", revision=4)
    _add_path_rule(page, ui, "PostsRule", "/posts", "PostsTargets", revision=5)
    _set_traffic(page, ui, "/users\n/posts", revision=6)
    expect(page.locator("#diagram .rule").first).to_contain_text("10 · UsersRule")

    page.get_by_role("button", name=ui.run, exact=True).click()
    targets = page.locator("#targets")
    for group, address in (("UsersTargets", USERS_TARGET), ("PostsTargets", POSTS_TARGET)):
        row = targets.locator(f'tr[data-target-group="{group}"][data-target="{address}"]')
        expect(row.locator(".count")).to_have_text(AT_LEAST_ONE, timeout=RUN_TIMEOUT_MS)
    requests = page.locator("#requests tr.request")
    for path, group in (("/users", "UsersTargets"), ("/posts", "PostsTargets")):
        expect(requests.and_(page.locator(f'[data-path="{path}"]')).first).to_have_attribute(
            "data-target-group", group
        )
    # Every request so far went by its path: nothing reached the default action's group.
    groups_by_path = requests.evaluate_all(
        "rows => rows.map(row => [row.dataset.path, row.dataset.targetGroup])"
    )
    assert {tuple(pair) for pair in groups_by_path} <= {
        ("/users", "UsersTargets"),
        ("/posts", "PostsTargets"),
    }
    for row in targets.locator('tr[data-target-group="WebTargets"]').all():
        expect(row.locator(".count")).to_have_text("0")

    page.get_by_role("button", name=ui.stop, exact=True).click()
    expect(page.locator("#run-state")).to_have_attribute(
        "data-state", "finished", timeout=STOP_TIMEOUT_MS
    )
