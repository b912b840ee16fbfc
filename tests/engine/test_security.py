import pytest

from labs.engine.security import allows
from labs.engine.spec import IngressRule, SecurityGroup

LB_GROUP = SecurityGroup(
    name="LoadBalancerSecurityGroup",
    ingress=(IngressRule(protocol="tcp", from_port=80, to_port=80, cidr="0.0.0.0/0"),),
)
WEB_GROUP = SecurityGroup(
    name="WebSecurityGroup",
    ingress=(
        IngressRule(
            protocol="tcp", from_port=80, to_port=80, source_group="LoadBalancerSecurityGroup"
        ),
    ),
)
RANGE_GROUP = SecurityGroup(
    name="RangeGroup",
    ingress=(IngressRule(protocol="tcp", from_port=8000, to_port=8100, cidr="10.0.1.0/24"),),
)
ALL_TRAFFIC_GROUP = SecurityGroup(
    name="AllTraffic",
    ingress=(IngressRule(protocol="-1", from_port=-1, to_port=-1, cidr="10.0.0.0/16"),),
)
EMPTY_GROUP = SecurityGroup(name="Empty")
NO_SOURCE_GROUP = SecurityGroup(
    name="NoSource", ingress=(IngressRule(protocol="tcp", from_port=0, to_port=65535),)
)

LB_NODE = ("10.0.1.5", ("LoadBalancerSecurityGroup",))
OTHER_INSTANCE = ("10.0.1.11", ("WebSecurityGroup",))
INTERNET = ("203.0.113.7", ())


@pytest.mark.parametrize(
    ("groups", "protocol", "port", "source", "expected"),
    [
        # a source security group: members only, on its port only
        ([WEB_GROUP], "tcp", 80, LB_NODE, True),
        ([WEB_GROUP], "tcp", 81, LB_NODE, False),
        ([WEB_GROUP], "udp", 80, LB_NODE, False),
        ([WEB_GROUP], "tcp", 80, OTHER_INSTANCE, False),  # same VPC, not a member
        ([WEB_GROUP], "tcp", 80, INTERNET, False),
        # a CIDR
        ([LB_GROUP], "tcp", 80, INTERNET, True),
        ([LB_GROUP], "tcp", 443, INTERNET, False),
        # a port range includes both ends
        ([RANGE_GROUP], "tcp", 8000, ("10.0.1.20", ()), True),
        ([RANGE_GROUP], "tcp", 8100, ("10.0.1.20", ()), True),
        ([RANGE_GROUP], "tcp", 7999, ("10.0.1.20", ()), False),
        ([RANGE_GROUP], "tcp", 8101, ("10.0.1.20", ()), False),
        ([RANGE_GROUP], "tcp", 8050, ("10.0.2.20", ()), False),
        # protocol -1 is every protocol on every port
        ([ALL_TRAFFIC_GROUP], "tcp", 22, ("10.0.2.20", ()), True),
        ([ALL_TRAFFIC_GROUP], "udp", 53, ("10.0.2.20", ()), True),
        ([ALL_TRAFFIC_GROUP], "tcp", 22, INTERNET, False),
        # several groups: any rule of any group
        ([EMPTY_GROUP, LB_GROUP], "tcp", 80, INTERNET, True),
        ([WEB_GROUP, RANGE_GROUP], "tcp", 8000, ("10.0.1.20", ()), True),
        # a group with no inbound rules, or a rule naming no source, lets nothing in
        ([EMPTY_GROUP], "tcp", 80, INTERNET, False),
        ([NO_SOURCE_GROUP], "tcp", 80, INTERNET, False),
    ],
)
def test_a_connection_is_allowed_only_by_a_matching_inbound_rule(
    groups, protocol, port, source, expected
):
    source_ip, source_groups = source

    assert (
        allows(
            groups, protocol=protocol, port=port, source_ip=source_ip, source_groups=source_groups
        )
        is expected
    )


def test_an_instance_without_security_groups_is_treated_as_open():
    assert allows([], protocol="tcp", port=22, source_ip="203.0.113.7") is True
