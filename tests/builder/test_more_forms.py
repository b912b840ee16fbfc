"""The builder's forms for Lambda functions, certificates, NLB/GWLB, Classic LBs and auto
scaling groups: each writes what validation accepts, reads back what it wrote, and refuses
what validation would refuse with a message next to the field."""

from pathlib import Path

import pytest
from django.utils import translation

from labs import cfn, editing
from labs.forms import EDITORS, RESOURCE_EDITORS
from tests.builder.helpers import demo_document, editor, form_data

STARTERS = Path(__file__).resolve().parents[2] / "labs" / "starters"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _starter(name):
    return cfn.parse_document((STARTERS / f"{name}.yaml").read_text(encoding="utf-8"))


def _starter_resources():
    for path in sorted(STARTERS.glob("*.yaml")):
        document = cfn.parse_document(path.read_text(encoding="utf-8"))
        for logical_id, resource in document["Resources"].items():
            if resource["Type"] in RESOURCE_EDITORS:
                yield pytest.param(path.stem, logical_id, id=f"{path.stem}-{logical_id}")


def _save(kind, document, original_id=None, **changes):
    """The document after posting ``kind``'s form with ``changes``; asserts it is valid."""
    form = EDITORS[kind](
        form_data(editor(kind, document, original_id), **changes),
        document=document,
        original_id=original_id,
    )
    assert form.is_valid(), (form.errors, [f.errors for f in form.rows.values()])
    return form.updated_document()


def _refused(kind, document, original_id=None, **changes):
    form = EDITORS[kind](
        form_data(editor(kind, document, original_id), **changes),
        document=document,
        original_id=original_id,
    )
    assert not form.is_valid()
    return form


def _valid(document):
    return cfn.load_topology(editing.dump_yaml(document))


def _problems(document):
    with pytest.raises(cfn.TemplateError) as raised:
        _valid(document)
    return raised.value.problems


@pytest.mark.parametrize(("starter", "logical_id"), list(_starter_resources()))
def test_every_starter_resource_saves_unchanged_through_its_form(starter, logical_id):
    document = _starter(starter)
    kind = RESOURCE_EDITORS[document["Resources"][logical_id]["Type"]].kind
    assert _save(kind, document, logical_id) == document


# --- Lambda functions ------------------------------------------------------------------------
def _with_function(document, name="Echo", handler="echo"):
    return _save("lambda-function", document, logical_id=name, handler=handler)


def test_a_function_gets_a_built_in_handler_and_its_invoke_permission():
    document = _with_function(demo_document())
    function = document["Resources"]["Echo"]
    assert function["Metadata"] == {"Playground": {"Handler": "echo"}}
    properties = function["Properties"]
    assert (properties["Runtime"], properties["Handler"]) == ("python3.12", "index.handler")
    assert properties["Role"].startswith("arn:aws:iam::")
    assert "json.dumps(event)" in properties["Code"]["ZipFile"]
    names = list(document["Resources"])
    assert names[names.index("Echo") + 1] == "EchoPermission"
    assert document["Resources"]["EchoPermission"] == {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Fn::GetAtt": ["Echo", "Arn"]},
            "Principal": "elasticloadbalancing.amazonaws.com",
        },
    }
    assert _valid(document).lambda_functions[0].handler == "echo"
    again = editor("lambda-function", document, "Echo")
    assert again.initial["handler"] == "echo" and again.initial["allow_elb"] is True


def test_changing_the_handler_changes_our_code_but_keeps_the_learners_own():
    document = _save("lambda-function", _with_function(demo_document()), "Echo", handler="hello")
    assert "Hello from Lambda" in document["Resources"]["Echo"]["Properties"]["Code"]["ZipFile"]
    document["Resources"]["Echo"]["Properties"]["Code"] = {"ZipFile": "# mine"}
    document = _save("lambda-function", document, "Echo", handler="fail")
    assert document["Resources"]["Echo"]["Properties"]["Code"] == {"ZipFile": "# mine"}
    assert document["Resources"]["Echo"]["Metadata"]["Playground"]["Handler"] == "fail"


