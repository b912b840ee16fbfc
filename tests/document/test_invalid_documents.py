"""A table of invalid documents, each with its exact one-line problems.

Every row edits the every-type template (tests/document/every_type.yaml) and names the
registered rule it breaks; the table must exercise every rule in ``labs.cfn.RULES``, so a
new rule comes with its row. Each row runs as YAML and as JSON.
"""

import json
from typing import Any

import pytest

from labs.cfn import RULES, TemplateError, dump_json, dump_yaml, load_topology, validate
from tests.document.helpers import DELETE as D
from tests.document.helpers import edited, every_type_document

# Rules a document can only break as text (tests below), not by editing parsed data.
TEXT_ONLY_RULES = {
    "template.parse",
    "template.resources-mapping",
    "template.size",
    "template.value-count",
}


@pytest.fixture(autouse=True)
def _run_limits(settings):
    """The limits the messages below name, whatever the environment sets."""
    settings.LAB_MAX_RPS = 200
    settings.LAB_MAX_TARGETS = 50


def case(rule_id: str, changes: list[tuple[str, Any]], expected: list[str]) -> Any:
    return pytest.param(rule_id.split("/")[0], changes, expected, id=rule_id)


def many_listeners():
    return [
        (
            f"Resources.Extra{n}",
            {
                "Type": "AWS::ElasticLoadBalancingV2::Listener",
                "Properties": {
                    "LoadBalancerArn": {"Ref": "LoadBalancer"},
                    "Protocol": "HTTP",
                    "Port": 1000 + n,
                    "DefaultActions": [
                        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}
                    ],
                },
            },
        )
        for n in range(49)
    ]


def many_rules():
    return [
        (
            f"Resources.Rule{n}",
            {
                "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
                "Properties": {
                    "ListenerArn": {"Ref": "HttpsListener"},
                    "Priority": 100 + n,
                    "Conditions": [
                        {"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/r{n}"]}}
                    ],
                    "Actions": [
                        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}
                    ],
                },
            },
        )
        for n in range(98)
    ]


TG = "Resources.WebTargets.Properties"
RULE = "Resources.UsersRule.Properties"
HTTPS = "Resources.HttpsListener.Properties"
NLB = "Resources.NetworkLoadBalancer.Properties"
CLB = "Resources.ClassicLoadBalancer.Properties"


def nested(depth):
    value = "bottom"
    for _ in range(depth):
        value = {"Deeper": value}
    return value


def many_vpcs(count):
    return [
        (
            f"Resources.Extra{n}",
            {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
        )
        for n in range(count)
    ]


def ip_targets(count):
    return [
        {"Id": "10.0.1.10", "Port": 8000 + n, "AvailabilityZone": "us-east-1a"}
        for n in range(count)
    ]


def tg_attrs(*pairs):
    return [{"Key": k, "Value": v} for k, v in pairs]


def conds(*c):
    return (f"{RULE}.Conditions", list(c))


def path_values(*v):
    return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(v)}}


