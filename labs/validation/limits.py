"""Bounds on what one document may cost: its size, its shape, and what a run would start.

Every bound is a count, never a clock, so a document is accepted or refused in well under
a second whatever it holds. CloudFormation's own quotas come first ("CloudFormation
quotas": 500 resources, a 1 MB template body in S3); the others are ours and each one
sits far above any template a person writes:

- depth: a few levels more than any CloudFormation property needs (an ``Fn::If`` inside
  a forward config is about 12), so walking a document never exhausts Python's stack;
- values: every scalar, list and mapping counted with YAML aliases expanded each time
  they are used, so a few hundred bytes of aliases (a "billion laughs") cannot turn into
  billions of values for the validators and views that walk the document afterwards.

What a run may start (targets, requests per second) is a deployment setting: ``Limits``
carries the values and ``labs.cfn`` fills them in from Django's settings.
"""

from __future__ import annotations

from typing import Any

from .core import Context, Limits, Problem, rule

MAX_TEMPLATE_BYTES = 1_000_000  # CloudFormation: template body in an Amazon S3 object, 1 MB
MAX_RESOURCES = 500  # CloudFormation: resources declared in a template
MAX_DEPTH = 32
MAX_VALUES = 100_000

SIZE = rule("template.size", source="CloudFormation quotas")
RESOURCE_COUNT = rule("template.resource-count", source="CloudFormation quotas")
DEPTH = rule("template.depth", source="playground")
VALUES = rule("template.value-count", source="playground")
TARGETS = rule("run.targets", code="TooManyTargets", source="playground")


__all__ = ["Limits", "measure", "resource_count", "size", "targets", "too_deep", "too_many"]


def size(text: str) -> Problem | None:
    """A problem when the template text is larger than CloudFormation takes."""
    length = len(text.encode("utf-8", "surrogatepass"))
    if length <= MAX_TEMPLATE_BYTES:
        return None
    return Problem(
        "Template",
        "",
        SIZE.code,
        f"the template is {length} bytes; CloudFormation takes at most "
        f"{MAX_TEMPLATE_BYTES} bytes (1 MB)",
        SIZE.id,
    )


def too_deep(path: list[Any]) -> Problem:
    """Nesting deeper than ``MAX_DEPTH``, named by resource and property (``path``: keys
    and list indexes from the document's root)."""
    logical_id, where = _located(path)
    return Problem(
        logical_id,
        where,
        DEPTH.code,
        f"is nested more than {MAX_DEPTH} levels deep",
        DEPTH.id,
    )


def too_many(path: list[Any]) -> Problem:
    """More than ``MAX_VALUES`` values; ``path`` leads to where counting passed it."""
    logical_id, where = _located(path)
    return Problem(
        logical_id,
        where,
        VALUES.code,
        f"the template holds more than {MAX_VALUES} values (a YAML alias counts its "
        "values each time it is used)",
        VALUES.id,
    )


def measure(document: Any) -> Problem | None:
    """A problem when ``document`` nests deeper than ``MAX_DEPTH`` or holds more than
    ``MAX_VALUES`` values (aliases expanded). Iterative, and it stops at the first bound,
    so a shared or even cyclic structure costs at most ``MAX_VALUES`` steps."""
    # Each entry: (value, depth, link); a link is (key, parent's link), so the path of a
    # value is only built when it is reported.
    stack: list[tuple[Any, int, Any]] = [(document, 1, None)]
    count = 0
    while stack:
        value, depth, link = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return too_deep(_path(link))
        if count > MAX_VALUES:
            return too_many(_path(link))
        if isinstance(value, dict):
            count += len(value)  # the keys
            stack.extend((item, depth + 1, (key, link)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, depth + 1, (i, link)) for i, item in enumerate(value))
    return None


def resource_count(resources: dict[str, Any]) -> Problem | None:
    if len(resources) <= MAX_RESOURCES:
        return None
    # CloudFormation's own words ("Template format error: Number of resources, ...").
    return Problem(
        "Template",
        "Resources",
        RESOURCE_COUNT.code,
        f"Number of resources, {len(resources)}, is greater than maximum allowed, {MAX_RESOURCES}",
        RESOURCE_COUNT.id,
    )


def targets(ctx: Context) -> None:
    """Refuse a topology whose run would start more targets than ``LAB_MAX_TARGETS``;
    the problem names the target group (or Classic LB) where the count passes it."""
    seen: set[str] = set()
    holders = [(g.name, "Properties.Targets", g.targets) for g in ctx.target_groups.values()]
    holders += [
        (lb.name, "Properties.Instances", lb.instances) for lb in ctx.load_balancers.values()
    ]
    for name, path, registered in holders:
        # One dummy app serves an address however many groups register it; Lambda and
        # ALB targets have no address of their own.
        seen.update(t.address if t.ip else t.id for t in registered)
        if len(seen) > ctx.limits.max_targets:
            ctx.fail(
                TARGETS,
                name,
                path,
                f"a run may start at most {ctx.limits.max_targets} targets "
                f"(LAB_MAX_TARGETS); this template registers more",
            )
            return


def _path(link: Any) -> list[Any]:
    path = []
    while link is not None:
        key, link = link
        path.append(key)
    return path[::-1]


def _located(path: list[Any]) -> tuple[str, str]:
    """(logical id or "Template", property path) for a path from the root: the resource
    and its property (``Properties.Tags``, ``Metadata.Playground``) or the template's
    section, no deeper: past that the line would name where counting stopped, not
    anything the author wrote on purpose."""
    if len(path) > 1 and path[0] == "Resources":
        return str(path[1]), _dotted(path[2:4])
    return "Template", _dotted(path[:2])


def _dotted(steps: list[Any]) -> str:
    names = []
    for step in steps:
        if not isinstance(step, str):
            break  # a list index, or a YAML key that is no string
        names.append(step)
    return ".".join(names)
