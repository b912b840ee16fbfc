"""Request routing: which rule, which target group, which target, or which LB error.

ELB_BEHAVIOUR.md §1.2–1.4 (rules and actions), §2.4–2.7 (algorithms, slow start,
stickiness), §3.5 (fail open), §4.3 (the ALB's own answers), §9 (cross-zone).

``decide`` is the one call the proxy makes per request: facts in, a ``Decision`` out.
The decision records what each step was made from — the matched rule's index, the
weighted draw, the algorithm's state, the decoded stickiness cookie — as small values,
and ``labs.engine.trace`` renders them into an explanation only when the event is built.
The live state a decision reads (registrations, health, rotations, slow-start clocks) is
``GroupStates``: plain dicts the runtime keeps current and ``decide`` updates where AWS
would (a rotation turns, a finished slow start ends).
"""

import random
from bisect import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate

from . import actions, auth, errors, stickiness
from .attributes import Stickiness
from .balancing import (
    Algorithm,
    Choice,
    NoRegisteredTargets,
    NoTargetChecked,
    choose,
    slow_start_share,
)
from .errors import LbError
from .health import HEALTHY
from .rules import RequestFacts, Router
from .spec import Action, LoadBalancer, TargetGroup

LAMBDA = "lambda"
WEIGHTED = "weighted"
NOT_ROUTED = "-"  # the rule of a request refused before any rule was evaluated
_NEEDS_HTTP2 = frozenset({"HTTP2", "GRPC"})  # ProtocolVersion an HTTP/1.x request cannot use
# Why a stickiness cookie pinned nothing (§2.7: the algorithm picks, the cookie is rewritten).
NO_COOKIE, INVALID, OTHER_GROUP, EXPIRED = "no_cookie", "invalid", "other_group", "expired"
TARGET_GONE, TARGET_UNHEALTHY, HONOURED = "target_gone", "target_unhealthy", "honoured"


@dataclass(slots=True, kw_only=True)
class GroupStates:
    """What one LB node's decisions read; the dicts are shared with the runtime."""

    groups: Mapping[str, TargetGroup]
    registered: Mapping[str, list[str]]  # group -> registered "ip:port", in order
    health: Mapping[str, Mapping[str, str]]  # group -> target -> state
    algorithms: Mapping[str, Algorithm]  # cross-zone groups: one rotation for all nodes
    stickiness: Mapping[str, Stickiness]
    secret: bytes  # signs stickiness cookies
    node_az: str = ""
    zones: Mapping[str, str] = field(default_factory=dict)  # target -> AZ
    zonal_groups: frozenset[str] = frozenset()  # cross-zone off (§9)
    new_algorithm: Callable[[str], Algorithm] | None = None  # a zonal group's own rotation
    zonal_algorithms: dict[str, Algorithm] = field(default_factory=dict)
    slow_start: Mapping[str, dict[str, float]] = field(default_factory=dict)  # target -> since
    slow_start_seconds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StickyCheck:
    """A stickiness cookie as decoded, and whether it pinned the request."""

    cookie: str  # AWSALB, AWSALBAPP-0 or AWSALBTG
    pin: stickiness.Pin | None
    outcome: str  # HONOURED, or why not: NO_COOKIE, INVALID, EXPIRED, ...


@dataclass(frozen=True, slots=True)
class GroupPick:
    """A forward to several target groups: the weighted draw, or the TG cookie."""

    names: tuple[str, ...]
    weights: tuple[int, ...]
    draw: float | None  # in [0, sum of weights); None when the cookie decided
    sticky: StickyCheck | None  # with TargetGroupStickinessConfig on


