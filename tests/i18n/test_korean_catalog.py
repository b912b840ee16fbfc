"""Every string a user sees has Korean, and the compiled catalog in the tree says so."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from labs import messages
from labs.models import CHANGE_SUMMARIES

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES" / "django.po"
# msgid "..." + continuation lines, an optional plural, then msgstr (or msgstr[0]) likewise.
ENTRY = re.compile(
    r'^msgid "(.*)"\n((?:".*"\n)*)'
    r"(?:msgid_plural .*\n(?:\".*\"\n)*)?"
    r'msgstr(?:\[0\])? "(.*)"\n((?:".*"\n)*)',
    re.M,
)


def _entries() -> list[tuple[str, str]]:
    text = PO_FILE.read_text(encoding="utf-8") + "\n"
    found = []
    for match in ENTRY.finditer(text):
        msgid = match.group(1) + "".join(re.findall(r'"(.*)"', match.group(2)))
        msgstr = match.group(3) + "".join(re.findall(r'"(.*)"', match.group(4)))
        if msgid:  # the header
            found.append((msgid, msgstr))
    return found


def test_no_entry_is_fuzzy():
    assert "#, fuzzy" not in PO_FILE.read_text(encoding="utf-8")


def test_no_entry_is_left_untranslated():
    entries = _entries()
    assert len(entries) > 100
    assert [msgid for msgid, msgstr in entries if not msgstr] == []


@pytest.mark.parametrize(
    "table",
    [
        messages.RUN_STATES,
        messages.RUN_REASONS,
        messages.HEALTH_STATES,
        messages.HEALTH_REASONS,
        messages.ROUTING_REASONS,
        messages.UI,
        # the builder's
        messages.PROBLEM_CODES,
        messages.PROBLEM_RULES,
        messages.NOT_RUNNABLE,
        CHANGE_SUMMARIES,
    ],
)
def test_every_code_reads_in_korean(table):
    with translation.override("ko"):
        korean = {code: str(text) for code, text in table.items()}
    with translation.override("en"):
        english = {code: str(text) for code, text in table.items()}
    assert [code for code in table if korean[code] == english[code]] == []
    assert all(re.search("[가-힣]", text) for text in korean.values())


def test_an_unknown_code_reads_as_itself():
    assert messages.describe(messages.HEALTH_REASONS, "Target.Brandnew") == "Target.Brandnew"