CASES = [
    case(
        "template.resource-type",
        [("Resources.Bucket", {"Type": "S3Bucket"})],
        ["Bucket.Type: ValidationError: Unrecognized resource types: [S3Bucket]"],
    ),
    case(
        "template.parameter-value",
        [
            (
                "Parameters",
                {
                    "KeyName": {"Type": "String"},
                    "Size": {"Type": "Number", "Default": "9", "MaxValue": 4, "MinValue": 1},
                },
            )
        ],
        [
            "Parameters.Size: ValidationError: Parameter 'Size' must be a number from 1 to 4",
            "Parameters: ValidationError: Parameters: [KeyName] must have values",
        ],
    ),
    case(
        "template.parameter-missing",
        [
            ("Parameters", {"Owner": {"Type": "String"}}),
            ("Resources.Vpc.Properties.Tags", [{"Key": "owner", "Value": {"Ref": "Owner"}}]),
        ],
        ["Parameters: ValidationError: Parameters: [Owner] must have values"],
    ),
    case(
        "template.intrinsic-function",
        [
            (
                "Resources.AlbSecurityGroup.Properties.GroupDescription",
                {"Fn::Select": [7, {"Fn::GetAZs": ""}]},
            )
        ],
        [
            "AlbSecurityGroup.Properties.GroupDescription: ValidationError: Fn::Select: "
            "index 7 is out of range (the list has 6)"
        ],
    ),
    case(
        "template.find-in-map",
        [
            ("Mappings", {"Sizes": {"small": {"Type": "t3.micro"}}}),
            ("Resources.Vpc.Properties.CidrBlock", {"Fn::FindInMap": ["Sizes", "large", "Cidr"]}),
        ],
        [
            "Vpc.Properties.CidrBlock: ValidationError: Fn::FindInMap: Unable to get mapping "
            "for Sizes::large::Cidr"
        ],
    ),
    case(
        "template.condition",
        [("Resources.Appliance.Condition", "IsProduction")],
        [
            "Appliance.Condition: ValidationError: Unresolved condition dependency "
            "IsProduction in Fn::If or Condition"
        ],
    ),
    case(
        "template.transform",
        [("Transform", "AWS::Serverless-2016-10-31")],
        [
            "Template.Transform: ValidationError: Transform AWS::Serverless-2016-10-31: the "
            "playground does not run CloudFormation macros; expand the template first (aws "
            "cloudformation package / sam build) and paste the result"
        ],
    ),
    case(
        "template.unsupported-property",
        [
            (f"{TG}.HealthCheckPaht", "/health"),
            (f"{NLB}.Listeners", []),
        ],
        [
            "WebTargets.Properties.HealthCheckPaht: ValidationError: Encountered unsupported "
            "property HealthCheckPaht (did you mean HealthCheckPath?)",
            "NetworkLoadBalancer.Properties.Listeners: ValidationError: Encountered unsupported "
            "property Listeners",
        ],
    ),
    case(
        "template.properties-mapping",
        [("Resources.Vpc.Properties", ["CidrBlock"])],
        [
            "Vpc.Properties: ValidationError: must be a mapping of properties",
        ],
    ),
    case(
        "value.shape",
        [(f"{TG}.Targets", "Web1")],
        [
            "WebTargets.Properties.Targets: ValidationError: must be a list",
        ],
    ),
    case(
        "property.required",
        [("Resources.HelloFunction.Properties.Code", D)],
        [
            "HelloFunction.Properties.Code: ValidationError: is required",
        ],
    ),
    case(
        "value.integer-range",
        [("Resources.HttpListener.Properties.Port", 70000)],
        [
            "HttpListener.Properties.Port: ValidationError: 70000 is out of range; must be "
            "from 1 to 65535",
        ],
    ),
    case(
        "value.one-of",
        [("Resources.LoadBalancer.Properties.Scheme", "public")],
        [
            "LoadBalancer.Properties.Scheme: ValidationError: 'public' is not one of "
            "internet-facing, internal",
        ],
    ),
    case(
        "ref.form",
        [("Resources.Web1.Properties.SubnetId", "subnet-0123456789abcdef0")],
        [
            "Web1.Properties.SubnetId: ValidationError: must be a Ref to a resource in "
            "this template",
        ],
    ),
    case(
        "ref.type",
        [
            (
                "Resources.HttpsListener.Properties.DefaultActions.0.ForwardConfig.TargetGroups.0.TargetGroupArn",
                {"Ref": "Web1"},
            )
        ],
        [
            "HttpsListener.Properties.DefaultActions[0].ForwardConfig.TargetGroups[0]."
            "TargetGroupArn: "
            "ValidationError: Ref Web1 is a AWS::EC2::Instance, expected "
            "AWS::ElasticLoadBalancingV2::TargetGroup",
        ],
    ),
    case(
        "ref.attribute",
        [(f"{NLB}.SubnetMappings.0.AllocationId", {"Ref": "EipA"})],
        [
            "NetworkLoadBalancer.Properties.SubnetMappings[0].AllocationId: "
            "ValidationError: Ref EipA returns the Elastic IP address; use !GetAtt "
            "EipA.AllocationId",
        ],
    ),
    case(
        "ref.attribute/lambda arn",
        [("Resources.LambdaTargets.Properties.Targets.0.Id", {"Ref": "HelloFunction"})],
        [
            "LambdaTargets.Properties.Targets[0].Id: ValidationError: Ref HelloFunction "
            "returns the function name; use !GetAtt HelloFunction.Arn",
        ],
    ),
    case(
        "ref.resolves",
        [(f"{TG}.Targets.1.Id", {"Ref": "Web9"})],
        [
            "WebTargets.Properties.Targets[1].Id: ValidationError: Ref Web9 does not name "
            "a resource in this template",
        ],
    ),
    case(
        "getatt.attribute",
        [("Outputs.Url.Value", {"Fn::GetAtt": ["LoadBalancer", "Url"]})],
        [
            "Outputs.Url.Value: ValidationError: AWS::ElasticLoadBalancingV2::LoadBalancer "
            "has no attribute Url (it has CanonicalHostedZoneID, DNSName, LoadBalancerArn, "
            "LoadBalancerFullName, LoadBalancerName, SecurityGroups)",
        ],
    ),
    case(
        "dependson.resolves",
        [("Resources.LambdaTargets.DependsOn", "Nope")],
        [
            "LambdaTargets.DependsOn: ValidationError: Unresolved resource dependencies "
            "[Nope] in the Resources block of the template",
        ],
    ),
    case(
        "template.no-cycles",
        [
            (
                "Resources.AlbSecurityGroup.Properties.SecurityGroupIngress.1",
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "SourceSecurityGroupId": {"Ref": "WebSecurityGroup"},
                },
            )
        ],
        [
            "Template.Resources: ValidationError: Circular dependency between resources: "
            "[AlbSecurityGroup, WebSecurityGroup]",
        ],
    ),
    case(
        "vpc.exactly-one",
        [
            (
                "Resources.OtherVpc",
                {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
            )
        ],
        [
            "Template.Resources: ValidationError: needs exactly one AWS::EC2::VPC; found 2",
        ],
    ),
    case(
        "vpc.private-cidr",
        [("Resources.Vpc.Properties.CidrBlock", "11.0.0.0/16")],
        [
            "Vpc.Properties.CidrBlock: ValidationError: 11.0.0.0/16 is not a private range",
            "SubnetA.Properties.CidrBlock: InvalidSubnet.Range: 10.0.1.0/24 is not inside "
            "the VPC 11.0.0.0/16",
            "SubnetB.Properties.CidrBlock: InvalidSubnet.Range: 10.0.2.0/24 is not inside "
            "the VPC 11.0.0.0/16",
            "IpTargets.Properties.Targets[0].Id: ValidationError: 10.0.1.10 is outside the "
            "VPC 11.0.0.0/16: the sandbox only reaches addresses inside it",
        ],
    ),
    case(
        "vpc.cidr-size",
        [("Resources.Vpc.Properties.CidrBlock", "10.0.0.0/8")],
        [
            "Vpc.Properties.CidrBlock: InvalidVpc.Range: The CIDR '10.0.0.0/8' is invalid: "
            "the block size must be between /16 and /28",
        ],
    ),
    case(
        "subnet.availability-zone",
        [("Resources.SubnetB.Properties.AvailabilityZone", D)],
        [
            "SubnetB.Properties.AvailabilityZone: ValidationError: the playground needs "
            "each subnet's Availability Zone, e.g. us-east-1a",
        ],
    ),
    case(
        "subnet.inside-vpc",
        [
            (
                "Resources.SubnetC",
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
            "SubnetC.Properties.CidrBlock: InvalidSubnet.Range: 10.1.2.0/24 is not inside "
            "the VPC 10.0.0.0/16",
        ],
    ),
    case(
        "subnet.cidr-size",
        [
            (
                "Resources.SubnetC",
                {
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "CidrBlock": "10.0.3.0/29",
                        "AvailabilityZone": "us-east-1c",
                    },
                },
            )
        ],
        [
            "SubnetC.Properties.CidrBlock: InvalidSubnet.Range: The CIDR '10.0.3.0/29' is "
            "invalid: the block size must be between /16 and /28",
        ],
    ),
    case(
        "subnet.no-overlap",
        [
            (
                "Resources.SubnetC",
                {
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "CidrBlock": "10.0.1.128/25",
                        "AvailabilityZone": "us-east-1c",
                    },
                },
            )
        ],
        [
            "SubnetC.Properties.CidrBlock: InvalidSubnet.Conflict: The CIDR "
            "'10.0.1.128/25' conflicts with another subnet (SubnetA)",
        ],
    ),
    case(
        "security-group.description",
        [("Resources.WebSecurityGroup.Properties.GroupDescription", D)],
        [
            "WebSecurityGroup.Properties.GroupDescription: ValidationError: is required: "
            "up to 255 characters",
        ],
    ),
    case(
        "security-group.ingress-protocol",
        [("Resources.WebSecurityGroup.Properties.SecurityGroupIngress.0.IpProtocol", "gre")],
        [
            "WebSecurityGroup.Properties.SecurityGroupIngress[0].IpProtocol: "
            "ValidationError: must be tcp, udp, icmp, -1 or their numbers 6, 17, 1",
        ],
    ),
    case(
        "security-group.ingress-ports",
        [("Resources.WebSecurityGroup.Properties.SecurityGroupIngress.0.FromPort", 90)],
        [
            "WebSecurityGroup.Properties.SecurityGroupIngress[0]: InvalidParameterValue: "
            "Invalid port range 90-80: FromPort must not exceed ToPort",
        ],
    ),
    case(
        "security-group.ingress-source",
        [("Resources.WebSecurityGroup.Properties.SecurityGroupIngress.0.CidrIp", "10.0.0.0/16")],
        [
            "WebSecurityGroup.Properties.SecurityGroupIngress[0]: "
            "InvalidParameterCombination: needs exactly one of CidrIp, CidrIpv6, "
            "SourcePrefixListId, SourceSecurityGroupId",
        ],
    ),
    case(
        "eip.domain",
        [("Resources.EipA.Properties.Domain", "standard")],
        [
            "EipA.Properties.Domain: ValidationError: 'standard' is not one of vpc",
        ],
    ),
    case(
        "instance.ip-in-subnet",
        [("Resources.Web1.Properties.PrivateIpAddress", "10.0.3.10")],
        [
            "Web1.Properties.PrivateIpAddress: ValidationError: 10.0.3.10 is not inside "
            "the instance's subnet 10.0.1.0/24",
        ],
    ),
    case(
        "instance.ip-not-reserved",
        [("Resources.Web1.Properties.PrivateIpAddress", "10.0.1.255")],
        [
            "Web1.Properties.PrivateIpAddress: ValidationError: 10.0.1.255 is reserved by "
            "AWS in subnet 10.0.1.0/24",
        ],
    ),
    case(
        "instance.ip-unique",
        [("Resources.Appliance.Properties.PrivateIpAddress", "10.0.1.10")],
        [
            "Appliance.Properties.PrivateIpAddress: ValidationError: 10.0.1.10 is already "
            "used by Web1",
        ],
    ),
    case(
        "app.behaviour",
        [("Resources.Web1.Metadata.Playground.App.Mode", "explode")],
        [
            "Web1.Metadata.Playground.App.Mode: ValidationError: 'explode' is not one of "
            "normal, reset, hang, garbage, short-body",
        ],
    ),
    case(
        "app.behaviour/set-cookie not latin-1",
        [("Resources.Web1.Metadata.Playground.App.SetCookie", "SESSION=세션")],
        [
            "Web1.Metadata.Playground.App.SetCookie: ValidationError: must be Latin-1 text "
            "without control characters (it is sent as an HTTP header)",
        ],
    ),
    case(
        "app.behaviour/set-cookie line break",
        [("Resources.Web1.Metadata.Playground.App.SetCookie", "a=b\r\nX-Injected: 1")],
        [
            "Web1.Metadata.Playground.App.SetCookie: ValidationError: must be Latin-1 text "
            "without control characters (it is sent as an HTTP header)",
        ],
    ),
    case(
        "app.behaviour/appliance drop rule",
        [("Resources.Web1.Metadata.Playground.App.Drop", ["udp/53", "gre"])],
        [
            "Web1.Metadata.Playground.App.Drop: ValidationError: must be a list of rules like "
            "udp/53, tcp/23, tcp, icmp or any/8080",
        ],
    ),
    case(
        "lambda.built-in-handler",
        [("Resources.HelloFunction.Metadata.Playground.Handler", "mine")],
        [
            "HelloFunction.Metadata.Playground.Handler: ValidationError: 'mine' is not one "
            "of the built-in handlers echo, hello, fail: the playground never runs code "
            "from a template",
        ],
    ),
    case(
        "lambda.runtime-and-handler",
        [("Resources.HelloFunction.Properties.Runtime", D)],
        [
            "HelloFunction.Properties.Runtime: InvalidParameterValueException: Runtime and "
            "Handler are mandatory parameters for functions created with deployment "
            "packages.",
        ],
    ),
    case(
        "lambda.role-arn",
        [("Resources.HelloFunction.Properties.Role", "lambda-basic-execution")],
        [
            "HelloFunction.Properties.Role: ValidationError: must be an IAM role ARN, e.g. "
            "arn:aws:iam::123456789012:role/lambda-basic (the playground does not model "
            "IAM resources)",
        ],
    ),
    case(
        "lambda-permission.function",
        [("Resources.HelloPermission.Properties.FunctionName", {"Ref": "Web1"})],
        [
            "HelloPermission.Properties.FunctionName: ValidationError: must be a Ref or "
            "!GetAtt <Function>.Arn of an AWS::Lambda::Function",
        ],
    ),
    case(
        "auto-scaling.capacity-within-sizes",
        [("Resources.WebFleet.Properties.DesiredCapacity", "5")],
        [
            "WebFleet.Properties.DesiredCapacity: ValidationError: Desired capacity:5 must "
            "be between the specified min size:1 and max size:4",
        ],
    ),
    case(
        "auto-scaling.launch-template",
        [("Resources.WebFleet.Properties.LaunchTemplate", D)],
        [
            "WebFleet.Properties.LaunchTemplate: ValidationError: the playground launches "
            "instances from a LaunchTemplate {LaunchTemplateId, Version}",
        ],
    ),
    case(
        "auto-scaling.subnets",
        [("Resources.WebFleet.Properties.VPCZoneIdentifier", [])],
        [
            "WebFleet.Properties.VPCZoneIdentifier: ValidationError: needs at least one "
            "subnet of the VPC",
        ],
    ),
    case(
        "auto-scaling.instance-target-group",
        [("Resources.WebFleet.Properties.TargetGroupARNs", [{"Ref": "IpTargets"}])],
        [
            "WebFleet.Properties.TargetGroupARNs: ValidationError: IpTargets has target "
            "type ip; an auto scaling group registers instances, so its target groups need "
            "target type instance",
        ],
    ),
    case(
        "certificate.domain-name",
        [("Resources.Certificate.Properties.DomainName", "example")],
        [
            "Certificate.Properties.DomainName: ValidationError: 'example' is not a fully "
            "qualified domain name (e.g. www.example.com or *.example.com, at most 253 "
            "characters)",
        ],
    ),
    case(
        "certificate.alternative-names",
        [("Resources.Certificate.Properties.SubjectAlternativeNames", "example.com")],
        [
            "Certificate.Properties.SubjectAlternativeNames: ValidationError: must be a "
            "list of at most 100 domain names",
        ],
    ),
    case(
        "attributes.key-known",
        [(f"{TG}.TargetGroupAttributes.0.Key", "stickiness.sticky")],
        [
            "WebTargets.Properties.TargetGroupAttributes[0].Key: ValidationError: "
            "Application target group attribute key 'stickiness.sticky' is not recognized",
        ],
    ),
    case(
        "attributes.value-valid",
        [("Resources.LoadBalancer.Properties.LoadBalancerAttributes.0.Value", "5000")],
        [
            "LoadBalancer.Properties.LoadBalancerAttributes[0].Value: ValidationError: "
            "'5000' is not a valid value for idle_timeout.timeout_seconds: must be 1-4000",
        ],
    ),
    case(
        # "²" is a digit to str.isdigit() but int() refuses it: this was a ValueError.
        "attributes.value-valid/a superscript digit",
        [("Resources.LoadBalancer.Properties.LoadBalancerAttributes.0.Value", "6\u00b2")],
        [
            "LoadBalancer.Properties.LoadBalancerAttributes[0].Value: ValidationError: "
            "'6\u00b2' is not a valid value for idle_timeout.timeout_seconds: must be 1-4000",
        ],
    ),
    case(
        "attributes.value-valid/fullwidth digits",
        [("Resources.LoadBalancer.Properties.LoadBalancerAttributes.0.Value", "\uff16\uff10")],
        [
            "LoadBalancer.Properties.LoadBalancerAttributes[0].Value: ValidationError: "
            "'\uff16\uff10' is not a valid value for idle_timeout.timeout_seconds: must be 1-4000",
        ],
    ),
    case(
        "attributes.value-valid/xff",
        [("Resources.LoadBalancer.Properties.LoadBalancerAttributes.1.Value", "drop")],
        [
            "LoadBalancer.Properties.LoadBalancerAttributes[1].Value: ValidationError: "
            "'drop' is not a valid value for routing.http.xff_header_processing.mode: must "
            "be one of append, preserve, remove",
        ],
    ),
    case(
        "attributes.value-valid/app cookie",
        [
            (
                f"{TG}.TargetGroupAttributes",
                tg_attrs(
                    ("stickiness.enabled", "true"),
                    ("stickiness.type", "app_cookie"),
                    ("stickiness.app_cookie.cookie_name", "AWSALBAPP-0"),
                ),
            )
        ],
        [
            "WebTargets.Properties.TargetGroupAttributes[2].Value: ValidationError: "
            "'AWSALBAPP-0' is not a valid value for stickiness.app_cookie.cookie_name: "
            "must not start with AWSALB, AWSALBAPP or AWSALBTG (reserved for the load "
            "balancer)",
            "WebTargets.Properties.TargetGroupAttributes: ValidationError: app_cookie "
            "stickiness needs stickiness.app_cookie.cookie_name",
            "HttpsListener.Properties.DefaultActions[0]: InvalidConfigurationRequest: "
            "WebTargets uses app_cookie stickiness, which does not work with weighted "
            "target groups",
        ],
    ),
    case(
        "attributes.key-once",
        [(f"{TG}.TargetGroupAttributes.2", {"Key": "stickiness.enabled", "Value": "false"})],
        [
            "WebTargets.Properties.TargetGroupAttributes[2].Key: ValidationError: "
            "attribute 'stickiness.enabled' is set twice",
        ],
    ),
    case(
        "health-check.timeout-below-interval",
        [(f"{TG}.HealthCheckIntervalSeconds", 10), (f"{TG}.HealthCheckTimeoutSeconds", 10)],
        [
            "WebTargets.Properties.HealthCheckTimeoutSeconds: ValidationError: Health "
            "check timeout must be smaller than the interval",
        ],
    ),
    case(
        "health-check.path",
        [(f"{TG}.HealthCheckPath", "health")],
        [
            "WebTargets.Properties.HealthCheckPath: ValidationError: must start with / and "
            "be at most 1024 characters",
        ],
    ),
    case(
        "health-check.path/a line break would smuggle a header into every probe",
        [(f"{TG}.HealthCheckPath", "/health HTTP/1.1\r\nX-Smuggled: 1")],
        [
            "WebTargets.Properties.HealthCheckPath: ValidationError: '/health HTTP/1.1\\r\\n"
            "X-Smuggled: 1' must not contain spaces or control characters (found ' ')",
        ],
    ),
    case(
        "health-check.path/a NUL byte",
        [(f"{TG}.HealthCheckPath", "/a\x00b")],
        [
            "WebTargets.Properties.HealthCheckPath: ValidationError: '/a\\x00b' must not "
            "contain spaces or control characters (found '\\x00')",
        ],
    ),
    case(
        "health-check.protocol",
        [(f"{TG}.HealthCheckProtocol", "TCP")],
        [
            "WebTargets.Properties.HealthCheckProtocol: ValidationError: 'TCP' is not one "
            "of HTTP, HTTPS",
        ],
    ),
    case(
        "health-check.matcher",
        [("Resources.ApplianceTargets.Properties.Matcher", {"HttpCode": "200"})],
        [
            "ApplianceTargets.Properties.Matcher.HttpCode: ValidationError: '200': GWLB "
            "success codes must be 200-399",
        ],
    ),
    case(
        "health-check.matcher/open range",
        [(f"{TG}.Matcher", {"HttpCode": "200-"})],
        [
            "WebTargets.Properties.Matcher.HttpCode: ValidationError: '200-': ALB success "
            "codes are values or ranges from 200 to 499, e.g. 200,202 or 200-299",
        ],
    ),
    case(
        "health-check.matcher/reversed range",
        [(f"{TG}.Matcher", {"HttpCode": "200,299-200"})],
        [
            "WebTargets.Properties.Matcher.HttpCode: ValidationError: '200,299-200': ALB "
            "success codes are values or ranges from 200 to 499, e.g. 200,202 or 200-299",
        ],
    ),
    case(
        "health-check.always-enabled",
        [(f"{TG}.HealthCheckEnabled", False)],
        [
            "WebTargets.Properties.HealthCheckEnabled: ValidationError: Health checks "
            "cannot be disabled for target groups with target type instance",
        ],
    ),
    case(
        "health-check.http-settings-need-http",
        [
            ("Resources.ApplianceTargets.Properties.HealthCheckProtocol", "TCP"),
            ("Resources.ApplianceTargets.Properties.HealthCheckPath", "/ping"),
        ],
        [
            "ApplianceTargets.Properties.HealthCheckPath: ValidationError: a health check "
            "path needs an HTTP or HTTPS health check, not TCP",
        ],
    ),
    case(
        "target-group.name",
        [(f"{TG}.Name", "-web")],
        [
            "WebTargets.Properties.Name: ValidationError: Target group name must be 1-32 "
            "alphanumeric characters or hyphens, not starting or ending with a hyphen",
        ],
    ),
    case(
        "target-group.lambda-no-protocol-port-vpc",
        [("Resources.LambdaTargets.Properties.Port", 80)],
        [
            "LambdaTargets.Properties.Port: ValidationError: Port is not supported for "
            "target groups of type lambda",
        ],
    ),
    case(
        "target-group.protocol-port-vpc-required",
        [(f"{TG}.Port", D)],
        [
            "WebTargets.Properties.Port: ValidationError: is required for target groups of "
            "type instance",
        ],
    ),
    case(
        "target-group.geneve-port-6081",
        [("Resources.ApplianceTargets.Properties.Port", 6080)],
        [
            "ApplianceTargets.Properties.Port: ValidationError: GENEVE target groups use "
            "port 6081, not 6080",
        ],
    ),
    case(
        "target-group.protocol-version",
        [("Resources.AlbTargets.Properties.ProtocolVersion", "HTTP2")],
        [
            "AlbTargets.Properties.ProtocolVersion: ValidationError: ProtocolVersion "
            "HTTP1, HTTP2 or GRPC applies only to HTTP and HTTPS target groups",
        ],
    ),
    case(
        "target-group.slow-start-not-with-lor",
        [
            (
                f"{TG}.TargetGroupAttributes",
                tg_attrs(
                    ("slow_start.duration_seconds", "60"),
                    ("load_balancing.algorithm.type", "least_outstanding_requests"),
                ),
            )
        ],
        [
            "WebTargets.Properties.TargetGroupAttributes: InvalidConfigurationRequest: "
            "slow start cannot be combined with the least_outstanding_requests algorithm",
        ],
    ),
    case(
        "target-group.anomaly-mitigation-needs-weighted-random",
        [
            (
                f"{TG}.TargetGroupAttributes",
                tg_attrs(("load_balancing.algorithm.anomaly_mitigation", "on")),
            )
        ],
        [
            "WebTargets.Properties.TargetGroupAttributes: InvalidConfigurationRequest: "
            "anomaly mitigation needs the weighted_random algorithm",
        ],
    ),
    case(
        "target-group.app-cookie-needs-name",
        [(f"{TG}.TargetGroupAttributes.1.Value", "app_cookie")],
        [
            "WebTargets.Properties.TargetGroupAttributes: ValidationError: app_cookie "
            "stickiness needs stickiness.app_cookie.cookie_name",
            "HttpsListener.Properties.DefaultActions[0]: InvalidConfigurationRequest: "
            "WebTargets uses app_cookie stickiness, which does not work with weighted "
            "target groups",
        ],
    ),
    case(
        "target-group.target-failover-equal",
        [("Resources.ApplianceTargets.Properties.TargetGroupAttributes.1.Value", "no_rebalance")],
        [
            "ApplianceTargets.Properties.TargetGroupAttributes: ValidationError: "
            "target_failover.on_deregistration and target_failover.on_unhealthy must be "
            "equal",
        ],
    ),
    case(
        "target-group.stickiness-needs-cross-zone",
        [
            (
                f"{TG}.TargetGroupAttributes.2",
                {"Key": "load_balancing.cross_zone.enabled", "Value": "false"},
            )
        ],
        [
            "WebTargets.Properties.TargetGroupAttributes: InvalidConfigurationRequest: "
            "stickiness cannot be enabled while cross-zone load balancing is off",
        ],
    ),
    case(
        "target.ip-private",
        [("Resources.IpTargets.Properties.Targets.0.Id", "8.8.8.8")],
        [
            "IpTargets.Properties.Targets[0].Id: ValidationError: The IP address '8.8.8.8' "
            "is not a valid private IP address: ip targets must be in 10.0.0.0/8, "
            "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
        ],
    ),
    case(
        "target.ip-in-vpc",
        [("Resources.IpTargets.Properties.Targets.0.Id", "192.168.1.10")],
        [
            "IpTargets.Properties.Targets[0].Id: ValidationError: 192.168.1.10 is outside "
            "the VPC 10.0.0.0/16: the sandbox only reaches addresses inside it",
        ],
    ),
    case(
        "target.ip-in-vpc/no instance",
        [("Resources.IpTargets.Properties.Targets.0.Id", "10.0.1.99")],
        [
            "IpTargets.Properties.Targets[0].Id: ValidationError: no instance in this "
            "template has the address 10.0.1.99",
        ],
    ),
    case(
        "target.availability-zone",
        [("Resources.IpTargets.Properties.Targets.0.AvailabilityZone", "us-east-1b")],
        [
            "IpTargets.Properties.Targets[0].AvailabilityZone: ValidationError: 10.0.1.10 "
            "is in us-east-1a; AvailabilityZone must be us-east-1a or all",
        ],
    ),
    case(
        "target.one-lambda-function",
        [
            (
                "Resources.LambdaTargets.Properties.Targets.1",
                {"Id": {"Fn::GetAtt": ["HelloFunction", "Arn"]}},
            )
        ],
        [
            "LambdaTargets.Properties.Targets: TooManyTargets: a target group of type "
            "lambda takes exactly one target",
        ],
    ),
    case(
        "target.one-alb",
        [("Resources.AlbTargets.Properties.Targets.1", {"Id": {"Ref": "LoadBalancer"}})],
        [
            "AlbTargets.Properties.Targets: TooManyTargets: a target group of type alb "
            "takes exactly one target",
        ],
    ),
    case(
        "target.no-port-for-lambda",
        [("Resources.LambdaTargets.Properties.Targets.0.Port", 80)],
        [
            "LambdaTargets.Properties.Targets[0].Port: ValidationError: Lambda targets "
            "take no port",
        ],
    ),
    case(
        "target-group.ipv6-takes-ip-targets",
        [(f"{TG}.IpAddressType", "ipv6")],
        [
            "WebTargets.Properties.IpAddressType: InvalidConfigurationRequest: an IPv6 target "
            "group takes only IPv6 ip targets, not instance targets; the playground's sandbox "
            "has no IPv6, so it runs IPv4 target groups only",
        ],
    ),
    case(
        "value.one-of/a target group's IpAddressType",
        [(f"{TG}.IpAddressType", "dualstack")],
        [
            "WebTargets.Properties.IpAddressType: ValidationError: 'dualstack' is not one of "
            "ipv4, ipv6"
        ],
    ),
    case(
        "load-balancer.name/a classic load balancer's name",
        [(f"{CLB}.LoadBalancerName", "web_lb")],
        [
            "ClassicLoadBalancer.Properties.LoadBalancerName: ValidationError: A load balancer "
            "name must be 1-32 alphanumeric characters or hyphens, not starting or ending "
            "with a hyphen",
        ],
    ),
    case(
        "load-balancer.name",
        [("Resources.LoadBalancer.Properties.Name", "internal-web")],
        [
            "LoadBalancer.Properties.Name: ValidationError: A load balancer name must be "
            "1-32 alphanumeric characters or hyphens, not starting or ending with a hyphen "
            "nor starting with internal-",
        ],
    ),
    case(
        "load-balancer.subnets-or-mappings",
        [(f"{NLB}.Subnets", [{"Ref": "SubnetA"}])],
        [
            "NetworkLoadBalancer.Properties.Subnets: ValidationError: specify either "
            "Subnets or SubnetMappings, not both and not neither",
        ],
    ),
    case(
        "load-balancer.alb-two-zones",
        [("Resources.LoadBalancer.Properties.Subnets", [{"Ref": "SubnetA"}])],
        [
            "LoadBalancer.Properties.Subnets: ValidationError: At least two subnets in two "
            "different Availability Zones must be specified",
        ],
    ),
    case(
        "load-balancer.one-subnet-per-zone",
        [("Resources.SubnetB.Properties.AvailabilityZone", "us-east-1a")],
        [
            "LoadBalancer.Properties.Subnets: ValidationError: You can specify only one "
            "subnet per Availability Zone",
            "NetworkLoadBalancer.Properties.SubnetMappings: ValidationError: You can "
            "specify only one subnet per Availability Zone",
            "ClassicLoadBalancer.Properties.Subnets: ValidationError: You can specify only "
            "one subnet per Availability Zone",
        ],
    ),
    case(
        "load-balancer.gateway-no-security-groups",
        [
            (
                "Resources.GatewayLoadBalancer.Properties.SecurityGroups",
                [{"Ref": "AlbSecurityGroup"}],
            )
        ],
        [
            "GatewayLoadBalancer.Properties.SecurityGroups: ValidationError: Security "
            "groups are not supported for load balancers with type 'gateway'",
        ],
    ),
    case(
        "load-balancer.gateway-no-scheme",
        [("Resources.GatewayLoadBalancer.Properties.Scheme", "internal")],
        [
            "GatewayLoadBalancer.Properties.Scheme: ValidationError: A scheme cannot be "
            "specified for a Gateway Load Balancer",
        ],
    ),
    case(
        "load-balancer.allocation-id-internet-facing-nlb",
        [(f"{NLB}.Scheme", "internal")],
        [
            "NetworkLoadBalancer.Properties.SubnetMappings[0].AllocationId: "
            "ValidationError: Elastic IP addresses can be assigned only to internet-facing "
            "Network Load Balancers",
            "NetworkLoadBalancer.Properties.SubnetMappings[1].AllocationId: "
            "ValidationError: Elastic IP addresses can be assigned only to internet-facing "
            "Network Load Balancers",
        ],
    ),
    case(
        "load-balancer.private-address-internal-nlb",
        [(f"{NLB}.SubnetMappings.0.PrivateIPv4Address", "10.0.1.20")],
        [
            "NetworkLoadBalancer.Properties.SubnetMappings[0].PrivateIPv4Address: "
            "ValidationError: A private IPv4 address can be specified only for internal "
            "Network Load Balancers",
        ],
    ),
    case(
        "load-balancer.elastic-ip-once",
        [(f"{NLB}.SubnetMappings.1.AllocationId", {"Fn::GetAtt": ["EipA", "AllocationId"]})],
        [
            "NetworkLoadBalancer.Properties.SubnetMappings[1].AllocationId: "
            "InvalidConfigurationRequest: Elastic IP EipA is already assigned to "
            "NetworkLoadBalancer.Properties.SubnetMappings[0]",
        ],
    ),
    case(
        "load-balancer.ip-address-type",
        [(f"{NLB}.IpAddressType", "dualstack-without-public-ipv4")],
        [
            "NetworkLoadBalancer.Properties.IpAddressType: ValidationError: "
            "dualstack-without-public-ipv4 is for internet-facing Application Load "
            "Balancers only",
        ],
    ),
    case(
        "classic.instance-protocol-same-layer",
        [(f"{CLB}.Listeners.1.InstanceProtocol", "TCP")],
        [
            "ClassicLoadBalancer.Properties.Listeners[1].InstanceProtocol: "
            "ValidationError: an HTTPS listener forwards to HTTP or HTTPS instances, not "
            "TCP",
        ],
    ),
    case(
        "classic.https-ssl-certificate",
        [(f"{CLB}.Listeners.1.SSLCertificateId", D)],
        [
            "ClassicLoadBalancer.Properties.Listeners[1].SSLCertificateId: "
            "ValidationError: an HTTPS listener needs a server certificate",
        ],
    ),
    case(
        "classic.duplicate-listener",
        [(f"{CLB}.Listeners.1.LoadBalancerPort", "80")],
        [
            "ClassicLoadBalancer.Properties.Listeners[1].LoadBalancerPort: "
            "DuplicateListener: port 80 is already used by Listeners[0]",
        ],
    ),
    case(
        "classic.health-check-target",
        [(f"{CLB}.HealthCheck.Target", "HTTP:80")],
        [
            "ClassicLoadBalancer.Properties.HealthCheck.Target: ValidationError: 'HTTP:80' "
            "must be TCP:port, SSL:port, HTTP:port/path or HTTPS:port/path",
        ],
    ),
    case(
        "classic.health-check-target/a carriage return in the ping path",
        [(f"{CLB}.HealthCheck.Target", "HTTP:80/a\rb")],
        [
            "ClassicLoadBalancer.Properties.HealthCheck.Target: ValidationError: '/a\\rb' "
            "must not contain spaces or control characters (found '\\r')",
        ],
    ),
    case(
        "classic.health-check-target/a port in Arabic-Indic digits",
        [(f"{CLB}.HealthCheck.Target", "HTTP:\u0668\u0660/")],
        [
            "ClassicLoadBalancer.Properties.HealthCheck.Target: ValidationError: "
            "'HTTP:\u0668\u0660/' must be TCP:port, SSL:port, HTTP:port/path or HTTPS:port/path",
        ],
    ),
    case(
        "classic.health-check-timeout-below-interval",
        [(f"{CLB}.HealthCheck.Timeout", "30")],
        [
            "ClassicLoadBalancer.Properties.HealthCheck.Timeout: ValidationError: Health "
            "check timeout must be smaller than the interval",
        ],
    ),
    case(
        "classic.subnets",
        [(f"{CLB}.Subnets", D)],
        [
            "ClassicLoadBalancer.Properties.Subnets: ValidationError: the playground runs "
            "a Classic LB in a VPC: name at least one subnet",
        ],
    ),
    case(
        "classic.listener-policy-defined",
        [(f"{CLB}.Listeners.0.PolicyNames", ["Stickyy"])],
        [
            "ClassicLoadBalancer.Properties.Listeners[0].PolicyNames[0]: PolicyNotFound: "
            "There is no policy with name Stickyy for load balancer ClassicLoadBalancer",
        ],
    ),
    case(
        "classic.stickiness-needs-http-listener",
        [
            (f"{CLB}.Listeners.0.Protocol", "TCP"),
            (f"{CLB}.Listeners.0.InstanceProtocol", "TCP"),
        ],
        [
            "ClassicLoadBalancer.Properties.Listeners[0].PolicyNames[0]: "
            "InvalidConfigurationRequest: stickiness policy Sticky needs an HTTP or HTTPS "
            "listener, not TCP",
        ],
    ),
    case(
        "property.required/a classic app cookie policy without its cookie name",
        [(f"{CLB}.AppCookieStickinessPolicy", [{"PolicyName": "App"}])],
        [
            "ClassicLoadBalancer.Properties.AppCookieStickinessPolicy[0].CookieName: "
            "ValidationError: is required",
        ],
    ),
    case(
        "classic.boolean",
        [(f"{CLB}.CrossZone", "yes")],
        [
            "ClassicLoadBalancer.Properties.CrossZone: ValidationError: must be true or false",
        ],
    ),
    case(
        "listener.protocol-per-type",
        [("Resources.HttpListener.Properties.Protocol", "TCP")],
        [
            "HttpListener.Properties.Protocol: ValidationError: 'TCP' is not one of HTTP, HTTPS",
        ],
    ),
    case(
        "listener.protocol-and-port-required",
        [("Resources.TcpListener.Properties.Port", D)],
        [
            "TcpListener.Properties.Port: ValidationError: is required for network load "
            "balancer listeners",
        ],
    ),
    case(
        "listener.gateway-no-protocol-port",
        [("Resources.GatewayListener.Properties.Port", 6081)],
        [
            "GatewayListener.Properties.Port: ValidationError: A Gateway Load Balancer "
            "listener takes no port",
        ],
    ),
    case(
        "listener.https-tls-certificate",
        [(f"{HTTPS}.Certificates", D)],
        [
            "HttpsListener.Properties.Certificates: ValidationError: A certificate must be "
            "specified for HTTPS listeners",
        ],
    ),
    case(
        "listener.one-default-certificate",
        [(f"{HTTPS}.Certificates.1", {"CertificateArn": {"Ref": "Certificate"}})],
        [
            "HttpsListener.Properties.Certificates: TooManyCertificates: a listener takes "
            "exactly one default certificate; add others with "
            "AWS::ElasticLoadBalancingV2::ListenerCertificate",
        ],
    ),
    case(
        "listener.tls-settings-need-https-tls",
        [("Resources.HttpListener.Properties.SslPolicy", "ELBSecurityPolicy-2016-08")],
        [
            "HttpListener.Properties.SslPolicy: ValidationError: SslPolicy applies only to "
            "HTTPS and TLS listeners",
        ],
    ),
    case(
        "listener.unique-port",
        [("Resources.HttpListener.Properties.Port", 443)],
        [
            "HttpsListener.Properties.Port: DuplicateListener: port 443 is already used by "
            "HttpListener",
        ],
    ),
    case(
        "listener.at-most-50",
        many_listeners(),
        [
            "Extra48.Properties.LoadBalancerArn: TooManyListeners: LoadBalancer already "
            "has 50 listeners, the most a load balancer can have",
        ],
    ),
    case(
        "listener.tcp-idle-timeout-tcp-only",
        [
            ("Resources.TcpListener.Properties.Protocol", "TLS"),
            (
                "Resources.TcpListener.Properties.Certificates",
                [{"CertificateArn": {"Ref": "Certificate"}}],
            ),
        ],
        [
            "TcpListener.Properties.ListenerAttributes: ValidationError: "
            "tcp.idle_timeout.seconds applies only to TCP listeners, not TLS",
        ],
    ),
    case(
        "rule.priority-unique",
        [("Resources.HelloRule.Properties.Priority", 10)],
        [
            "HelloRule.Properties.Priority: PriorityInUse: priority 10 is already used by "
            "UsersRule",
        ],
    ),
    case(
        "rule.alb-listeners-only",
        [(f"{RULE}.ListenerArn", {"Ref": "TcpListener"})],
        [
            "UsersRule.Properties.ListenerArn: InvalidConfigurationRequest: TcpListener "
            "belongs to a network load balancer; listener rules are for Application Load "
            "Balancers",
            "UsersRule.Properties.Actions[0]: IncompatibleProtocols: target group "
            "IpTargets uses HTTP; a TCP listener forwards to TCP or TCP_UDP",
        ],
    ),
    case(
        "rule.at-most-100-per-alb",
        many_rules(),
        [
            "Rule97.Properties.ListenerArn: TooManyRules: LoadBalancer already has 100 "
            "rules, the most an ALB can have",
        ],
    ),
    case(
        "rule.priority-range",
        [(f"{RULE}.Priority", 50001)],
        [
            "UsersRule.Properties.Priority: ValidationError: 50001 is out of range; must "
            "be from 1 to 50000",
        ],
    ),
    case(
        "condition.field",
        [(f"{RULE}.Conditions.0.Field", "cookie")],
        [
            "UsersRule.Properties.Conditions[0].Field: ValidationError: 'cookie' is not "
            "one of host-header, path-pattern, http-header, http-request-method, "
            "query-string, source-ip",
        ],
    ),
    case(
        "condition.values-not-empty",
        [(f"{RULE}.Conditions.0.PathPatternConfig.Values", [])],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values: ValidationError: "
            "a condition needs at least one value",
        ],
    ),
    case(
        "condition.values-not-empty/empty value",
        [(f"{RULE}.Conditions.0.PathPatternConfig.Values.0", "")],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values[0]: "
            "ValidationError: condition values cannot be empty",
        ],
    ),
    case(
        "condition.legacy-values-host-path-only",
        [conds({"Field": "http-request-method", "Values": ["GET"]})],
        [
            "UsersRule.Properties.Conditions[0].Values: ValidationError: Values is only "
            "for host-header and path-pattern; use HttpRequestMethodConfig",
        ],
    ),
    case(
        "condition.one-per-field",
        [conds(path_values("/users"), path_values("/posts"))],
        [
            "UsersRule.Properties.Conditions[1].Field: ValidationError: a rule can have "
            "only one path-pattern condition (Conditions[0] is one)",
        ],
    ),
    case(
        "condition.at-most-5-values",
        [
            conds(
                path_values("/a", "/b", "/c"),
                {
                    "Field": "host-header",
                    "HostHeaderConfig": {
                        "Values": ["one.example.com", "two.example.com", "three.example.com"]
                    },
                },
            )
        ],
        [
            "UsersRule.Properties.Conditions: ValidationError: A rule can only have '5' "
            "condition values; this one has 6",
        ],
    ),
    case(
        "condition.at-most-5-wildcards",
        [
            conds(
                path_values("/a/*/*", "/b/*?*"),
                {"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}},
            )
        ],
        [
            "UsersRule.Properties.Conditions: ValidationError: A rule can only have '5' "
            "wildcards; this one has 6",
        ],
    ),
    case(
        "condition.value-format",
        [conds(path_values("/users/{id}"))],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values[0]: "
            "ValidationError: '/users/{id}' may only contain A-Z, a-z, 0-9, _ - . $ / ~ \" "
            "' @ : + & * ?",
        ],
    ),
    case(
        "condition.value-format/method",
        [conds({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["get"]}})],
        [
            "UsersRule.Properties.Conditions[0].HttpRequestMethodConfig.Values[0]: "
            "ValidationError: 'get' may only contain A-Z, - _",
        ],
    ),
    case(
        "condition.value-format/too long",
        [conds(path_values("/" + "a" * 128))],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values[0]: "
            "ValidationError: must be at most 128 characters",
        ],
    ),
    case(
        "condition.host-header-dot",
        [conds({"Field": "host-header", "HostHeaderConfig": {"Values": ["localhost"]}})],
        [
            "UsersRule.Properties.Conditions[0].HostHeaderConfig.Values[0]: "
            "ValidationError: 'localhost' must contain a dot and only letters after the "
            "last one",
        ],
    ),
    case(
        "condition.http-header-name",
        [("Resources.HelloRule.Properties.Conditions.1.HttpHeaderConfig.HttpHeaderName", "Host")],
        [
            "HelloRule.Properties.Conditions[1].HttpHeaderConfig.HttpHeaderName: "
            "ValidationError: an http-header condition cannot match Host; use a "
            "host-header condition",
        ],
    ),
    case(
        "condition.source-ip-cidr",
        [
            (
                "Resources.MaintenanceRule.Properties.Conditions.0.SourceIpConfig.Values.0",
                "255.255.255.255/32",
            )
        ],
        [
            "MaintenanceRule.Properties.Conditions[0].SourceIpConfig.Values[0]: "
            "ValidationError: 255.255.255.255/32 is not allowed",
        ],
    ),
    case(
        "action.at-least-one",
        [(f"{RULE}.Actions", [])],
        [
            "UsersRule.Properties.Actions: ValidationError: needs at least one action",
        ],
    ),
    case(
        "action.type-per-load-balancer",
        [
            (
                "Resources.TcpListener.Properties.DefaultActions",
                [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
            )
        ],
        [
            "TcpListener.Properties.DefaultActions[0].Type: InvalidLoadBalancerAction: a "
            "network load balancer's listeners can only forward, not fixed-response",
        ],
    ),
    case(
        "action.one-routing-action-last",
        [
            (
                f"{RULE}.Actions",
                [
                    {"Type": "forward", "Order": 1, "TargetGroupArn": {"Ref": "IpTargets"}},
                    {
                        "Type": "fixed-response",
                        "Order": 2,
                        "FixedResponseConfig": {"StatusCode": "200"},
                    },
                ],
            )
        ],
        [
            "UsersRule.Properties.Actions: InvalidLoadBalancerAction: needs exactly one "
            "forward, redirect or fixed-response action, ordered last",
        ],
    ),
    case(
        "action.order",
        [
            (
                f"{RULE}.Actions",
                [
                    {
                        "Type": "authenticate-cognito",
                        "AuthenticateCognitoConfig": {
                            "UserPoolArn": "arn:aws:cognito-idp:us-east-1:123456789012:"
                            "userpool/us-east-1_abc",
                            "UserPoolClientId": "abc",
                            "UserPoolDomain": "login",
                        },
                    },
                    {"Type": "forward", "Order": 2, "TargetGroupArn": {"Ref": "IpTargets"}},
                ],
            )
        ],
        [
            "UsersRule.Properties.Actions[0].Order: ValidationError: is required when "
            "there are several actions",
        ],
    ),
    case(
        "action.authenticate-needs-https",
        [
            (
                "Resources.HttpListener.Properties.DefaultActions",
                [
                    {
                        "Type": "authenticate-oidc",
                        "Order": 1,
                        "AuthenticateOidcConfig": {
                            "Issuer": "https://idp.example.com",
                            "AuthorizationEndpoint": "https://idp.example.com/auth",
                            "TokenEndpoint": "https://idp.example.com/token",
                            "UserInfoEndpoint": "https://idp.example.com/me",
                            "ClientId": "abc",
                        },
                    },
                    {
                        "Type": "fixed-response",
                        "Order": 2,
                        "FixedResponseConfig": {"StatusCode": "200"},
                    },
                ],
            )
        ],
        [
            "HttpListener.Properties.DefaultActions[0].Type: InvalidLoadBalancerAction: "
            "authenticate-oidc actions are supported only on HTTPS listeners",
        ],
    ),
    case(
        "action.config-required",
        [("Resources.MaintenanceRule.Properties.Actions.0.FixedResponseConfig", D)],
        [
            "MaintenanceRule.Properties.Actions[0].FixedResponseConfig: ValidationError: a "
            "fixed-response action needs FixedResponseConfig",
        ],
    ),
    case(
        "action.forward-target-groups",
        [
            (
                f"{HTTPS}.DefaultActions.0.ForwardConfig.TargetGroups",
                [{"TargetGroupArn": {"Ref": "WebTargets"}, "Weight": 1}] * 6,
            )
        ],
        [
            "HttpsListener.Properties.DefaultActions[0].ForwardConfig.TargetGroups: "
            "TooManyTargetGroups: a forward action needs TargetGroupArn or "
            "ForwardConfig.TargetGroups with 1 to 5 target groups",
        ],
    ),
    case(
        "action.forward-one-group-on-nlb-gwlb",
        [
            (
                "Resources.TcpListener.Properties.DefaultActions.0",
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [
                            {"TargetGroupArn": {"Ref": "AlbTargets"}, "Weight": 1},
                            {"TargetGroupArn": {"Ref": "AlbTargets"}, "Weight": 2},
                        ]
                    },
                },
            )
        ],
        [
            "TcpListener.Properties.DefaultActions[0].ForwardConfig.TargetGroups: "
            "InvalidLoadBalancerAction: a network load balancer forwards to exactly one "
            "target group",
        ],
    ),
    case(
        "action.forward-arn-and-config-agree",
        [(f"{HTTPS}.DefaultActions.0.TargetGroupArn", {"Ref": "WebTargets"})],
        [
            "HttpsListener.Properties.DefaultActions[0].ForwardConfig.TargetGroups: "
            "ValidationError: with TargetGroupArn, ForwardConfig.TargetGroups may name only "
            "that target group (WebTargets); use ForwardConfig alone to weight several",
        ],
    ),
    case(
        "action.forward-stickiness-duration",
        [
            (
                f"{HTTPS}.DefaultActions.0.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds",
                604801,
            )
        ],
        [
            "HttpsListener.Properties.DefaultActions[0].ForwardConfig."
            "TargetGroupStickinessConfig.DurationSeconds: "
            "ValidationError: 604801 is out of range; must be from 1 to 604800",
        ],
    ),
    case(
        "action.redirect-config",
        [
            (
                "Resources.HttpListener.Properties.DefaultActions.0.RedirectConfig.StatusCode",
                "HTTP_307",
            )
        ],
        [
            "HttpListener.Properties.DefaultActions[0].RedirectConfig.StatusCode: "
            "ValidationError: must be HTTP_301 or HTTP_302",
        ],
    ),
    case(
        "action.redirect-config/a superscript digit in the port",
        [("Resources.HttpListener.Properties.DefaultActions.0.RedirectConfig.Port", "44\u00b3")],
        [
            "HttpListener.Properties.DefaultActions[0].RedirectConfig.Port: "
            "ValidationError: must be 1-65535 or #{port}",
        ],
    ),
    case(
        "action.redirect-config/placeholder",
        [
            (
                "Resources.HttpListener.Properties.DefaultActions.0.RedirectConfig.Host",
                "#{path}.example.com",
            )
        ],
        [
            "HttpListener.Properties.DefaultActions[0].RedirectConfig.Host: "
            "ValidationError: #{path} cannot be used in Host; allowed: #{host}",
        ],
    ),
    case(
        "action.redirect-config/query",
        [("Resources.HttpListener.Properties.DefaultActions.0.RedirectConfig.Query", "?a=1")],
        [
            "HttpListener.Properties.DefaultActions[0].RedirectConfig.Query: "
            "ValidationError: must not start with ? (it is added for you)",
        ],
    ),
    case(
        "action.redirect-not-https-to-http",
        [
            (
                f"{HTTPS}.DefaultActions",
                [
                    {
                        "Type": "redirect",
                        "RedirectConfig": {"Protocol": "HTTP", "StatusCode": "HTTP_302"},
                    }
                ],
            )
        ],
        [
            "HttpsListener.Properties.DefaultActions[0].RedirectConfig.Protocol: "
            "InvalidLoadBalancerAction: an HTTPS listener cannot redirect to HTTP",
        ],
    ),
    case(
        "action.redirect-changes-something",
        [
            (
                "Resources.HttpListener.Properties.DefaultActions.0.RedirectConfig",
                {
                    "Protocol": "#{protocol}",
                    "Path": "/#{path}",
                    "Query": "moved=1",
                    "StatusCode": "HTTP_301",
                },
            )
        ],
        [
            "HttpListener.Properties.DefaultActions[0].RedirectConfig: "
            "InvalidLoadBalancerAction: a redirect must change the protocol, host, port or "
            "path, or it would redirect to itself",
        ],
    ),
    case(
        "action.fixed-response-config",
        [("Resources.MaintenanceRule.Properties.Actions.0.FixedResponseConfig.StatusCode", "302")],
        [
            "MaintenanceRule.Properties.Actions[0].FixedResponseConfig.StatusCode: "
            "ValidationError: '302' must be a 2XX, 4XX or 5XX status code",
        ],
    ),
    case(
        "action.fixed-response-config/content type",
        [
            (
                "Resources.MaintenanceRule.Properties.Actions.0.FixedResponseConfig.ContentType",
                "text/xml",
            )
        ],
        [
            "MaintenanceRule.Properties.Actions[0].FixedResponseConfig.ContentType: "
            "ValidationError: must be one of text/plain, text/css, text/html, "
            "application/javascript, application/json",
        ],
    ),
    case(
        "action.fixed-response-config/body",
        [
            (
                "Resources.MaintenanceRule.Properties.Actions.0.FixedResponseConfig.MessageBody",
                "x" * 1025,
            )
        ],
        [
            "MaintenanceRule.Properties.Actions[0].FixedResponseConfig.MessageBody: "
            "ValidationError: must be at most 1024 characters",
        ],
    ),
    case(
        "target-group.one-load-balancer",
        [
            (
                "Resources.SecondAlb",
                {
                    "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    "Properties": {"Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]},
                },
            ),
            (
                "Resources.OtherListener",
                {
                    "Type": "AWS::ElasticLoadBalancingV2::Listener",
                    "Properties": {
                        "LoadBalancerArn": {"Ref": "SecondAlb"},
                        "Protocol": "HTTP",
                        "Port": 80,
                        "DefaultActions": [
                            {"Type": "forward", "TargetGroupArn": {"Ref": "IpTargets"}}
                        ],
                    },
                },
            ),
        ],
        [
            "OtherListener.Properties.DefaultActions[0]: TargetGroupAssociationLimit: The "
            "following target groups cannot be associated with more than one load "
            "balancer: IpTargets (already used by LoadBalancer)",
        ],
    ),
    case(
        "target-group.protocol-suits-listener",
        [("Resources.IpTargets.Properties.Protocol", "TCP")],
        [
            "UsersRule.Properties.Actions[0]: IncompatibleProtocols: target group "
            "IpTargets uses TCP; an HTTPS listener forwards to HTTP or HTTPS",
        ],
    ),
    case(
        "target-group.target-type-suits-load-balancer",
        [
            (
                "Resources.TcpListener.Properties.DefaultActions.0.TargetGroupArn",
                {"Ref": "LambdaTargets"},
            )
        ],
        [
            "TcpListener.Properties.DefaultActions[0]: TargetGroupAssociationLimit: The "
            "following target groups cannot be associated with more than one load "
            "balancer: LambdaTargets (already used by LoadBalancer)",
            "TcpListener.Properties.DefaultActions[0]: IncompatibleProtocols: target group "
            "LambdaTargets has target type lambda, which a network load balancer cannot use",
        ],
    ),
    case(
        "target-group.http2-grpc-need-https",
        [
            ("Resources.IpTargets.Properties.ProtocolVersion", "GRPC"),
            (f"{RULE}.ListenerArn", {"Ref": "HttpListener"}),
        ],
        [
            "UsersRule.Properties.Actions[0]: IncompatibleProtocols: target group "
            "IpTargets uses protocol version GRPC, which needs an HTTPS listener",
        ],
    ),
    case(
        "target-group.alb-target-listener-port",
        [
            ("Resources.AlbTargets.Properties.Port", 8443),
            ("Resources.TcpListener.Properties.Port", 8443),
        ],
        [
            "AlbTargets.Properties.Targets: ValidationError: LoadBalancer has no listener "
            "on port 8443",
        ],
    ),
    case(
        "target-group.alb-behind-at-most-two-nlbs",
        [
            (
                f"Resources.AlbTargets{n}",
                {
                    "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "Protocol": "TCP",
                        "Port": 443,
                        "TargetType": "alb",
                        "Targets": [{"Id": {"Ref": "LoadBalancer"}}],
                    },
                },
            )
            for n in (2, 3)
        ],
        [
            "AlbTargets3.Properties.Targets: ValidationError: LoadBalancer is already the "
            "target of AlbTargets and AlbTargets2; an ALB can sit behind at most two "
            "Network Load Balancers",
        ],
    ),
    case(
        "action.weighted-stickiness",
        [(f"{HTTPS}.DefaultActions.0.ForwardConfig.TargetGroupStickinessConfig", D)],
        [
            "HttpsListener.Properties.DefaultActions[0]: InvalidConfigurationRequest: "
            "WebTargets has stickiness on, so this weighted forward needs "
            "ForwardConfig.TargetGroupStickinessConfig enabled",
        ],
    ),
    case(
        "target-group.lambda-invoke-permission",
        [("Resources.HelloPermission.Properties.Principal", "apigateway.amazonaws.com")],
        [
            "LambdaTargets.Properties.Targets: AccessDenied: elasticloadbalancing "
            "principal does not have permission to invoke HelloFunction: add an "
            "AWS::Lambda::Permission for elasticloadbalancing.amazonaws.com",
        ],
    ),
    case(
        "playground.traffic-rps-limit",
        [("Metadata.Playground.Traffic.RequestsPerSecond", 10_000)],
        [
            "Template.Metadata.Playground.Traffic.RequestsPerSecond: ValidationError: 10000 "
            "is more than this playground runs; at most 200 requests per second (LAB_MAX_RPS)",
        ],
    ),
    case(
        "run.targets",
        [("Resources.IpTargets.Properties.Targets", ip_targets(51))],
        [
            "IpTargets.Properties.Targets: TooManyTargets: a run may start at most 50 "
            "targets (LAB_MAX_TARGETS); this template registers more",
        ],
    ),
    case(
        "template.resource-count",
        many_vpcs(501 - len(every_type_document()["Resources"])),
        [
            "Template.Resources: ValidationError: Number of resources, 501, is greater "
            "than maximum allowed, 500",
        ],
    ),
    case(
        "template.depth",
        [("Resources.Web1.Metadata.Playground.Notes", nested(30))],
        [
            "Web1.Metadata.Playground: ValidationError: is nested more than 32 levels deep",
        ],
    ),
    case(
        "template.metadata-mapping",
        [("Metadata", ["Playground"])],
        ["Template.Metadata: ValidationError: must be a mapping"],
    ),
    case(
        "template.metadata-mapping/playground",
        [("Metadata.Playground", "fast")],
        ["Template.Metadata.Playground: ValidationError: must be a mapping"],
    ),
    case(
        "property.required/action type",
        [("Resources.HttpListener.Properties.DefaultActions.0.Type", D)],
        ["HttpListener.Properties.DefaultActions[0].Type: ValidationError: is required"],
    ),
    case(
        "property.required/rule action type",
        [("Resources.MaintenanceRule.Properties.Actions.0.Type", D)],
        ["MaintenanceRule.Properties.Actions[0].Type: ValidationError: is required"],
    ),
    case(
        "condition.field/a list",
        [(f"{RULE}.Conditions.0.Field", ["path-pattern"])],
        [
            "UsersRule.Properties.Conditions[0].Field: ValidationError: ['path-pattern'] is "
            "not one of host-header, path-pattern, http-header, http-request-method, "
            "query-string, source-ip",
        ],
    ),
    case(
        "condition.value-format/query key a number",
        [("Resources.HelloRule.Properties.Conditions.0.QueryStringConfig.Values.0.Key", 7)],
        [
            "HelloRule.Properties.Conditions[0].QueryStringConfig.Values[0].Key: "
            "ValidationError: 7 must be a string",
        ],
    ),
    case(
        # Not "needs at least one condition": it has one, written as a mapping.
        "value.shape/conditions as a mapping",
        [
            (
                f"{RULE}.Conditions",
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/users"]}},
            )
        ],
        ["UsersRule.Properties.Conditions: ValidationError: must be a list of conditions"],
    ),
    case(
        "value.shape/condition values as one string",
        [(f"{RULE}.Conditions.0.PathPatternConfig.Values", "/users")],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values: ValidationError: "
            "must be a list of values"
        ],
    ),
    case(
        "condition.regex-values-not-simulated",
        [(f"{RULE}.Conditions.0.PathPatternConfig", {"RegexValues": ["^/users(/.*)?$"]})],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.RegexValues: ValidationError: "
            "RegexValues are not simulated: the playground matches Values (wildcards * ?)",
        ],
    ),
    case(
        "rule.transforms-not-simulated",
        [
            (
                f"{RULE}.Transforms",
                [
                    {
                        "Type": "url-rewrite",
                        "UrlRewriteConfig": {"Rewrites": [{"Regex": "^/users$", "Replace": "/"}]},
                    }
                ],
            )
        ],
        [
            "UsersRule.Properties.Transforms: ValidationError: rule transforms "
            "(host-header-rewrite, url-rewrite) are not simulated: the playground would "
            "forward the request unrewritten",
        ],
    ),
    case(
        "value.shape/policy names",
        [(f"{CLB}.Listeners.0.PolicyNames", 7)],
        [
            "ClassicLoadBalancer.Properties.Listeners[0].PolicyNames: ValidationError: must "
            "be a list"
        ],
    ),
    case(
        "condition.at-most-3-values-per-condition",
        [conds(path_values("/a", "/b", "/c", "/d"))],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values: ValidationError: "
            "A condition can only have '3' match evaluations; this one has 4",
        ],
    ),
    case(
        "condition.at-most-3-values-per-condition/query-string pairs",
        [
            conds(
                {
                    "Field": "query-string",
                    "QueryStringConfig": {
                        "Values": [{"Key": k, "Value": "1"} for k in ("a", "b", "c", "d")]
                    },
                }
            )
        ],
        [
            "UsersRule.Properties.Conditions[0].QueryStringConfig.Values: ValidationError: "
            "A condition can only have '3' match evaluations; this one has 4",
        ],
    ),
    case(
        # Six values in one condition break the per-condition limit; the rule total counts
        # that condition as 3, so the one mistake is one line, not two.
        "condition.at-most-3-values-per-condition/six in one condition is one line",
        [conds(path_values("/a", "/b", "/c", "/d", "/e", "/f"))],
        [
            "UsersRule.Properties.Conditions[0].PathPatternConfig.Values: ValidationError: "
            "A condition can only have '3' match evaluations; this one has 6",
        ],
    ),
    case(
        "health-check.matcher/grpc code above 99",
        [(f"{TG}.ProtocolVersion", "GRPC"), (f"{TG}.Matcher", {"GrpcCode": "0-100"})],
        [
            "WebTargets.Properties.Matcher.GrpcCode: ValidationError: '0-100': gRPC success "
            "codes are values or ranges from 0 to 99, e.g. 0,1 or 0-5",
        ],
    ),
    case(
        "health-check.matcher-grpc-by-protocol-version",
        [(f"{TG}.ProtocolVersion", "GRPC"), (f"{TG}.Matcher", {"HttpCode": "200"})],
        [
            "WebTargets.Properties.Matcher.HttpCode: ValidationError: a target group with "
            "ProtocolVersion GRPC takes Matcher.GrpcCode, not HttpCode",
        ],
    ),
    case(
        "health-check.matcher-grpc-by-protocol-version/grpc code on HTTP1",
        [(f"{TG}.Matcher", {"GrpcCode": "12"})],
        [
            "WebTargets.Properties.Matcher.GrpcCode: ValidationError: Matcher.GrpcCode is "
            "only for target groups with ProtocolVersion GRPC; use HttpCode",
        ],
    ),
    case(
        "target-group.preserve-client-ip-udp-always-on",
        [
            (
                "Resources.UdpTargets",
                {
                    "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "Protocol": "UDP",
                        "Port": 53,
                        "HealthCheckProtocol": "TCP",
                        "TargetGroupAttributes": tg_attrs(("preserve_client_ip.enabled", "false")),
                    },
                },
            )
        ],
        [
            "UdpTargets.Properties.TargetGroupAttributes: InvalidConfigurationRequest: client "
            "IP preservation cannot be disabled for UDP target groups",
        ],
    ),
    case(
        "attributes.key-known/preserve_client_ip on an ALB target group",
        [(f"{TG}.TargetGroupAttributes", tg_attrs(("preserve_client_ip.enabled", "true")))],
        [
            "WebTargets.Properties.TargetGroupAttributes[0].Key: ValidationError: Application "
            "target group attribute key 'preserve_client_ip.enabled' is not recognized",
        ],
    ),
    case(
        # Also not "a TCP listener forwards to TCP or TCP_UDP": one mistake, one line.
        "target-group.alb-type-tcp",
        [("Resources.AlbTargets.Properties.Protocol", "TLS")],
        [
            "AlbTargets.Properties.Protocol: ValidationError: a target group of type alb "
            "uses TCP, not TLS",
        ],
    ),
    case(
        "target-group.alb-type-attributes-fixed",
        [
            (
                "Resources.AlbTargets.Properties.TargetGroupAttributes",
                tg_attrs(("deregistration_delay.timeout_seconds", "30")),
            )
        ],
        [
            "AlbTargets.Properties.TargetGroupAttributes[0].Key: ValidationError: "
            "'deregistration_delay.timeout_seconds' cannot be set on a target group of type "
            "alb: its attributes are fixed at their defaults",
        ],
    ),
    case(
        "target-group.alb-type-attributes-fixed/preserve_client_ip",
        [
            (
                "Resources.AlbTargets.Properties.TargetGroupAttributes",
                tg_attrs(("preserve_client_ip.enabled", "false")),
            )
        ],
        [
            "AlbTargets.Properties.TargetGroupAttributes[0].Key: ValidationError: "
            "'preserve_client_ip.enabled' cannot be set on a target group of type alb: its "
            "attributes are fixed at their defaults",
        ],
    ),
    case(
        "target-group.dns-failover-at-least-routing-failover",
        [
            (
                f"{TG}.TargetGroupAttributes",
                tg_attrs(
                    (
                        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
                        "2",
                    )
                ),
            )
        ],
        [
            "WebTargets.Properties.TargetGroupAttributes: InvalidConfigurationRequest: the DNS "
            "failover minimum healthy targets count (1) must be at least the unhealthy state "
            "routing one (2)",
        ],
    ),
    # One mistake, one line: rules that build on a property already reported stay quiet.
    case(
        "ref.resolves/an unknown subnet is not also fewer than two zones",
        [("Resources.LoadBalancer.Properties.Subnets.0", {"Ref": "Nope"})],
        [
            "LoadBalancer.Properties.Subnets[0]: ValidationError: Ref Nope does not name a "
            "resource in this template",
        ],
    ),
    case(
        "ref.resolves/an unknown load balancer is not also a missing ALB listener",
        [(f"{HTTPS}.LoadBalancerArn", {"Ref": "Nope"})],
        [
            "HttpsListener.Properties.LoadBalancerArn: ValidationError: Ref Nope does not "
            "name a resource in this template",
        ],
    ),
    case(
        "ref.resolves/an unknown permission function is not also a missing permission",
        [("Resources.HelloPermission.Properties.FunctionName", {"Ref": "Nope"})],
        [
            "HelloPermission.Properties.FunctionName: ValidationError: Ref Nope does not "
            "name a resource in this template",
        ],
    ),
    case(
        "value.integer-range/a listener port out of range is not also a duplicate",
        [(f"{HTTPS}.Port", 0)],
        [
            "HttpsListener.Properties.Port: ValidationError: 0 is out of range; must be from "
            "1 to 65535",
        ],
    ),
    case(
        "listener.protocol-per-type/an unknown protocol is not also misplaced TLS settings",
        [(f"{HTTPS}.Protocol", "SPDY")],
        [
            "HttpsListener.Properties.Protocol: ValidationError: 'SPDY' is not one of HTTP, HTTPS",
        ],
    ),
    case(
        "action.order-unique",
        [
            (
                f"{RULE}.Actions",
                [
                    {
                        "Type": "authenticate-oidc",
                        "Order": 1,
                        "AuthenticateOidcConfig": {"Issuer": "https://idp.example.com"},
                    },
                    {"Type": "forward", "Order": 1, "TargetGroupArn": {"Ref": "IpTargets"}},
                ],
            )
        ],
        [
            "UsersRule.Properties.Actions[1].Order: ValidationError: Order 1 is already used "
            "by Actions[0]; each action of a rule needs its own Order",
        ],
    ),
    case(
        "listener.ssl-policy-known",
        [(f"{HTTPS}.SslPolicy", "ELBSecurityPolicy-TLS13-1-2-2099-01")],
        [
            "HttpsListener.Properties.SslPolicy: SSLPolicyNotFound: "
            "'ELBSecurityPolicy-TLS13-1-2-2099-01' is not an Elastic Load Balancing security "
            "policy, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06",
        ],
    ),
    case(
        "load-balancer.internet-facing-needs-internet-gateway",
        [("Resources.GatewayAttachment", D), ("Resources.InternetRoute.DependsOn", D)],
        [
            "LoadBalancer.Properties.Subnets: InvalidSubnet: VPC Vpc has no internet gateway",
            "NetworkLoadBalancer.Properties.SubnetMappings: InvalidSubnet: VPC Vpc has no "
            "internet gateway",
        ],
    ),
    case(
        "route.destination",
        [("Resources.InternetRoute.Properties.DestinationCidrBlock", D)],
        [
            "InternetRoute.Properties.DestinationCidrBlock: ValidationError: a route needs a "
            "destination: DestinationCidrBlock, DestinationIpv6CidrBlock or "
            "DestinationPrefixListId",
        ],
    ),
    case(
        "subnet.one-route-table",
        [
            (
                "Resources.OtherRoutes",
                {
                    "Type": "AWS::EC2::SubnetRouteTableAssociation",
                    "Properties": {
                        "SubnetId": {"Ref": "SubnetA"},
                        "RouteTableId": {"Ref": "OtherRouteTable"},
                    },
                },
            ),
            (
                "Resources.OtherRouteTable",
                {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            ),
        ],
        [
            "OtherRoutes.Properties.SubnetId: Resource.AlreadyAssociated: the specified "
            "association for route table OtherRouteTable conflicts with an existing "
            "association: SubnetA already uses PublicRouteTable",
        ],
    ),
    case(
        "playground.traffic",
        [("Metadata.Playground.Traffic.Paths", ["users"])],
        [
            "Template.Metadata.Playground.Traffic.Paths: ValidationError: must be a list "
            "of paths starting with /",
        ],
    ),
]


