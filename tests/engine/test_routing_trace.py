"""decide() and its rendered trace: each condition type, weights, each target-selection
reason, each LB error cause (spec §1.2–1.4, §2.4–2.7, §3.5, §4.3, §9)."""

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labs.engine import stickiness, trace
from labs.engine.attributes import Stickiness
from labs.engine.balancing import LeastOutstandingRequests, RoundRobin
from labs.engine.routing import GroupStates, decide
from labs.engine.rules import RequestFacts, Router
from labs.engine.spec import Action, Condition, Listener, Rule, Target, TargetGroup

A, B, C = "10.0.1.10:80", "10.0.2.10:80", "10.0.1.11:80"
SECRET = b"s" * 16


def forward(*groups: tuple[str, int], sticky: tuple[bool, int] | None = None) -> Action:
    return Action(type="forward", target_groups=groups, stickiness=sticky)


def listener(*rules: Rule, default: Action | None = None) -> Router:
    return Router(
        Listener(
            name="L",
            protocol="HTTP",
            port=80,
            default_actions=(default or forward(("Web", 1)),),
            rules=rules,
        )
    )


def facts(**kw) -> RequestFacts:
    base = {
        "method": "GET",
        "host": "api.example.org",
        "path": "/",
        "query": "",
        "headers": (),
        "source_ip": "198.51.100.7",
    }
    return RequestFacts(**{**base, **kw})


def states(**kw) -> GroupStates:
    targets = (
        Target(id="w1", ip="10.0.1.10", port=80, az="a"),
        Target(id="w2", ip="10.0.2.10", port=80, az="b"),
    )
    base = {
        "groups": {"Web": TargetGroup(name="Web", targets=targets), "Api": TargetGroup(name="Api")},
        "registered": {"Web": [A, B], "Api": [C]},
        "health": {"Web": {A: "healthy", B: "healthy"}, "Api": {C: "healthy"}},
        "algorithms": {"Web": RoundRobin(), "Api": RoundRobin()},
        "stickiness": {},
        "secret": SECRET,
        "node_az": "a",
        "zones": {A: "a", B: "b", C: "a"},
    }
    return GroupStates(**{**base, **kw})


def run(router: Router, request: RequestFacts, state: GroupStates | None = None, seed: int = 1):
    decision = decide(request, router, state or states(), 10.0, random.Random(seed))
    rendered = trace.render(decision, 200, None)
    json.dumps(rendered)  # the trace travels in a JSON event
    return decision, rendered


CONDITIONS = [
    (
        Condition(field="host-header", values=("*.example.com",)),
        {},
        False,
        "host was api.example.org",
    ),
    (
        Condition(field="host-header", values=("*.example.org",)),
        {},
        True,
        "host was api.example.org",
    ),
    (
        Condition(field="path-pattern", values=("/img/*",)),
        {"path": "/img/a.png"},
        True,
        "path was /img/a.png",
    ),
    (
        Condition(field="path-pattern", values=("/img/*",)),
        {"path": "/IMG/a"},
        False,
        "path was /IMG/a",
    ),
    (Condition(field="http-request-method", values=("POST",)), {}, False, "method was GET"),
    (Condition(field="http-request-method", values=("GET",)), {}, True, "method was GET"),
    (
        Condition(field="http-header", header_name="X-Env", values=("beta",)),
        {"headers": (("x-env", "prod"),)},
        False,
        "header was prod",
    ),
    (
        Condition(field="http-header", header_name="X-Env", values=("beta",)),
        {"headers": (("x-env", "beta"),)},
        True,
        "header was beta",
    ),
    (
        Condition(field="http-header", header_name="X-Env", values=("beta",)),
        {},
        False,
        "header was (absent)",
    ),
    (
        Condition(field="query-string", key_values=(("v", "2"),)),
        {"query": "v=2"},
        True,
        "query was v=2",
    ),
    (
        Condition(field="query-string", key_values=(("v", "2"),)),
        {"query": "v=1"},
        False,
        "query was v=1",
    ),
    (
        Condition(field="source-ip", values=("198.51.100.0/24",)),
        {},
        True,
        "source IP was 198.51.100.7",
    ),
    (Condition(field="source-ip", values=("10.0.0.0/8",)), {}, False, "source IP was 198.51.100.7"),
]


