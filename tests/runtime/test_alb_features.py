"""ALB data-plane behaviour on real sockets: redirects, stickiness, forwarded headers."""

import json
from collections import Counter

import pytest

from labs.engine import stickiness
from labs.engine.events import TlsNegotiationError
from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, run_until, topology

pytestmark = pytest.mark.timeout(30)


def _attributes(resource, **values):
    def edit(document):
        props = document["Resources"][resource]["Properties"]
        key = (
            "TargetGroupAttributes"
            if "TargetGroup" in document["Resources"][resource]["Type"]
            else "LoadBalancerAttributes"
        )
        props[key] = [{"Key": k, "Value": v} for k, v in values.items()]

    return edit


def _default_action(action):
    def edit(document):
        document["Resources"]["HttpListener"]["Properties"]["DefaultActions"] = [action]

    return edit


def _echo_headers(answer):
    return {name.lower(): value for name, value in json.loads(answer.body)["headers"]}


async def test_a_redirect_to_https_keeps_host_path_and_query():
    redirect = {
        "Type": "redirect",
        "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
    }
    events, lab = await run_script(
        topology(_default_action(redirect)),
        ScriptedRequest(url="http://one.example.com/users?id=1"),
    )
    answer = lab.answers[0]
    assert answer.status == 301
    assert dict(answer.headers)["Location"] == "https://one.example.com:443/users?id=1"
    request = of_type(events, "request")[0]
    assert request["action"] == "redirect"
    assert request["target"] is None
    assert request["redirect_url"] == "https://one.example.com:443/users?id=1"
    assert request["response_headers"]["Location"] == "https://one.example.com:443/users?id=1"
    assert '"redirect"' in request["log"] and "https://one.example.com:443" in request["log"]


async def test_a_fixed_response_answers_without_a_target():
    fixed = {
        "Type": "fixed-response",
        "FixedResponseConfig": {
            "StatusCode": "404",
            "ContentType": "application/json",
            "MessageBody": '{"no":1}',
        },
    }
    events, lab = await run_script(
        topology(_default_action(fixed)), ScriptedRequest(url="http://one.example.com/")
    )
    assert lab.answers[0].status == 404
    assert lab.answers[0].body == b'{"no":1}'
    assert of_type(events, "request")[0]["action"] == "fixed-response"


async def test_lb_cookie_stickiness_pins_a_client_to_one_target():
    sticky = _attributes(
        "WebTargets", **{"stickiness.enabled": "true", "stickiness.type": "lb_cookie"}
    )
    events, _ = await run_script(
        topology(sticky), *[ScriptedRequest(url="http://one.example.com/", client="a")] * 5
    )
    requests = of_type(events, "request")
    assert len({r["target"] for r in requests}) == 1
    assert requests[0]["reason"] == "round_robin"
    assert {r["reason"] for r in requests[1:]} == {"sticky:AWSALB"}
    cookies = requests[0]["response_headers"]["Set-Cookie"]
    assert cookies[0].startswith("AWSALB=") and "Path=/" in cookies[0] and "Expires=" in cookies[0]
    assert cookies[1].startswith("AWSALBCORS=") and "SameSite=None; Secure" in cookies[1]


async def test_without_stickiness_the_same_client_is_spread_round_robin():
    events, _ = await run_script(
        topology(), *[ScriptedRequest(url="http://one.example.com/", client="a")] * 3
    )
    assert len({r["target"] for r in of_type(events, "request")}) == 3


async def test_a_forged_stickiness_cookie_pins_nothing():
    sticky = _attributes("WebTargets", **{"stickiness.enabled": "true"})
    forged = stickiness.encode(stickiness.Pin("WebTargets", "10.0.1.11:80", 1e9), b"guess")
    events, _ = await run_script(
        topology(sticky),
        ScriptedRequest(url="http://one.example.com/", headers=(("Cookie", f"AWSALB={forged}"),)),
    )
    assert of_type(events, "request")[0]["reason"] == "round_robin"


