"""A scripted or console request whose TLS handshake fails, on real loopback sockets: it
comes back as a structured ``tls.error`` (with why, as a code and in the library's words),
counted as ClientTLSNegotiationErrorCount, never as bare text."""

from __future__ import annotations

import pytest

from labs.engine import events
from labs.engine.events import TlsNegotiationError
from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, starter
from .test_control import Lab

pytestmark = pytest.mark.timeout(60)
# https-redirect's certificate is for www.example.com only.
UNCOVERED = "shop.example.net"


async def test_a_scripted_request_for_a_host_the_certificate_does_not_cover_answers_tls_error():
    emitted, lab = await run_script(
        starter("https-redirect.yaml"),
        ScriptedRequest(url=f"https://{UNCOVERED}/", client_ip="203.0.113.21"),
        ScriptedRequest(url="https://www.example.com/", client_ip="203.0.113.22"),
    )
    failed, served = lab.answers
    assert isinstance(failed, TlsNegotiationError), failed
    assert (failed.lb, failed.listener, failed.client_ip, failed.host) == (
        "LoadBalancer",
        443,
        "203.0.113.21",
        UNCOVERED,
    )
    assert failed.code == "hostname-mismatch"
    assert UNCOVERED in failed.reason  # the library's own words name the host
    assert served.status == 200  # the covered name still gets through
    (reported,) = of_type(emitted, "tls.error")
    assert reported == failed.wire()
    events.validate(reported)
    assert lab.summary()["tls_errors"] == 1
    requests = of_type(emitted, "request")
    assert [r["client_ip"] for r in requests] == ["203.0.113.22"]  # nothing sent by the first


async def test_a_console_request_whose_handshake_fails_answers_with_the_code_and_reason():
    # Real-time clock, 60 s: longer than both waits below (10 s each) together.
    async with Lab(starter("https-redirect.yaml"), rps=1, clock_speed=1, duration=60) as lab:
        await lab.wait_for(lambda e: e["type"] == "health")
        answer = await lab.runtime.send_request(
            {
                "id": "tls-1",
                "method": "GET",
                "path": "/",
                "host": UNCOVERED,
                "listener": 443,
                "client_ip": "198.51.100.31",
            }
        )
        await lab.wait_for(lambda e: e["type"] == "tls.error" and e["client_ip"] == "198.51.100.31")
    events.validate(answer)
    assert (answer["type"], answer["id"], answer["listener"]) == ("console", "tls-1", 443)
    assert "status" not in answer
    assert answer["tls_error"] == "hostname-mismatch"
    assert UNCOVERED in answer["error"] and "SSLCertVerificationError" not in answer["error"]
    (reported,) = [e for e in of_type(lab.events, "tls.error") if e["client_ip"] == "198.51.100.31"]
    assert (reported["host"], reported["code"], reported["reason"]) == (
        UNCOVERED,
        "hostname-mismatch",
        answer["error"],
    )
