"""Scripted clients behave as browsers: every request is sent and answered, or errs."""

import json

import pytest

from labs.runtime.orchestrator import ScriptedRequest
from labs.runtime.traffic import Response

from .helpers import of_type, run_script, topology

pytestmark = pytest.mark.timeout(60)
URL = "http://demo.example.com/"


def _idle_timeout(seconds):
    def edit(document):
        document["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": str(seconds)}
        ]

    return edit


async def test_more_distinct_clients_than_one_address_block_are_all_answered():
    script = [ScriptedRequest(url=URL) for _ in range(300)]
    events, lab = await run_script(topology(), *script, clock_speed=30)
    assert len(lab.answers) == 300
    assert all(isinstance(a, Response) and a.status == 200 for a in lab.answers)
    assert len({e["client_ip"] for e in of_type(events, "request")}) == 300


async def test_a_client_whose_kept_alive_connection_the_lb_closed_reconnects():
    script = [
        ScriptedRequest(url=URL + "first", client="a"),
        # 5 lab seconds idle, past the LB's 1 s idle timeout: the LB closed the connection.
        ScriptedRequest(url=URL + "second", client="a", wait=5),
    ]
    events, lab = await run_script(topology(_idle_timeout(1)), *script, clock_speed=10)
    assert [a.status if isinstance(a, Response) else a for a in lab.answers] == [200, 200]
    paths = [e["path"] for e in of_type(events, "request") if e["elb_status_code"] == 200]
    assert paths == ["/first", "/second"]


async def test_a_100_continue_answer_is_skipped_for_the_final_one():
    script = [
        ScriptedRequest(
            url=URL + "upload",
            method="POST",
            headers=(("Expect", "100-continue"),),
            body=b"hello",
            client="a",
        ),
        ScriptedRequest(url=URL + "after", client="a"),  # same connection: nothing left over
    ]
    _events, lab = await run_script(topology(), *script)
    first, second = lab.answers
    assert isinstance(first, Response) and isinstance(second, Response)
    assert first.status == 200
    assert json.loads(first.body)["path"] == "/upload"
    assert json.loads(second.body)["path"] == "/after"


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (ScriptedRequest(url="http://demo.example.com:99999/"), "Port out of range 0-65535"),
        (ScriptedRequest(url=URL, client_ip="::1"), "client_ip '::1' is not an IPv4 address"),
        (ScriptedRequest(url=URL, headers=(("X-Name", "김"),)), "not Latin-1"),
        (ScriptedRequest(url="http://demo.example.com:8080/"), "no listener on port 8080"),
    ],
)
async def test_a_request_that_cannot_be_sent_is_answered_with_its_error(request_, error):
    _events, lab = await run_script(topology(), request_, ScriptedRequest(url=URL))
    assert len(lab.answers) == 2  # the run went on after the bad one
    assert isinstance(lab.answers[0], str)
    assert error in lab.answers[0]
    assert isinstance(lab.answers[1], Response)
