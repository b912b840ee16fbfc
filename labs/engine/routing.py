"""Request routing: which rule, which target group, which target, or which LB error.

ELB_BEHAVIOUR.md §1.2–1.4 (rules and actions), §2.4–2.7 (algorithms, slow start,
stickiness), §3.5 (fail open), §4.3 (the ALB's own status codes), §9 (cross-zone).
"""

from collections.abc import Iterable

from .spec import LoadBalancer


def groups_in_use(load_balancers: Iterable[LoadBalancer]) -> frozenset[str]:
    """Target groups some listener rule (or default action) forwards to (§3.3 ``unused``)."""
    return frozenset(
        name
        for lb in load_balancers
        for listener in lb.listeners
        for actions in (listener.default_actions, *(rule.actions for rule in listener.rules))
        for action in actions
        for name, _ in action.target_groups
    )