@pytest.mark.parametrize(("condition", "request_kw", "matched", "seen"), CONDITIONS)
def test_each_condition_type_is_explained_matched_or_not(condition, request_kw, matched, seen):
    rule = Rule(name="R", priority=10, conditions=(condition,), actions=(forward(("Api", 1)),))

    decision, rendered = run(listener(rule), facts(**request_kw))

    [tried, *rest] = rendered["rules"]
    assert tried["matched"] is matched
    assert tried["conditions"][0]["matched"] is matched
    assert tried["conditions"][0]["why"].endswith(seen)
    assert ("match, " if matched else "no match, ") in tried["conditions"][0]["why"]
    assert decision.rule == (10 if matched else "default")
    assert [r["rule"] for r in rest] == ([] if matched else ["default"])


def test_the_host_header_explanation_reads_as_the_issue_asks():
    rule = Rule(
        name="R",
        priority=5,
        conditions=(Condition(field="host-header", values=("*.example.com",)),),
        actions=(forward(("Api", 1)),),
    )
    _, rendered = run(listener(rule), facts())
    assert rendered["rules"][0]["conditions"][0]["why"] == (
        "host-header *.example.com: no match, host was api.example.org"
    )


def test_rules_are_tried_in_priority_order_and_every_condition_of_a_rule_is_shown():
    first = Rule(
        name="First",
        priority=1,
        conditions=(
            Condition(field="http-request-method", values=("POST",)),
            Condition(field="path-pattern", values=("/",)),
        ),
        actions=(forward(("Api", 1)),),
    )
    second = Rule(
        name="Second",
        priority=2,
        conditions=(Condition(field="path-pattern", values=("/",)),),
        actions=(forward(("Api", 1)),),
    )
    third = Rule(
        name="Third",
        priority=3,
        conditions=(Condition(field="path-pattern", values=("*",)),),
        actions=(forward(("Web", 1)),),
    )

    decision, rendered = run(listener(first, second, third), facts())

    assert decision.rule == 2 and decision.target_group == "Api"
    assert [(r["rule"], r["matched"]) for r in rendered["rules"]] == [(1, False), (2, True)]
    assert [c["matched"] for c in rendered["rules"][0]["conditions"]] == [False, True]


def test_a_weighted_forward_shows_weights_and_the_draw():
    router = listener(default=forward(("Web", 10), ("Api", 20)))

    decision, rendered = run(router, facts())

    group = rendered["target_group"]
    assert group["weights"] == {"Web": 10, "Api": 20}
    assert 0 <= group["draw"] < 30
    assert group["chosen"] == decision.target_group == ("Web" if group["draw"] < 10 else "Api")
    assert decision.group_why == "weighted"


def test_a_weighted_forward_draws_as_random_choices_does():
    router = listener(default=forward(("Web", 10), ("Api", 20)))
    for seed in range(20):
        expected = random.Random(seed).choices(["Web", "Api"], [10, 20])[0]
        assert run(router, facts(), seed=seed)[0].target_group == expected


def test_a_valid_awsalbtg_cookie_pins_the_group_and_says_so():
    router = listener(default=forward(("Web", 1), ("Api", 999), sticky=(True, 60)))
    pin = stickiness.encode(stickiness.Pin("Web+Api", "Web", 100.0), SECRET)

    decision, rendered = run(router, facts(cookies={"AWSALBTG": pin}))

    assert decision.target_group == "Web" and decision.group_why == "sticky:AWSALBTG"
    assert rendered["target_group"]["stickiness"]["honoured"] is True
    assert decision.group_pin is None


