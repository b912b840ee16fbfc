"""Listener rules (spec §1.2): ALB listeners only; priority 1–50000, unique per listener
(``PriorityInUse``); at most 100 rules per ALB, default rules not counted (``TooManyRules``).
"""

from __future__ import annotations

from labs.engine import spec

from . import actions, conditions
from .core import LISTENER, LISTENER_RULE, Context, rule

PRIORITY_IN_USE = rule("rule.priority-unique", code="PriorityInUse", source="§1.2")
ALB_ONLY = rule("rule.alb-listeners-only", code="InvalidConfigurationRequest", source="§6.1 §7.1")
TOO_MANY = rule("rule.at-most-100-per-alb", code="TooManyRules", source="§1.2")
PRIORITY = rule("rule.priority-range", source="§1.2")
TRANSFORMS = rule("rule.transforms-not-simulated", source="playground §1.3")


def check(ctx: Context) -> None:
    priorities: dict[tuple[str, int], str] = {}
    per_lb: dict[str, int] = {}
    for logical_id, props in ctx.of_type(LISTENER_RULE):
        listener = ctx.ref(logical_id, "Properties.ListenerArn", props.get("ListenerArn"), LISTENER)
        lb_name, parent = ctx.listeners.get(listener or "", (None, None))
        lb_type = ctx.load_balancers[lb_name].type if lb_name else None
        if lb_type not in (None, "application"):
            ctx.fail(
                ALB_ONLY,
                logical_id,
                "Properties.ListenerArn",
                f"{listener} belongs to a {lb_type} load balancer; listener rules are "
                "for Application Load Balancers",
            )
        priority = ctx.integer(
            logical_id, "Properties.Priority", props.get("Priority"), 1, 50000, rule_=PRIORITY
        )
        if props.get("Transforms"):
            # AWS rewrites the host or URL before forwarding (spec §1.3, newer); the proxy
            # would forward it unrewritten, teaching the opposite of what AWS does.
            ctx.fail(
                TRANSFORMS,
                logical_id,
                "Properties.Transforms",
                "rule transforms (host-header-rewrite, url-rewrite) are not simulated: the "
                "playground would forward the request unrewritten",
            )
        found = conditions.read(ctx, logical_id, props.get("Conditions"))
        listener_facts = (parent.protocol, parent.port) if parent else None
        found_actions = actions.read(
            ctx, logical_id, "Properties.Actions", props.get("Actions"), lb_type, listener_facts
        )
        if listener is None or lb_name is None:
            continue
        if (listener, priority) in priorities:
            ctx.fail(
                PRIORITY_IN_USE,
                logical_id,
                "Properties.Priority",
                f"priority {priority} is already used by {priorities[listener, priority]}",
            )
        priorities[listener, priority] = logical_id
        per_lb[lb_name] = per_lb.get(lb_name, 0) + 1
        if per_lb[lb_name] == 101:
            ctx.fail(
                TOO_MANY,
                logical_id,
                "Properties.ListenerArn",
                f"{lb_name} already has 100 rules, the most an ALB can have",
            )
        ctx.rules.setdefault(listener, []).append(
            spec.Rule(name=logical_id, priority=priority, conditions=found, actions=found_actions)
        )
