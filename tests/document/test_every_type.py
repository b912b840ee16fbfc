"""The every-type template: what it builds, what the runtime can run, and cfn-lint."""

import dataclasses

import pytest

from labs.cfn import dump_json, dump_yaml, load_topology, runnable
from labs.engine.spec import Action, Listener, Node, Topology
from tests.document.helpers import EVERY_TYPE, every_type_document


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(EVERY_TYPE)


def balancer(topology, name):
    return next(lb for lb in topology.load_balancers if lb.name == name)


def group(topology, name):
    return topology.target_group(name)


def test_every_load_balancer_type_is_built(topology):
    assert [(lb.name, lb.type) for lb in topology.load_balancers] == [
        ("LoadBalancer", "application"),
        ("NetworkLoadBalancer", "network"),
        ("GatewayLoadBalancer", "gateway"),
        ("ClassicLoadBalancer", "classic"),
    ]


def test_an_nlb_node_carries_the_elastic_ip_of_its_subnet_mapping(topology):
    # The ALB, defined first, holds each subnet's .5: the NLB's nodes take the next address.
    assert balancer(topology, "NetworkLoadBalancer").nodes == (
        Node(az="us-east-1a", ip="10.0.1.6", subnet="SubnetA", elastic_ip="EipA"),
        Node(az="us-east-1b", ip="10.0.2.6", subnet="SubnetB", elastic_ip="EipB"),
    )


def test_an_https_listener_names_its_certificates_domain_and_its_rules_by_priority(topology):
    https = balancer(topology, "LoadBalancer").listeners[1]

    assert (https.protocol, https.port, https.certificates) == ("HTTPS", 443, ("www.example.com",))
    assert [rule.name for rule in https.rules] == ["UsersRule", "HelloRule", "MaintenanceRule"]
    assert https.default_actions == (
        Action(
            type="forward",
            target_groups=(("WebTargets", 80), ("FleetTargets", 20)),
            stickiness=(True, 600),
        ),
    )


def test_the_redirect_and_fixed_response_configs_are_kept_as_cloudformation_wrote_them(topology):
    (http, https) = balancer(topology, "LoadBalancer").listeners

    assert http.default_actions[0].redirect == {
        "Protocol": "HTTPS",
        "Port": "443",
        "StatusCode": "HTTP_301",
    }
    assert https.rules[2].actions[0].fixed_response == {
        "StatusCode": "503",
        "ContentType": "text/plain",
        "MessageBody": "maintenance",
    }


def test_the_auto_scaling_group_launches_its_desired_capacity_into_its_target_group(topology):
    (fleet,) = topology.auto_scaling_groups

    assert fleet.instances == ("WebFleet-1", "WebFleet-2")
    assert [(t.id, t.address, t.az) for t in group(topology, "FleetTargets").targets] == [
        ("WebFleet-1", "10.0.1.12:80", "us-east-1a"),
        ("WebFleet-2", "10.0.2.11:80", "us-east-1b"),
    ]


def test_a_lambda_target_runs_its_built_in_handler_with_health_checks_off(topology):
    lambdas = group(topology, "LambdaTargets")

    assert [(t.id, t.handler) for t in lambdas.targets] == [("HelloFunction", "hello")]
    assert lambdas.health_check.enabled is False
    assert (
        lambdas.health_check.interval_seconds,
        lambdas.health_check.timeout_seconds,
        lambdas.health_check.unhealthy_threshold,
    ) == (35, 30, 5)


def test_gateway_target_groups_take_gwlb_health_check_defaults(topology):
    check = group(topology, "ApplianceTargets").health_check

    assert (check.port, check.interval_seconds, check.matcher) == ("80", 10, "200-399")


def test_per_target_ports_and_attributes_are_kept(topology):
    web = group(topology, "WebTargets")

    assert [t.address for t in web.targets] == ["10.0.1.10:80", "10.0.2.10:8080"]
    assert web.attributes == {
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "300",
    }


def test_the_classic_load_balancer_registers_its_instances_on_the_first_instance_port(topology):
    classic = balancer(topology, "ClassicLoadBalancer")

    assert [t.address for t in classic.instances] == ["10.0.1.10:80", "10.0.2.10:80"]
    assert classic.listeners[1] == Listener(
        name="ClassicLoadBalancer:443",
        protocol="HTTPS",
        port=443,
        default_actions=(),
        certificates=("www.example.com",),
        instance_protocol="HTTP",
        instance_port=80,
    )
    assert classic.attributes["load_balancing.cross_zone.enabled"] == "true"


