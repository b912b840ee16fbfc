"""An ALB, an NLB and a Classic Load Balancer in the same two subnets, running at once:
each node has its own address (spec §1: one network interface per node), so all three
listen on port 80 side by side and each answers its own traffic."""

import pytest

from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, starter

pytestmark = pytest.mark.timeout(60)


def _add_classic(document):
    document["Resources"]["ClassicLoadBalancer"] = {
        "Type": "AWS::ElasticLoadBalancing::LoadBalancer",
        "Properties": {
            "Scheme": "internet-facing",
            "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "SecurityGroups": [{"Ref": "AlbSecurityGroup"}],
            "CrossZone": True,
            "Instances": [{"Ref": "Web1"}, {"Ref": "Users1"}],
            "Listeners": [{"LoadBalancerPort": "80", "InstancePort": "80", "Protocol": "HTTP"}],
            "HealthCheck": {
                "Target": "HTTP:80/health",
                "HealthyThreshold": "2",
                "UnhealthyThreshold": "2",
                "Interval": "5",
                "Timeout": "2",
            },
        },
    }


def test_every_node_of_every_load_balancer_gets_its_own_address():
    topology = starter("nlb-in-front-of-alb.yaml", _add_classic)
    by_lb = {lb.name: [node.ip for node in lb.nodes] for lb in topology.load_balancers}
    assert set(by_lb) == {"NetworkLoadBalancer", "ApplicationLoadBalancer", "ClassicLoadBalancer"}
    addresses = [ip for ips in by_lb.values() for ip in ips]
    assert len(addresses) == 6
    assert len(set(addresses)) == 6, by_lb
    # Still inside the subnets, from .5 on, clear of the instances at .10.
    assert {ip.rsplit(".", 1)[0] for ip in addresses} == {"10.0.1", "10.0.2"}
    assert all(5 <= int(ip.rsplit(".", 1)[1]) < 10 for ip in addresses)


async def test_all_three_load_balancers_answer_on_port_80_in_the_same_run():
    topology = starter("nlb-in-front-of-alb.yaml", _add_classic)
    # The Classic instances come InService after 2 checks 5 lab seconds apart; a lab clock
    # of 5x keeps the 2-second check timeout a comfortable 0.4 s of real time.
    events, lab = await run_script(
        topology,
        ScriptedRequest(
            url="http://nlb.example.com/", client_ip="203.0.113.7", lb="NetworkLoadBalancer"
        ),
        ScriptedRequest(
            url="http://clb.example.com/",
            client_ip="203.0.113.8",
            lb="ClassicLoadBalancer",
            wait=15,
        ),
        clock_speed=5,
    )
    assert [getattr(answer, "status", answer) for answer in lab.answers] == [200, 200]
    requests = [e for e in of_type(events, "request") if e["path"] == "/"]
    lbs = {e["lb"] for e in requests}
    assert lbs == {"ApplicationLoadBalancer", "ClassicLoadBalancer"}
    (flow,) = [
        e
        for e in of_type(events, "flow")
        if e["state"] != "open" and e["lb"] == "NetworkLoadBalancer"
    ]
    (alb,) = [lb for lb in topology.load_balancers if lb.name == "ApplicationLoadBalancer"]
    assert flow["target"] in {f"{node.ip}:80" for node in alb.nodes}
    (classic,) = [e for e in requests if e["lb"] == "ClassicLoadBalancer"]
    assert classic["client_ip"] == "203.0.113.8"
    assert classic["target"] in ("10.0.1.10:80", "10.0.2.10:80")
