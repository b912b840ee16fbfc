"""Auto Scaling's decisions (labs.engine.autoscaling): replace, launch where, terminate which."""

from labs.engine import autoscaling as asg
from labs.engine.autoscaling import Member

SUBNETS = (("SubnetA", "us-east-1a"), ("SubnetB", "us-east-1b"))


def member(name: str, az: str, at: float = 0.0, version: int = 1) -> Member:
    subnet = "SubnetA" if az.endswith("a") else "SubnetB"
    return Member(name=name, az=az, subnet=subnet, launched_at=at, template_version=version)


def test_elb_type_replaces_an_instance_the_load_balancer_finds_unhealthy():
    web = member("Web-1", "us-east-1a")
    cause = asg.unhealthy_cause("ELB", 0, web, 10.0, ec2_ok=True, elb_states=("unhealthy",))
    assert cause == asg.ELB_FAILURE
    assert "ELB system health check failure" in cause


def test_ec2_type_ignores_the_load_balancers_verdict():
    web = member("Web-1", "us-east-1a")
    assert asg.unhealthy_cause("EC2", 0, web, 10.0, ec2_ok=True, elb_states=("unhealthy",)) is None


def test_a_stopped_instance_fails_its_ec2_status_checks_under_either_type():
    web = member("Web-1", "us-east-1a")
    for kind in ("EC2", "ELB"):
        assert asg.unhealthy_cause(kind, 0, web, 10.0, ec2_ok=False) == asg.EC2_FAILURE


def test_nothing_is_judged_inside_the_grace_period():
    web = member("Web-1", "us-east-1a", at=100.0)
    states = ("unhealthy",)
    assert asg.unhealthy_cause("ELB", 300, web, 399.0, ec2_ok=False, elb_states=states) is None
    assert asg.unhealthy_cause("ELB", 300, web, 400.0, ec2_ok=True, elb_states=states) is not None


def test_initial_and_draining_are_not_unhealthy():
    web = member("Web-1", "us-east-1a")
    for state in ("initial", "draining", "unused", "healthy"):
        assert asg.unhealthy_cause("ELB", 0, web, 9.0, ec2_ok=True, elb_states=(state,)) is None


def test_a_launch_goes_to_the_zone_with_the_fewest_instances():
    members = [member("a1", "us-east-1a"), member("a2", "us-east-1a"), member("b1", "us-east-1b")]
    assert asg.launch_zone(SUBNETS, members) == ("SubnetB", "us-east-1b")
    assert asg.launch_zone(SUBNETS, []) == ("SubnetA", "us-east-1a")  # a tie: the first


def test_termination_picks_the_busiest_zone_then_the_oldest_version_then_the_oldest():
    members = [
        member("a-old", "us-east-1a", at=1.0, version=2),
        member("a-v1", "us-east-1a", at=5.0, version=1),
        member("a-new", "us-east-1a", at=9.0, version=1),
        member("b-oldest", "us-east-1b", at=0.0, version=1),
    ]
    # us-east-1a has the most; there version 1 is the oldest; of those, the oldest.
    assert asg.to_terminate(members).name == "a-v1"


def test_scaling_out_balances_zones_and_scaling_in_rebalances_them():
    members = [member("a1", "us-east-1a", 0.0)]
    out = asg.plan(4, members, SUBNETS)
    assert [(a.activity, a.az) for a in out] == [
        ("Launching", "us-east-1b"),
        ("Launching", "us-east-1a"),
        ("Launching", "us-east-1b"),
    ]
    assert "increasing the capacity from 1 to 2" in out[0].cause
    members = [
        member("a1", "us-east-1a", 0.0),
        member("a2", "us-east-1a", 1.0),
        member("a3", "us-east-1a", 2.0),
        member("b1", "us-east-1b", 0.5),
    ]
    back = asg.plan(2, members, SUBNETS)
    assert [(a.activity, a.instance) for a in back] == [
        ("Terminating", "a1"),
        ("Terminating", "a2"),
    ]
    assert "shrinking the capacity from 4 to 3" in back[0].cause


def test_desired_capacity_outside_the_sizes_is_refused_in_aws_words():
    assert asg.check_desired(5, 1, 4) == (
        "Desired capacity:5 must be between the specified min size:1 and max size:4"
    )
    assert asg.check_desired(2, 1, 4) is None


def test_a_classic_lbs_out_of_service_fails_an_elb_type_check_after_the_grace_period():
    web = asg.Member(name="WebGroup-1", az="us-east-1a", subnet="SubnetA", launched_at=0.0)
    states = ("OutOfService",)
    assert asg.unhealthy_cause("ELB", 60, web, 59.0, ec2_ok=True, elb_states=states) is None
    assert (
        asg.unhealthy_cause("ELB", 60, web, 60.0, ec2_ok=True, elb_states=states) == asg.ELB_FAILURE
    )
    assert asg.unhealthy_cause("ELB", 0, web, 9.0, ec2_ok=True, elb_states=("InService",)) is None
    assert asg.unhealthy_cause("EC2", 0, web, 9.0, ec2_ok=True, elb_states=states) is None
