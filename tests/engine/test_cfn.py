import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from labs.cfn import Problem, TemplateError, load_topology, parse_document
from labs.engine.spec import Action, HealthCheck, Listener, Node
from tests.engine.helpers import STARTER, dump, listener_rule, path_rule, starter_document

FORMATS = {"yaml": dump, "json": json.dumps}
R = "Resources"


def edited(*changes: tuple[tuple[str | int, ...], Any]) -> dict[str, Any]:
    """The starter with each (key path, value) set; a value of ``None`` deletes the key."""
    document = starter_document()
    for path, value in changes:
        *parents, last = path
        node: Any = document
        for key in parents:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return document


def problems(text: str) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        load_topology(text)
    return [str(problem) for problem in caught.value.problems]


def http_listener(document_text: str) -> Listener:
    return load_topology(document_text).load_balancers[0].listeners[0]


# --- the starter -------------------------------------------------------------------------------
def test_the_starter_loads_three_targets_behind_an_alb_in_two_zones():
    topology = load_topology(STARTER)

    (alb,) = topology.load_balancers
    (web,) = topology.target_groups
    assert (alb.name, alb.type, alb.scheme) == ("LoadBalancer", "application", "internet-facing")
    assert alb.nodes == (
        Node(az="us-east-1a", ip="10.0.1.5", subnet="SubnetA"),
        Node(az="us-east-1b", ip="10.0.2.5", subnet="SubnetB"),
    )
    assert [(t.id, t.address, t.az) for t in web.targets] == [
        ("Web1", "10.0.1.10:80", "us-east-1a"),
        ("Web2", "10.0.1.11:80", "us-east-1a"),
        ("Web3", "10.0.2.10:80", "us-east-1b"),
    ]
    assert web.health_check == HealthCheck(path="/health")  # AWS's ALB defaults otherwise
    assert topology.vpc_cidr == "10.0.0.0/16"


def test_the_starters_http_80_listener_forwards_to_web_targets():
    (listener,) = load_topology(STARTER).load_balancers[0].listeners

    assert listener == Listener(
        name="HttpListener",
        protocol="HTTP",
        port=80,
        rules=(),
        default_actions=(Action(type="forward", target_groups=(("WebTargets", 1),)),),
    )


def test_the_starters_web_targets_accept_traffic_only_from_the_load_balancers_group():
    topology = load_topology(STARTER)

    web = topology.security_group("WebSecurityGroup")
    assert [(r.protocol, r.from_port, r.to_port, r.source_group, r.cidr) for r in web.ingress] == [
        ("tcp", 80, 80, "LoadBalancerSecurityGroup", None)
    ]
    assert {t.security_groups for t in topology.target_groups[0].targets} == {("WebSecurityGroup",)}


