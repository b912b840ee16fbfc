"""References between resources: every ``Ref``/``GetAtt``/``${}``/``DependsOn`` resolves,
GetAtt names an attribute the type has, and the references form no cycle.

CloudFormation creates a resource only after everything it references, so a cycle (two
security groups each allowing the other, say) can never be created: it reports "Circular
dependency between resources". This pass runs before the per-type modules; they skip
unresolved names quietly so each one is reported once, here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .core import GET_ATT, Context, rule

UNRESOLVED = rule("ref.resolves", source="CloudFormation")
ATTRIBUTE = rule("getatt.attribute", source="CloudFormation")
DEPENDS_ON = rule("dependson.resolves", source="CloudFormation")
CYCLE = rule("template.no-cycles", source="CloudFormation")

_SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")


def check(ctx: Context) -> None:
    edges: dict[str, set[str]] = {name: set() for name in ctx.resources}
    for logical_id, resource in ctx.resources.items():
        for path, target, attribute in _references(resource.get("Properties"), "Properties"):
            if _resolve(ctx, logical_id, path, target, attribute):
                edges[logical_id].add(target)
        for target in _depends_on(ctx, logical_id, resource.get("DependsOn")):
            edges[logical_id].add(target)
    outputs = ctx.document.get("Outputs")
    if isinstance(outputs, dict):
        for path, target, attribute in _references(outputs, ""):
            _resolve(ctx, "Outputs", path.lstrip("."), target, attribute)
    cycle = _find_cycle(edges)
    if cycle:
        ctx.fail(
            CYCLE,
            "Template",
            "Resources",
            f"Circular dependency between resources: [{', '.join(cycle)}]",
        )


def _references(value: Any, path: str) -> Iterator[tuple[str, str, str | None]]:
    """(path, logical id, GetAtt attribute or None) of every reference under ``value``."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _references(item, f"{path}[{i}]")
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1 and isinstance(value.get("Ref"), str):
        yield path, value["Ref"], None
        return
    get_att = value.get("Fn::GetAtt") if len(value) == 1 else None
    if isinstance(get_att, list) and len(get_att) == 2 and isinstance(get_att[0], str):
        yield path, get_att[0], get_att[1] if isinstance(get_att[1], str) else None
        return
    sub = value.get("Fn::Sub") if len(value) == 1 else None
    template = sub[0] if isinstance(sub, list) and sub else sub
    if isinstance(template, str):
        local = (
            set(sub[1])
            if isinstance(sub, list) and len(sub) > 1 and isinstance(sub[1], dict)
            else set()
        )
        for name in _SUB_NAME.findall(template):
            target, _, attribute = name.partition(".")
            if target not in local:
                yield path, target, attribute or None
    for key, item in value.items():
        yield from _references(item, f"{path}.{key}")


def _resolve(ctx: Context, logical_id: str, path: str, target: str, attribute: str | None) -> bool:
    """Whether ``target`` is a resource of this template; pseudo parameters pass quietly."""
    if target.startswith("AWS::"):
        return False
    type_ = ctx.type_of(target)
    if type_ is None:
        ctx.fail(
            UNRESOLVED, logical_id, path, f"Ref {target} does not name a resource in this template"
        )
        return False
    if attribute is not None and attribute not in GET_ATT.get(type_, {attribute}):
        ctx.fail(
            ATTRIBUTE,
            logical_id,
            path,
            f"{type_} has no attribute {attribute} (it has {', '.join(sorted(GET_ATT[type_]))})",
        )
    return True


def _depends_on(ctx: Context, logical_id: str, value: Any) -> Iterator[str]:
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if value is not None and not names:
        ctx.fail(DEPENDS_ON, logical_id, "DependsOn", "must be a logical id or a list of them")
    for name in names:
        if isinstance(name, str) and name in ctx.resources:
            yield name
        else:
            ctx.fail(
                DEPENDS_ON,
                logical_id,
                "DependsOn",
                f"Unresolved resource dependencies [{name}] in the Resources block of the template",
            )


def _find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """The resources on one dependency cycle, in document order; [] when there is none.

    Depth-first with an explicit stack: a DependsOn chain as long as the resource quota
    must not run out of Python's own.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    order = list(edges)
    for root in edges:
        if root in state:
            continue
        state[root] = 1
        path, pending = [root], [iter(sorted(edges.get(root, ())))]
        while pending:
            target = next(pending[-1], None)
            if target is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(target) == 1:
                return sorted(path[path.index(target) :], key=order.index)
            elif target not in state:
                state[target] = 1
                path.append(target)
                pending.append(iter(sorted(edges.get(target, ()))))
    return []
