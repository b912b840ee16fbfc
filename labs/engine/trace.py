"""The explanation of a decision, rendered when its event is built (DESIGN.md, ``trace``).

ELB_BEHAVIOUR.md §1.2–1.3 (rules tried in priority order, conditions AND-ed), §1.4
(weighted forwards), §2.4–2.7 (target selection, slow start, stickiness), §3.5 (fail
open), §4.3 (the LB's own answers), §9 (cross-zone off).

``decide`` records only the inputs and outcomes of each step; ``render`` turns them into
JSON-able data and sentences, off the proxy's per-request path. Rendering re-evaluates the
conditions of the rules that were tried (pure and deterministic: same facts, same
outcomes) so every condition gets its outcome, not only the first that failed.
"""

from functools import lru_cache
from typing import Any

from . import auth, errors
from .balancing import FAIL_OPEN, SLOW_START, Choice
from .routing import HONOURED, NOT_ROUTED, Decision, GroupPick, StickyCheck
from .rules import MEMO_SIZE, ConditionTried

_NOUN = {
    "host-header": "host",
    "path-pattern": "path",
    "http-request-method": "method",
    "http-header": "header",
    "query-string": "query",
    "source-ip": "source IP",
}
_NOT_HONOURED = {
    "no_cookie": "the request carried no {cookie} cookie",
    "invalid": "the {cookie} cookie is not one this load balancer signed",
    "other_group": "the {cookie} cookie belongs to target group {group}",
    "expired": "the {cookie} cookie's stickiness expired at t={expires:.1f}",
    "target_gone": "the pinned {target} is no longer registered",
    "target_unhealthy": "the pinned {target} is not healthy",
}


def render(decision: Decision | None, status: int, error: str | None) -> dict[str, Any]:
    """The trace of one request, as the ``request`` event carries it.

    Args:
        decision: what ``decide`` returned; None when the request never reached it
            (malformed, refused by a limit).
        status: the status the client got; error: the LB's cause when it answered itself.
    """
    trace: dict[str, Any] = {}
    if decision is not None and decision.rule == NOT_ROUTED:
        trace["rules"] = []  # refused before any rule was evaluated
    elif decision is not None:
        trace["rules"] = _rules(decision)
        if decision.authentication is not None:
            trace["authentication"] = _authentication(decision.authentication)
        trace["action"] = _action(decision)
        if decision.group_pick is not None:
            trace["target_group"] = _group(decision.group_pick, decision.target_group)
        if decision.target is not None or decision.sticky is not None:
            trace["target"] = _target(decision)
    if error is not None:
        trace["error"] = {"status": status, "cause": error, "why": errors.explain(status, error)}
    return trace


def condition_why(tried: ConditionTried) -> str:
    return _why(tried.field, tried.values, tried.matched, tried.seen)


def _why(field: str, values: tuple[str, ...], matched: bool, seen: str) -> str:
    return _phrase(field, values, matched) + seen


@lru_cache(maxsize=4096)
def _phrase(field: str, values: tuple[str, ...], matched: bool) -> str:
    """A condition's sentence up to what the request had: the same for every request."""
    outcome = "match" if matched else "no match"
    return f"{field} {' or '.join(values)}: {outcome}, {_NOUN[field]} was "


def _rules(decision: Decision) -> list[dict[str, Any]]:
    """The rules tried, rendered once per kind of request: a lab's traffic repeats a few
    (path, method, ...) combinations and the rendering of each is the same every time, so
    events alike share it (read-only, as all of an event's data)."""
    router = decision.router
    key = (decision.rule_index, router.alike(decision.facts))
    shown = router.explained.get(key)
    if shown is None:
        if len(router.explained) >= MEMO_SIZE:
            router.explained.clear()  # unbounded distinct requests: start over, stay small
        shown = router.explained[key] = _render_rules(decision)
    return shown


def _render_rules(decision: Decision) -> list[dict[str, Any]]:
    router, facts = decision.router, decision.facts
    rules = router.listener.rules
    tried = len(rules) if decision.rule_index < 0 else decision.rule_index + 1
    shown: list[dict[str, Any]] = []
    for index, rule in enumerate(rules[:tried]):
        conditions = []
        matched = True
        for field, values, hit, seen in router.tried(index, facts):
            matched = matched and hit
            conditions.append(
                {
                    "field": field,
                    "values": list(values),
                    "matched": hit,
                    "seen": seen,
                    "why": _phrase(field, values, hit) + seen,
                }
            )
        shown.append(
            {"rule": rule.priority, "name": rule.name, "matched": matched, "conditions": conditions}
        )
    if decision.rule_index < 0:
        shown.append({"rule": "default", "name": None, "matched": True, "conditions": []})
    return shown