async def test_app_cookie_stickiness_pins_once_the_application_sets_its_cookie():
    def edit(document):
        _attributes(
            "WebTargets",
            **{
                "stickiness.enabled": "true",
                "stickiness.type": "app_cookie",
                "stickiness.app_cookie.cookie_name": "SESSIONID",
            },
        )(document)
        document["Resources"]["Web2"]["Metadata"] = {
            "Playground": {"App": {"SetCookie": "SESSIONID=abc"}}
        }

    events, _ = await run_script(
        topology(edit), *[ScriptedRequest(url="http://one.example.com/", client="a")] * 5
    )
    requests = of_type(events, "request")
    # Web1 answers without the application cookie: nothing is pinned, round robin moves on;
    # Web2 sets SESSIONID, the ALB adds AWSALBAPP-0 and the client stays on Web2.
    assert [r["target"] for r in requests] == ["10.0.1.10:80"] + ["10.0.1.11:80"] * 4
    assert "Set-Cookie" not in requests[0]["response_headers"]
    app_cookies = [
        c for c in requests[1]["response_headers"]["Set-Cookie"] if c.startswith("AWSALBAPP-0=")
    ]
    assert len(app_cookies) == 1 and "SameSite" not in app_cookies[0]
    assert {r["reason"] for r in requests[2:]} == {"sticky:AWSALBAPP-0"}


async def test_xff_preserve_mode_forwards_the_header_untouched():
    preserve = _attributes(
        "LoadBalancer", **{"routing.http.xff_header_processing.mode": "preserve"}
    )
    _, lab = await run_script(
        topology(preserve),
        ScriptedRequest(url="http://one.example.com/", headers=(("X-Forwarded-For", "192.0.2.1"),)),
        ScriptedRequest(url="http://one.example.com/"),
    )
    assert _echo_headers(lab.answers[0])["x-forwarded-for"] == "192.0.2.1"
    assert "x-forwarded-for" not in _echo_headers(lab.answers[1])


async def test_xff_remove_mode_strips_the_header():
    remove = _attributes("LoadBalancer", **{"routing.http.xff_header_processing.mode": "remove"})
    _, lab = await run_script(
        topology(remove),
        ScriptedRequest(url="http://one.example.com/", headers=(("X-Forwarded-For", "192.0.2.1"),)),
    )
    assert "x-forwarded-for" not in _echo_headers(lab.answers[0])


async def test_xff_client_port_appends_the_clients_port():
    with_port = _attributes("LoadBalancer", **{"routing.http.xff_client_port.enabled": "true"})
    events, lab = await run_script(
        topology(with_port), ScriptedRequest(url="http://one.example.com/", client_ip="203.0.113.7")
    )
    port = of_type(events, "request")[0]["client_port"]
    assert _echo_headers(lab.answers[0])["x-forwarded-for"] == f"203.0.113.7:{port}"


async def test_more_than_30_forwarded_addresses_get_463():
    addresses = ", ".join(f"192.0.2.{n}" for n in range(31))
    events, lab = await run_script(
        topology(),
        ScriptedRequest(url="http://one.example.com/", headers=(("X-Forwarded-For", addresses),)),
        ScriptedRequest(
            url="http://one.example.com/",
            headers=(("X-Forwarded-For", ", ".join(f"192.0.2.{n}" for n in range(30))),),
        ),
    )
    assert [a.status for a in lab.answers] == [463, 200]
    assert of_type(events, "request")[0]["target"] is None


async def test_host_header_keeps_a_non_default_port_and_drops_port_80():
    _, lab = await run_script(
        topology(),
        ScriptedRequest(url="http://one.example.com/", headers=(("Host", "One.Example.com:80"),)),
    )
    assert _echo_headers(lab.answers[0])["host"] == "one.example.com"


async def test_preserve_host_header_sends_the_host_unchanged():
    preserve = _attributes("LoadBalancer", **{"routing.http.preserve_host_header.enabled": "true"})
    _, lab = await run_script(
        topology(preserve),
        ScriptedRequest(url="http://one.example.com/", headers=(("Host", "One.Example.com:80"),)),
    )
    assert _echo_headers(lab.answers[0])["host"] == "One.Example.com:80"


async def test_weighted_forward_splits_by_weight():
    def weighted(document):
        resources = document["Resources"]
        green = json.loads(json.dumps(resources["WebTargets"]))
        green["Properties"]["Targets"] = [{"Id": {"Ref": "Web3"}}]
        resources["WebTargets"]["Properties"]["Targets"] = [
            {"Id": {"Ref": "Web1"}},
            {"Id": {"Ref": "Web2"}},
        ]
        resources["GreenTargets"] = green
        resources["HttpListener"]["Properties"]["DefaultActions"] = [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": {"Ref": "WebTargets"}, "Weight": 80},
                        {"TargetGroupArn": {"Ref": "GreenTargets"}, "Weight": 20},
                    ]
                },
            }
        ]

    events, _ = await run_script(
        topology(weighted), *[ScriptedRequest(url="http://one.example.com/")] * 200, seed=7
    )
    groups = Counter(r["target_group"] for r in of_type(events, "request"))
    assert 120 <= groups["WebTargets"] <= 190 and groups["GreenTargets"] >= 10
    assert {r["target_group_reason"] for r in of_type(events, "request")} == {"weighted"}


