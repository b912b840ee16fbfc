"""The Classic Load Balancer's engine: health table, balancing, AWSELB stickiness (spec §8)."""

import pytest

from labs.engine import classic, stickiness
from labs.engine.balancing import LeastOutstandingRequests, RoundRobin
from labs.engine.health import (
    CheckFailed,
    CheckPassed,
    DelayExpired,
    Deregistered,
    GroupUnused,
    HealthRefused,
    Registered,
)
from labs.engine.spec import LoadBalancer, Target

CHECK = classic.DEFAULT_HEALTH_CHECK
SECRET = b"s" * 16
A, B, C = "10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"
ZONES = {A: "us-east-1a", B: "us-east-1a", C: "us-east-1b"}


def passed(at=0.0):
    return CheckPassed(at=at, status=200)


def failed(at=0.0):
    return CheckFailed(at=at, reason="Target.ResponseCodeMismatch", status=302)


def shown(health):
    return (classic.SHOWN[health.state], health.reason, health.description)


# --- health --------------------------------------------------------------------------------
def test_the_defaults_are_the_apis():
    assert (CHECK.protocol, CHECK.port) == ("TCP", "80")
    assert (CHECK.healthy_threshold, CHECK.unhealthy_threshold) == (10, 2)
    assert (CHECK.interval_seconds, CHECK.timeout_seconds) == (30, 5)


def test_a_registered_instance_needs_healthy_threshold_passes_to_come_in_service():
    health = classic.registered()
    for _ in range(9):
        health, change = classic.step(health, passed(), CHECK)
        assert change is None
        assert shown(health) == ("OutOfService", "ELB", classic.REGISTRATION_IN_PROGRESS)
    health, change = classic.step(health, passed(), CHECK)
    assert shown(health) == ("InService", "N/A", "N/A")
    assert change is not None and (change.previous, change.state) == ("OutOfService", "InService")


def test_unhealthy_threshold_failures_take_an_instance_out_of_service():
    health = classic.registered()
    for _ in range(10):
        health, _ = classic.step(health, passed(), CHECK)
    health, change = classic.step(health, failed(), CHECK)
    assert change is None and classic.SHOWN[health.state] == "InService"
    health, change = classic.step(health, failed(), CHECK)
    assert shown(health) == ("OutOfService", "Instance", classic.FAILED_UNHEALTHY_THRESHOLD)
    assert change is not None and change.reason == "Instance"


def test_a_pass_between_failures_resets_the_count():
    health = classic.registered()
    for _ in range(10):
        health, _ = classic.step(health, passed(), CHECK)
    for event in (failed(), passed(), failed()):
        health, _ = classic.step(health, event, CHECK)
    assert classic.SHOWN[health.state] == "InService"


def test_deregistering_shows_in_service_until_the_draining_timeout():
    health = classic.registered()
    for _ in range(10):
        health, _ = classic.step(health, passed(), CHECK)
    health, _ = classic.step(health, Deregistered(at=1.0), CHECK)
    assert shown(health) == ("InService", "ELB", classic.DEREGISTRATION_IN_PROGRESS)
    health, change = classic.step(health, failed(), CHECK)  # checks change nothing now
    assert change is None and health.state == classic.DEREGISTERING
    health, change = classic.step(health, DelayExpired(at=2.0), CHECK)
    assert shown(health) == ("OutOfService", "ELB", classic.NOT_REGISTERED)
    assert change is not None
    assert classic.drain_ended(change.state, change.previous, change.description)


def test_an_out_of_service_instance_leaves_at_once_and_can_come_back():
    health, _ = classic.step(classic.registered(), Deregistered(at=0.0), CHECK)
    assert shown(health) == ("OutOfService", "ELB", classic.NOT_REGISTERED)
    health, _ = classic.step(health, DelayExpired(at=1.0), CHECK)
    health, _ = classic.step(health, Registered(at=2.0), CHECK)
    assert shown(health) == ("OutOfService", "ELB", classic.REGISTRATION_IN_PROGRESS)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (classic.UNREGISTERED, passed()),
        (classic.IN_SERVICE, GroupUnused(at=0.0)),
        (classic.OUT_OF_SERVICE, DelayExpired(at=0.0)),
    ],
)
def test_an_input_without_a_row_is_refused_and_changes_nothing(state, event):
    from dataclasses import replace

    health = replace(classic.registered(), state=state)
    with pytest.raises(HealthRefused):
        classic.step(health, event, CHECK)


