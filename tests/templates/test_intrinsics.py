"""``labs.intrinsics``: each function, condition and parameter rule as CloudFormation's
template reference describes it."""

import base64
from pathlib import Path

import pytest

from labs import cfn, intrinsics

HERE_TEMPLATES = Path(__file__).parent

VPC = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}


def resolved(value, *, parameters=None, conditions=None, mappings=None, given=None):
    """What ``value`` becomes as a property of a resource."""
    document = {
        "Resources": {
            "Vpc": VPC,
            "Group": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"Value": value}},
        }
    }
    for key, section in (
        ("Parameters", parameters),
        ("Conditions", conditions),
        ("Mappings", mappings),
    ):
        if section is not None:
            document[key] = section
    result = intrinsics.resolve(document, given)
    assert result.problems == [], [str(p) for p in result.problems]
    return result.document["Resources"]["Group"]["Properties"].get("Value", "<removed>")


def problems(document, given=None):
    return [str(p) for p in intrinsics.resolve(document, given).problems]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Fn::Sub": "${AWS::StackName}-${AWS::Region}"}, "playground-us-east-1"),
        ({"Fn::Sub": ["${A}/${B}", {"A": "x", "B": {"Ref": "AWS::AccountId"}}]}, "x/123456789012"),
        ({"Fn::Sub": "literal ${!Name}"}, "literal ${Name}"),
        ({"Fn::Sub": "${Vpc}"}, {"Ref": "Vpc"}),
        ({"Fn::Sub": "id-${Vpc}"}, "id-playground-Vpc"),
        ({"Fn::Sub": "${Vpc.CidrBlock}"}, "10.0.0.0/16"),
        ({"Fn::Join": [",", ["a", "b", {"Ref": "AWS::Partition"}]]}, "a,b,aws"),
        ({"Fn::Select": ["1", ["a", "b"]]}, "b"),
        ({"Fn::Split": ["|", "a|b|c"]}, ["a", "b", "c"]),
        ({"Fn::Select": [2, {"Fn::GetAZs": ""}]}, "us-east-1c"),
        ({"Fn::GetAZs": {"Ref": "AWS::Region"}}, [f"us-east-1{z}" for z in "abcdef"]),
        ({"Fn::Cidr": ["10.0.0.0/16", 3, 8]}, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
        (
            {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 2, 12]},
            ["10.0.0.0/20", "10.0.16.0/20"],
        ),
        ({"Fn::Base64": "hi"}, base64.b64encode(b"hi").decode()),
        ({"Ref": "AWS::URLSuffix"}, "amazonaws.com"),
        ({"Fn::GetAtt": ["Vpc", "VpcId"]}, {"Fn::GetAtt": ["Vpc", "VpcId"]}),
        ({"Fn::Length": [1, 2, 3]}, 3),
        ({"Fn::ToJsonString": {"a": [1]}}, '{"a":[1]}'),
        (["a", {"Ref": "AWS::NoValue"}, "b"], ["a", "b"]),
        ({"Ref": "AWS::NoValue"}, "<removed>"),
    ],
)
def test_each_function_evaluates_as_cloudformation_does(value, expected):
    assert resolved(value) == expected


def test_find_in_map_picks_by_both_keys_and_refs_inside_are_evaluated():
    mappings = {"Region": {"us-east-1": {"Ami": "ami-1"}, "eu-west-1": {"Ami": "ami-2"}}}

    value = {"Fn::FindInMap": ["Region", {"Ref": "AWS::Region"}, "Ami"]}

    assert resolved(value, mappings=mappings) == "ami-1"


@pytest.mark.parametrize(
    ("environment", "expected"), [("prod", "big"), ("dev", "small"), ("test", "small")]
)
def test_conditions_choose_with_if_equals_and_or_not(environment, expected):
    conditions = {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsUsEast": {"Fn::Equals": ["us-east-1", {"Ref": "AWS::Region"}]},
        "Big": {
            "Fn::And": [{"Condition": "IsProd"}, {"Fn::Or": [{"Condition": "IsUsEast"}, False]}]
        },
        "Small": {"Fn::Not": [{"Condition": "Big"}]},
    }
    parameters = {"Env": {"Type": "String", "Default": "dev"}}

    value = {"Fn::If": ["Small", "small", "big"]}

    assert (
        resolved(value, parameters=parameters, conditions=conditions, given={"Env": environment})
        == expected
    )


def test_a_false_condition_removes_the_resource_and_says_which():
    document = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"Vpc": VPC, "Extra": {**VPC, "Condition": "Never"}},
    }

    result = intrinsics.resolve(document)

    assert set(result.document["Resources"]) == {"Vpc"}
    assert result.removed == [("Extra", "Never")]


def test_parameters_take_the_given_value_then_the_stored_one_then_the_default():
    document = {
        "Metadata": {"Playground": {"Parameters": {"B": "stored"}}},
        "Parameters": {n: {"Type": "String", "Default": "default"} for n in "ABC"},
        "Resources": {"Vpc": VPC},
    }

    values = intrinsics.resolve(document, {"A": "given"}).values

    assert values == {"A": "given", "B": "stored", "C": "default"}