@pytest.mark.parametrize("dump", [dump_yaml, dump_json], ids=["yaml", "json"])
@pytest.mark.parametrize(("rule_id", "changes", "expected"), CASES)
def test_an_invalid_document_yields_its_exact_one_line_problems(rule_id, changes, expected, dump):
    with pytest.raises(TemplateError) as caught:
        load_topology(dump(edited(changes)))

    assert [str(problem) for problem in caught.value.problems] == expected
    assert rule_id in {problem.rule for problem in caught.value.problems}


def test_validate_lists_the_same_problems_without_raising():
    (_rule, changes, expected) = CASES[0].values

    assert [str(problem) for problem in validate(edited(changes))] == expected


def test_the_table_exercises_every_registered_rule():
    exercised = {param.values[0] for param in CASES} | TEXT_ONLY_RULES

    assert sorted(set(RULES) - exercised) == []
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Resources: [",
            "Template: ValidationError: not valid YAML: line 1, column 13: expected the node "
            "content, but found '<stream end>' (while parsing a flow node)",
            id="template.parse",
        ),
        pytest.param(
            json.dumps({"Resources": {"Vpc": "AWS::EC2::VPC"}}),
            "Template.Resources: ValidationError: a template needs a Resources mapping",
            id="template.resources-mapping",
        ),
    ],
)
def test_text_that_is_not_a_template_yields_one_problem(text, expected):
    with pytest.raises(TemplateError) as caught:
        load_topology(text)

    assert [str(problem) for problem in caught.value.problems] == [expected]