@dataclass(slots=True, kw_only=True)
class Decision:
    """What the load balancer does with one request, and what it decided from.

    Not frozen on purpose: a frozen dataclass sets each field through
    ``object.__setattr__``, a cost paid once per request on the proxy's path, and
    ``decide`` fills one in step by step. Once returned, treat it as read-only; nothing
    mutates it.
    """

    facts: RequestFacts
    router: Router  # to render the rules tried
    rule_index: int  # into ``router.listener.rules``; -1: the default rule
    rule: int | str  # priority, or "default"
    action: Action
    target_group: str | None = None
    target: str | None = None  # virtual "ip:port", or a Lambda function's id
    why: str | None = None  # round_robin, sticky:AWSALB, fail_open, slow_start, lambda, ...
    group_why: str | None = None  # several groups: "weighted" or "sticky:AWSALBTG"
    group_pick: GroupPick | None = None
    choice: Choice | None = None  # the algorithm's pick and its state
    sticky: StickyCheck | None = None  # the target-level cookie, when the group is sticky
    zonal: bool = False  # cross-zone off: only this node's zone was a candidate
    redirect: actions.Redirect | None = None
    group_pin: str | None = None  # a new AWSALBTG value to set
    lb_error: LbError | None = None
    authentication: auth.Outcome | None = None  # an authenticate action's verdict (first)

    @property
    def non_sticky(self) -> bool:
        """The group is sticky but its cookie pinned nothing: ``NonStickyRequestCount``."""
        return self.sticky is not None and self.sticky.outcome != HONOURED


def groups_in_use(load_balancers: Iterable[LoadBalancer]) -> frozenset[str]:
    """Target groups some listener rule (or default action) forwards to (§3.3 ``unused``)."""
    return frozenset(
        name
        for lb in load_balancers
        for listener in lb.listeners
        for actions_ in (listener.default_actions, *(rule.actions for rule in listener.rules))
        for action in actions_
        for name, _ in action.target_groups
    )


def reserved_ips(load_balancers: Iterable[LoadBalancer], group: TargetGroup) -> frozenset[str]:
    """Addresses an ``ip`` target of ``group`` cannot have (``Target.IpUnusable``, §3.3):
    the nodes of a load balancer that forwards to it, and an ALB's nodes for a group an
    ALB uses (§0: an ALB cannot register another ALB's IPs). An NLB may register an ALB's
    IPs; ``alb`` target groups name the ALB instead."""
    if group.target_type != "ip":
        return frozenset()
    everyone = list(load_balancers)
    users = [lb for lb in everyone if group.name in groups_in_use([lb])]
    if any(lb.type == "application" for lb in users):
        users += [lb for lb in everyone if lb.type == "application"]
    return frozenset(node.ip for lb in users for node in lb.nodes)


def needs_cookies(router: Router, sticky_groups: Iterable[str]) -> bool:
    """Whether this listener's decisions read cookies (else the proxy skips parsing them)."""
    sticky = frozenset(sticky_groups)
    listener = router.listener
    return any(
        action.stickiness is not None
        or action.type in auth.AUTHENTICATE  # the session cookie
        or any(name in sticky for name, _ in action.target_groups)
        for actions_ in (listener.default_actions, *(rule.actions for rule in listener.rules))
        for action in actions_
    )


@dataclass(frozen=True, slots=True)
class Plan:
    """What a request's decision is made of before any live state is read: a pure
    function of the listener's rules and the request's facts (``plan``), so a caller that
    sees the same facts again may keep it and hand it back to ``decide``."""

    refused: bool  # TRACE: refused before any rule (§4.3)
    rule_index: int
    rule: int | str
    action: Action  # the matched rule's first action
    group: str | None  # a forward to one target group (no authenticate action first)
    # Decisions made from this plan by a plain pick (``_plain``), per what they are made
    # of: a decision is read-only, so requests decided alike share one.
    decided: dict[tuple[object, ...], Decision] = field(
        default_factory=dict, compare=False, repr=False
    )


def plan(facts: RequestFacts, router: Router) -> Plan:
    """The rule ``facts`` match and what it leaves to decide (``decide``'s first step)."""
    if facts.method == "TRACE":  # refused before rules (§4.3): never forwarded
        return Plan(True, -1, NOT_ROUTED, router.matched(-1).actions[0], None)
    index = router.match(facts)
    matched = router.matched(index)
    action = matched.actions[0]
    single = action.type == "forward" and len(action.target_groups) == 1
    return Plan(False, index, matched.rule, action, action.target_groups[0][0] if single else None)