def test_round_robin_records_its_position():
    rr = RoundRobin()
    state = states(algorithms={"Web": rr, "Api": RoundRobin()})
    run(listener(), facts(), state)

    decision, rendered = run(listener(), facts(), state)

    assert decision.target == B and decision.why == "round_robin"
    assert rendered["target"]["position"] == 1
    assert rendered["target"]["candidates"] == [A, B]
    assert rendered["target"]["fail_open"] is False


def test_least_outstanding_requests_records_the_counts():
    state = states(algorithms={"Web": LeastOutstandingRequests({A: 3, B: 1}), "Api": RoundRobin()})

    decision, rendered = run(listener(), facts(), state)

    assert decision.target == B and decision.why == "least_outstanding_requests"
    assert rendered["target"]["outstanding"] == {A: 3, B: 1}


def test_fail_open_when_no_target_is_healthy():
    state = states(health={"Web": {A: "unhealthy", B: "unhealthy"}, "Api": {}})

    decision, rendered = run(listener(), facts(), state)

    assert decision.why == "fail_open"
    assert rendered["target"]["fail_open"] is True
    assert rendered["target"]["why"].startswith("no healthy target: failing open")


def test_slow_start_records_the_shares():
    state = states(slow_start={"Web": {A: 9.0}}, slow_start_seconds={"Web": 1000.0})
    decision, rendered = run(listener(), facts(), state, seed=3)
    assert rendered["target"]["slow_start"] == {A: 0.05}
    assert decision.why in ("slow_start", "round_robin")


def test_cross_zone_off_uses_only_the_nodes_zone():
    decision, rendered = run(listener(), facts(), states(zonal_groups=frozenset({"Web"})))
    assert decision.target == A
    assert rendered["target"]["cross_zone"] is False
    assert rendered["target"]["candidates"] == [A]


LB_COOKIE = Stickiness(type="lb_cookie", duration=60.0)


@pytest.mark.parametrize(
    ("pin", "health", "outcome"),
    [
        (stickiness.Pin("Web", B, 100.0), "healthy", "honoured"),
        (None, "healthy", "no_cookie"),
        (stickiness.Pin("Web", B, 5.0), "healthy", "expired"),
        (stickiness.Pin("Api", B, 100.0), "healthy", "other_group"),
        (stickiness.Pin("Web", "10.0.9.9:80", 100.0), "healthy", "target_gone"),
        (stickiness.Pin("Web", B, 100.0), "unhealthy", "target_unhealthy"),
    ],
)
def test_a_stickiness_cookie_is_decoded_and_honoured_or_re_pinned_with_why(pin, health, outcome):
    cookies = {} if pin is None else {"AWSALB": stickiness.encode(pin, SECRET)}
    state = states(stickiness={"Web": LB_COOKIE}, health={"Web": {A: "healthy", B: health}})

    decision, rendered = run(listener(), facts(cookies=cookies), state)

    shown = rendered["target"]["stickiness"]
    assert shown["outcome"] == outcome and shown["honoured"] is (outcome == "honoured")
    if outcome == "honoured":
        assert decision.why == "sticky:AWSALB" and decision.target == B
    else:
        assert decision.why == "round_robin"
        assert shown["why"].endswith(f"re-pinned to {decision.target}")


def test_a_forged_cookie_is_invalid():
    cookies = {"AWSALB": stickiness.encode(stickiness.Pin("Web", B, 100.0), b"guess")}
    state = states(stickiness={"Web": LB_COOKIE})
    _, rendered = run(listener(), facts(cookies=cookies), state)
    assert rendered["target"]["stickiness"]["outcome"] == "invalid"


@pytest.mark.parametrize(
    ("state_kw", "status", "cause"),
    [
        ({"registered": {"Web": [], "Api": []}}, 503, "NoRegisteredTargets"),
        (
            {"registered": {"Web": [B], "Api": []}, "zonal_groups": frozenset({"Web"})},
            503,
            "NoTargetsInZone",
        ),
        (  # §3.5: the ALB fails open over unhealthy targets, never over initial ones
            {"health": {"Web": {A: "initial", B: "initial"}, "Api": {C: "healthy"}}},
            503,
            "NoTargetPassedHealthCheck",
        ),
    ],
)
def test_each_target_group_error_names_its_cause(state_kw, status, cause):
    decision = decide(facts(), listener(), states(**state_kw), 0.0, random.Random(1))
    assert decision.lb_error is not None
    assert (decision.lb_error.status, decision.lb_error.cause) == (status, cause)
    rendered = trace.render(decision, status, cause)
    assert rendered["error"]["cause"] == cause and rendered["error"]["why"]