# --- balancing -------------------------------------------------------------------------------
def state(algorithm, *, cross_zone=True, policy=None, health=None, node_az="us-east-1a"):
    return classic.State(
        lb="Clb",
        node_az=node_az,
        registered=[A, B, C],
        health=health or dict.fromkeys((A, B, C), classic.IN_SERVICE),
        zones=ZONES,
        cross_zone=cross_zone,
        algorithm=algorithm,
        policy=policy,
        secret=SECRET,
    )


def test_http_listeners_use_least_outstanding_requests_and_tcp_round_robin():
    assert classic.algorithm_name("HTTP") == "least_outstanding_requests"
    assert classic.algorithm_name("HTTPS") == "least_outstanding_requests"
    assert classic.algorithm_name("TCP") == "round_robin"
    assert classic.algorithm_name("SSL") == "round_robin"


def test_least_outstanding_picks_the_least_busy_in_service_instance():
    decision = classic.decide({}, state(LeastOutstandingRequests({A: 3, B: 1, C: 2})))
    assert (decision.target, decision.why) == (B, "least_outstanding_requests")


def test_round_robin_takes_in_service_instances_in_turn():
    node = state(
        RoundRobin(),
        health={A: classic.IN_SERVICE, B: classic.OUT_OF_SERVICE, C: classic.IN_SERVICE},
    )
    assert [classic.decide({}, node).target for _ in range(4)] == [A, C, A, C]


def test_no_instance_in_service_is_a_503_never_a_fail_open():
    node = state(RoundRobin(), health=dict.fromkeys((A, B, C), classic.OUT_OF_SERVICE))
    decision = classic.decide({}, node)
    assert decision.target is None
    assert decision.lb_error == classic.NO_HEALTHY_INSTANCES
    assert decision.lb_error.status == 503


def test_cross_zone_off_uses_only_the_nodes_zone():
    node = state(RoundRobin(), cross_zone=False, node_az="us-east-1b")
    decisions = [classic.decide({}, node) for _ in range(3)]
    assert {d.target for d in decisions} == {C}
    assert all(d.zonal for d in decisions)


def test_the_trace_says_why():
    decision = classic.decide({}, state(RoundRobin(), cross_zone=False))
    trace = classic.render(decision, 200, None)
    assert trace["target"]["reason"] == "round_robin"
    assert trace["target"]["candidates"] == [A, B]
    assert "cross-zone" in trace["target"]["zone_why"]


# --- stickiness ----------------------------------------------------------------------------
LB_POLICY = classic.Sticky(type="lb_cookie", expiration=60)
APP_POLICY = classic.Sticky(type="app_cookie", cookie_name="SESSIONID")


def cookie_for(target, lb="Clb"):
    return stickiness.encode(stickiness.Pin(lb, target, 0.0), SECRET)


def test_an_awselb_cookie_pins_the_in_service_instance():
    decision = classic.decide({"AWSELB": cookie_for(C)}, state(RoundRobin(), policy=LB_POLICY))
    assert (decision.target, decision.why) == (C, "sticky:AWSELB")
    assert not decision.non_sticky


def test_a_cookie_for_an_out_of_service_instance_is_ignored():
    health = {A: classic.IN_SERVICE, B: classic.IN_SERVICE, C: classic.OUT_OF_SERVICE}
    node = state(RoundRobin(), policy=LB_POLICY, health=health)
    decision = classic.decide({"AWSELB": cookie_for(C)}, node)
    assert decision.target == A and decision.cookie_outcome == "target_not_in_service"


@pytest.mark.parametrize(
    ("value", "outcome"),
    [(None, "no_cookie"), ("forged", "invalid"), (cookie_for(C, lb="Other"), "other_lb")],
)
def test_a_cookie_that_is_not_ours_pins_nothing(value, outcome):
    cookies = {} if value is None else {"AWSELB": value}
    decision = classic.decide(cookies, state(RoundRobin(), policy=LB_POLICY))
    assert decision.cookie_outcome == outcome and decision.why == "round_robin"