def decide(
    facts: RequestFacts,
    router: Router,
    state: GroupStates,
    now: float,
    rng: random.Random,
    planned: Plan | None = None,
) -> Decision:
    """Everything the ALB decides about one request (rule, action, group, target, error).

    Args:
        facts: the request as received.
        router: the listener's compiled rules.
        state: the node's view of its target groups (updated: rotations, slow start).
        now: lab-clock seconds (stickiness expiry, slow start).
        rng: the run's randomness (weighted groups, slow start, weighted_random).
        planned: ``plan(facts, router)``, if the caller kept it for these facts.
    """
    p = plan(facts, router) if planned is None else planned
    if p.group is not None and planned is not None:
        shared = _plain(p, facts, router, state)
        if shared is not None:
            return shared
    if p.refused:
        return Decision(
            facts=facts,
            router=router,
            rule_index=-1,
            rule=NOT_ROUTED,
            action=p.action,
            lb_error=errors.METHOD_NOT_ALLOWED,
        )
    action = p.action
    # One Decision, filled in below: no per-request dicts merged into keyword arguments.
    decision = Decision(
        facts=facts, router=router, rule_index=p.rule_index, rule=p.rule, action=action
    )
    if p.group is not None:  # nearly every request: a forward to one group
        _to_group(decision, facts, p.group, state, now, rng)
        return decision
    kind = action.type
    if kind in auth.AUTHENTICATE:  # authenticate actions run before the routing one (§1.4)
        actions_ = router.matched(p.rule_index).actions
        if not _authenticate(decision, facts, actions_, state.secret, now):
            return decision
        action = decision.action
        kind = action.type
    if kind == "forward":
        _forward(decision, facts, action, state, now, rng)
    elif kind == "redirect":
        _redirect(decision, facts, action, router)
    elif kind != "fixed-response":
        decision.lb_error = errors.UNSUPPORTED_ACTION
    return decision


PLAIN_DECISIONS = 64  # distinct plain decisions a plan keeps (targets x rotation states)


def _plain(p: Plan, facts: RequestFacts, router: Router, state: GroupStates) -> Decision | None:
    """A one-group forward's decision when the group's algorithm picks among healthy
    targets with nothing else to weigh (no stickiness, slow start, zonal view, Lambda,
    protocol version to check); None otherwise, and then nothing has been picked.

    It is exactly what ``_to_group`` decides (the same pick, from the same live state);
    only the Decision is shared with earlier requests decided alike."""
    group = p.group or ""
    spec = state.groups[group]
    if (
        spec.protocol_version in _NEEDS_HTTP2
        or spec.target_type == "lambda"
        or group in state.stickiness
        or group in state.zonal_groups
        or state.slow_start.get(group)
    ):
        return None
    health = state.health[group]
    healthy = []
    for target in state.registered[group]:
        if health.get(target) == HEALTHY:
            healthy.append(target)
    if not healthy:
        return None  # fail open, or a 503: choose() says which
    algorithm = state.algorithms[group]
    before = algorithm.state(healthy)
    pick = algorithm.pick(healthy)
    name = algorithm.name
    key = (name, pick, before, *healthy)
    decided = p.decided
    decision = decided.get(key)
    if decision is None or decision.facts is not facts or decision.router is not router:
        if len(decided) >= PLAIN_DECISIONS:
            decided.clear()
        decision = decided[key] = Decision(
            facts=facts,
            router=router,
            rule_index=p.rule_index,
            rule=p.rule,
            action=p.action,
            target_group=group,
            target=pick,
            why=name,
            choice=Choice(pick, name, name, healthy, before),
        )
    return decision