# --- YAML short forms and JSON -----------------------------------------------------------------
def test_short_form_intrinsics_parse_to_their_long_form():
    text = """
Resources:
  Thing:
    Properties:
      A: !Ref Vpc
      B: !GetAtt Web1.PrivateIp
      C: !GetAtt [Web1, PrivateIp]
      D: !Sub "${AWS::StackName}-web"
      E: !Join ["-", [a, !Ref Vpc]]
"""
    assert parse_document(text)[R]["Thing"]["Properties"] == {
        "A": {"Ref": "Vpc"},
        "B": {"Fn::GetAtt": ["Web1", "PrivateIp"]},
        "C": {"Fn::GetAtt": ["Web1", "PrivateIp"]},
        "D": {"Fn::Sub": "${AWS::StackName}-web"},
        "E": {"Fn::Join": ["-", ["a", {"Ref": "Vpc"}]]},
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_long_form_in_yaml_or_json_gives_the_same_topology_as_the_short_form(fmt):
    assert load_topology(FORMATS[fmt](starter_document())) == load_topology(STARTER)


def test_a_get_att_names_a_resource_just_like_a_ref():
    short = STARTER.replace(
        "SourceSecurityGroupId: !Ref LoadBalancerSecurityGroup",
        "SourceSecurityGroupId: !GetAtt LoadBalancerSecurityGroup.GroupId",
    )
    assert short != STARTER

    assert load_topology(short) == load_topology(STARTER)


def test_listener_rules_come_out_sorted_by_priority_whatever_the_document_order():
    document = starter_document()
    for name, priority in (("Thirty", 30), ("Ten", 10), ("Twenty", 20)):
        document[R][name] = path_rule(priority, f"/{name.lower()}/*")

    rules = http_listener(dump(document)).rules

    assert [(rule.name, rule.priority) for rule in rules] == [
        ("Ten", 10),
        ("Twenty", 20),
        ("Thirty", 30),
    ]


# --- invalid documents -------------------------------------------------------------------------
TG = (R, "WebTargets", "Properties")

INVALID = [
    pytest.param(
        [((*TG, "Targets", 2, "Id"), {"Ref": "Web9"})],
        [
            "WebTargets.Properties.Targets[2].Id: ValidationError: "
            "Ref Web9 does not name a resource in this template"
        ],
        id="unknown Ref",
    ),
    pytest.param(
        [
            (
                (R, "HttpListener", "Properties", "DefaultActions", 0, "TargetGroupArn"),
                {"Ref": "Web1"},
            )
        ],
        [
            "HttpListener.Properties.DefaultActions[0].TargetGroupArn: ValidationError: "
            "Ref Web1 is a AWS::EC2::Instance, expected AWS::ElasticLoadBalancingV2::TargetGroup"
        ],
        id="Ref to the wrong type",
    ),
    pytest.param(
        [((R, "HttpListener", "Properties", "Port"), 70000)],
        [
            "HttpListener.Properties.Port: ValidationError: "
            "70000 is out of range; must be from 1 to 65535"
        ],
        id="listener port 70000",
    ),
    pytest.param(
        [((*TG, "HealthCheckIntervalSeconds"), 4), ((*TG, "HealthCheckTimeoutSeconds"), 2)],
        [
            "WebTargets.Properties.HealthCheckIntervalSeconds: ValidationError: "
            "4 is out of range; must be from 5 to 300"
        ],
        id="interval 4",
    ),
    pytest.param(
        [((*TG, "HealthCheckIntervalSeconds"), 10), ((*TG, "HealthCheckTimeoutSeconds"), 10)],
        [
            "WebTargets.Properties.HealthCheckTimeoutSeconds: ValidationError: "
            "Health check timeout must be smaller than the interval"
        ],
        id="timeout equal to interval",
    ),
    pytest.param(
        [((*TG, "HealthCheckTimeoutSeconds"), 31)],
        [
            "WebTargets.Properties.HealthCheckTimeoutSeconds: ValidationError: "
            "Health check timeout must be smaller than the interval"
        ],
        id="timeout above the default interval",
    ),
    pytest.param(
        [((*TG, "UnhealthyThresholdCount"), 1)],
        [
            "WebTargets.Properties.UnhealthyThresholdCount: ValidationError: "
            "1 is out of range; must be from 2 to 10"
        ],
        id="unhealthy threshold 1",
    ),
    pytest.param(
        [((*TG, "Matcher"), {"HttpCode": "200-500"})],
        [
            "WebTargets.Properties.Matcher.HttpCode: ValidationError: '200-500': ALB success codes "
            "are values or ranges from 200 to 499, e.g. 200,202 or 200-299"
        ],
        id="matcher beyond 499",
    ),
    pytest.param(
        [((R, "LoadBalancer", "Properties", "Subnets"), [{"Ref": "SubnetA"}])],
        [
            "LoadBalancer.Properties.Subnets: ValidationError: "
            "At least two subnets in two different Availability Zones must be specified"
        ],
        id="ALB with one subnet",
    ),
    pytest.param(
        [((R, "SubnetB", "Properties", "AvailabilityZone"), "us-east-1a")],
        [
            "LoadBalancer.Properties.Subnets: ValidationError: "
            "You can specify only one subnet per Availability Zone"
        ],
        id="ALB with two subnets in one zone",
    ),
    pytest.param(
        [
            (
                (R, "SubnetC"),
                {
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "CidrBlock": "10.1.2.0/24",
                        "AvailabilityZone": "us-east-1c",
                    },
                },
            )
        ],
        [
            "SubnetC.Properties.CidrBlock: InvalidSubnet.Range: "
            "10.1.2.0/24 is not inside the VPC 10.0.0.0/16"
        ],
        id="subnet outside the VPC",
    ),
    pytest.param(
        [((R, "Web1", "Properties", "PrivateIpAddress"), "10.0.3.10")],
        [
            "Web1.Properties.PrivateIpAddress: ValidationError: "
            "10.0.3.10 is not inside the instance's subnet 10.0.1.0/24"
        ],
        id="instance IP outside its subnet",
    ),
    pytest.param(
        [((R, "Web2", "Properties", "PrivateIpAddress"), "10.0.1.3")],
        [
            "Web2.Properties.PrivateIpAddress: ValidationError: "
            "10.0.1.3 is reserved by AWS in subnet 10.0.1.0/24"
        ],
        id="instance IP reserved by AWS",
    ),
    pytest.param(
        [((R, "Web2", "Properties", "PrivateIpAddress"), "10.0.1.10")],
        ["Web2.Properties.PrivateIpAddress: ValidationError: 10.0.1.10 is already used by Web1"],
        id="instance IP used twice",
    ),
    pytest.param(
        [((R, "ApiRule"), path_rule(10, "/api/*")), ((R, "AdminRule"), path_rule(10, "/admin/*"))],
        ["AdminRule.Properties.Priority: PriorityInUse: priority 10 is already used by ApiRule"],
        id="duplicate rule priority",
    ),
    pytest.param(
        [((R, "ApiRule"), path_rule(0, "/api/*"))],
        [
            "ApiRule.Properties.Priority: ValidationError: "
            "0 is out of range; must be from 1 to 50000"
        ],
        id="rule priority 0",
    ),
    pytest.param(
        [((R, "ApiRule"), listener_rule(10, []))],
        ["ApiRule.Properties.Conditions: ValidationError: a rule needs at least one condition"],
        id="rule without conditions",
    ),
    pytest.param(
        [((R, "ApiRule"), path_rule(10))],
        [
            "ApiRule.Properties.Conditions[0].PathPatternConfig.Values: ValidationError: "
            "a condition needs at least one value"
        ],
        id="condition without values",
    ),
    pytest.param(
        [((R, "HttpListener", "Properties", "Protocol"), "HTTPS")],
        [
            "HttpListener.Properties.Certificates: ValidationError: "
            "A certificate must be specified for HTTPS listeners"
        ],
        id="HTTPS listener without a certificate",
    ),
    pytest.param(
        [((R, "OtherListener"), starter_document()[R]["HttpListener"])],
        [
            "OtherListener.Properties.Port: DuplicateListener: port 80 is already used by "
            "HttpListener"
        ],
        id="two listeners on one port",
    ),
    pytest.param(
        [((R, "Bucket"), {"Type": "S3::Bucket"})],
        ["Bucket.Type: ValidationError: Unrecognized resource types: [S3::Bucket]"],
        id="a type CloudFormation does not have",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("changes", "expected"), INVALID)
def test_an_invalid_document_yields_its_exact_one_line_problems(changes, expected, fmt):
    assert problems(FORMATS[fmt](edited(*changes))) == expected


def test_every_problem_is_reported_and_the_error_reads_one_line_per_problem():
    document = edited(
        ((R, "HttpListener", "Properties", "Port"), 70000),
        ((R, "Web1", "Properties", "PrivateIpAddress"), "10.0.3.10"),
    )

    with pytest.raises(TemplateError) as caught:
        load_topology(dump(document))

    assert str(caught.value).splitlines() == [
        "Web1.Properties.PrivateIpAddress: ValidationError: "
        "10.0.3.10 is not inside the instance's subnet 10.0.1.0/24",
        "HttpListener.Properties.Port: ValidationError: "
        "70000 is out of range; must be from 1 to 65535",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "{not json",
            "Template: ValidationError: not valid JSON: line 1, column 2: "
            "Expecting property name enclosed in double quotes",
            id="broken JSON",
        ),
        pytest.param(
            "Resources: [",
            "Template: ValidationError: not valid YAML: line 1, column 13: expected the node "
            "content, but found '<stream end>' (while parsing a flow node)",
            id="broken YAML",
        ),
        pytest.param(
            "just some words",
            "Template.Resources: ValidationError: a template needs a Resources mapping",
            id="prose",
        ),
        pytest.param(
            "",
            "Template.Resources: ValidationError: a template needs a Resources mapping",
            id="empty",
        ),
        pytest.param(
            "Resources: [a, b]",
            "Template.Resources: ValidationError: a template needs a Resources mapping",
            id="Resources not a mapping",
        ),
    ],
)
def test_a_document_that_is_not_a_template_yields_one_problem(text, expected):
    assert problems(text) == [expected]