# A "billion laughs": nine aliases of nine aliases..., 9**8 values from a few hundred bytes.
ALIAS_BOMB = (
    "Resources:\n"
    "  Vpc:\n"
    "    Type: AWS::EC2::VPC\n"
    "    Metadata:\n"
    "      a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"      {b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
        for a, b in zip("abcdefg", "bcdefgh", strict=True)
    )
    + "    Properties: {CidrBlock: 10.0.0.0/16}\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            ALIAS_BOMB,
            "Vpc.Metadata.h: ValidationError: the template holds more than 100000 values "
            "(a YAML alias counts its values each time it is used)",
            id="template.value-count/alias bomb",
        ),
        pytest.param(
            json.dumps(
                {"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}, "Metadata": [0] * 100_001}
            ),
            "Template.Metadata: ValidationError: the template holds more than 100000 values "
            "(a YAML alias counts its values each time it is used)",
            id="template.value-count/long list",
        ),
        pytest.param(
            "Description: " + "x" * 1_000_000 + "\nResources: {}\n",
            "Template: ValidationError: the template is 1000028 bytes; CloudFormation takes "
            "at most 1000000 bytes (1 MB)",
            id="template.size",
        ),
        pytest.param(
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      Tags: "
            + "[" * 900
            + "]" * 900,
            "Vpc.Properties.Tags: ValidationError: is nested more than 32 levels deep",
            id="template.depth/yaml past python's stack",
        ),
        pytest.param(
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      Tags: "
            + "[" * 5000
            + "]" * 5000,
            "Vpc.Properties.Tags: ValidationError: is nested more than 32 levels deep",
            id="template.depth/yaml past libyaml's limit",
        ),
        pytest.param(
            "Description: "
            + "x" * 70_000
            + "\nResources:\n  Vpc:\n    Properties:\n      Tags: "
            + "[" * 5000
            + "]" * 5000,
            # Too big to parse twice for a better message: libyaml's own words.
            "Template: ValidationError: not valid YAML: line 5, column 1009: exceeded maximum "
            "nesting depth (while increasing flow level)",
            id="template.depth/large yaml past libyaml's limit",
        ),
        pytest.param(
            '{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"Tags": '
            + "[" * 5000
            + "]" * 5000
            + "}}}}",
            "Template: ValidationError: is nested more than 32 levels deep",
            id="template.depth/json past python's stack",
        ),
        pytest.param(
            "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      Tags: "
            + "9" * 5000,
            "Template: ValidationError: not valid YAML: a number has more than 4300 digits",
            id="template.parse/yaml integer past python's int-string limit",
        ),
        pytest.param(
            '{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"Tags": '
            + "9" * 5000
            + "}}}}",
            "Template: ValidationError: not valid JSON: a number has more than 4300 digits",
            id="template.parse/json integer past python's int-string limit",
        ),
    ],
)
def test_a_hostile_text_is_refused_with_one_problem(text, expected):
    with pytest.raises(TemplateError) as caught:
        load_topology(text)

    assert [str(problem) for problem in caught.value.problems] == [expected]


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e999"])
def test_json_infinity_or_nan_in_an_integer_property_is_a_validation_error(value):
    text = dump_json(edited([("Resources.HttpListener.Properties.Port", 12345)]))

    with pytest.raises(TemplateError) as caught:
        load_topology(text.replace('"Port": 12345', f'"Port": {value}'))

    assert [str(problem) for problem in caught.value.problems] == [
        "HttpListener.Properties.Port: ValidationError: must be an integer from 1 to 65535"
    ]


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_yaml_infinity_or_nan_in_a_metadata_number_is_a_validation_error(value):
    text = dump_yaml(edited([("Resources.Web1.Metadata.Playground.App.LatencyMs", 12345)]))

    with pytest.raises(TemplateError) as caught:
        load_topology(text.replace("LatencyMs: 12345", f"LatencyMs: {value}"))

    assert [str(problem) for problem in caught.value.problems] == [
        "Web1.Metadata.Playground.App.LatencyMs: ValidationError: must be an integer from 0 "
        "to 600000"
    ]


