"""The bank in Moodle's two question formats, GIFT and Moodle XML, both languages kept.

Moodle holds one text per field; a bilingual site writes both languages into it with its
multi-language content filter's spans, which is what we write and read back::

    <span lang="en" class="multilang">Which one?</span>
    <span lang="ko" class="multilang">어느 것입니까?</span>   (one line in the file)

Texts are Markdown (GIFT ``[markdown]``, XML ``format="markdown"``). What Moodle has no
field for (our key, topics, status, difficulty, lab trigger, reference, how many to
choose) travels as tags in XML (``elbp:topic=alb``) and as a ``// elbp: {...}`` comment
line before each GIFT question, so exporting and importing changes nothing.
A right choice is worth 100 (or 100/n of n right ones); a wrong one 0 (-100 when many
are right, so guessing all does not pay).
"""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from playground.quizzes.models import Question

from .export import _questions, question_dict
from .records import Problems, QuestionRecord, from_json

SPAN = re.compile(r'<span lang="(en|ko)" class="multilang">(.*?)</span>', re.S)
META_KEYS = ("status", "kind", "choose", "difficulty", "topics", "reference_url", "lab_trigger")


def bilingual(pair: dict[str, str]) -> str:
    en, ko = pair.get("en", ""), pair.get("ko", "")
    if not ko:
        return en
    return (
        f'<span lang="en" class="multilang">{en}</span>'
        f'<span lang="ko" class="multilang">{ko}</span>'
    )


def split_bilingual(text: str) -> dict[str, str]:
    found = dict((lang, value.strip()) for lang, value in SPAN.findall(text))
    return (
        {"en": found.get("en", ""), "ko": found.get("ko", "")}
        if found
        else {"en": text.strip(), "ko": ""}
    )


def _fractions(choices: list[dict[str, Any]]) -> list[float]:
    right = sum(1 for c in choices if c["correct"])
    many = right > 1
    return [(round(100 / right, 5) if c["correct"] else (-100.0 if many else 0.0)) for c in choices]


# --- GIFT --------------------------------------------------------------------------------

GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def _gift_escape(text: str) -> str:
    return GIFT_SPECIAL.sub(r"\\\1", text).replace("\n", "\\n")


