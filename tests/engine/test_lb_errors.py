"""The answers the ALB decides to give itself (spec §2.2, §4.3, §10): one case per row."""

import random

import pytest

from labs.engine import errors, security, trace
from labs.engine.routing import GroupStates, decide
from labs.engine.spec import IngressRule, LoadBalancer, Node, SecurityGroup, Target, TargetGroup

from .test_routing_trace import A, B, facts, listener, states


def _decide(request, state: GroupStates | None = None):
    return decide(request, listener(), state or states(), 0.0, random.Random(1))


def test_trace_is_refused_with_405_before_any_rule():
    decision = _decide(facts(method="TRACE"))

    assert decision.lb_error == errors.METHOD_NOT_ALLOWED
    assert decision.target is None
    assert trace.render(decision, 405, "MethodNotAllowed")["rules"] == []


def test_a_custom_method_is_routed_like_any_other():
    decision = _decide(facts(method="GETX"))

    assert decision.lb_error is None and decision.target in (A, B)


@pytest.mark.parametrize(
    ("version", "group_version", "error"),
    [
        ("1.1", "HTTP2", errors.PROTOCOL_VERSION_MISMATCH),
        ("1.1", "GRPC", errors.PROTOCOL_VERSION_MISMATCH),
        ("1.1", "HTTP1", None),
        ("1.0", "HTTP2", errors.PROTOCOL_VERSION_MISMATCH),
    ],
)
def test_an_http1_request_to_an_http2_or_grpc_group_gets_464(version, group_version, error):
    state = states()
    web = state.groups["Web"]
    state.groups = {
        **state.groups,
        "Web": TargetGroup(name="Web", targets=web.targets, protocol_version=group_version),
    }

    assert _decide(facts(version=version), state).lb_error == error


def test_a_websocket_upgrade_to_a_lambda_target_gets_400():
    state = states()
    function = Target(id="Fn", ip="", port=0, az="", handler="echo")
    state.groups = {
        **state.groups,
        "Web": TargetGroup(name="Web", target_type="lambda", targets=(function,)),
    }

    assert _decide(facts(upgrade=True), state).lb_error == errors.WEBSOCKET_TO_LAMBDA
    assert _decide(facts(), state).lb_error is None


OPEN = SecurityGroup(
    name="LbSg", ingress=(IngressRule(protocol="tcp", from_port=80, to_port=80, cidr="0.0.0.0/0"),)
)
WEB_ONLY = SecurityGroup(
    name="LbSg",
    ingress=(IngressRule(protocol="tcp", from_port=80, to_port=80, source_group="WebSg"),),
)


@pytest.mark.parametrize(
    ("scheme", "group", "source", "source_groups", "dropped"),
    [
        ("internet-facing", OPEN, "203.0.113.9", (), None),
        ("internal", OPEN, "203.0.113.9", (), security.INTERNAL),
        ("internal", OPEN, "10.0.1.10", (), None),
        ("internal", WEB_ONLY, "10.0.1.10", (), security.SECURITY_GROUP),
        ("internal", WEB_ONLY, "10.0.1.10", ("WebSg",), None),
    ],
)
def test_the_scheme_and_the_lbs_security_group_decide_which_clients_are_dropped(
    scheme, group, source, source_groups, dropped
):
    lb = LoadBalancer(name="Alb", scheme=scheme, security_groups=("LbSg",))

    assert (
        security.client_dropped(
            lb,
            [group],
            vpc_cidr="10.0.0.0/16",
            source_ip=source,
            port=80,
            source_groups=source_groups,
        )
        == dropped
    )


def test_every_cause_has_its_sentence():
    causes = [v for v in vars(errors).values() if isinstance(v, errors.LbError)]

    assert all(errors.explain(c.status, c.cause) != c.cause for c in causes)


def test_an_internal_alb_admits_a_public_client_that_came_through_its_nlb():
    lb = LoadBalancer(name="Alb", scheme="internal", security_groups=("LbSg",))
    facts = {"vpc_cidr": "10.0.0.0/16", "source_ip": "203.0.113.9", "port": 80}

    assert security.client_dropped(lb, [OPEN], **facts) == security.INTERNAL
    assert security.client_dropped(lb, [OPEN], through_nlb=True, **facts) is None
    assert security.client_dropped(lb, [WEB_ONLY], through_nlb=True, **facts) == (
        security.SECURITY_GROUP  # the ALB's SG still judges the preserved client address
    )


@pytest.mark.parametrize(
    ("public", "source", "dropped"),
    [
        (True, "203.0.113.9", None),
        (False, "203.0.113.9", security.NO_INTERNET_ROUTE),  # no route from the internet
        (False, "10.0.2.30", None),  # inside the VPC: the node's private address works
    ],
)
def test_an_internet_facing_node_without_an_internet_route_is_out_of_the_internet_s_reach(
    public, source, dropped
):
    lb = LoadBalancer(name="Alb", scheme="internet-facing", security_groups=("LbSg",))
    node = Node(az="us-east-1a", ip="10.0.1.5", subnet="PrivateA", public=public)

    assert (
        security.client_dropped(
            lb, [OPEN], vpc_cidr="10.0.0.0/16", source_ip=source, port=80, node=node
        )
        == dropped
    )