def test_a_lambda_target_group_names_the_function_by_arn_and_waits_for_the_permission():
    document = _with_function(demo_document())
    document = _save(
        "target-group",
        document,
        logical_id="Fn",
        target_type="lambda",
        **{"targets-0-resource": "Echo"},
    )
    group = document["Resources"]["Fn"]
    assert group["DependsOn"] == "EchoPermission"
    assert group["Properties"]["Targets"] == [{"Id": {"Fn::GetAtt": ["Echo", "Arn"]}}]
    assert {"Protocol", "Port", "VpcId"}.isdisjoint(group["Properties"])
    document = _save("listener", document, "HttpListener", **{"forward-0-target_group": "Fn"})
    topology = _valid(document)
    assert next(g for g in topology.target_groups if g.name == "Fn").targets[0].handler == "echo"
    # Without its permission the group cannot hold the function, as on AWS.
    document = _save("lambda-function", document, "Echo", allow_elb="")
    assert "EchoPermission" not in document["Resources"]
    assert {p.logical_id for p in _problems(document)} == {"Fn"}


def test_renaming_a_function_renames_its_permissions_reference():
    document = _save("lambda-function", _with_function(demo_document()), "Echo", logical_id="Echo2")
    assert document["Resources"]["EchoPermission"]["Properties"]["FunctionName"] == {
        "Fn::GetAtt": ["Echo2", "Arn"]
    }
    _valid(document)


def test_a_function_role_must_be_an_iam_role_arn():
    form = _refused("lambda-function", demo_document(), logical_id="F", role="lambda-role")
    assert form.errors["role"]
    form = _refused("lambda-function", demo_document(), logical_id="F", handler="rm -rf")
    assert form.errors["handler"]


# --- certificates and HTTPS listeners ----------------------------------------------------------
def test_a_certificate_and_an_https_listener_that_uses_it():
    document = _save(
        "certificate",
        demo_document(),
        logical_id="Cert",
        domain_name="www.example.com",
        alternative_names="example.com\n*.api.example.com",
    )
    assert document["Resources"]["Cert"]["Properties"] == {
        "DomainName": "www.example.com",
        "SubjectAlternativeNames": ["example.com", "*.api.example.com"],
        "ValidationMethod": "DNS",
    }
    again = editor("certificate", document, "Cert")
    assert again.initial["alternative_names"] == "example.com\n*.api.example.com"
    document = _save(
        "listener",
        document,
        logical_id="Https",
        load_balancer="LoadBalancer",
        protocol="HTTPS",
        port="443",
        certificate="Cert",
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        **{"forward-0-target_group": "WebTargets"},
    )
    properties = document["Resources"]["Https"]["Properties"]
    assert properties["Certificates"] == [{"CertificateArn": {"Ref": "Cert"}}]
    assert properties["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    https = next(
        listener
        for lb in _valid(document).load_balancers
        for listener in lb.listeners
        if listener.name == "Https"
    )
    assert https.certificates == ("www.example.com",)
    # Back to HTTP: the certificate settings go, as AWS allows them on HTTPS/TLS only.
    document = _save("listener", document, "Https", protocol="HTTP", port="8080")
    assert {"Certificates", "SslPolicy"}.isdisjoint(document["Resources"]["Https"]["Properties"])


def test_a_certificate_needs_domain_names_and_an_https_listener_needs_a_certificate():
    form = _refused("certificate", demo_document(), logical_id="C", domain_name="not a name")
    assert form.errors["domain_name"]
    form = _refused(
        "certificate", demo_document(), logical_id="C", alternative_names="ok.example.com, -bad-"
    )
    assert "-bad-" in form.errors["alternative_names"][0]
    form = _refused(
        "listener",
        demo_document(),
        logical_id="L",
        load_balancer="LoadBalancer",
        protocol="HTTPS",
        port="443",
        **{"forward-0-target_group": "WebTargets"},
    )
    assert form.errors["certificate"]


# --- Network and Gateway Load Balancers --------------------------------------------------------
def _nlb(document, **changes):
    return _save(
        "load-balancer",
        document,
        **{
            "logical_id": "Nlb",
            "lb_type": "network",
            "scheme": "internet-facing",
            "subnets": ["SubnetA", "SubnetB"],
            "elastic_ips": "on",
            **changes,
        },
    )