@pytest.mark.parametrize(
    ("declaration", "value", "message"),
    [
        ({"AllowedValues": ["a", "b"]}, "c", "Parameter 'P' must be one of AllowedValues"),
        (
            {"Type": "Number", "MinValue": 1, "MaxValue": 5},
            "9",
            "Parameter 'P' must be a number from 1 to 5",
        ),
        ({"Type": "Number"}, "many", "Parameter 'P' must be a number"),
        ({"AllowedPattern": "[a-z]+"}, "A1", "Parameter 'P' must match pattern [a-z]+"),
        (
            {"AllowedPattern": "[a-z]+", "ConstraintDescription": "lower case only"},
            "A1",
            "lower case only",
        ),
        (
            {"MinLength": 3},
            "ab",
            "Parameter 'P' must contain at least 3 characters (minimum length)",
        ),
        (
            {"MaxLength": 2},
            "abc",
            "Parameter 'P' must contain at most 2 characters (maximum length)",
        ),
    ],
)
def test_a_parameter_value_is_checked_against_its_declaration(declaration, value, message):
    document = {"Parameters": {"P": {"Type": "String", **declaration}}, "Resources": {"Vpc": VPC}}

    assert problems(document, {"P": value}) == [f"Parameters.P: ValidationError: {message}"]


def test_parameters_without_a_value_are_named_once_and_their_uses_stay_quiet():
    text = """
Parameters:
  KeyName: {Type: String}
  Owner: {Type: String}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Ref KeyName
      VpcId: !Ref Vpc
      Tags: [{Key: o, Value: !Ref Owner}]
"""
    with pytest.raises(cfn.TemplateError) as caught:
        cfn.load_topology(text)

    assert [str(p) for p in caught.value.problems] == [
        "Parameters: ValidationError: Parameters: [KeyName, Owner] must have values"
    ]
    assert [i.name for i in intrinsics.inputs(cfn.parse_document(text))] == ["KeyName", "Owner"]


def test_an_existing_vpc_and_its_subnets_get_sandbox_stand_ins():
    text = """
Parameters:
  VpcId: {Type: "AWS::EC2::VPC::Id"}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
  Sg: {Type: "AWS::EC2::SecurityGroup::Id"}
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: !Ref Subnets, SecurityGroups: [!Ref Sg]}
"""
    result = cfn.resolve(text)
    resources = result.document["Resources"]

    assert set(result.stand_ins) == {"VpcId", "Subnets", "Sg"}
    assert resources["Lb"]["Properties"]["Subnets"] == [
        {"Ref": "PlaygroundSubnetSubnets1"},
        {"Ref": "PlaygroundSubnetSubnets2"},
    ]
    zones = {
        resources[f"PlaygroundSubnetSubnets{n}"]["Properties"]["AvailabilityZone"] for n in (1, 2)
    }
    assert zones == {"us-east-1a", "us-east-1b"}
    topology = cfn.load_topology(text)
    assert topology.vpc_cidr == "10.0.0.0/16"
    assert [n.az for n in topology.load_balancers[0].nodes] == ["us-east-1a", "us-east-1b"]


def test_unmodelled_resources_are_set_aside_and_refs_to_them_become_names():
    document = {
        "Resources": {
            "Vpc": VPC,
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": {"Fn::GetAtt": ["Role", "Arn"]}},
            },
        }
    }

    result = intrinsics.resolve(document)

    assert result.unmodelled == [intrinsics.Unmodelled("Role", "AWS::IAM::Role")]
    assert (
        result.document["Resources"]["Group"]["Properties"]["GroupDescription"]
        == "playground-Role.Arn"
    )


def test_standalone_ingress_rules_are_merged_into_their_group():
    document = {
        "Resources": {
            "Vpc": VPC,
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"SecurityGroupIngress": []},
            },
            "Http": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Ref": "Group"},
                    "IpProtocol": "tcp",
                    "FromPort": 80,
                    "ToPort": 80,
                    "CidrIp": "0.0.0.0/0",
                },
            },
        }
    }

    resources = intrinsics.resolve(document).document["Resources"]

    assert "Http" not in resources
    assert resources["Group"]["Properties"]["SecurityGroupIngress"] == [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0"}
    ]