def test_a_lambda_group_without_a_function_is_a_503():
    state = states(
        groups={
            "Web": TargetGroup(name="Web", target_type="lambda"),
            "Api": TargetGroup(name="Api"),
        }
    )
    decision = decide(facts(), listener(), state, 0.0, random.Random(1))
    assert decision.lb_error is not None and decision.lb_error.cause == "NoRegisteredTargets"


def test_an_overlong_redirect_is_a_500_with_its_cause():
    redirect = Action(
        type="redirect", redirect={"StatusCode": "HTTP_301", "Path": "/" + "x" * 9000}
    )
    decision = decide(facts(), listener(default=redirect), states(), 0.0, random.Random(1))
    assert decision.lb_error is not None
    assert (decision.lb_error.status, decision.lb_error.cause) == (500, "RedirectUrlLimitExceeded")


def test_a_redirect_and_a_fixed_response_show_their_parameters():
    redirect = Action(type="redirect", redirect={"StatusCode": "HTTP_302", "Protocol": "HTTPS"})
    _, rendered = run(listener(default=redirect), facts(path="/a"))
    assert rendered["action"] == {
        "type": "redirect",
        "status": 302,
        "location": "https://api.example.org:80/a",
    }
    fixed = Action(type="fixed-response", fixed_response={"StatusCode": "404"})
    _, rendered = run(listener(default=fixed), facts())
    assert rendered["action"] == {
        "type": "fixed-response",
        "status": 404,
        "content_type": "text/plain",
    }


def test_a_request_the_lb_refused_before_routing_has_only_its_error():
    assert trace.render(None, 463, "TooManyForwardedForAddresses") == {
        "error": {
            "status": 463,
            "cause": "TooManyForwardedForAddresses",
            "why": "X-Forwarded-For listed more than 30 addresses",
        }
    }


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    weights=st.tuples(st.integers(0, 999), st.integers(0, 999)),
    health=st.tuples(*[st.sampled_from(["healthy", "unhealthy", "initial"])] * 3),
    path=st.sampled_from(["/", "/api/x", "/img/y"]),
    sticky=st.booleans(),
    pinned=st.sampled_from([A, B, "10.0.9.9:80"]),
)
def test_the_traces_final_choice_is_the_decision(seed, weights, health, path, sticky, pinned):
    rule = Rule(
        name="Api",
        priority=5,
        conditions=(Condition(field="path-pattern", values=("/api/*",)),),
        actions=(forward(("Web", weights[0]), ("Api", weights[1])),),
    )
    state = states(
        health={"Web": {A: health[0], B: health[1]}, "Api": {C: health[2]}},
        stickiness={"Web": LB_COOKIE} if sticky else {},
    )
    cookies = {"AWSALB": stickiness.encode(stickiness.Pin("Web", pinned, 50.0), SECRET)}

    decision, rendered = run(listener(rule), facts(path=path, cookies=cookies), state, seed)

    assert [r for r in rendered["rules"] if r["matched"]][-1]["rule"] == decision.rule
    if decision.lb_error is not None:  # every target of the group still initial: a 503
        assert decision.lb_error.cause == "NoTargetPassedHealthCheck"
        assert decision.target is None
        return
    assert rendered["target"]["chosen"] == decision.target
    assert rendered["target"]["reason"] == decision.why
    if decision.group_pick is not None:
        assert rendered["target_group"]["chosen"] == decision.target_group
    if "candidates" in rendered["target"]:
        assert decision.target in rendered["target"]["candidates"]
