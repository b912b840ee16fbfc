"""Revoking and authorizing the rules that admit a load balancer (labs.engine.security)."""

import pytest

from labs.engine import security
from labs.engine.spec import IngressRule, SecurityGroup

LB_GROUPS = ("LbSg",)
NODES = frozenset({"10.0.1.5", "10.0.2.5"})
FROM_LB = IngressRule(protocol="tcp", from_port=80, to_port=80, source_group="LbSg")
FROM_VPC = IngressRule(protocol="tcp", from_port=8080, to_port=8080, cidr="10.0.0.0/16")
FROM_ADMIN = IngressRule(protocol="tcp", from_port=22, to_port=22, cidr="10.0.99.0/24")


def test_revoke_takes_every_rule_naming_the_lb_by_group_or_cidr_and_keeps_the_rest():
    group = SecurityGroup(name="Web", ingress=(FROM_LB, FROM_VPC, FROM_ADMIN))
    changed, gone = security.revoke_load_balancer(group, frozenset(LB_GROUPS), NODES)
    assert gone == (FROM_LB, FROM_VPC)
    assert changed.ingress == (FROM_ADMIN,)
    assert not security.allows(
        [changed], protocol="tcp", port=80, source_ip="10.0.1.5", source_groups=LB_GROUPS
    )


def test_revoking_what_is_not_there_is_ec2s_not_found():
    group = SecurityGroup(name="Web", ingress=(FROM_ADMIN,))
    with pytest.raises(security.RuleChangeRefused) as refused:
        security.revoke_load_balancer(group, frozenset(LB_GROUPS), NODES)
    assert refused.value.code == "InvalidPermission.NotFound"


def test_authorize_gives_back_what_was_revoked_else_one_rule_per_port_from_the_lb_sg():
    group = SecurityGroup(name="Web", ingress=(FROM_ADMIN,))
    back, added = security.authorize_load_balancer(
        group, LB_GROUPS, NODES, (80,), "10.0.0.0/16", revoked=(FROM_VPC,)
    )
    assert added == (FROM_VPC,) and back.ingress == (FROM_ADMIN, FROM_VPC)
    fresh, added = security.authorize_load_balancer(group, LB_GROUPS, NODES, (80, 8081), "x")
    assert [security.describe_rule(r) for r in added] == [
        "tcp 80 from LbSg",
        "tcp 8081 from LbSg",
    ]
    assert security.allows(
        [fresh], protocol="tcp", port=8081, source_ip="10.0.1.5", source_groups=LB_GROUPS
    )
    # A load balancer without a security group (an NLB): the VPC's CIDR, as AWS advises.
    _, by_cidr = security.authorize_load_balancer(group, (), NODES, (80,), "10.0.0.0/16")
    assert [security.describe_rule(r) for r in by_cidr] == ["tcp 80 from 10.0.0.0/16"]


def test_authorizing_what_is_there_is_ec2s_duplicate():
    group = SecurityGroup(name="Web", ingress=(FROM_LB,))
    with pytest.raises(security.RuleChangeRefused) as refused:
        security.authorize_load_balancer(group, LB_GROUPS, NODES, (80,), "10.0.0.0/16")
    assert refused.value.code == "InvalidPermission.Duplicate"