def test_a_dependson_chain_as_long_as_the_quota_and_closed_into_a_cycle_is_reported():
    # Each group depends on the next, the last on the first: the cycle search must walk
    # all 500 without recursing once per resource.
    document = {"Resources": {}}
    for n in range(500):
        document["Resources"][f"Sg{n}"] = {
            "Type": "AWS::EC2::SecurityGroup",
            "DependsOn": f"Sg{(n + 1) % 500}",
            "Properties": {"GroupDescription": "chain"},
        }

    problems = [str(p) for p in validate(document)]

    assert problems[0].startswith(
        "Template.Resources: ValidationError: Circular dependency between resources: [Sg0, Sg1,"
    )


def test_a_1200_long_dependson_chain_is_refused_by_the_resource_quota():
    document = every_type_document()
    for n in range(1200):
        document["Resources"][f"Sg{n}"] = {
            "Type": "AWS::EC2::SecurityGroup",
            "DependsOn": f"Sg{n + 1}" if n < 1199 else "Vpc",
            "Properties": {"GroupDescription": "chain", "VpcId": {"Ref": "Vpc"}},
        }

    with pytest.raises(TemplateError) as caught:
        load_topology(dump_yaml(document))

    assert [str(problem) for problem in caught.value.problems] == [
        f"Template.Resources: ValidationError: Number of resources, {len(document['Resources'])}"
        ", is greater than maximum allowed, 500"
    ]


@pytest.mark.parametrize("dump", [dump_yaml, dump_json], ids=["yaml", "json"])
def test_nesting_exactly_as_deep_as_the_bound_is_accepted_and_one_more_is_not(dump):
    where = "Resources.Web1.Metadata.Playground.Notes"  # its value sits 6 levels deep

    load_topology(dump(edited([(where, nested(32 - 6))])))
    with pytest.raises(TemplateError) as caught:
        load_topology(dump(edited([(where, nested(32 - 5))])))

    assert [str(p) for p in caught.value.problems] == [
        "Web1.Metadata.Playground: ValidationError: is nested more than 32 levels deep"
    ]


@pytest.mark.parametrize("resources", [[], None, "Vpc", {"Vpc": ["AWS::EC2::VPC"]}])
def test_a_parsed_document_without_a_resources_mapping_is_one_problem(resources):
    expected = ["Template.Resources: ValidationError: a template needs a Resources mapping"]

    with pytest.raises(TemplateError) as caught:
        load_topology({"Resources": resources})

    assert [str(problem) for problem in caught.value.problems] == expected
