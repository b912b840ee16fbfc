"""Each builder form reads a resource and writes it back; the rule editor covers every
condition type and action."""

import pytest

from labs import cfn, editing
from labs.forms import EDITORS
from tests.builder.helpers import demo_document, editor, form_data, rule_data

DEMO_RESOURCES = [
    "Vpc",
    "SubnetA",
    "LoadBalancerSecurityGroup",
    "WebSecurityGroup",
    "Web1",
    "LoadBalancer",
    "WebTargets",
    "HttpListener",
]


@pytest.mark.parametrize("logical_id", DEMO_RESOURCES)
def test_saving_a_form_unchanged_keeps_the_resource(logical_id):
    document = demo_document()
    resource_type = document["Resources"][logical_id]["Type"]
    kind = next(k for k, f in EDITORS.items() if getattr(f, "resource_type", "") == resource_type)
    form = EDITORS[kind](
        form_data(editor(kind, document, logical_id)), document=document, original_id=logical_id
    )
    assert form.is_valid(), form.errors
    assert form.updated_document() == document


def test_the_traffic_form_writes_the_paths_a_run_sends():
    document = demo_document()
    form = EDITORS["traffic"](
        form_data(editor("traffic", document), paths="/users\n/posts\n"), document=document
    )
    assert form.is_valid(), form.errors
    topology = cfn.load_topology(editing.dump_yaml(form.updated_document()))
    assert topology.traffic.paths == ("/users", "/posts")