def _https(document):
    resources = document["Resources"]
    resources["SiteCertificate"] = {
        "Type": "AWS::CertificateManager::Certificate",
        "Properties": {
            "DomainName": "one.example.com",
            "SubjectAlternativeNames": ["*.one.example.com"],
            "ValidationMethod": "DNS",
        },
    }
    resources["HttpsListener"] = {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "LoadBalancer"},
            "Protocol": "HTTPS",
            "Port": 443,
            "Certificates": [{"CertificateArn": {"Ref": "SiteCertificate"}}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "WebTargets"}}],
        },
    }
    resources["HttpListener"]["Properties"]["DefaultActions"] = [
        {
            "Type": "redirect",
            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
        }
    ]
    for name in ("LoadBalancerSecurityGroup",):
        resources[name]["Properties"]["SecurityGroupIngress"].append(
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}
        )


async def test_https_terminates_tls_with_the_listeners_certificate_and_sni():
    events, lab = await run_script(
        topology(_https),
        ScriptedRequest(url="http://one.example.com/users?id=1"),
        ScriptedRequest(url="https://one.example.com/users?id=1"),
        ScriptedRequest(url="https://api.one.example.com/"),
        ScriptedRequest(url="https://other.example.com/"),
    )
    redirect, secure, wildcard, other = lab.answers
    assert redirect.status == 301
    assert dict(redirect.headers)["Location"] == "https://one.example.com:443/users?id=1"
    assert [a.status for a in (secure, wildcard)] == [200, 200]
    # No certificate covers other.example.com: the default one is presented, and a client
    # that checks names refuses it, as a browser would.
    assert isinstance(other, TlsNegotiationError)
    assert (other.code, other.host) == ("hostname-mismatch", "other.example.com")
    headers = _echo_headers(secure)
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-port"] == "443"
    log = of_type(events, "request")[1]["log"]
    assert log.startswith("https ")
    assert " TLSv1." in log and '"one.example.com"' in log
    assert '"api.one.example.com"' in of_type(events, "request")[2]["log"]
    assert len(of_type(events, "request")) == 3


def _app(**behaviour):
    def edit(document):
        for name in ("Web1", "Web2", "Web3"):
            document["Resources"][name]["Metadata"] = {"Playground": {"App": behaviour}}

    return edit


@pytest.mark.parametrize(("mode", "status"), [("reset", 502), ("garbage", 502), ("hang", 504)])
async def test_a_misbehaving_target_gets_the_status_aws_gives(mode, status):
    idle = _attributes("LoadBalancer", **{"idle_timeout.timeout_seconds": "2"})

    def edit(document):
        _app(Mode=mode)(document)
        idle(document)

    events, lab = await run_script(
        topology(edit), ScriptedRequest(url="http://a.example.com/"), clock_speed=30
    )
    assert lab.answers[0].status == status
    request = of_type(events, "request")[0]
    assert request["elb_status_code"] == status
    assert request["target"] is not None and request["target_status_code"] is None
    assert request["error_reason"]


async def test_an_error_rate_of_one_makes_every_answer_a_500_from_the_target():
    events, lab = await run_script(
        topology(_app(ErrorRate=1)), *[ScriptedRequest(url="http://a.example.com/")] * 3
    )
    assert [a.status for a in lab.answers] == [500] * 3
    assert {r["target_status_code"] for r in of_type(events, "request")} == {500}


@pytest.mark.parametrize("cross_zone", ["true", "false"])
async def test_cross_zone_off_keeps_each_nodes_requests_in_its_zone(cross_zone):
    edit = _attributes("WebTargets", **{"load_balancing.cross_zone.enabled": cross_zone})
    events, _ = await run_script(
        topology(edit),
        *[
            ScriptedRequest(url="http://one.example.com/", client_ip=f"203.0.113.{n}")
            for n in range(1, 41)
        ],
    )
    by_zone = {}
    for request in of_type(events, "request"):
        by_zone.setdefault(request["node_az"], Counter())[request["target"]] += 1
    assert set(by_zone) == {"us-east-1a", "us-east-1b"}  # clients reached both nodes
    if cross_zone == "false":
        assert set(by_zone["us-east-1a"]) == {"10.0.1.10:80", "10.0.1.11:80"}
        assert set(by_zone["us-east-1b"]) == {"10.0.2.10:80"}
    else:
        assert set(by_zone["us-east-1b"]) == {"10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"}


