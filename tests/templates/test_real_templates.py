"""Templates in the shapes real ones take (company templates on an existing VPC, tutorials,
AWS samples): each imports, and each runs headless and serves what it defines."""

from collections import Counter
from pathlib import Path

import pytest

from labs import cfn
from tests.commands import json_lines, manage

HERE = Path(__file__).parent
pytestmark = pytest.mark.timeout(90)

# template → (parameters, unmodelled types kept aside, parameters given stand-ins)
TEMPLATES = {
    "vpc_parameter_alb_asg.yaml": (
        {},
        {"AWS::IAM::Role", "AWS::IAM::InstanceProfile"},
        {"VpcId", "PublicSubnets"},
    ),
    "https_certificate_parameter.yaml": ({}, {"AWS::Route53::RecordSet"}, {"CertificateArn"}),
    "nlb_eips_getazs.yaml": ({}, {"AWS::CloudWatch::Dashboard"}, set()),
    "classic_launch_configuration.yaml": ({}, set(), set()),
    "conditions_mappings_sub.yaml": ({"Environment": "prod"}, {"AWS::CloudWatch::Alarm"}, set()),
    "ecs_service_path_rules.yaml": (
        {},
        {"AWS::ECS::Cluster", "AWS::ECS::TaskDefinition"},
        {"VpcId", "PublicSubnets"},
    ),
    "vpc_igw_public_private_alias.yaml": (
        {},
        {"AWS::EC2::NatGateway", "AWS::Route53::RecordSet"},
        set(),
    ),
}


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_template_imports_with_what_it_does_not_simulate_set_aside(name):
    parameters, unmodelled, stand_ins = TEMPLATES[name]
    text = (HERE / name).read_text()

    resolved = cfn.resolve(text, parameters)
    topology = cfn.load_topology(text, parameters=parameters)

    assert resolved.problems == []
    assert {u.type for u in resolved.unmodelled} == unmodelled
    assert set(resolved.stand_ins) == stand_ins
    assert cfn.runnable(topology) is None


def run(name: str, *parameters: str) -> list[dict]:
    result = manage(
        "lab",
        "run",
        str(HERE / name),
        "--duration",
        "3",
        "--rps",
        "20",
        "--json",
        *(f"--parameter={p}" for p in parameters),
        timeout=80,
    )
    assert result.returncode == 0, result.stderr
    return json_lines(result)


@pytest.mark.parametrize(
    "name", [n for n in TEMPLATES if n != "nlb_eips_getazs.yaml"], ids=lambda n: n[:-5]
)
def test_generated_traffic_reaches_the_targets_and_gets_2xx(name):
    parameters = [f"{k}={v}" for k, v in TEMPLATES[name][0].items()]

    events = run(name, *parameters)

    statuses = Counter(e["elb_status_code"] for e in events if e["type"] == "request")
    assert statuses, "no request was generated"
    assert set(statuses) == {200}, statuses
    assert all(e["target"] for e in events if e["type"] == "request")


def test_the_nlb_template_carries_flows_to_both_targets():
    events = run("nlb_eips_getazs.yaml")

    flows = [e for e in events if e["type"] == "flow" and e.get("target")]
    assert flows
    assert {f["target"].split(":")[1] for f in flows} == {"8080"}


def test_the_https_template_serves_the_certificate_parameter_s_stand_in_over_tls():
    events = run("https_certificate_parameter.yaml")

    served = [e for e in events if e["type"] == "request" and e["elb_status_code"] == 200]
    assert served
    assert {(e["listener"], e["host"]) for e in served} == {(443, "shop.example.com")}
    assert all(e["log"].startswith("https ") and '"arn:aws:acm:' in e["log"] for e in served)


def test_a_parameter_given_on_the_command_line_decides_what_is_created():
    dev = run("conditions_mappings_sub.yaml")
    prod = run("conditions_mappings_sub.yaml", "Environment=prod")

    def targets(events):
        return {e["target"] for e in events if e["type"] == "request" and e["target"]}

    assert len(targets(dev)) == 1  # Web2's condition IsProd is false in dev
    assert len(targets(prod)) == 2
    assert {t.rsplit(".", 2)[0] for t in targets(prod)} == {"10.70"}


