"""Reading a bank file into records, remembering the line each record starts on."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .records import CSV_COLUMNS, Problems, QuestionRecord, from_csv, from_json

JSON_WHITESPACE = " \t\r\n"


@dataclass
class Parsed:
    questions: list[QuestionRecord] = field(default_factory=list)
    topics: list[tuple[int, Any]] = field(default_factory=list)
    sets: list[tuple[int, Any]] = field(default_factory=list)


def guess_format(name: str, text: str) -> str:
    if name.lower().endswith(".csv"):
        return "csv"
    if name.lower().endswith(".gift") or text.lstrip().startswith(("// elbp:", "::")):
        return "gift"
    if name.lower().endswith(".xml") or text.lstrip().startswith(("<?xml", "<quiz")):
        return "xml"
    if name.lower().endswith(".json") or text.lstrip()[:1] in ("{", "["):
        return "json"
    return "csv"


def parse(text: str, fmt: str, problems: Problems) -> Parsed:
    from . import moodle  # it builds on export, which imports the models

    if fmt == "gift":
        return Parsed(questions=moodle.parse_gift(text, problems))
    if fmt == "xml":
        return Parsed(questions=moodle.parse_moodle_xml(text, problems))
    return parse_json(text, problems) if fmt == "json" else parse_csv(text, problems)


def parse_json(text: str, problems: Problems) -> Parsed:
    try:
        data = json.loads(text)
    except ValueError as error:
        problems.append(
            (
                getattr(error, "lineno", 1),
                _("not valid JSON: %(error)s") % {"error": getattr(error, "msg", str(error))},
            )
        )
        return Parsed()
    if isinstance(data, list):
        sections = {"questions": _array_items(text, _skip(text, 0))[0]}
    elif isinstance(data, dict):
        sections = _object_arrays(text)
    else:
        problems.append((1, _("a bank file is a JSON object with a “questions” list.")))
        return Parsed()
    parsed = Parsed(topics=sections.get("topics", []), sets=sections.get("sets", []))
    for line, item in sections.get("questions", []):
        record = from_json(line, item, problems)
        if record is not None:
            parsed.questions.append(record)
    return parsed


def parse_csv(text: str, problems: Problems) -> Parsed:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = [name for name in ("key", "prompt_en") if name not in (reader.fieldnames or [])]
    if missing:
        problems.append(
            (
                1,
                _("the header row lacks the columns: %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
        return Parsed()
    unknown = [name for name in reader.fieldnames or [] if name not in CSV_COLUMNS]
    if unknown:
        problems.append(
            (
                1,
                _("the header row has unknown columns: %(columns)s.")
                % {"columns": ", ".join(unknown)},
            )
        )
    parsed = Parsed()
    start = reader.line_num + 1
    for row in reader:
        if any((value or "").strip() for value in row.values() if isinstance(value, str)):
            parsed.questions.append(from_csv(start, row, problems))
        start = reader.line_num + 1
    return parsed


# --- JSON with positions ---------------------------------------------------------------
# json.loads forgets where things were; a bad row must be reported on its line. The text
# has already parsed, so this walk only finds where each top-level array item begins.

_decoder = json.JSONDecoder()


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in JSON_WHITESPACE:
        index += 1
    return index


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _array_items(text: str, index: int) -> tuple[list[tuple[int, Any]], int]:
    items: list[tuple[int, Any]] = []
    index = _skip(text, index + 1)  # past "["
    while text[index] != "]":
        value, end = _decoder.raw_decode(text, index)
        items.append((_line(text, index), value))
        index = _skip(text, end)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return items, index + 1


def _object_arrays(text: str) -> dict[str, list[tuple[int, Any]]]:
    arrays: dict[str, list[tuple[int, Any]]] = {}
    index = _skip(text, _skip(text, 0) + 1)  # past "{"
    while text[index] != "}":
        key, index = _decoder.raw_decode(text, index)
        index = _skip(text, _skip(text, index) + 1)  # past ":"
        if text[index] == "[":
            arrays[key], index = _array_items(text, index)
        else:
            _, index = _decoder.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
    return arrays