def test_an_nlb_with_an_elastic_ip_per_zone_created_and_removed_with_it():
    document = _nlb(demo_document())
    mappings = document["Resources"]["Nlb"]["Properties"]["SubnetMappings"]
    assert mappings == [
        {
            "SubnetId": {"Ref": "SubnetA"},
            "AllocationId": {"Fn::GetAtt": ["NlbSubnetAEip", "AllocationId"]},
        },
        {
            "SubnetId": {"Ref": "SubnetB"},
            "AllocationId": {"Fn::GetAtt": ["NlbSubnetBEip", "AllocationId"]},
        },
    ]
    assert document["Resources"]["NlbSubnetAEip"] == {
        "Type": "AWS::EC2::EIP",
        "Properties": {"Domain": "vpc"},
    }
    assert "Subnets" not in document["Resources"]["Nlb"]["Properties"]
    nlb = next(lb for lb in _valid(document).load_balancers if lb.name == "Nlb")
    assert [node.elastic_ip for node in nlb.nodes] == ["NlbSubnetAEip", "NlbSubnetBEip"]
    assert editor("load-balancer", document, "Nlb").initial["elastic_ips"] is True
    # One zone fewer: its Elastic IP goes; no Elastic IPs: plain Subnets again.
    fewer = _save("load-balancer", document, "Nlb", subnets=["SubnetA"])
    assert "NlbSubnetBEip" not in fewer["Resources"]
    plain = _save("load-balancer", document, "Nlb", elastic_ips="")
    assert plain["Resources"]["Nlb"]["Properties"]["Subnets"] == [
        {"Ref": "SubnetA"},
        {"Ref": "SubnetB"},
    ]
    assert not editing.of_type(plain, editing.EIP)


def test_an_internal_nlb_gets_no_elastic_ips():
    document = _nlb(demo_document(), scheme="internal")
    assert not editing.of_type(document, editing.EIP)
    assert "Subnets" in document["Resources"]["Nlb"]["Properties"]


def test_an_nlb_forwards_tcp_to_a_tcp_target_group():
    document = _nlb(demo_document())
    document = _save(
        "target-group",
        document,
        logical_id="Tcp",
        protocol="TCP",
        port="80",
        hc_protocol="HTTP",
        hc_path="/health",
        **{"targets-0-resource": "Web1"},
    )
    document = _save(
        "listener",
        document,
        logical_id="TcpListener",
        load_balancer="Nlb",
        protocol="TCP",
        port="80",
        **{"forward-0-target_group": "Tcp"},
    )
    topology = _valid(document)
    listener = next(lb for lb in topology.load_balancers if lb.name == "Nlb").listeners[0]
    assert (listener.protocol, listener.port) == ("TCP", 80)


@pytest.mark.parametrize(("lb_type", "protocol"), [("application", "UDP"), ("network", "HTTP")])
def test_a_listener_protocol_must_suit_the_load_balancer_type(lb_type, protocol):
    document = demo_document()
    if lb_type == "network":
        document = _nlb(document)
    lb = "Nlb" if lb_type == "network" else "LoadBalancer"
    form = _refused(
        "listener",
        document,
        logical_id="L",
        load_balancer=lb,
        protocol=protocol,
        port="81",
        **{"forward-0-target_group": "WebTargets"},
    )
    assert form.errors["protocol"]


def test_a_gwlb_has_no_scheme_security_groups_or_listener_protocol():
    document = _save(
        "load-balancer",
        demo_document(),
        logical_id="Gwlb",
        lb_type="gateway",
        subnets=["SubnetA", "SubnetB"],
        security_groups=["LoadBalancerSecurityGroup"],
    )
    assert document["Resources"]["Gwlb"]["Properties"] == {
        "Type": "gateway",
        "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
    }
    document = _save(
        "target-group",
        document,
        logical_id="Appliances",
        protocol="GENEVE",
        port="",
        hc_protocol="TCP",
        hc_port="80",
        **{"targets-0-resource": "Web1"},
    )
    assert document["Resources"]["Appliances"]["Properties"]["Port"] == 6081
    document = _save(
        "listener",
        document,
        logical_id="GwlbListener",
        load_balancer="Gwlb",
        protocol="",
        port="",
        **{"forward-0-target_group": "Appliances"},
    )
    properties = document["Resources"]["GwlbListener"]["Properties"]
    assert {"Protocol", "Port"}.isdisjoint(properties)
    gwlb = next(lb for lb in _valid(document).load_balancers if lb.name == "Gwlb")
    assert gwlb.listeners[0].protocol == "GENEVE"
    again = editor("listener", document, "GwlbListener")
    assert (again.initial["protocol"], again.initial["port"]) == ("", None)