def test_a_path_rule_forwards_to_its_target_group():
    document = demo_document()
    form = EDITORS["listener-rule"](
        rule_data(document, "UsersRule", 10, "/users, /users/*", "WebTargets"), document=document
    )
    assert form.is_valid(), form.errors
    rule = form.updated_document()["Resources"]["UsersRule"]
    assert rule == {
        "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "Properties": {
            "ListenerArn": {"Ref": "HttpListener"},
            "Priority": 10,
            "Conditions": [
                {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/users", "/users/*"]}}
            ],
            "Actions": [{"Type": "forward", "TargetGroupArn": {"Ref": "WebTargets"}}],
        },
    }


@pytest.mark.parametrize(
    ("field", "values", "header", "config"),
    [
        (
            "host-header",
            "one.example.com",
            "",
            {"HostHeaderConfig": {"Values": ["one.example.com"]}},
        ),
        (
            "http-header",
            "beta",
            "X-Channel",
            {"HttpHeaderConfig": {"HttpHeaderName": "X-Channel", "Values": ["beta"]}},
        ),
        (
            "http-request-method",
            "GET, HEAD",
            "",
            {"HttpRequestMethodConfig": {"Values": ["GET", "HEAD"]}},
        ),
        (
            "query-string",
            "version=v2, =debug",
            "",
            {
                "QueryStringConfig": {
                    "Values": [{"Key": "version", "Value": "v2"}, {"Value": "debug"}]
                }
            },
        ),
        ("source-ip", "203.0.113.0/24", "", {"SourceIpConfig": {"Values": ["203.0.113.0/24"]}}),
    ],
)
def test_every_condition_type_round_trips(field, values, header, config):
    document = demo_document()
    data = rule_data(document, "Rule", 5, "/", "WebTargets")
    data.update(
        {
            "conditions-0-field": field,
            "conditions-0-values": values,
            "conditions-0-header_name": header,
        }
    )
    form = EDITORS["listener-rule"](data, document=document)
    assert form.is_valid(), form.errors
    written = form.updated_document()
    assert written["Resources"]["Rule"]["Properties"]["Conditions"] == [{"Field": field, **config}]
    again = editor("listener-rule", written, "Rule")
    assert again.rows["conditions"].forms[0].initial["values"] == values


def test_a_weighted_forward_with_stickiness():
    document = demo_document()
    data = rule_data(document, "Rule", 5, "/", "WebTargets")
    data.update(
        {"forward-0-weight": "80", "stickiness_enabled": "on", "stickiness_duration": "300"}
    )
    form = EDITORS["listener-rule"](data, document=document)
    assert form.is_valid(), form.errors
    action = form.updated_document()["Resources"]["Rule"]["Properties"]["Actions"][0]
    assert action == {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": {"Ref": "WebTargets"}, "Weight": 80}],
            "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300},
        },
    }


def test_redirect_and_fixed_response_actions():
    document = demo_document()
    redirect = rule_data(document, "Rule", 5, "/old", "")
    redirect.update(
        {
            "action_type": "redirect",
            "redirect_protocol": "HTTPS",
            "redirect_port": "443",
            "redirect_status": "HTTP_302",
        }
    )
    form = EDITORS["listener-rule"](redirect, document=document)
    assert form.is_valid(), form.errors
    action = form.updated_document()["Resources"]["Rule"]["Properties"]["Actions"][0]
    assert action == {
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_302"},
    }
    fixed = {
        **redirect,
        "action_type": "fixed-response",
        "fixed_status": "503",
        "fixed_body": "down",
    }
    form = EDITORS["listener-rule"](fixed, document=document)
    assert form.is_valid(), form.errors
    action = form.updated_document()["Resources"]["Rule"]["Properties"]["Actions"][0]
    assert action == {
        "Type": "fixed-response",
        "FixedResponseConfig": {
            "StatusCode": "503",
            "ContentType": "text/plain",
            "MessageBody": "down",
        },
    }


def test_a_forward_needs_a_target_group():
    document = demo_document()
    form = EDITORS["listener-rule"](rule_data(document, "Rule", 5, "/", ""), document=document)
    assert not form.is_valid()
    assert form.errors["action_type"]


def test_a_logical_id_is_letters_and_digits_and_unique():
    document = demo_document()
    for name, code in (("Web-1", "logical_id"), ("Web1", "duplicate")):
        data = form_data(editor("instance", document), logical_id=name, subnet="SubnetA")
        form = EDITORS["instance"](data, document=document)
        assert not form.is_valid()
        assert form.errors.as_data()["logical_id"][0].code == code


def test_a_new_instance_gets_its_app_behaviour_in_playground_metadata():
    document = demo_document()
    data = form_data(
        editor("instance", document),
        logical_id="Slow",
        subnet="SubnetB",
        security_groups=["WebSecurityGroup"],
        app_latency_ms="250",
        app_status="503",
    )
    form = EDITORS["instance"](data, document=document)
    assert form.is_valid(), form.errors
    slow = form.updated_document()["Resources"]["Slow"]
    assert slow["Metadata"] == {"Playground": {"App": {"Status": 503, "LatencyMs": 250}}}
    assert slow["Properties"]["SecurityGroupIds"] == [{"Ref": "WebSecurityGroup"}]


def test_a_security_group_rule_takes_a_cidr_or_a_group_not_both():
    document = demo_document()
    data = form_data(
        editor("security-group", document),
        logical_id="Sg",
        **{"ingress-0-cidr": "0.0.0.0/0", "ingress-0-source_group": "WebSecurityGroup"},
    )
    form = EDITORS["security-group"](data, document=document)
    assert not form.is_valid()
    assert form.rows["ingress"].forms[0].non_field_errors()


def test_target_group_health_check_attributes_and_targets():
    document = demo_document()
    data = form_data(
        editor("target-group", document),
        logical_id="Api",
        hc_path="/ping",
        hc_interval="10",
        hc_matcher="200-299",
        attributes="deregistration_delay.timeout_seconds=30",
        **{"targets-0-resource": "Web1", "targets-1-resource": "Web3", "targets-1-port": "8080"},
    )
    form = EDITORS["target-group"](data, document=document)
    assert form.is_valid(), form.errors
    properties = form.updated_document()["Resources"]["Api"]["Properties"]
    assert properties["HealthCheckPath"] == "/ping"
    assert properties["HealthCheckIntervalSeconds"] == 10
    assert properties["Matcher"] == {"HttpCode": "200-299"}
    assert properties["TargetGroupAttributes"] == [
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}
    ]
    assert properties["Targets"] == [{"Id": {"Ref": "Web1"}}, {"Id": {"Ref": "Web3"}, "Port": 8080}]


def test_a_problem_lands_next_to_the_field_that_caused_it():
    document = demo_document()
    first = EDITORS["listener-rule"](
        rule_data(document, "A", 10, "/a", "WebTargets"), document=document
    )
    assert first.is_valid()
    document = first.updated_document()
    second = EDITORS["listener-rule"](
        rule_data(document, "B", 10, "/b", "WebTargets"), document=document
    )
    assert second.is_valid()
    with pytest.raises(cfn.TemplateError) as raised:
        cfn.load_topology(editing.dump_yaml(second.updated_document()))
    rest = second.show_problems(raised.value.problems)
    assert rest == []
    assert "(B.Properties.Priority, PriorityInUse)" in second.errors["priority"][0]