def test_the_stored_template_is_never_changed():
    text = (
        "Parameters: {P: {Type: String, Default: x}}\n"
        "Resources:\n  Vpc: {Type: AWS::EC2::VPC, Metadata: {a: 1},\n"
        "        Properties: {CidrBlock: !Sub '10.0.0.0/16'}}\n"
    )
    document = cfn.parse_document(text)

    intrinsics.resolve(document)

    assert document == cfn.parse_document(text)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"Fn::Select": [5, ["a"]]}, "Fn::Select: index 5 is out of range (the list has 1)"),
        ({"Fn::Join": [",", "ab"]}, "Fn::Join takes [delimiter, [values]] (a string and a list)"),
        ({"Fn::Sub": ["${A}", "x"]}, "Fn::Sub takes a string or [string, {name: value}]"),
        ({"Fn::Sub": "${AWS::NotificationARNs}"}, "Fn::Sub needs a string here; got []"),
        (
            {"Fn::Cidr": ["10.0.0.0/24", 5, 7]},
            "Fn::Cidr: 5 blocks of /25 do not fit in 10.0.0.0/24 (at most 2)",
        ),
        (
            {"Fn::If": ["Missing", 1, 2]},
            "Unresolved condition dependency Missing in Fn::If or Condition",
        ),
        (
            {"Fn::ImportValue": "shared-vpc"},
            "Fn::ImportValue: no stack here exports shared-vpc; give its value as the "
            "parameter shared-vpc",
        ),
    ],
)
def test_a_function_that_cannot_be_evaluated_names_itself_and_the_path(value, message):
    document = {
        "Resources": {
            "Vpc": VPC,
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"Tags": [{"Value": value}]},
            },
        }
    }

    found = intrinsics.resolve(document).problems

    assert [(p.logical_id, p.path, p.message) for p in found] == [
        ("Group", "Properties.Tags[0].Value", message)
    ]


def test_an_import_value_is_asked_for_like_a_parameter():
    document = {
        "Resources": {
            "Vpc": VPC,
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"Value": {"Fn::ImportValue": "shared-name"}},
            },
        }
    }

    assert [i.type for i in intrinsics.inputs(document)] == ["Fn::ImportValue"]
    assert (
        intrinsics.resolve(document, {"shared-name": "n"}).document["Resources"]["Group"][
            "Properties"
        ]["Value"]
        == "n"
    )


def test_circular_conditions_are_refused():
    document = {
        "Conditions": {
            "A": {"Fn::Not": [{"Condition": "B"}]},
            "B": {"Fn::Not": [{"Condition": "A"}]},
        },
        "Resources": {"Vpc": {**VPC, "Condition": "A"}},
    }

    assert problems(document) == [
        "Vpc.Condition: ValidationError: Circular condition dependency: A -> B -> A"
    ]


def test_the_rules_section_s_short_forms_parse():
    text = """
Rules:
  ProdOnly:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[m5.large], !Ref Size]
      - Assert: !EachMemberIn
          - !ValueOfAll ["AWS::EC2::Subnet::Id", VpcId]
          - !RefAll "AWS::EC2::VPC::Id"
      - Assert: !EachMemberEquals [[a], a]
      - Assert: !Equals [!ValueOf [!Ref Subnet, VpcId], vpc-1]
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
"""
    assert "Fn::Contains" in str(cfn.parse_document(text)["Rules"])


def test_a_condition_on_a_parameter_without_a_value_is_not_a_second_problem():
    document = {
        "Parameters": {"Env": {"Type": "String"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": {"Vpc": {**VPC, "Condition": "IsProd"}},
    }

    assert problems(document) == ["Parameters: ValidationError: Parameters: [Env] must have values"]


def test_a_subnet_parameter_beside_a_vpc_with_a_broken_block_is_still_one_clear_problem():
    text = """
Parameters:
  Subnet: {Type: "AWS::EC2::Subnet::Id"}
Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: not-a-block}}
  Group:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: web, VpcId: !Ref Vpc}
"""
    with pytest.raises(cfn.TemplateError) as caught:
        cfn.load_topology(text)

    assert [str(p) for p in caught.value.problems] == [
        "Vpc.Properties.CidrBlock: ValidationError: 'not-a-block' is not an IPv4 CIDR block"
    ]


def test_route_53_aliases_of_a_load_balancer_s_dns_name_join_it_as_its_names():
    document = cfn.parse_document((HERE_TEMPLATES / "https_certificate_parameter.yaml").read_text())
    document["Resources"]["MoreNames"] = {
        "Type": "AWS::Route53::RecordSetGroup",
        "Properties": {
            "HostedZoneName": "example.com.",
            "RecordSets": [
                {
                    "Name": "Api.Example.com.",
                    "Type": "A",
                    "AliasTarget": {
                        "DNSName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]},
                        "HostedZoneId": {"Fn::GetAtt": ["LoadBalancer", "CanonicalHostedZoneID"]},
                    },
                },
                # Not an alias of the load balancer: a plain record, and an alias elsewhere.
                {"Name": "mail.example.com.", "Type": "MX", "ResourceRecords": ["10 mx"]},
                {
                    "Name": "cdn.example.com.",
                    "Type": "A",
                    "AliasTarget": {"DNSName": "d111111abcdef8.cloudfront.net"},
                },
            ],
        },
    }

    topology = cfn.load_topology(document)

    (lb,) = topology.load_balancers
    assert lb.aliases == ("shop.example.com", "api.example.com")
    assert {u.type for u in cfn.resolve(document).unmodelled} >= {
        "AWS::Route53::RecordSet",
        "AWS::Route53::RecordSetGroup",
    }