def _authenticate(
    decision: Decision,
    facts: RequestFacts,
    actions_: tuple[Action, ...],
    secret: bytes,
    now: float,
) -> bool:
    """Run the rule's authenticate actions in order; False when one answered itself (a
    401/561/500, or a 302 to the IdP or back from it): ``decision`` then says so."""
    for action in actions_:
        if action.type not in auth.AUTHENTICATE:
            decision.action = action  # the routing action, ordered last
            return True
        outcome = auth.authenticate(
            kind=action.type,
            config=action.authenticate or {},
            identity_provider=action.identity_provider,
            host=facts.host.split(":", 1)[0],
            path=facts.path,
            query=facts.query,
            cookies=facts.cookies,
            secret=secret,
            now=now,
        )
        decision.authentication = outcome
        if not outcome.proceed:
            decision.action = action
            decision.lb_error = outcome.error
            if outcome.location is not None:
                decision.redirect = actions.Redirect(status=302, location=outcome.location)
            return False
    return True


def _redirect(decision: Decision, facts: RequestFacts, action: Action, router: Router) -> None:
    listener = router.listener
    original = actions.OriginalRequest(
        protocol=listener.protocol,
        host=facts.host.split(":", 1)[0],
        port=listener.port,
        path=facts.path,
        query=facts.query,
    )
    try:
        decision.redirect = actions.redirect(action.redirect or {}, original)
    except actions.RedirectTooLong:
        decision.lb_error = errors.REDIRECT_URL_LIMIT_EXCEEDED


def _forward(
    decision: Decision,
    facts: RequestFacts,
    action: Action,
    state: GroupStates,
    now: float,
    rng: random.Random,
) -> None:
    """Fill in a forward's ``Decision`` fields: group, target (or the 503 and its cause)."""
    groups = action.target_groups
    group = groups[0][0]
    if len(groups) > 1:
        pick, pin = _pick_group(facts, action, state.secret, now, rng)
        sticky = pick.sticky
        honoured = sticky is not None and sticky.outcome == HONOURED and sticky.pin is not None
        group = sticky.pin.target if honoured and sticky and sticky.pin else _drawn(pick)
        decision.group_pick = pick
        decision.group_pin = pin
        decision.group_why = f"sticky:{stickiness.TG_COOKIE}" if honoured else WEIGHTED
    _to_group(decision, facts, group, state, now, rng)


def _to_group(
    decision: Decision,
    facts: RequestFacts,
    group: str,
    state: GroupStates,
    now: float,
    rng: random.Random,
) -> None:
    """A forward to ``group``: its target (or the 503 and its cause)."""
    decision.target_group = group
    spec = state.groups[group]
    if spec.protocol_version in _NEEDS_HTTP2 and not facts.version.startswith("2"):
        decision.lb_error = errors.PROTOCOL_VERSION_MISMATCH  # §2.2
        return
    if spec.target_type == "lambda":
        _lambda(decision, spec, facts)
        return
    policy = state.stickiness.get(group)
    if policy is not None:
        sticky = decision.sticky = _sticky(facts, group, policy, state, now)
        if sticky.outcome == HONOURED and sticky.pin is not None:
            decision.target = sticky.pin.target
            decision.why = f"sticky:{sticky.cookie}"
            return
    zonal = group in state.zonal_groups
    registered = state.registered[group]
    if zonal:  # cross-zone off: this node only uses targets in its own zone (§9)
        decision.zonal = True
        registered = [t for t in registered if state.zones.get(t) == state.node_az]
    try:
        choice = choose(
            registered,
            state.health[group],
            _algorithm(state, group, zonal),
            _ramping(state, group, now) if state.slow_start.get(group) else None,
            rng,
        )
    except NoRegisteredTargets:
        empty_zone = zonal and state.registered[group]
        decision.lb_error = (
            errors.NO_TARGETS_IN_ZONE if empty_zone else errors.NO_REGISTERED_TARGETS
        )
        return
    except NoTargetChecked:
        decision.lb_error = errors.NO_TARGET_CHECKED
        return
    decision.target = choice.target
    decision.why = choice.reason
    decision.choice = choice