# --- what the runtime can run --------------------------------------------------------------------
def only(topology, *names):
    return dataclasses.replace(
        topology, load_balancers=tuple(lb for lb in topology.load_balancers if lb.name in names)
    )


def test_the_runtime_runs_an_http_alb_forwarding_to_instances(topology):
    alb = balancer(topology, "LoadBalancer")
    http = dataclasses.replace(alb.listeners[1], protocol="HTTP", rules=alb.listeners[1].rules[:1])
    plain = dataclasses.replace(alb, listeners=(http,))
    groups = tuple(g for g in topology.target_groups if g.target_type in ("instance", "ip"))

    assert (
        runnable(dataclasses.replace(topology, load_balancers=(plain,), target_groups=groups))
        is None
    )


@pytest.mark.parametrize(
    ("names", "code"),
    [
        (("NetworkLoadBalancer",), None),  # TCP to an alb target group (§6.5)
        (("LoadBalancer",), None),  # its alb group is registered, used by no NLB here
        ((), "no-load-balancer"),
    ],
)
def test_the_runtime_says_why_it_cannot_run_a_topology(topology, names, code):
    assert runnable(only(topology, *names)) == code


def test_the_runtime_runs_a_classic_lb_with_http_and_https_listeners(topology):
    classic = balancer(topology, "ClassicLoadBalancer")

    assert (
        runnable(dataclasses.replace(topology, load_balancers=(classic,), target_groups=())) is None
    )


def test_the_runtime_runs_tls_to_classic_instances_but_not_mixed_with_plain_text(topology):
    classic = balancer(topology, "ClassicLoadBalancer")
    tls = dataclasses.replace(classic.listeners[1], instance_protocol="HTTPS")
    mixed = dataclasses.replace(classic, listeners=(classic.listeners[0], tls))
    document = dataclasses.replace(topology, load_balancers=(mixed,), target_groups=())
    # One dummy server per instance port: it cannot speak TLS to one listener and
    # plain HTTP to the other.
    assert runnable(document) == "unsupported-instance-protocol:HTTPS"

    all_tls = dataclasses.replace(
        classic,
        listeners=tuple(
            dataclasses.replace(listener, instance_protocol="HTTPS")
            for listener in classic.listeners
        ),
    )
    document = dataclasses.replace(topology, load_balancers=(all_tls,), target_groups=())
    assert runnable(document) is None


def test_the_runtime_runs_a_gateway_load_balancer_to_geneve_appliances(topology):
    gwlb = balancer(topology, "GatewayLoadBalancer")
    groups = tuple(g for g in topology.target_groups if g.protocol == "GENEVE")
    assert groups
    assert (
        runnable(dataclasses.replace(topology, load_balancers=(gwlb,), target_groups=groups))
        is None
    )


def test_the_runtime_runs_https_redirects_and_lambda_targets(topology):
    alb = balancer(topology, "LoadBalancer")
    groups = tuple(g for g in topology.target_groups if g.target_type != "alb")

    assert (
        runnable(dataclasses.replace(topology, load_balancers=(alb,), target_groups=groups)) is None
    )


# --- cfn-lint ------------------------------------------------------------------------------------
# W3010: the playground needs literal Availability Zones to draw one column per zone.
LINT_IGNORED = ["W3010"]


@pytest.mark.parametrize("dump", [dump_yaml, dump_json], ids=["yaml", "json"])
def test_the_every_type_export_passes_cfn_lint(dump):
    api = pytest.importorskip("cfnlint.api")

    matches = api.lint(
        dump(every_type_document()),
        config=api.ManualArgs(regions=["us-east-1"], ignore_checks=LINT_IGNORED),
    )

    assert [str(match) for match in matches] == []


def test_each_subnet_is_public_through_the_internet_gateway_its_route_table_names(topology):
    assert topology.routing
    assert topology.internet_gateways == ("InternetGateway",)
    assert [(s.name, s.public, s.internet_gateway, s.route_table) for s in topology.subnets] == [
        ("SubnetA", True, "InternetGateway", "PublicRouteTable"),
        ("SubnetB", True, "InternetGateway", "PublicRouteTable"),
    ]
