"""Validation of a topology document, one module per concern, run in dependency order.

``build(document)`` walks the template once: references first (every name resolves, no
cycles), then the network, compute, certificates, target groups, load balancers,
listeners, rules and finally the associations between them. Each step reads what the
earlier ones left on the ``Context``. Any problem means no topology: ``TemplateError``.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any

from labs.engine import spec

from . import (
    associations,
    certificates,
    classic,
    compute,
    limits,
    listeners,
    load_balancers,
    network,
    references,
    routing,
    rules,
    target_groups,
)
from .core import (
    NO_RESOURCES,
    PROPERTIES,
    RESOURCE_TYPE,
    RULES,
    SUPPORTED,
    Context,
    Limits,
    Problem,
    Rule,
    TemplateError,
    rule,
)
from .properties import WRITABLE

TRAFFIC = rule("playground.traffic", source="playground")
TRAFFIC_LIMIT = rule("playground.traffic-rps-limit", source="playground")
METADATA = rule("template.metadata-mapping", source="CloudFormation")
UNSUPPORTED_PROPERTY = rule("template.unsupported-property", source="CloudFormation")

__all__ = ["RULES", "Limits", "Problem", "Rule", "TemplateError", "build", "validate"]

_STEPS = (
    network.check,
    routing.check,
    compute.check,
    certificates.check,
    target_groups.check,
    load_balancers.check,
    classic.check,
    routing.load_balancers,
    listeners.check,
    rules.check,
    associations.check,
    limits.targets,
)


def validate(document: dict[str, Any], bounds: Limits | None = None) -> list[Problem]:
    try:
        build(document, bounds)
    except TemplateError as error:
        return error.problems
    return []


def build(document: dict[str, Any], bounds: Limits | None = None) -> spec.Topology:
    resources = document.get("Resources") if isinstance(document, dict) else None
    if not isinstance(resources, dict) or not all(isinstance(r, dict) for r in resources.values()):
        raise TemplateError([NO_RESOURCES])
    # The document's shape is bounded before anything walks it (limits.py says why).
    bounded = limits.measure(document) or limits.resource_count(resources)
    if bounded is not None:
        raise TemplateError([bounded])
    ctx = Context(document, bounds)
    _types(ctx)
    if ctx.problems:
        raise TemplateError(ctx.problems)
    references.check(ctx)
    for step in _STEPS:
        step(ctx)
    _traffic(ctx)
    if ctx.problems:
        raise TemplateError(ctx.problems)
    return _topology(ctx)


def _types(ctx: Context) -> None:
    for logical_id, resource in ctx.resources.items():
        type_ = resource.get("Type") if isinstance(resource, dict) else None
        if type_ not in SUPPORTED:
            ctx.fail(
                RESOURCE_TYPE,
                logical_id,
                "Type",
                f"Unrecognized resource types: [{type_}]",
            )
        elif not isinstance(properties := resource.get("Properties") or {}, dict):
            ctx.fail(PROPERTIES, logical_id, "Properties", "must be a mapping of properties")
        else:
            for name in properties:
                if name not in WRITABLE[type_]:
                    ctx.fail(
                        UNSUPPORTED_PROPERTY,
                        logical_id,
                        f"Properties.{name}",
                        _unsupported(str(name), WRITABLE[type_]),
                    )


def _unsupported(name: str, writable: frozenset[str]) -> str:
    """CloudFormation's words, and the property a misspelling most likely meant."""
    message = f"Encountered unsupported property {name}"
    close = difflib.get_close_matches(name, sorted(writable), n=1)
    return f"{message} (did you mean {close[0]}?)" if close else message


def _topology(ctx: Context) -> spec.Topology:
    by_lb: dict[str, list[spec.Listener]] = {}
    for name, (lb, listener) in ctx.listeners.items():
        ordered = tuple(sorted(ctx.rules.get(name, ()), key=lambda r: r.priority))
        by_lb.setdefault(lb, []).append(dataclasses.replace(listener, rules=ordered))
    balancers = tuple(
        dataclasses.replace(
            lb,
            listeners=lb.listeners if lb.type == "classic" else tuple(by_lb.get(name, ())),
            aliases=_aliases(ctx, name),
        )
        for name, lb in ctx.load_balancers.items()
    )
    assert ctx.vpc is not None  # noqa: S101 - network.check raises without a VPC
    return spec.Topology(
        vpc_cidr=str(ctx.vpc),
        load_balancers=balancers,
        target_groups=tuple(ctx.target_groups.values()),
        security_groups=tuple(ctx.security_groups),
        traffic=ctx.traffic,
        subnets=tuple(ctx.subnets.values()),
        instances=tuple(ctx.instances.values()),
        lambda_functions=tuple(ctx.lambdas.values()),
        certificates=tuple(ctx.certificates.values()),
        auto_scaling_groups=tuple(ctx.auto_scaling_groups),
        routing=ctx.routing,
        internet_gateways=tuple(ctx.internet_gateways),
    )


