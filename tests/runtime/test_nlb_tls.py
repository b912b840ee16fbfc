"""NLB TLS listeners on real loopback sockets (spec §6.5): termination, SNI, TLS to targets."""

import json

import pytest

from labs.engine.events import validate
from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, starter

pytestmark = pytest.mark.timeout(60)


def _tls_listener(document, group_protocol="TCP"):
    resources = document["Resources"]
    resources["WwwCert"] = {
        "Type": "AWS::CertificateManager::Certificate",
        "Properties": {
            "DomainName": "www.example.com",
            "SubjectAlternativeNames": ["api.example.com"],
            "ValidationMethod": "DNS",
        },
    }
    listener = resources["TcpListener"]["Properties"]
    listener.update(Protocol="TLS", Port=443, Certificates=[{"CertificateArn": {"Ref": "WwwCert"}}])
    group = resources["TcpTargets"]["Properties"]
    group["Protocol"] = group_protocol
    if group_protocol == "TLS":  # a plain HTTP check cannot talk to a TLS target
        group["HealthCheckProtocol"] = "TCP"
        del group["HealthCheckPath"]


def _tls_to_targets(document):
    _tls_listener(document, "TLS")


def _closed(events):
    return [e for e in of_type(events, "flow") if e["state"] != "open"]


async def test_a_tls_listener_terminates_tls_and_sends_plain_tcp_to_a_tcp_group():
    events, lab = await run_script(
        starter("nlb-static-ips.yaml", _tls_listener),
        ScriptedRequest(url="https://www.example.com/", client_ip="203.0.113.7"),
    )
    answer = lab.answers[0]
    assert answer.status == 200, answer
    echo = json.loads(answer.body)
    assert echo["peer"].startswith("203.0.113.7:")  # instance target: client IP kept
    (flow,) = _closed(events)
    assert flow["listener"] == 443
    assert flow["tls"]["server_name"] == "www.example.com"
    assert flow["tls"]["certificate"] == "www.example.com"
    assert flow["tls"]["version"].startswith("TLS")
    assert flow["tls"]["to_target"] is False
    for event in events:
        validate(event)  # the tls field keeps the event contract


async def test_the_node_reads_sni_and_presents_the_certificate_that_covers_the_name():
    events, lab = await run_script(
        starter("nlb-static-ips.yaml", _tls_listener),
        ScriptedRequest(url="https://api.example.com/"),  # the client checks the name
    )
    assert lab.answers[0].status == 200, lab.answers[0]
    (flow,) = _closed(events)
    assert flow["tls"]["server_name"] == "api.example.com"
    assert flow["tls"]["certificate"] == "www.example.com"  # its alternative name covers it


async def test_a_tls_group_gets_a_new_tls_session_from_the_node():
    events, lab = await run_script(
        starter("nlb-static-ips.yaml", _tls_to_targets),
        ScriptedRequest(url="https://www.example.com/hello"),
    )
    answer = lab.answers[0]
    assert answer.status == 200, answer
    assert json.loads(answer.body)["path"] == "/hello"  # the target read it after TLS
    (flow,) = _closed(events)
    assert flow["tls"]["to_target"] is True  # and the TLS-only target understood it
