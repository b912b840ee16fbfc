"""The Classic Load Balancer on real loopback sockets (spec §8, §9)."""

import json

import pytest

from labs.runtime.orchestrator import LabRuntime, RunOptions, ScriptedRequest

from .helpers import EventLog, of_type, run_script, run_until, starter

pytestmark = pytest.mark.timeout(60)
URL = "http://classic.example.com/"


def _lb(document):
    return document["Resources"]["LoadBalancer"]["Properties"]


def _app(document, instance, **app):
    resource = document["Resources"][instance]
    resource.setdefault("Metadata", {}).setdefault("Playground", {})["App"] = app


def classic(*edits):
    def edit(document):
        for change in edits:
            change(document)

    return starter("classic-lb.yaml", edit)


def _sticky(document):
    _lb(document)["LBCookieStickinessPolicy"] = [
        {"PolicyName": "Sticky", "CookieExpirationPeriod": "60"}
    ]
    _lb(document)["Listeners"][0]["PolicyNames"] = ["Sticky"]


def _requests(events):
    return of_type(events, "request")


async def test_an_http_listener_forwards_to_an_instance_with_x_forwarded_headers():
    events, _ = await run_script(
        classic(), ScriptedRequest(url=URL + "users", client_ip="198.51.100.7")
    )

    [request] = _requests(events)
    assert request["elb_status_code"] == 200
    assert request["target"] in ("10.0.1.10:80", "10.0.2.10:80")
    assert request["reason"] == "least_outstanding_requests"
    assert request["trace"]["target"]["algorithm"] == "least_outstanding_requests"
    # The dummy target echoes what it received: the CLB's headers, in append mode.
    assert request["headers_sent"]["X-Forwarded-For"] == "198.51.100.7"
    assert request["headers_sent"]["X-Forwarded-Proto"] == "http"
    assert request["headers_sent"]["X-Forwarded-Port"] == "80"


async def test_the_echo_shows_the_instance_received_x_forwarded_for():
    _, lab = await run_script(
        classic(),
        ScriptedRequest(
            url=URL, client_ip="198.51.100.8", headers=(("X-Forwarded-For", "203.0.113.1"),)
        ),
    )

    [answer] = lab.answers
    assert not isinstance(answer, str)
    assert b"203.0.113.1, 198.51.100.8" in answer.body.lower()


async def test_only_200_is_healthy_so_a_302_health_answer_keeps_the_instance_out_of_service():
    topo = classic(lambda d: _app(d, "Web2", HealthStatus=302))

    events, lab = await run_until(
        topo,
        lambda evs: any(
            e["type"] == "health" and e["target"] == "10.0.2.10:80" and e["reason"] == "Instance"
            for e in evs
        ),
    )

    failed = [e for e in of_type(events, "health") if e["target"] == "10.0.2.10:80"][-1]
    assert failed["state"] == "OutOfService"
    assert failed["description"] == (
        "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
    )
    assert failed["check"]["status"] == 302
    assert lab.summary()["health"]["LoadBalancer/10.0.1.10:80"] == "InService"


async def test_an_instance_starts_out_of_service_while_its_registration_is_in_progress():
    events, _ = await run_until(
        classic(),
        lambda evs: any(e["type"] == "health" and e["state"] == "InService" for e in evs),
    )

    first = of_type(events, "health")[0]
    assert (first["state"], first["reason"]) == ("OutOfService", "ELB")
    assert first["description"] == "Instance registration is still in progress."


async def test_the_awselb_cookie_pins_a_client_to_one_instance():
    events, _ = await run_script(classic(_sticky), *[ScriptedRequest(url=URL, client="a")] * 4)

    requests = _requests(events)
    assert {r["elb_status_code"] for r in requests} == {200}
    assert len({r["target"] for r in requests}) == 1
    assert [r["reason"] for r in requests] == ["least_outstanding_requests"] + ["sticky:AWSELB"] * 3
    [issued] = requests[0]["response_headers"]["Set-Cookie"]
    assert issued.startswith("AWSELB=") and "EXPIRES=" in issued
    # Duration-based stickiness never refreshes the cookie (§8).
    assert all("Set-Cookie" not in r["response_headers"] for r in requests[1:])


async def test_503_when_no_instance_is_in_service():
    topo = classic(
        lambda d: _app(d, "Web1", HealthStatus=500), lambda d: _app(d, "Web2", HealthStatus=500)
    )

    events, _ = await run_script(topo, ScriptedRequest(url=URL))

    [request] = _requests(events)
    assert request["elb_status_code"] == 503
    assert request["error_reason"] == "NoHealthyInstances"
    assert request["target"] is None


async def test_cross_zone_off_keeps_each_node_to_its_own_zones_instances():
    topo = classic(lambda d: _lb(d).update(CrossZone=False))

    events, _ = await run_until(
        topo, lambda evs: len([e for e in evs if e["type"] == "request"]) >= 20, rps=40
    )

    requests = _requests(events)
    zone_of = {"10.0.1.10:80": "us-east-1a", "10.0.2.10:80": "us-east-1b"}
    assert {r["node_az"] for r in requests} == {"us-east-1a", "us-east-1b"}
    assert all(zone_of[r["target"]] == r["node_az"] for r in requests)
    assert all(r["trace"]["target"]["cross_zone"] is False for r in requests)


