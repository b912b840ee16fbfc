"""Hypothesis strategies: arbitrary CloudFormation-shaped documents (for the text round
trip) and valid playground topologies built from the modelled resource types."""

from typing import Any

from hypothesis import strategies as st

from labs.cfn import SUPPORTED

names = st.from_regex(r"[A-Z][A-Za-z0-9]{0,15}", fullmatch=True)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)


def _intrinsics(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    attributes = st.sampled_from(["Arn", "GroupId", "DNSName", "AllocationId", "Endpoint.Address"])
    return st.one_of(
        names.map(lambda name: {"Ref": name}),
        st.tuples(names, attributes).map(lambda pair: {"Fn::GetAtt": list(pair)}),
        st.text(max_size=20).map(lambda text: {"Fn::Sub": text}),
        st.tuples(st.text(max_size=3), st.lists(children, max_size=3)).map(
            lambda pair: {"Fn::Join": list(pair)}
        ),
        st.lists(children, min_size=3, max_size=3).map(lambda items: {"Fn::If": items}),
        children.map(lambda child: {"Fn::Base64": child}),
        st.just({"Fn::GetAZs": ""}),
    )


values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=12), children, max_size=4),
        _intrinsics(children),
    ),
    max_leaves=20,
)

resources = st.dictionaries(
    names,
    st.fixed_dictionaries(
        {
            "Type": st.sampled_from(SUPPORTED),
            "Properties": st.dictionaries(names, values, max_size=5),
        },
        optional={
            "Metadata": st.dictionaries(names, values, max_size=2),
            "DependsOn": st.one_of(names, st.lists(names, max_size=2)),
        },
    ),
    min_size=1,
    max_size=6,
)

documents = st.fixed_dictionaries(
    {"Resources": resources},
    optional={
        "AWSTemplateFormatVersion": st.just("2010-09-09"),
        "Description": st.text(max_size=60),
        "Metadata": st.dictionaries(names, values, max_size=3),
        "Outputs": st.dictionaries(names, st.fixed_dictionaries({"Value": values}), max_size=2),
    },
)


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    """An ALB in 2-3 zones with instances, target groups, path rules and attributes."""
    zones = draw(st.integers(2, 3))
    per_zone = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 3))
    r: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}
    }
    instances = []
    for z in range(zones):
        r[f"Subnet{z}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": f"10.0.{z}.0/24",
                "AvailabilityZone": f"us-east-1{'abc'[z]}",
            },
        }
        for i in range(per_zone):
            name = f"Web{z}x{i}"
            instances.append(name)
            r[name] = {
                "Type": "AWS::EC2::Instance",
                "Properties": {
                    "ImageId": "ami-0abcdef1234567890",
                    "InstanceType": "t3.micro",
                    "SubnetId": {"Ref": f"Subnet{z}"},
                    "PrivateIpAddress": f"10.0.{z}.{10 + i}",
                },
                "Metadata": {
                    "Playground": {"App": {"LatencyMs": draw(st.integers(0, 500)), "Status": 200}}
                },
            }
    for g in range(groups):
        interval = draw(st.integers(5, 300))
        r[f"Group{g}"] = {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "Protocol": "HTTP",
                "Port": 80,
                "HealthCheckIntervalSeconds": interval,
                "HealthCheckTimeoutSeconds": draw(st.integers(2, min(interval - 1, 120))),
                "HealthCheckPath": draw(st.sampled_from(["/", "/health", "/ping"])),
                "Matcher": {"HttpCode": draw(st.sampled_from(["200", "200-299", "200,204"]))},
                "TargetGroupAttributes": [
                    {
                        "Key": "deregistration_delay.timeout_seconds",
                        "Value": str(draw(st.integers(0, 3600))),
                    },
                    {
                        "Key": "load_balancing.algorithm.type",
                        "Value": draw(
                            st.sampled_from(
                                ["round_robin", "least_outstanding_requests", "weighted_random"]
                            )
                        ),
                    },
                ],
                "Targets": [
                    {"Id": {"Ref": name}, "Port": draw(st.sampled_from([80, 8080]))}
                    for name in draw(st.lists(st.sampled_from(instances), unique=True, max_size=4))
                ],
            },
        }
    r["Alb"] = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {
            "Subnets": [{"Ref": f"Subnet{z}"} for z in range(zones)],
            "LoadBalancerAttributes": [
                {"Key": "idle_timeout.timeout_seconds", "Value": str(draw(st.integers(1, 4000)))}
            ],
        },
    }
    weights = draw(st.lists(st.integers(0, 999), min_size=groups, max_size=groups))
    r["Listener"] = {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "Alb"},
            "Protocol": "HTTP",
            "Port": draw(st.integers(1, 65535)),
            "DefaultActions": [
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": {"Ref": f"Group{g}"}, "Weight": w}
                            for g, w in enumerate(weights)
                        ]
                    },
                }
            ],
        },
    }
    priorities = draw(st.lists(st.integers(1, 50000), unique=True, max_size=4))
    for n, priority in enumerate(priorities):
        r[f"Rule{n}"] = {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": {"Ref": "Listener"},
                "Priority": priority,
                "Conditions": [
                    {
                        "Field": "path-pattern",
                        "PathPatternConfig": {"Values": [f"/p{n}", f"/p{n}/*"]},
                    }
                ],
                "Actions": [
                    {
                        "Type": "forward",
                        "TargetGroupArn": {"Ref": f"Group{draw(st.integers(0, groups - 1))}"},
                    }
                ],
            },
        }
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": r}