def _gift_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def export_gift(queryset: QuerySet[Question] | None = None) -> str:
    blocks = []
    for question in _questions(queryset):
        data = question_dict(question)
        meta = {key: data[key] for key in META_KEYS}
        lines = [f"// elbp: {json.dumps(meta, ensure_ascii=False, sort_keys=True)}"]
        prompt = _gift_escape(bilingual(data["prompt"]))
        lines.append(f"::{_gift_escape(data['key'])}::[markdown]{prompt} {{")
        for choice, fraction in zip(data["choices"], _fractions(data["choices"]), strict=True):
            mark = "=" if fraction == 100 else f"~%{fraction:g}%"
            text = _gift_escape(bilingual(choice["text"]))
            why = _gift_escape(bilingual(choice["explanation"]))
            lines.append(f"\t{mark}{text}#{why}")
        lines.append(f"\t####{_gift_escape(bilingual(data['explanation']))}")
        lines.append("}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _split_unescaped(text: str, marks: str) -> list[tuple[str, str]]:
    """``text`` cut before each unescaped character of ``marks``: (mark, piece) pairs."""
    pieces: list[tuple[str, str]] = []
    mark, start, i = "", 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in marks:
            pieces.append((mark, text[start:i]))
            mark, start = text[i], i + 1
        i += 1
    pieces.append((mark, text[start:]))
    return pieces


def parse_gift(text: str, problems: Problems) -> list[QuestionRecord]:
    records = []
    line = 1
    meta: dict[str, Any] = {}
    for block in re.split(r"\n\s*\n", text):
        start = line
        line += block.count("\n") + 2
        body = []
        for row in block.strip("\n").split("\n"):
            if row.startswith("// elbp:"):
                try:
                    meta = json.loads(row[len("// elbp:") :])
                except ValueError:
                    problems.append((start, _("the elbp comment is not valid JSON.")))
            elif not row.startswith("//"):
                body.append(row)
        source = "\n".join(body).strip()
        if not source:
            continue
        item = _gift_question(source, meta, start, problems)
        meta = {}
        if item is not None:
            record = from_json(start, item, problems)
            if record is not None:
                records.append(record)
    return records


def _gift_question(source: str, meta: dict[str, Any], line: int, problems: Problems) -> Any:
    match = re.match(r"::(?P<key>(?:\\.|[^:])*)::(?P<rest>.*)", source, re.S)
    if match is None:
        problems.append((line, _("a GIFT question starts with ::its key::.")))
        return None
    key, rest = _gift_unescape(match["key"]).strip(), match["rest"]
    opening = next(
        (i for i, m in enumerate(rest) if m == "{" and (i == 0 or rest[i - 1] != "\\")), -1
    )
    if opening < 0 or not rest.rstrip().endswith("}"):
        problems.append((line, _("question “%(key)s” has no {…} answers.") % {"key": key}))
        return None
    prompt = rest[:opening].strip().removeprefix("[markdown]")
    answers = rest[opening + 1 : rest.rstrip().rfind("}")]
    general, _mark, _rest = answers.partition("####")
    choices = []
    for mark, piece in _split_unescaped(general, "=~"):
        if not mark:
            continue
        piece = piece.strip()
        weight = 100.0 if mark == "=" else 0.0
        weighted = re.match(r"%(-?[\d.]+)%(.*)", piece, re.S)
        if weighted:
            weight, piece = float(weighted[1]), weighted[2]
        parts = _split_unescaped(piece, "#")
        words = parts[0][1]
        why = parts[1][1] if len(parts) > 1 else ""
        choices.append(
            {
                "text": split_bilingual(_gift_unescape(words)),
                "explanation": split_bilingual(_gift_unescape(why)),
                "correct": weight > 0,
            }
        )
    return {
        **meta,
        "key": key,
        "prompt": split_bilingual(_gift_unescape(prompt)),
        "explanation": split_bilingual(_gift_unescape(_rest.strip())),
        "choices": choices,
    }


# --- Moodle XML ---------------------------------------------------------------------------


def export_moodle_xml(queryset: QuerySet[Question] | None = None) -> str:
    quiz = ET.Element("quiz")
    for question in _questions(queryset):
        data = question_dict(question)
        q = ET.SubElement(quiz, "question", type="multichoice")
        ET.SubElement(ET.SubElement(q, "name"), "text").text = data["key"]
        _text(q, "questiontext", bilingual(data["prompt"]))
        _text(q, "generalfeedback", bilingual(data["explanation"]))
        ET.SubElement(q, "single").text = "true" if data["kind"] == "single" else "false"
        ET.SubElement(q, "shuffleanswers").text = "false"
        ET.SubElement(q, "answernumbering").text = "ABCD"
        for choice, fraction in zip(data["choices"], _fractions(data["choices"]), strict=True):
            answer = ET.SubElement(q, "answer", fraction=f"{fraction:g}", format="markdown")
            ET.SubElement(answer, "text").text = bilingual(choice["text"])
            _text(answer, "feedback", bilingual(choice["explanation"]))
        tags = ET.SubElement(q, "tags")
        for key in META_KEYS:
            values = data[key] if isinstance(data[key], list) else [data[key]]
            for value in values:
                if value not in ("", None):
                    ET.SubElement(ET.SubElement(tags, "tag"), "text").text = f"elbp:{key}={value}"
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(ET.SubElement(parent, name, format="markdown"), "text").text = value


def parse_moodle_xml(text: str, problems: Problems) -> list[QuestionRecord]:
    root = _parse_xml(text, problems)
    if root is None:
        return []
    records = []
    for number, q in enumerate(root.iter("question"), start=1):
        if q.get("type") != "multichoice":
            continue  # a category or a kind we do not have
        item: dict[str, Any] = {"topics": []}
        for tag in q.findall("tags/tag/text"):
            key, _sep, value = (tag.text or "").removeprefix("elbp:").partition("=")
            if key == "topics" or key == "topic":
                item["topics"].append(value)
            elif key in META_KEYS:
                item[key] = int(value) if key == "choose" and value.isdigit() else value
        item["key"] = (q.findtext("name/text") or "").strip()
        item["prompt"] = split_bilingual(q.findtext("questiontext/text") or "")
        item["explanation"] = split_bilingual(q.findtext("generalfeedback/text") or "")
        item.setdefault("kind", "single" if q.findtext("single", "true") == "true" else "multiple")
        item["choices"] = [
            {
                "text": split_bilingual(a.findtext("text") or ""),
                "explanation": split_bilingual(a.findtext("feedback/text") or ""),
                "correct": float(a.get("fraction", "0")) > 0,
            }
            for a in q.findall("answer")
        ]
        record = from_json(number, item, problems)
        if record is not None:
            records.append(record)
    return records


def _parse_xml(text: str, problems: Problems) -> ET.Element | None:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        # No DTDs at all: entity expansion is how XML files attack their readers.
        problems.append((1, _("the XML file may not declare a DOCTYPE or entities.")))
        return None
    try:
        return ET.fromstring(text)  # noqa: S314 - no DTD (checked above), so no entities
    except ET.ParseError as error:
        problems.append((error.position[0], _("not valid XML: %(error)s") % {"error": str(error)}))
        return None