async def test_cross_zone_off_answers_503_on_a_node_whose_zone_has_no_target():
    def edit(document):
        _attributes("WebTargets", **{"load_balancing.cross_zone.enabled": "false"})(document)
        document["Resources"]["WebTargets"]["Properties"]["Targets"] = [
            {"Id": {"Ref": "Web1"}},
            {"Id": {"Ref": "Web2"}},
        ]

    events, _ = await run_script(
        topology(edit),
        *[
            ScriptedRequest(url="http://one.example.com/", client_ip=f"203.0.113.{n}")
            for n in range(1, 21)
        ],
    )
    statuses = {(r["node_az"], r["elb_status_code"]) for r in of_type(events, "request")}
    assert statuses == {("us-east-1a", 200), ("us-east-1b", 503)}


async def test_a_slow_starting_instance_comes_into_service_after_its_start_up():
    def booting(document):
        document["Resources"]["Web1"]["Metadata"] = {"Playground": {"App": {"StartupSeconds": 40}}}

    def web1_healthy(events):
        return any(
            e["type"] == "health" and e["target"] == "10.0.1.10:80" and e["state"] == "healthy"
            for e in events
        )

    # Two failed checks (t=0, 30) make Web1 unhealthy; five passes (t=60..180) bring it back:
    # 180 lab seconds are 6 s at 30x, so 10 s left a slow machine little room.
    events, _ = await run_until(topology(booting), web1_healthy, within=20, rps=5, clock_speed=30)
    checks = [
        e
        for e in of_type(events, "health")
        if e["target"] == "10.0.1.10:80" and e["check"] is not None
    ]
    assert checks[0]["check"]["error"] == "timeout"  # nothing answers while it boots
    assert checks[-1]["state"] == "healthy" and checks[-1]["t"] >= 40


async def test_latency_jitter_spreads_target_response_times():
    def jitter(document):
        for name in ("Web1", "Web2", "Web3"):
            document["Resources"][name]["Metadata"] = {
                "Playground": {"App": {"LatencyMs": 30, "LatencyJitterMs": 25}}
            }

    events, _ = await run_script(
        topology(jitter), *[ScriptedRequest(url="http://one.example.com/")] * 12
    )
    times = [e["latency_ms"]["target"] for e in of_type(events, "request")]
    assert min(times) >= 4 and max(times) - min(times) > 10


async def test_response_headers_over_32_kb_get_502():
    def huge(document):
        document["Resources"]["Web1"]["Metadata"] = {
            "Playground": {"App": {"SetCookie": "big=" + "x" * 33_000}}
        }
        document["Resources"]["WebTargets"]["Properties"]["Targets"] = [{"Id": {"Ref": "Web1"}}]

    events, lab = await run_script(topology(huge), ScriptedRequest(url="http://a.example.com/"))
    assert lab.answers[0].status == 502
    assert of_type(events, "request")[0]["error_reason"] == "TargetResponseTooLarge"


async def test_target_group_stickiness_keeps_a_client_on_its_weighted_group():
    def weighted(document):
        resources = document["Resources"]
        green = json.loads(json.dumps(resources["WebTargets"]))
        green["Properties"]["Targets"] = [{"Id": {"Ref": "Web3"}}]
        resources["GreenTargets"] = green
        resources["HttpListener"]["Properties"]["DefaultActions"] = [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": {"Ref": "WebTargets"}, "Weight": 50},
                        {"TargetGroupArn": {"Ref": "GreenTargets"}, "Weight": 50},
                    ],
                    "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 600},
                },
            }
        ]

    events, _ = await run_script(
        topology(weighted),
        *[ScriptedRequest(url="http://one.example.com/", client=f"c{n % 4}") for n in range(24)],
    )
    by_client = {}
    for request in of_type(events, "request"):
        by_client.setdefault(request["client_ip"], []).append(request)
    for requests in by_client.values():
        assert len({r["target_group"] for r in requests}) == 1
        assert requests[0]["target_group_reason"] == "weighted"
        assert {r["target_group_reason"] for r in requests[1:]} == {"sticky:AWSALBTG"}
        assert any(c.startswith("AWSALBTG=") for c in requests[0]["response_headers"]["Set-Cookie"])