def test_target_group_protocol_rules_are_checked_in_the_form():
    form = _refused("target-group", demo_document(), logical_id="G", protocol="GENEVE", port="80")
    assert form.errors["port"]
    form = _refused(
        "target-group",
        demo_document(),
        logical_id="G",
        protocol="TCP",
        port="80",
        hc_path="/health",
    )
    assert form.errors["hc_path"]
    form = _refused("target-group", demo_document(), logical_id="G", protocol="", port="80")
    assert form.errors["protocol"]


def test_an_nlb_target_group_can_hold_an_alb():
    document = _starter("nlb-in-front-of-alb")
    document = _save(
        "target-group",
        document,
        "AlbTargets",
        **{"targets-0-resource": "ApplicationLoadBalancer", "targets-0-port": "80"},
    )
    assert document["Resources"]["AlbTargets"]["Properties"]["Targets"] == [
        {"Id": {"Ref": "ApplicationLoadBalancer"}, "Port": 80}
    ]
    _valid(document)


# --- Classic Load Balancers ---------------------------------------------------------------------
def _classic(document, **changes):
    return _save(
        "classic-load-balancer",
        document,
        **{
            "logical_id": "Clb",
            "subnets": ["SubnetA", "SubnetB"],
            "security_groups": ["LoadBalancerSecurityGroup"],
            "instances": ["Web1", "Web3"],
            "cross_zone": "on",
            "listeners-0-protocol": "HTTP",
            "listeners-0-port": "80",
            "listeners-0-instance_port": "80",
            "hc_protocol": "HTTP",
            "hc_port": "80",
            "hc_path": "/health",
            **changes,
        },
    )


def test_a_classic_load_balancer_round_trips():
    document = _classic(demo_document())
    assert document["Resources"]["Clb"]["Properties"] == {
        "Scheme": "internet-facing",
        "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
        "SecurityGroups": [{"Ref": "LoadBalancerSecurityGroup"}],
        "Instances": [{"Ref": "Web1"}, {"Ref": "Web3"}],
        "CrossZone": True,
        "Listeners": [{"LoadBalancerPort": "80", "InstancePort": "80", "Protocol": "HTTP"}],
        "HealthCheck": {
            "Target": "HTTP:80/health",
            "HealthyThreshold": "10",
            "UnhealthyThreshold": "2",
            "Interval": "30",
            "Timeout": "5",
        },
    }
    clb = next(lb for lb in _valid(document).load_balancers if lb.name == "Clb")
    assert clb.type == "classic"
    assert [t.id for t in clb.instances] == ["Web1", "Web3"]
    assert clb.health_check.path == "/health"
    assert _save("classic-load-balancer", document, "Clb") == document


def test_a_classic_https_listener_takes_a_certificate():
    document = _save("certificate", demo_document(), logical_id="Cert")
    document = _classic(
        document,
        **{
            "listeners-1-protocol": "HTTPS",
            "listeners-1-port": "443",
            "listeners-1-instance_port": "80",
            "listeners-1-instance_protocol": "HTTP",
            "listeners-1-certificate": "Cert",
            "listeners-TOTAL_FORMS": "2",
        },
    )
    listener = document["Resources"]["Clb"]["Properties"]["Listeners"][1]
    assert listener["SSLCertificateId"] == {"Ref": "Cert"}
    clb = next(lb for lb in _valid(document).load_balancers if lb.name == "Clb")
    assert clb.listeners[1].certificates == ("www.example.com",)


def test_a_classic_load_balancer_refuses_what_aws_refuses():
    document = demo_document()
    form = _refused(
        "classic-load-balancer",
        document,
        logical_id="Clb",
        subnets=["SubnetA"],
        **{
            "listeners-0-protocol": "HTTPS",
            "listeners-0-port": "443",
            "listeners-0-instance_port": "80",
            "listeners-0-instance_protocol": "TCP",
        },
    )
    row = form.rows["listeners"].forms[0]
    assert row.errors["certificate"] and row.errors["instance_protocol"]
    form = _refused(
        "classic-load-balancer",
        document,
        logical_id="Clb",
        subnets=["SubnetA"],
        hc_protocol="TCP",
        hc_interval="5",
        hc_timeout="5",
        **{"listeners-0-port": "80", "listeners-0-instance_port": "80"},
    )
    assert form.errors["hc_timeout"]
    form = _refused("classic-load-balancer", document, logical_id="Clb", subnets=["SubnetA"])
    assert form.non_field_errors()