def test_each_ecs_service_s_tasks_are_dummy_targets_in_its_target_group():
    resolved = cfn.resolve((HERE / "ecs_service_path_rules.yaml").read_text())

    services = {
        (s.logical_id, s.target_group, s.tasks, s.network_mode) for s in resolved.ecs_services
    }
    assert services == {
        ("ApiService", "ApiTargets", 2, "awsvpc"),
        ("WebService", "WebTargets", 3, "bridge"),
    }
    resources = resolved.document["Resources"]
    api = resources["ApiTargets"]["Properties"]["Targets"]
    assert [t["Port"] for t in api] == [8080, 8080]  # ip targets, one per task's address
    web = resources["WebTargets"]["Properties"]["Targets"]
    assert [t["Port"] for t in web] == [32768, 32769, 32770]  # dynamic host ports


def test_the_ecs_template_routes_each_path_to_its_service_s_tasks():
    events = run("ecs_service_path_rules.yaml")

    served = [e for e in events if e["type"] == "request" and e["elb_status_code"] == 200]
    by_path = {}
    for e in served:
        by_path.setdefault(e["path"], set()).add(e["target"].split(":")[1])
    assert set(by_path["/api/users"]) == {"8080"}
    assert by_path["/"] == {"32768", "32769", "32770"}


def test_an_ecs_service_s_desired_count_must_be_a_small_whole_number():
    text = (HERE / "ecs_service_path_rules.yaml").read_text()
    text = text.replace("DesiredCount: 3", "DesiredCount: lots")

    problems = cfn.resolve(text).problems

    assert [(p.logical_id, p.path, p.rule) for p in problems] == [
        ("WebService", "Properties.DesiredCount", "value.integer-range")
    ]


def test_a_desired_count_in_superscript_digits_is_a_problem_not_a_value_error():
    # "²".isdigit() is true but int("²") raises.
    text = (HERE / "ecs_service_path_rules.yaml").read_text()
    text = text.replace("DesiredCount: 3", "DesiredCount: '\u00b2'")

    problems = cfn.resolve(text).problems

    assert [(p.logical_id, p.path, p.rule) for p in problems] == [
        ("WebService", "Properties.DesiredCount", "value.integer-range")
    ]


def test_a_host_the_certificate_does_not_cover_fails_the_handshake_and_is_counted(tmp_path):
    text = (HERE / "https_certificate_parameter.yaml").read_text()
    mismatched = tmp_path / "mismatch.yaml"
    mismatched.write_text(
        text + "Metadata:\n  Playground:\n    Traffic:\n      Host: www.other.example.net\n"
    )

    events = run(str(mismatched))

    failed = [e for e in events if e["type"] == "tls.error"]
    assert failed, "no TLS handshake failure was reported"
    assert {(e["lb"], e["listener"], e["host"]) for e in failed} == {
        ("LoadBalancer", 443, "www.other.example.net")
    }
    assert all("Hostname mismatch" in e["reason"] for e in failed)
    counted = sum(
        m["load_balancers"].get("LoadBalancer", {}).get("ClientTLSNegotiationErrorCount", 0)
        for m in events
        if m["type"] == "metrics"
    )
    summary = next(e["summary"] for e in events if e["type"] == "run.status" and e.get("summary"))
    assert counted == summary["tls_errors"] == len(failed)
    assert not [e for e in events if e["type"] == "request"]


def test_generated_traffic_asks_for_the_route_53_alias_of_the_load_balancer(tmp_path):
    # A rule for another host comes first: without the alias, the traffic would guess it.
    text = (HERE / "vpc_igw_public_private_alias.yaml").read_text()
    admin = (
        "  AdminRule:\n"
        "    Type: AWS::ElasticLoadBalancingV2::ListenerRule\n"
        "    Properties:\n"
        "      ListenerArn: !Ref PublicListener\n"
        "      Priority: 5\n"
        "      Conditions:\n"
        "        - {Field: host-header, HostHeaderConfig: {Values: [admin.example.com]}}\n"
        "      Actions:\n"
        "        - {Type: fixed-response, FixedResponseConfig: {StatusCode: '403'}}\n"
    )
    edited = tmp_path / "alias.yaml"
    edited.write_text(text.replace("  WwwRule:\n", admin + "  WwwRule:\n", 1))
    assert cfn.load_topology(edited.read_text()).traffic.host == "admin.example.com"

    events = run(str(edited))

    requests = [e for e in events if e["type"] == "request"]
    assert requests
    assert {(e["lb"], e["host"], e["elb_status_code"]) for e in requests} == {
        ("PublicLoadBalancer", "www.example.com", 200)
    }