def test_duration_cookie_is_issued_once_with_its_expiry_and_never_refreshed():
    node = state(RoundRobin(), policy=LB_POLICY)
    first = classic.decide({}, node)
    [issued] = classic.set_cookies(first, LB_POLICY, [], SECRET, wall_now=0.0)
    assert issued.startswith("AWSELB=") and "EXPIRES=Thu, 01-Jan-1970 00:01:00 GMT" in issued
    pinned = classic.decide({"AWSELB": issued.split(";")[0][7:]}, node)
    assert pinned.target == first.target
    assert classic.set_cookies(pinned, LB_POLICY, [], SECRET, wall_now=10.0) == []


def test_no_expiration_period_makes_a_session_cookie():
    policy = classic.Sticky(type="lb_cookie")
    decision = classic.decide({}, state(RoundRobin(), policy=policy))
    [issued] = classic.set_cookies(decision, policy, [], SECRET, wall_now=0.0)
    assert "EXPIRES" not in issued


def test_app_cookie_stickiness_follows_the_applications_cookie():
    node = state(RoundRobin(), policy=APP_POLICY)
    decision = classic.decide({}, node)
    assert classic.set_cookies(decision, APP_POLICY, ["OTHER=1"], SECRET, 0.0) == []
    [issued] = classic.set_cookies(
        decision, APP_POLICY, ["SESSIONID=abc; Max-Age=120"], SECRET, 0.0
    )
    assert issued.startswith("AWSELB=") and issued.endswith(";MAX-AGE=120")
    # A Set-Cookie with a trailing ';' is ignored (§8).
    assert classic.set_cookies(decision, APP_POLICY, ["SESSIONID=abc;"], SECRET, 0.0) == []


def test_app_cookie_session_moves_to_the_new_instance_when_the_old_fails():
    health = {A: classic.IN_SERVICE, B: classic.IN_SERVICE, C: classic.OUT_OF_SERVICE}
    node = state(RoundRobin(), policy=APP_POLICY, health=health)
    decision = classic.decide({"AWSELB": cookie_for(C)}, node)
    assert decision.repin
    [issued] = classic.set_cookies(decision, APP_POLICY, [], SECRET, 0.0)
    assert stickiness.decode(issued.split(";")[0][7:], SECRET).target == decision.target


def test_the_instance_group_carries_draining_as_the_deregistration_delay():
    web = Target(id="Web1", ip="10.0.1.10", port=80, az="us-east-1a")
    lb = LoadBalancer(
        name="Clb",
        type="classic",
        instances=(web,),
        attributes={"connection_draining.enabled": "true", "connection_draining.timeout": "45"},
    )
    group = classic.instance_group(lb)
    assert group.name == "Clb" and group.targets == (web,)
    assert group.attributes["deregistration_delay.timeout_seconds"] == "45"
    assert group.health_check == classic.DEFAULT_HEALTH_CHECK
    off = classic.instance_group(LoadBalancer(name="Clb", type="classic", instances=(web,)))
    assert off.attributes["deregistration_delay.timeout_seconds"] == "0"


def test_listener_policy_names_become_the_listeners_stickiness():
    import json
    from pathlib import Path

    from labs.cfn import load_topology, parse_document

    starter = Path(__file__).resolve().parents[2] / "labs" / "starters" / "classic-lb.yaml"
    document = parse_document(starter.read_text())
    props = document["Resources"]["LoadBalancer"]["Properties"]
    props["AppCookieStickinessPolicy"] = [{"PolicyName": "App", "CookieName": "SESSIONID"}]
    props["LBCookieStickinessPolicy"] = [{"PolicyName": "Lb", "CookieExpirationPeriod": "90"}]
    props["Listeners"][0]["PolicyNames"] = ["App"]
    props["Listeners"].append(
        {
            "LoadBalancerPort": "8080",
            "InstancePort": "80",
            "Protocol": "HTTP",
            "PolicyNames": ["Lb"],
        }
    )
    [lb] = load_topology(json.dumps(document)).load_balancers

    assert classic.sticky_policy(lb.listeners[0].attributes) == APP_POLICY
    assert classic.sticky_policy(lb.listeners[1].attributes) == classic.Sticky(
        type="lb_cookie", expiration=90
    )