def test_a_problem_without_a_path_names_only_the_resource():
    problem = Problem("Template", "", "ValidationError", "boom")

    assert str(problem) == "Template: ValidationError: boom"


# --- bugs: AWS behaviour the loader does not have yet -------------------------------------------
def problem_sites(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(TemplateError) as caught:
        load_topology(dump(document))
    return [(problem.logical_id, problem.path) for problem in caught.value.problems]


def test_a_target_that_is_not_a_mapping_is_a_problem_not_a_crash():
    document = edited(((*TG, "Targets"), ["Web1"]))

    assert problem_sites(document)[0][:1] == ("WebTargets",)


def test_a_query_string_value_that_is_not_a_key_value_mapping_is_a_problem_not_a_crash():
    document = edited(
        (
            (R, "ApiRule"),
            listener_rule(
                10, [{"Field": "query-string", "QueryStringConfig": {"Values": ["beta"]}}]
            ),
        )
    )

    assert problem_sites(document)[0][0] == "ApiRule"


def test_a_source_ip_value_that_is_not_a_cidr_is_rejected():
    document = edited(
        (
            (R, "ApiRule"),
            listener_rule(
                10, [{"Field": "source-ip", "SourceIpConfig": {"Values": ["not-a-cidr"]}}]
            ),
        )
    )

    assert problem_sites(document) == [
        ("ApiRule", "Properties.Conditions[0].SourceIpConfig.Values[0]")
    ]


def test_an_http_header_condition_needs_a_header_name():
    document = edited(
        (
            (R, "ApiRule"),
            listener_rule(10, [{"Field": "http-header", "HttpHeaderConfig": {"Values": ["beta"]}}]),
        )
    )

    assert problem_sites(document) == [
        ("ApiRule", "Properties.Conditions[0].HttpHeaderConfig.HttpHeaderName")
    ]


def test_a_rule_takes_at_most_one_path_pattern_condition():
    document = edited(
        (
            (R, "ApiRule"),
            listener_rule(
                10,
                [
                    {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
                    {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/v1/*"]}},
                ],
            ),
        )
    )

    assert [site[0] for site in problem_sites(document)] == ["ApiRule"]


def test_a_subnet_overlapping_another_is_rejected():
    document = edited(
        (
            (R, "SubnetC"),
            {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": "10.0.1.128/25",
                    "AvailabilityZone": "us-east-1c",
                },
            },
        )
    )

    assert problem_sites(document) == [("SubnetC", "Properties.CidrBlock")]


def test_yaml_safe_dump_of_the_starter_round_trips():
    # Guards the table above: its documents are the starter plus the listed edits only.
    assert yaml.safe_load(dump(starter_document())) == starter_document()


# --- null and non-text fields of a redirect or a fixed response --------------------------------
DEFAULT_ACTIONS = (R, "HttpListener", "Properties", "DefaultActions")


def test_a_null_redirect_host_keeps_the_requests_host_not_the_text_none():
    redirect = {"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_301", "Host": None}}
    redirect["RedirectConfig"]["Port"] = "8080"

    listener = http_listener(json.dumps(edited((DEFAULT_ACTIONS, [redirect]))))

    assert listener.default_actions[0].redirect == {"StatusCode": "HTTP_301", "Port": "8080"}


@pytest.mark.parametrize("status", [None, "absent"])
def test_a_fixed_response_without_a_status_code_says_it_is_required(status):
    config: dict[str, Any] = {"MessageBody": "down"}
    if status is None:
        config["StatusCode"] = None
    action = {"Type": "fixed-response", "FixedResponseConfig": config}

    assert problems(json.dumps(edited((DEFAULT_ACTIONS, [action])))) == [
        "HttpListener.Properties.DefaultActions[0].FixedResponseConfig.StatusCode: "
        "ValidationError: is required"
    ]


def test_a_fixed_response_body_that_is_a_list_is_not_text():
    config = {"StatusCode": "200", "MessageBody": ["down"]}
    action = {"Type": "fixed-response", "FixedResponseConfig": config}

    assert problems(json.dumps(edited((DEFAULT_ACTIONS, [action])))) == [
        "HttpListener.Properties.DefaultActions[0].FixedResponseConfig.MessageBody: "
        "ValidationError: must be a string"
    ]


def test_a_vpc_without_a_cidr_block_says_it_is_required():
    assert problems(json.dumps(edited(((R, "Vpc", "Properties", "CidrBlock"), None)))) == [
        "Vpc.Properties.CidrBlock: ValidationError: is required"
    ]


def test_a_forward_naming_one_group_in_both_target_group_arn_and_forward_config_is_valid():
    web = {"TargetGroupArn": {"Ref": "WebTargets"}}
    action = {"Type": "forward", **web, "ForwardConfig": {"TargetGroups": [web]}}

    listener = http_listener(json.dumps(edited((DEFAULT_ACTIONS, [action]))))

    assert listener.default_actions == (Action(type="forward", target_groups=(("WebTargets", 1),)),)


# --- a Classic Load Balancer -------------------------------------------------------------------
CLASSIC = (Path(__file__).resolve().parents[2] / "labs/starters/classic-lb.yaml").read_text()


@pytest.mark.parametrize(
    ("target", "check"), [("TCP:80", ("TCP", "80")), ("SSL:443", ("SSL", "443"))]
)
def test_a_classic_tcp_or_ssl_health_check_has_no_path_to_refuse(target, check):
    text = CLASSIC.replace("Target: HTTP:80/health", f"Target: {target}")

    (clb,) = load_topology(text).load_balancers

    assert (clb.health_check.protocol, clb.health_check.port) == check