def _lambda(decision: Decision, spec: TargetGroup, facts: RequestFacts) -> None:
    function = spec.targets[0] if spec.targets else None
    if function is None or function.handler is None:
        decision.lb_error = errors.NO_REGISTERED_TARGETS
    elif facts.upgrade:
        decision.lb_error = errors.WEBSOCKET_TO_LAMBDA  # §4.3
    else:
        decision.target = function.id
        decision.why = LAMBDA


def _drawn(pick: GroupPick) -> str:
    # All weights 0 is undocumented (spec Appendix B): we use the first group.
    if pick.draw is None:
        return pick.names[0]
    return pick.names[bisect(list(accumulate(pick.weights)), pick.draw)]


def _pick_group(
    facts: RequestFacts, action: Action, secret: bytes, now: float, rng: random.Random
) -> tuple[GroupPick, str | None]:
    """A weighted forward's group: the AWSALBTG cookie's, else a weighted draw (§1.4)."""
    names = tuple(name for name, _ in action.target_groups)
    weights = tuple(weight for _, weight in action.target_groups)
    enabled = action.stickiness is not None and action.stickiness[0]
    sticky = None
    if enabled:
        key = "+".join(names)
        sticky = _check(facts, stickiness.TG_COOKIE, key, now, secret)
        if sticky.outcome == HONOURED and sticky.pin is not None and sticky.pin.target in names:
            return GroupPick(names, weights, None, sticky), None
        if sticky.outcome == HONOURED:
            sticky = StickyCheck(sticky.cookie, sticky.pin, TARGET_GONE)
    # One random() per draw, scaled to the weights: exactly what random.choices does.
    draw = rng.random() * sum(weights) if any(weights) else None
    pick = GroupPick(names, weights, draw, sticky)
    if not enabled or action.stickiness is None:
        return pick, None
    pin = stickiness.Pin("+".join(names), _drawn(pick), now + action.stickiness[1])
    return pick, stickiness.encode(pin, secret)


def _check(facts: RequestFacts, cookie: str, group: str, now: float, secret: bytes) -> StickyCheck:
    value = facts.cookies.get(cookie)
    if not value:
        return StickyCheck(cookie, None, NO_COOKIE)
    pin = stickiness.decode(value, secret)
    if pin is None:
        return StickyCheck(cookie, None, INVALID)
    if pin.group != group:
        return StickyCheck(cookie, pin, OTHER_GROUP)
    if pin.expires <= now:
        return StickyCheck(cookie, pin, EXPIRED)
    return StickyCheck(cookie, pin, HONOURED)


def _sticky(
    facts: RequestFacts, group: str, policy: Stickiness, state: GroupStates, now: float
) -> StickyCheck:
    """The group's stickiness cookie: honoured only for a registered, healthy target."""
    cookie = stickiness.LB_COOKIE if policy.type == "lb_cookie" else stickiness.APP_COOKIE
    sticky = _check(facts, cookie, group, now, state.secret)
    pin = sticky.pin
    if sticky.outcome != HONOURED or pin is None:
        return sticky
    if pin.target not in state.registered[group]:
        return StickyCheck(cookie, pin, TARGET_GONE)
    if state.health[group].get(pin.target) != HEALTHY:
        return StickyCheck(cookie, pin, TARGET_UNHEALTHY)
    return sticky


def _algorithm(state: GroupStates, group: str, zonal: bool) -> Algorithm:
    if not zonal or state.new_algorithm is None:
        return state.algorithms[group]
    # Each node balances its own zone's targets: a rotation of its own.
    algorithm = state.zonal_algorithms.get(group)
    if algorithm is None:
        algorithm = state.zonal_algorithms[group] = state.new_algorithm(group)
    return algorithm


def _ramping(state: GroupStates, group: str, now: float) -> dict[str, float] | None:
    """Targets of ``group`` in slow start, with their share now; done ones leave (§2.5)."""
    since = state.slow_start.get(group)
    if not since:
        return None
    duration = state.slow_start_seconds[group]
    shares = {t: slow_start_share(start, now, duration) for t, start in since.items()}
    for target, share in shares.items():
        if share >= 1.0:
            del since[target]
    return shares