def _aliases(ctx: Context, logical_id: str) -> tuple[str, ...]:
    """The Route 53 alias names ``labs.intrinsics`` merged into the load balancer."""
    names = ctx.playground(logical_id).get("Aliases")
    return tuple(n for n in names if isinstance(n, str)) if isinstance(names, list) else ()


def _traffic(ctx: Context) -> None:
    metadata = ctx.document.get("Metadata") or {}
    if not isinstance(metadata, dict):
        ctx.fail(METADATA, "Template", "Metadata", "must be a mapping")
        return
    playground = metadata.get("Playground") or {}
    if not isinstance(playground, dict):
        ctx.fail(METADATA, "Template", "Metadata.Playground", "must be a mapping")
        return
    traffic = playground.get("Traffic") or {}
    if not isinstance(traffic, dict):
        ctx.fail(TRAFFIC, "Template", "Metadata.Playground.Traffic", "must be a mapping")
        return
    where = "Metadata.Playground.Traffic"
    paths = traffic.get("Paths") or _routed_paths(ctx)
    if not isinstance(paths, list) or not all(
        isinstance(p, str) and p.startswith("/") for p in paths
    ):
        ctx.fail(TRAFFIC, "Template", f"{where}.Paths", "must be a list of paths starting with /")
        paths = ["/"]
    rps = traffic.get("RequestsPerSecond", 10)
    if not isinstance(rps, int | float) or isinstance(rps, bool) or not 0 < rps <= 10_000:
        ctx.fail(
            TRAFFIC, "Template", f"{where}.RequestsPerSecond", "must be a number from 0 to 10000"
        )
        rps = 10
    elif rps > ctx.limits.max_rps:
        ctx.fail(
            TRAFFIC_LIMIT,
            "Template",
            f"{where}.RequestsPerSecond",
            f"{rps} is more than this playground runs; at most {ctx.limits.max_rps:g} "
            "requests per second (LAB_MAX_RPS)",
        )
        rps = 10
    host = traffic.get("Host", _routed_host(ctx))
    ctx.traffic = spec.Traffic(
        rps=float(rps),
        clients=ctx.integer(
            "Template", f"{where}.Clients", traffic.get("Clients"), 1, 200, 6, TRAFFIC
        ),
        paths=tuple(paths),
        host=None if host is None else str(host),
        host_given=traffic.get("Host") is not None,
        port=None
        if traffic.get("Port") is None
        else ctx.integer("Template", f"{where}.Port", traffic.get("Port"), 1, 65535, 80, TRAFFIC),
    )


def _concrete(pattern: str) -> str:
    """A value a pattern matches: ``*`` and ``?`` filled in (``/api/*`` → ``/api/items``)."""
    return pattern.replace("*", "items", 1).replace("*", "").replace("?", "a")


def _routed_paths(ctx: Context) -> list[str]:
    """Without playground traffic settings, the paths the template's rules route, and ``/``
    for the default action, so every path rule gets requests."""
    paths = ["/"]
    for listener_rules in ctx.rules.values():
        for rule_ in listener_rules:
            for condition in rule_.conditions:
                if condition.field == "path-pattern":
                    paths.extend(_concrete(v) for v in condition.values[:1])
    return list(dict.fromkeys(p for p in paths if p.startswith("/")))


def _routed_host(ctx: Context) -> str | None:
    """Without playground traffic settings, the host the rules route (else the default
    certificate's domain): traffic generated for the template reaches what it defines."""
    for listener_rules in ctx.rules.values():
        for rule_ in listener_rules:
            for condition in rule_.conditions:
                if condition.field == "host-header" and condition.values:
                    return _concrete(condition.values[0])
    for _lb, listener in ctx.listeners.values():
        if listener.certificates:
            return _concrete(listener.certificates[0])
    return None