def _action(decision: Decision) -> dict[str, Any]:
    action = decision.action
    shown: dict[str, Any] = {"type": action.type}
    if action.type == "forward":
        shown["target_groups"] = [{"name": n, "weight": w} for n, w in action.target_groups]
    elif action.type == "redirect" and decision.redirect is not None:
        shown.update(status=decision.redirect.status, location=decision.redirect.location)
    elif action.type == "fixed-response":
        config = action.fixed_response or {}
        shown.update(
            status=int(config.get("StatusCode", "200")),
            content_type=config.get("ContentType", "text/plain"),
        )
    return shown


_AUTH_WHY = {
    auth.AUTHENTICATED: "the session cookie is valid: the request goes on",
    auth.ALLOWED: "no session, and OnUnauthenticatedRequest is allow: it goes on without claims",
    auth.LOGIN: "no session: the user is sent to the IdP's authorization endpoint",
    auth.SESSION_ISSUED: "the IdP accepted the code: a session cookie is set",
    auth.REFUSED: "the load balancer answers itself",
}


def _authentication(outcome: auth.Outcome) -> dict[str, Any]:
    return {
        "result": outcome.result,
        "why": _AUTH_WHY[outcome.result],
        "location": outcome.location,
    }


def _group(pick: GroupPick, chosen: str | None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "chosen": chosen,
        "weights": dict(zip(pick.names, pick.weights, strict=True)),
        "draw": None if pick.draw is None else round(pick.draw, 3),
        "stickiness": None if pick.sticky is None else _sticky(pick.sticky, chosen),
    }
    if pick.sticky is not None and pick.sticky.outcome == HONOURED:
        shown["why"] = f"the AWSALBTG cookie pins target group {chosen}"
    elif pick.draw is None:
        shown["why"] = f"every weight is 0: the first group, {chosen}, is used"
    else:
        total = sum(pick.weights)
        shown["why"] = f"a draw of {pick.draw:.3f} in [0, {total}) falls in {chosen}'s share"
    return shown


def _sticky(check: StickyCheck, chosen: str | None) -> dict[str, Any]:
    pin = check.pin
    honoured = check.outcome == HONOURED
    if honoured:
        why = f"the {check.cookie} cookie pins {chosen}"
    else:
        why = _NOT_HONOURED[check.outcome].format(
            cookie=check.cookie,
            group=pin.group if pin else "",
            target=pin.target if pin else "",
            expires=pin.expires if pin else 0.0,
        )
        why += f"; re-pinned to {chosen}" if chosen else ""
    return {
        "cookie": check.cookie,
        "pin": None
        if pin is None
        else {"group": pin.group, "target": pin.target, "expires": pin.expires},
        "honoured": honoured,
        "outcome": check.outcome,
        "why": why,
    }


def _target(decision: Decision) -> dict[str, Any]:
    shown: dict[str, Any] = {"chosen": decision.target, "reason": decision.why}
    if decision.sticky is not None:
        shown["stickiness"] = _sticky(decision.sticky, decision.target)
    choice = decision.choice
    if choice is None:
        return shown
    candidates = list(choice.candidates)
    shown.update(
        algorithm=choice.algorithm,
        candidates=candidates,
        fail_open=choice.reason == FAIL_OPEN,
        cross_zone=not decision.zonal,
    )
    if isinstance(choice.state, int):
        shown["position"] = choice.state
    elif isinstance(choice.state, tuple):
        shown["outstanding"] = dict(zip(candidates, choice.state, strict=True))
    if choice.shares is not None:
        shown["slow_start"] = {t: round(s, 3) for t, s in choice.shares.items()}
    shown["why"] = _target_why(choice, decision.zonal)
    return shown


def _target_why(choice: Choice, zonal: bool) -> str:
    count = len(choice.candidates)
    scope = " in this node's zone" if zonal else ""
    if choice.reason == FAIL_OPEN:
        return f"no healthy target{scope}: failing open, {choice.algorithm} over all {count}"
    if choice.reason == SLOW_START:
        share = (choice.shares or {}).get(choice.target, 1.0)
        return f"{choice.target} is in slow start at {share:.0%} of a full share and was drawn"
    if isinstance(choice.state, int):
        return f"round robin at position {choice.state} of {count} healthy targets{scope}"
    if isinstance(choice.state, tuple):
        fewest = min(choice.state)
        return f"{choice.target} had the fewest outstanding requests ({fewest})"
    return f"a random pick among {count} healthy targets{scope}"