async def test_a_tcp_listener_passes_bytes_through_without_headers():
    def tcp(document):
        _lb(document)["Listeners"] = [
            {"LoadBalancerPort": "80", "InstancePort": "80", "Protocol": "TCP"}
        ]

    events, lab = await run_script(classic(tcp), ScriptedRequest(url=URL, client_ip="198.51.100.9"))

    [answer] = lab.answers
    assert not isinstance(answer, str) and answer.status == 200
    assert b"x-forwarded-for" not in answer.body.lower()  # §8: no header changes on TCP
    [flow] = of_type(events, "flow")
    assert flow["reason"] == "round_robin"
    assert flow["protocol"] == "TCP"
    assert flow["bytes_from_client"] > 0 and flow["bytes_from_target"] > 0
    assert not _requests(events)


async def test_connection_draining_keeps_in_service_until_the_timeout_then_out_of_service():
    def draining(document):
        _lb(document)["ConnectionDrainingPolicy"] = {"Enabled": True, "Timeout": 3}

    log = EventLog()
    options = RunOptions(duration=30, clock_speed=10, requests=())
    async with LabRuntime(classic(draining), options, log.emit, sample_events=False) as lab:
        await log.wait_for(lambda e: e["type"] == "health" and e["state"] == "InService")
        inservice = next(
            e["target"] for e in log.events if e["type"] == "health" and e["state"] == "InService"
        )
        lab.control({"action": "deregister", "target_group": "LoadBalancer", "target": inservice})
        await log.wait_for(
            lambda e: (
                e["type"] == "health"
                and e["description"] == "Instance deregistration currently in progress."
            )
        )
        await log.wait_for(
            lambda e: (
                e["type"] == "health"
                and e["description"]
                == "Instance is not currently registered with the LoadBalancer."
            )
        )
    mine = [e for e in log.events if e["type"] == "health" and e["target"] == inservice]
    draining_event = next(e for e in mine if "deregistration" in e["description"])
    gone = next(e for e in mine if "not currently registered" in e["description"])
    assert draining_event["state"] == "InService"  # §8: InService while draining
    assert gone["state"] == "OutOfService"
    assert gone["t"] - draining_event["t"] >= 3


def _tls(protocol):
    def edit(document):
        document["Resources"]["Certificate"] = {
            "Type": "AWS::CertificateManager::Certificate",
            "Properties": {"DomainName": "www.example.com", "ValidationMethod": "DNS"},
        }
        document["Resources"]["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"][
            0
        ].update(FromPort=443, ToPort=443)
        _lb(document)["Listeners"] = [
            {
                "LoadBalancerPort": "443",
                "InstancePort": "80",
                "Protocol": protocol,
                "InstanceProtocol": "HTTP" if protocol == "HTTPS" else "TCP",
                "SSLCertificateId": {"Ref": "Certificate"},
            }
        ]

    return edit


@pytest.mark.parametrize(
    ("protocol", "kind"), [("HTTPS", "request"), ("SSL", "flow")], ids=["https", "ssl"]
)
async def test_tls_listeners_terminate_at_the_node(protocol, kind):
    events, lab = await run_script(
        classic(_tls(protocol)), ScriptedRequest(url="https://www.example.com/")
    )

    [answer] = lab.answers
    assert not isinstance(answer, str) and answer.status == 200
    [event] = of_type(events, kind)
    assert event["protocol"] == protocol
    if protocol == "HTTPS":
        assert event["headers_sent"]["X-Forwarded-Proto"] == "https"
        assert b'["x-forwarded-proto", "https"]' in answer.body.lower()


def _tls_to_instances(protocol):
    """The listener's InstanceProtocol speaks TLS to the instances on 443, checked over
    TLS too: the dummy instances serve TLS with a certificate from the run's CA."""
    front = "HTTPS" if protocol == "HTTPS" else "SSL"

    def edit(document):
        _tls(front)(document)
        listener = _lb(document)["Listeners"][0]
        listener.update(InstancePort="443", InstanceProtocol=protocol)
        _lb(document)["HealthCheck"]["Target"] = (
            "HTTPS:443/health" if protocol == "HTTPS" else "SSL:443"
        )
        web = document["Resources"]["WebSecurityGroup"]["Properties"]["SecurityGroupIngress"]
        web[0].update(FromPort=443, ToPort=443)

    return edit


@pytest.mark.parametrize(
    ("protocol", "kind"), [("HTTPS", "request"), ("SSL", "flow")], ids=["https", "ssl"]
)
async def test_https_and_ssl_instance_protocols_speak_tls_to_the_instances(protocol, kind):
    events, lab = await run_script(
        classic(_tls_to_instances(protocol)),
        ScriptedRequest(url="https://www.example.com/users", wait=12),
        clock_speed=5,
    )

    [answer] = lab.answers
    assert not isinstance(answer, str) and answer.status == 200, answer
    echo = json.loads(answer.body)
    assert echo["tls"] in ("TLSv1.2", "TLSv1.3")  # what the instance's socket spoke
    assert echo["address"] in ("10.0.1.10:443", "10.0.2.10:443")
    [event] = of_type(events, kind)
    assert event["target"] == echo["address"]
    # The checks spoke TLS too: a plain HTTP check against a TLS port would never pass.
    checks = [e for e in of_type(events, "health") if e["check"]]
    assert checks and all(e["check"]["passed"] for e in checks)
    assert {e["state"] for e in of_type(events, "health")} >= {"InService"}


async def test_a_plain_http_check_against_a_tls_instance_port_fails():
    def plain_check(document):
        _tls_to_instances("HTTPS")(document)
        _lb(document)["HealthCheck"]["Target"] = "HTTP:443/health"

    events, _ = await run_until(
        classic(plain_check),
        lambda evs: any(e["type"] == "health" and e["reason"] == "Instance" for e in evs),
    )
    failed = [e for e in of_type(events, "health") if e["check"] and not e["check"]["passed"]]
    assert failed
    assert not any(e["state"] == "InService" for e in of_type(events, "health"))
