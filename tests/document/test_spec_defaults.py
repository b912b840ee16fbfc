"""ELB_BEHAVIOUR.md's defaults and range edges for validation, one test each: what a
document leaves out gets AWS's default, and each range's ends are accepted while one step
past them is refused with its exact line.
"""

import pytest

from labs.cfn import TemplateError, load_topology
from labs.forms.balancing import SSL_POLICIES as FORM_POLICIES
from labs.validation.listeners import SSL_POLICIES
from tests.document.helpers import edited


@pytest.fixture(autouse=True)
def _run_limits(settings):
    settings.LAB_MAX_RPS = 200
    settings.LAB_MAX_TARGETS = 50


def nlb_group(**properties):
    """An unused NLB target group added to the every-type template."""
    return (
        "Resources.TcpTargets",
        {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "Protocol": "TCP", "Port": 80, **properties},
        },
    )


def problems(changes):
    with pytest.raises(TemplateError) as caught:
        load_topology(edited(changes))
    return [str(p) for p in caught.value.problems]


def test_an_nlb_target_group_takes_nlb_health_check_defaults():
    """§3.1: TCP on the traffic port, every 30 s, 10 s timeout, 5 up, 2 down, 200-399."""
    check = load_topology(edited([nlb_group()])).target_group("TcpTargets").health_check

    assert (
        check.protocol,
        check.port,
        check.interval_seconds,
        check.timeout_seconds,
        check.healthy_threshold,
        check.unhealthy_threshold,
        check.matcher,
    ) == ("TCP", "traffic-port", 30, 10, 5, 2, "200-399")


@pytest.mark.parametrize(("protocol", "timeout"), [("HTTP", 6), ("HTTPS", 10), ("TCP", 10)])
def test_an_nlb_health_check_timeout_defaults_by_its_protocol(protocol, timeout):
    topology = load_topology(edited([nlb_group(HealthCheckProtocol=protocol)]))

    assert topology.target_group("TcpTargets").health_check.timeout_seconds == timeout


def test_a_gateway_health_check_defaults_to_a_5_second_timeout_and_5_up_2_down():
    check = load_topology(edited([])).target_group("ApplianceTargets").health_check

    assert (check.timeout_seconds, check.healthy_threshold, check.unhealthy_threshold) == (
        5,
        5,
        2,
    )


def test_a_gateway_health_check_may_time_out_at_its_interval_but_an_alb_one_may_not():
    gwlb = "Resources.ApplianceTargets.Properties."
    alb = "Resources.WebTargets.Properties."
    topology = load_topology(
        edited(
            [(gwlb + "HealthCheckIntervalSeconds", 10), (gwlb + "HealthCheckTimeoutSeconds", 10)]
        )
    )

    assert topology.target_group("ApplianceTargets").health_check.timeout_seconds == 10
    assert problems(
        [(alb + "HealthCheckIntervalSeconds", 10), (alb + "HealthCheckTimeoutSeconds", 10)]
    ) == [
        "WebTargets.Properties.HealthCheckTimeoutSeconds: ValidationError: Health check "
        "timeout must be smaller than the interval"
    ]


@pytest.mark.parametrize(
    ("name", "low", "high", "extra"),
    [
        ("HealthCheckIntervalSeconds", 5, 300, {"HealthCheckTimeoutSeconds": 2}),
        ("HealthCheckTimeoutSeconds", 2, 120, {"HealthCheckIntervalSeconds": 300}),
        ("HealthyThresholdCount", 2, 10, {}),
        ("UnhealthyThresholdCount", 2, 10, {}),
    ],
)
def test_health_check_ranges_take_their_ends_and_refuse_one_past(name, low, high, extra):
    for value in (low, high):
        load_topology(edited([nlb_group(**extra, **{name: value})]))
    for value in (low - 1, high + 1):
        assert problems([nlb_group(**extra, **{name: value})]) == [
            f"TcpTargets.Properties.{name}: ValidationError: {value} is out of range; must "
            f"be from {low} to {high}"
        ]


@pytest.mark.parametrize("codes", ["12", "0-99", "0,1,4"])
def test_a_grpc_target_group_takes_grpc_codes_from_0_to_99(codes):
    tg = "Resources.WebTargets.Properties."
    topology = load_topology(
        edited([(tg + "ProtocolVersion", "GRPC"), (tg + "Matcher", {"GrpcCode": codes})])
    )

    assert topology.target_group("WebTargets").protocol_version == "GRPC"


def test_client_ip_preservation_can_be_turned_off_for_a_tcp_target_group():
    """§6.3: TCP and TLS groups may disable it; UDP-family groups may not (a table row)."""
    attrs = [{"Key": "preserve_client_ip.enabled", "Value": "false"}]
    topology = load_topology(edited([nlb_group(TargetGroupAttributes=attrs)]))

    assert topology.target_group("TcpTargets").attributes == {"preserve_client_ip.enabled": "false"}


def test_a_dns_failover_threshold_equal_to_the_routing_one_is_accepted():
    attrs = [
        {"Key": f"target_group_health.{kind}.minimum_healthy_targets.count", "Value": "2"}
        for kind in ("dns_failover", "unhealthy_state_routing")
    ]
    load_topology(edited([nlb_group(TargetGroupAttributes=attrs)]))


def test_a_rule_takes_3_values_in_a_condition_and_5_in_all():
    rule = "Resources.UsersRule.Properties.Conditions"
    conditions = [
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/a", "/b", "/c"]}},
        {
            "Field": "host-header",
            "HostHeaderConfig": {"Values": ["a.example.com", "b.example.com"]},
        },
    ]
    topology = load_topology(edited([(rule, conditions)]))
    https = next(lb for lb in topology.load_balancers if lb.name == "LoadBalancer").listeners[1]

    assert [len(c.values) for c in https.rules[0].conditions] == [3, 2]


def test_every_security_policy_the_builder_offers_is_a_known_one():
    assert {p for p in FORM_POLICIES if p} <= SSL_POLICIES
