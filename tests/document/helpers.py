"""Shared builders for document tests: the every-type template and a way to edit it."""

import copy
from pathlib import Path
from typing import Any

from labs.cfn import parse_document

EVERY_TYPE = (Path(__file__).parent / "every_type.yaml").read_text(encoding="utf-8")
_EVERY_TYPE_DOCUMENT = parse_document(EVERY_TYPE)
DELETE = None  # as an edit's value: remove the key


def every_type_document() -> dict[str, Any]:
    """The template using every modelled resource type; a fresh copy each call."""
    return copy.deepcopy(_EVERY_TYPE_DOCUMENT)


def edited(changes: list[tuple[str, Any]]) -> dict[str, Any]:
    """The every-type document with each (dotted path, value) set; list indexes are numbers,
    one past the end appends, and ``DELETE`` removes the key."""
    document = every_type_document()
    for path, value in changes:
        keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = document
        for key in keys[:-1]:
            node = node[key]
        last = keys[-1]
        if value is DELETE:
            del node[last]
        elif isinstance(node, list) and last == len(node):
            node.append(copy.deepcopy(value))
        else:
            node[last] = copy.deepcopy(value)
    return document
