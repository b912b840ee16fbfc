"""Auto Scaling groups in a running lab (labs.runtime.autoscaler): real targets, real checks.

ELB-type groups replace an instance the load balancer finds unhealthy; EC2-type ones only
a stopped instance (its EC2 status checks fail); a desired-capacity change launches and
terminates by the default termination policy. Every step is an ``autoscaling`` event.
"""

import json
from pathlib import Path

import pytest

from labs.cfn import load_topology, parse_document
from labs.engine import autoscaling
from labs.engine.events import validate

from .test_control import Lab

pytestmark = pytest.mark.timeout(60)
STARTER = (
    Path(__file__).resolve().parents[2] / "labs" / "starters" / "asg-replaces-failed-instance.yaml"
)


def asg_topology(check_type="ELB"):
    document = parse_document(STARTER.read_text())
    document["Resources"]["WebGroup"]["Properties"]["HealthCheckType"] = check_type
    return load_topology(json.dumps(document))


def ip_of(topo, name):
    return next(i.ip for i in topo.instances if i.name == name)


def activity(name, instance=None):
    return lambda e: (
        e["type"] == "autoscaling"
        and e["activity"] == name
        and (instance is None or e["instance"] == instance)
    )


def first(events, predicate):
    return next(i for i, e in enumerate(events) if predicate(e))


async def test_an_elb_type_group_replaces_an_instance_that_fails_its_health_checks():
    topo = asg_topology("ELB")
    web1 = f"{ip_of(topo, 'WebGroup-1')}:80"
    async with Lab(topo, rps=10) as lab:
        await lab.wait_for(lab.health(web1, "healthy"))
        lab.runtime.control({"action": "fault", "target": web1, "mode": "unhealthy"})
        await lab.wait_for(activity("Launched"), within=20)
        launched = next(e for e in lab.events if activity("Launched")(e))
        replacement = f"{launched['target']}:80"
        await lab.wait_for(lambda e: lab.health(replacement, "healthy")(e), within=20)
    events = lab.events
    for event in events:
        validate(event)
    order = [
        first(events, lab.health(web1, "unhealthy")),
        first(events, activity("Terminating", "WebGroup-1")),
        first(events, lab.health(web1, "draining")),
        first(events, activity("Terminated", "WebGroup-1")),
        first(events, activity("Launching")),
        first(events, lab.health(replacement, "initial")),
        first(events, lab.health(replacement, "healthy")),
    ]
    assert order == sorted(order)
    terminating = events[order[1]]
    assert terminating["cause"] == autoscaling.ELB_FAILURE
    assert terminating["az"] == "us-east-1a"
    # The replacement goes to the zone that lost an instance (the one with fewer).
    assert launched["az"] == "us-east-1a" and launched["instance"] == "WebGroup-3"
    assert "increasing the capacity from 1 to 2" in launched["cause"]
    drained = events[order[3]]["t"] - events[order[2]]["t"]
    assert drained >= 20  # deregistration_delay.timeout_seconds, on the lab clock


async def test_an_ec2_type_group_keeps_an_unhealthy_instance_but_replaces_a_stopped_one():
    topo = asg_topology("EC2")
    web1 = f"{ip_of(topo, 'WebGroup-1')}:80"
    async with Lab(topo, rps=10) as lab:
        await lab.wait_for(lab.health(web1, "healthy"))
        lab.runtime.control({"action": "fault", "target": web1, "mode": "unhealthy"})
        await lab.wait_for(lab.health(web1, "unhealthy"))
        unhealthy = next(e for e in lab.events if lab.health(web1, "unhealthy")(e))
        # Well past the grace period and many of the scaler's looks: still in service.
        await lab.wait_for(lambda e: e["type"] == "metrics" and e["t"] > unhealthy["t"] + 40)
        assert not [e for e in lab.events if e["type"] == "autoscaling"]
        lab.runtime.control({"action": "fault", "target": web1, "mode": "stopped"})
        await lab.wait_for(activity("Terminating", "WebGroup-1"), within=20)
    terminating = next(e for e in lab.events if activity("Terminating")(e))
    assert terminating["cause"] == autoscaling.EC2_FAILURE


