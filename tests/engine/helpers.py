"""Shared builders for engine tests: the starter template as data, and ways to edit it."""

import copy
from pathlib import Path
from typing import Any

import yaml

from labs.cfn import parse_document

STARTER = (Path(__file__).resolve().parents[2] / "labs" / "starters" / "basic-alb.yaml").read_text(
    encoding="utf-8"
)
_STARTER_DOCUMENT = parse_document(STARTER)


def starter_document() -> dict[str, Any]:
    """The starter as plain data (short forms already in long form); a fresh copy each call."""
    return copy.deepcopy(_STARTER_DOCUMENT)


def dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def listener_rule(
    priority: int,
    conditions: list[dict[str, Any]],
    listener: str = "HttpListener",
    group: str = "WebTargets",
) -> dict[str, Any]:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": {"Ref": listener},
            "Priority": priority,
            "Conditions": conditions,
            "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": group}}],
        },
    }


def path_rule(priority: int, *paths: str) -> dict[str, Any]:
    return listener_rule(
        priority, [{"Field": "path-pattern", "PathPatternConfig": {"Values": list(paths)}}]
    )
