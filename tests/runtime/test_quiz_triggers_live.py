"""The in-lab quiz triggers on real runs: the NLB, GWLB and Classic starters, on loopback
sockets, fire the triggers of their own load balancer type and none written for the ALB
(whose questions would not match what happened)."""

import pytest

from playground.quizzes.triggers import Watch

from .helpers import run_until, starter

pytestmark = pytest.mark.timeout(60)
ALB_ONLY = {"lb_5xx", "sticky", "redirect", "fail_open", "draining", "cross_zone_imbalance"}


def _watching(expected):
    """A ``done`` for run_until that feeds each new event to one Watch, as the consumer does."""
    watch, seen = Watch(), [0]

    def done(events):
        watch.scan(events[seen[0] :])
        seen[0] = len(events)
        return expected <= watch.fired

    return watch, done


async def test_the_nlb_starter_fires_the_nlb_flow_triggers():
    expected = {"nlb_flow_hash", "nlb_client_ip_preserved", "nlb_cross_zone_off"}
    watch, done = _watching(expected)
    await run_until(starter("nlb-static-ips.yaml"), done)
    assert not watch.fired & ALB_ONLY
    assert {code.split("_")[0] for code in watch.fired} <= {"nlb", "first"}


async def test_the_gwlb_starter_fires_flow_stickiness_and_nothing_of_the_nlb():
    watch, done = _watching({"gwlb_sticky"})
    await run_until(starter("gwlb-appliances.yaml"), done)
    assert not watch.fired & ALB_ONLY
    assert not {code for code in watch.fired if code.startswith("nlb_")}


def _sticky(document):
    lb = document["Resources"]["LoadBalancer"]["Properties"]
    lb["LBCookieStickinessPolicy"] = [{"PolicyName": "Sticky", "CookieExpirationPeriod": "60"}]
    lb["Listeners"][0]["PolicyNames"] = ["Sticky"]


async def test_a_sticky_classic_lb_fires_the_awselb_trigger_not_the_albs():
    watch, done = _watching({"clb_sticky"})
    await run_until(starter("classic-lb.yaml", _sticky), done, within=20)
    assert "sticky" not in watch.fired
    assert not watch.fired & ALB_ONLY


async def test_the_nlb_in_front_of_an_alb_starter_raises_no_fail_open_question():
    """The NLB checks its ALB target through the ALB; those checks wait for the ALB's own
    targets' first checks, so none reaches an ALB whose targets are all ``initial`` (which
    answers 503, never failing open: ELB_BEHAVIOUR.md §3.5) and the NLB's target passes."""
    flows_seen = [0]

    def done(events):
        flows_seen[0] = sum(1 for e in events if e.get("type") == "flow" and e.get("target"))
        return flows_seen[0] >= 5

    watch, _ = _watching(set())
    events, _ = await run_until(starter("nlb-in-front-of-alb.yaml"), done, within=20)
    watch.scan(events)
    assert not watch.fired & {"fail_open", "nlb_fail_open"}
    requests = [e for e in events if e.get("type") == "request"]
    assert requests and all(e.get("reason") != "fail_open" for e in requests)
    assert all(e.get("error_reason") != "NoTargetPassedHealthCheck" for e in requests)