async def test_desired_capacity_scales_out_balanced_and_in_by_the_termination_policy():
    topo = asg_topology("ELB")
    async with Lab(topo, rps=5) as lab:
        fault = lab.runtime.control({"action": "scale", "group": "WebGroup", "desired": 4})
        assert (fault["action"], fault["group"], fault["desired"]) == ("scale", "WebGroup", 4)
        await lab.wait_for(lambda e: len([x for x in lab.events if activity("Launched")(x)]) == 2)
        launched = [e for e in lab.events if activity("Launched")(e)]
        assert sorted(e["az"] for e in launched) == ["us-east-1a", "us-east-1b"]
        for e in launched:
            await lab.wait_for(lab.health(f"{e['target']}:80", "healthy"), within=20)
        lab.runtime.control({"action": "scale", "group": "WebGroup", "desired": 1})
        await lab.wait_for(
            lambda e: len([x for x in lab.events if activity("Terminated")(x)]) == 3, within=20
        )
    events = lab.events
    setting = [e for e in events if activity("SetDesiredCapacity")(e)]
    assert [e["desired"] for e in setting] == [4, 1]
    assert "changing the desired capacity from 4 to 1" in setting[1]["cause"]
    gone = [e["instance"] for e in events if activity("Terminating")(e)]
    # Busiest AZ first (a tie: the oldest), so the zones stay balanced as the group shrinks.
    assert gone == ["WebGroup-1", "WebGroup-2", "WebGroup-3"]


def classic_asg_topology():
    """The starter's group behind a Classic LB (``LoadBalancerNames``), not a target group."""
    document = parse_document(STARTER.read_text())
    resources = document["Resources"]
    for name in ("WebTargets", "HttpListener"):
        del resources[name]
    resources["LoadBalancer"] = {
        "Type": "AWS::ElasticLoadBalancing::LoadBalancer",
        "Properties": {
            "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "SecurityGroups": [{"Ref": "LoadBalancerSecurityGroup"}],
            "Listeners": [{"LoadBalancerPort": "80", "InstancePort": "80", "Protocol": "HTTP"}],
            "HealthCheck": {
                "Target": "HTTP:80/health",
                "HealthyThreshold": "3",
                "UnhealthyThreshold": "2",
                "Interval": "10",
                "Timeout": "5",
            },
        },
    }
    group = resources["WebGroup"]["Properties"]
    del group["TargetGroupARNs"]
    group["LoadBalancerNames"] = [{"Ref": "LoadBalancer"}]
    group["HealthCheckGracePeriod"] = 60  # a new instance needs 3 x 10 s to be InService
    return load_topology(json.dumps(document))


async def test_a_classic_lbs_group_replaces_an_out_of_service_instance_with_clb_semantics():
    topo = classic_asg_topology()
    web1 = f"{ip_of(topo, 'WebGroup-1')}:80"
    async with Lab(topo, rps=10) as lab:
        await lab.wait_for(lab.health(web1, "InService"))
        lab.runtime.control({"action": "fault", "target": web1, "mode": "unhealthy"})
        await lab.wait_for(activity("Launched"), within=20)
        launched = next(e for e in lab.events if activity("Launched")(e))
        replacement = f"{launched['target']}:80"
        await lab.wait_for(lab.health(replacement, "InService"), within=20)
        await lab.wait_for(
            lambda e: e["type"] == "request" and e["target"] == replacement, within=10
        )
    events = lab.events
    for event in events:
        validate(event)
    terminating = next(e for e in events if activity("Terminating", "WebGroup-1")(e))
    assert terminating["cause"] == autoscaling.ELB_FAILURE
    out = next(e for e in events if lab.health(web1, "OutOfService")(e) and e["t"] > 1)
    assert out["t"] <= terminating["t"]
    assert launched["instance"] == "WebGroup-3" and launched["az"] == "us-east-1a"
    mine = [e for e in events if e["type"] == "health" and e["target"] == replacement]
    assert mine[0]["target_group"] == "LoadBalancer"
    assert mine[0]["state"] == "OutOfService"
    assert mine[0]["description"] == "Instance registration is still in progress."
    in_service = next(i for i, e in enumerate(mine) if e["state"] == "InService")
    passed = [e for e in mine[: in_service + 1] if e["check"] and e["check"]["passed"]]
    # A Classic LB puts a new instance in service after HealthyThreshold passes, not one.
    assert len(passed) == 3
    # Still registering for 30 lab seconds, inside the grace period: never replaced.
    assert not [e for e in events if activity("Terminating", "WebGroup-3")(e)]