# --- auto scaling groups ---------------------------------------------------------------------
def _fleet(document, **changes):
    return _save(
        "auto-scaling-group",
        document,
        **{
            "logical_id": "Fleet",
            "min_size": "1",
            "max_size": "4",
            "desired_capacity": "3",
            "subnets": ["SubnetA", "SubnetB"],
            "target_groups": ["WebTargets"],
            "security_groups": ["WebSecurityGroup"],
            "app_latency_ms": "20",
            **changes,
        },
    )


def test_an_auto_scaling_group_and_its_launch_template():
    document = _fleet(demo_document())
    names = list(document["Resources"])
    assert names.index("FleetLaunchTemplate") == names.index("Fleet") - 1
    assert document["Resources"]["FleetLaunchTemplate"]["Properties"] == {
        "LaunchTemplateData": {
            "ImageId": "ami-0abcdef1234567890",
            "InstanceType": "t3.micro",
            "SecurityGroupIds": [{"Ref": "WebSecurityGroup"}],
        }
    }
    fleet = document["Resources"]["Fleet"]
    assert fleet["Properties"] == {
        "MinSize": "1",
        "MaxSize": "4",
        "DesiredCapacity": "3",
        "LaunchTemplate": {
            "LaunchTemplateId": {"Ref": "FleetLaunchTemplate"},
            "Version": {"Fn::GetAtt": ["FleetLaunchTemplate", "LatestVersionNumber"]},
        },
        "VPCZoneIdentifier": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
        "TargetGroupARNs": [{"Ref": "WebTargets"}],
    }
    assert fleet["Metadata"] == {"Playground": {"App": {"LatencyMs": 20}}}
    topology = _valid(document)
    assert topology.auto_scaling_groups[0].instances == ("Fleet-1", "Fleet-2", "Fleet-3")
    web = next(g for g in topology.target_groups if g.name == "WebTargets")
    assert {"Fleet-1", "Fleet-2", "Fleet-3"} <= {t.id for t in web.targets}
    again = _save(
        "auto-scaling-group", document, "Fleet", instance_type="t3.small", security_groups=[]
    )
    data = again["Resources"]["FleetLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert data == {"ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.small"}
    assert len(editing.of_type(again, editing.LAUNCH_TEMPLATE)) == 1


def test_the_desired_capacity_lies_between_min_and_max():
    form = _refused(
        "auto-scaling-group",
        demo_document(),
        logical_id="Fleet",
        min_size="1",
        max_size="2",
        desired_capacity="3",
        subnets=["SubnetA"],
    )
    assert form.errors["desired_capacity"]
    form = _refused(
        "auto-scaling-group",
        demo_document(),
        logical_id="Fleet",
        min_size="3",
        max_size="2",
        subnets=["SubnetA"],
    )
    assert form.errors["max_size"]


# --- deleting ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "owner", "companions"),
    [
        (_with_function, "Echo", {"EchoPermission"}),
        (_nlb, "Nlb", {"NlbSubnetAEip", "NlbSubnetBEip"}),
        (_fleet, "Fleet", {"FleetLaunchTemplate"}),
    ],
)
def test_deleting_a_resource_deletes_what_was_created_with_it(build, owner, companions):
    document = build(demo_document())
    assert set(editing.companions(document, owner)) == companions
    left = editing.delete_with_companions(document, owner)
    assert not ({owner, *companions} & set(left["Resources"]))
    _valid(left)


def test_a_companion_another_resource_uses_stays():
    document = _nlb(demo_document())
    document["Resources"]["Other"] = {
        "Type": "AWS::EC2::EIP",
        "Properties": {"Domain": "vpc"},
        "DependsOn": "NlbSubnetAEip",
    }
    assert editing.companions(document, "Nlb") == ["NlbSubnetBEip"]


