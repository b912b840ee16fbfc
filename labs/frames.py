"""What a browser may send on a run page's socket, before any handler sees it.

A frame is one JSON object, at most ``MAX_FRAME_BYTES`` of UTF-8 (text or binary frame),
nested at most ``MAX_DEPTH`` deep, whose numbers fit a database integer or are finite
floats and whose strings are real text (no lone surrogates). Anything else raises
``FrameError`` with a message for the viewer, in the active language: handlers never
meet ``inf`` as a question id, a recursion limit, or a string the database cannot store.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.translation import gettext as _

MAX_FRAME_BYTES = 64 * 1024
MAX_DEPTH = 32
_INT_LIMIT = 2**63  # a BigAutoField's range, the widest id a handler looks up


class FrameError(ValueError):
    """A frame we refuse; ``str(error)`` tells the viewer why."""


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> Any:
    """The frame's JSON value, checked as the module's comment says.

    Raises:
        FrameError: naming the first problem found.
    """
    if text_data is None:
        try:
            text_data = (bytes_data or b"").decode("utf-8")
        except UnicodeDecodeError:
            raise FrameError(_("The message is not valid UTF-8 text.")) from None
    size = len(text_data.encode("utf-8", "surrogatepass"))
    if size > MAX_FRAME_BYTES:
        raise FrameError(
            _("The message is %(size)d bytes long; at most %(limit)d bytes are accepted.")
            % {"size": size, "limit": MAX_FRAME_BYTES}
        )
    if _depth(text_data) > MAX_DEPTH:
        raise FrameError(
            _("The message is nested more than %(limit)d levels deep.") % {"limit": MAX_DEPTH}
        )
    try:
        content = json.loads(
            text_data, parse_int=_int, parse_float=_float, parse_constant=_constant
        )
    except json.JSONDecodeError as error:
        raise FrameError(
            _("The message is not valid JSON (line %(line)d, column %(column)d).")
            % {"line": error.lineno, "column": error.colno}
        ) from None
    _check_text(content)
    return content


def _depth(text: str) -> int:
    """How deep brackets nest outside strings (json.loads would recurse that deep)."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _out_of_range(literal: str) -> FrameError:
    shown = literal if len(literal) <= 24 else literal[:20] + "…"
    return FrameError(_("The number %(number)s is out of range.") % {"number": shown})


def _int(literal: str) -> int:
    try:
        value = int(literal)
    except ValueError:  # more digits than Python converts
        raise _out_of_range(literal) from None
    if not -_INT_LIMIT <= value < _INT_LIMIT:
        raise _out_of_range(literal)
    return value


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e999
        raise _out_of_range(literal)
    return value


def _constant(literal: str) -> float:
    raise _out_of_range(literal)  # NaN, Infinity, -Infinity: not JSON


def _check_text(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800": a lone surrogate escape
            raise FrameError(_("The message contains text that is not valid Unicode.")) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)
