"""Differences between two revisions' documents, as rows a template can draw.

``difflib.SequenceMatcher`` finds the changes; this only shapes them: unified (one column,
- and + lines) or side by side (old left, new right), each hunk with three lines of
context and the line numbers of both sides.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT = 3


@dataclass(frozen=True)
class Line:
    kind: str  # "context", "delete", "insert" or "hunk"
    old: int | None
    new: int | None
    text: str


@dataclass(frozen=True)
class Row:
    kind: str  # "equal", "replace", "delete", "insert" or "hunk"
    old: int | None
    left: str | None
    new: int | None
    right: str | None


def _hunks(old: str, new: str) -> list[list[tuple[str, int, int, int, int]]]:
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    return list(matcher.get_grouped_opcodes(CONTEXT))


def unified(old: str, new: str) -> list[Line]:
    a, b = old.splitlines(), new.splitlines()
    lines = []
    for hunk in _hunks(old, new):
        first, last = hunk[0], hunk[-1]
        header = f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        lines.append(Line("hunk", None, None, header))
        for tag, i1, i2, j1, j2 in hunk:
            if tag == "equal":
                lines += [
                    Line("context", i + 1, j + 1, a[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            lines += [Line("delete", i + 1, None, a[i]) for i in range(i1, i2)]
            lines += [Line("insert", None, j + 1, b[j]) for j in range(j1, j2)]
    return lines


def side_by_side(old: str, new: str) -> list[Row]:
    a, b = old.splitlines(), new.splitlines()
    rows = []
    for hunk in _hunks(old, new):
        rows.append(Row("hunk", None, None, None, None))
        for tag, i1, i2, j1, j2 in hunk:
            for offset in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + offset, j1 + offset
                left = a[i] if i < i2 else None
                right = b[j] if j < j2 else None
                kind = (
                    tag
                    if left is not None and right is not None
                    else ("delete" if right is None else "insert")
                )
                rows.append(
                    Row(
                        kind,
                        i + 1 if left is not None else None,
                        left,
                        j + 1 if right is not None else None,
                        right,
                    )
                )
    return rows