@pytest.mark.parametrize(
    ("build", "used", "referrer"),
    [
        (
            lambda d: _save(
                "target-group",
                _with_function(d),
                logical_id="Fn",
                target_type="lambda",
                **{"targets-0-resource": "Echo"},
            ),
            "Echo",
            "Fn",
        ),
        (
            lambda d: _save(
                "listener",
                _save("certificate", d, logical_id="Cert"),
                logical_id="Https",
                load_balancer="LoadBalancer",
                protocol="HTTPS",
                port="443",
                certificate="Cert",
                **{"forward-0-target_group": "WebTargets"},
            ),
            "Cert",
            "Https",
        ),
        (_classic, "Web3", "Clb"),
        (_fleet, "WebTargets", "Fleet"),
    ],
)
def test_deleting_a_resource_that_is_used_names_who_uses_it(build, used, referrer):
    document = build(demo_document())
    problems = _problems(editing.delete_with_companions(document, used))
    assert referrer in {problem.logical_id for problem in problems}


def test_what_the_new_forms_write_passes_cfn_lint():
    api = pytest.importorskip("cfnlint.api")
    document = _fleet(_classic(_nlb(_with_function(demo_document()))))
    document = _save(
        "target-group",
        document,
        logical_id="Fn",
        target_type="lambda",
        **{"targets-0-resource": "Echo"},
    )
    document = _save("listener", document, "HttpListener", **{"forward-0-target_group": "Fn"})
    document = _save("certificate", document, logical_id="Cert", alternative_names="example.com")
    document = _save(
        "target-group",
        document,
        logical_id="Tcp",
        protocol="TCP",
        port="443",
        **{"targets-0-resource": "Web1"},
    )
    document = _save(
        "listener",
        document,
        logical_id="Tls",
        load_balancer="Nlb",
        protocol="TLS",
        port="443",
        certificate="Cert",
        alpn_policy="HTTP2Optional",
        **{"forward-0-target_group": "Tcp"},
    )
    document = _save(
        "load-balancer",
        document,
        logical_id="Gwlb",
        lb_type="gateway",
        subnets=["SubnetA", "SubnetB"],
    )
    document = _save(
        "target-group",
        document,
        logical_id="Geneve",
        protocol="GENEVE",
        port="6081",
        hc_protocol="TCP",
        hc_port="80",
        **{"targets-0-resource": "Web2"},
    )
    document = _save(
        "listener",
        document,
        logical_id="GwlbListener",
        load_balancer="Gwlb",
        protocol="",
        port="",
        **{"forward-0-target_group": "Geneve"},
    )
    _valid(document)
    matches = api.lint(
        editing.dump_yaml(document),
        config=api.ManualArgs(regions=["us-east-1"], ignore_checks=["W3010"]),
    )
    assert [str(match) for match in matches] == []


def _parameter_subnets_document():
    """A template written for any account: its load balancer's subnets are a parameter."""
    return cfn.parse_document(
        (
            Path(__file__).resolve().parents[1] / "templates" / "vpc_parameter_alb_asg.yaml"
        ).read_text()
    )


def test_the_load_balancer_form_shows_and_keeps_a_subnet_list_parameter():
    document = _parameter_subnets_document()
    unchanged = EDITORS["load-balancer"](document=document, original_id="LoadBalancer")

    assert unchanged["subnets"].value() == ["PublicSubnets"]
    assert ("PublicSubnets", "PublicSubnets (parameter: a list of subnets)") in unchanged.fields[
        "subnets"
    ].choices
    saved = _save("load-balancer", document, "LoadBalancer")
    properties = saved["Resources"]["LoadBalancer"]["Properties"]
    assert properties["Subnets"] == {"Ref": "PublicSubnets"}
    assert cfn.validate(saved) == []


def test_a_subnet_list_parameter_is_chosen_alone():
    document = _parameter_subnets_document()
    document["Resources"]["ExtraSubnet"] = {
        "Type": "AWS::EC2::Subnet",
        "Properties": {
            "VpcId": {"Ref": "VpcId"},
            "CidrBlock": "10.0.9.0/24",
            "AvailabilityZone": "us-east-1a",
        },
    }
    form = EDITORS["load-balancer"](
        form_data(
            editor("load-balancer", document, "LoadBalancer"),
            subnets=["PublicSubnets", "ExtraSubnet"],
        ),
        document=document,
        original_id="LoadBalancer",
    )

    assert not form.is_valid()
    assert "stands for all of the load balancer's subnets" in form.errors["subnets"][0]
