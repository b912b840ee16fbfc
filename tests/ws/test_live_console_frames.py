"""The live lab's frames on the run page's socket: console requests, traffic settings and
faults (on an instance or a zone), checked before anything reaches the worker."""

from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import ValidationError

from labs import services
from playground.asgi import application
from tests.factories import make_run, make_topology

from .test_run_controls import _connected, _skip_snapshot_request

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
NLB = (
    Path(__file__).resolve().parents[2] / "labs" / "starters" / "nlb-static-ips.yaml"
).read_text()
REQUEST = {
    "action": "request",
    "id": "c-1",
    "method": "GET",
    "host": "shop.example.com",
    "path": "/api/orders",
    "query": "?page=2",
    "headers": [["X-Debug", "1"]],
    "cookies": [["session", "abc123"]],
    "client_ip": "203.0.113.25",
}


async def _running(learner, channel, **fields):
    return await database_sync_to_async(make_run)(
        owner=learner, state="running", control_channel=channel, **fields
    )


async def test_a_console_request_reaches_the_worker_checked_and_complete(
    ws_headers, learner, control_channel
):
    layer, channel = control_channel
    ws = await _connected(await _running(learner, channel), ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": REQUEST})
    message = await layer.receive(channel)
    assert message["type"] == "run.control" and message["by"] == "learner"
    assert message["command"] == {
        **REQUEST,
        "lb": "LoadBalancer",
        "listener": 80,
        "query": "page=2",  # the leading ? is the page's, not the query's
        "forget_cookies": False,
    }
    assert await ws.receive_nothing()
    await ws.disconnect()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"headers": [["X-Evil\r\nX-Injected", "1"]]}, "header name"),
        ({"headers": [["X-Ok", "1\r\nX-Injected: yes"]]}, "CR (\\r)"),
        ({"headers": [["Bad Name", "1"]]}, "header name"),
        ({"headers": [["Content-Length", "5"]]}, "cannot be set"),
        ({"headers": [["Host", "x"]]}, "its own field"),
        ({"headers": [["X-Big", "x" * 5000]]}, "at most 1024"),
        ({"headers": [["X", "1"]] * 21}, "at most 20 headers"),
        ({"headers": "X-Debug: 1"}, "[name, value]"),
        ({"path": "/a b"}, "a space"),
        ({"path": "/a\r\nGET /smuggled HTTP/1.1"}, "CR (\\r)"),
        ({"path": "no-slash"}, "must start with /"),
        ({"path": "/" + "a" * 3000}, "at most 2048"),
        ({"path": "/?x=1"}, "its own field"),
        ({"query": "a=1#frag"}, "#"),
        ({"host": "evil.com\r\nX: y"}, "Host header"),
        ({"method": "CONNECT"}, "HTTP method"),
        ({"cookies": [["s", "a;b"]]}, "cookie s"),
        ({"cookies": [["s p", "1"]]}, "cookie name"),
        ({"client_ip": "10.0.5.5"}, "internet-facing"),
        ({"client_ip": "127.0.0.1"}, "internet-facing"),
        ({"client_ip": "10.0.1.10"}, "belongs to a load balancer node or a target"),
        ({"client_ip": "::1"}, "not an IPv4 address"),
        ({"client_ip": "nope"}, "not an IPv4 address"),
        ({"listener": 8080}, "HTTP listeners"),
        ({"forget_cookies": "yes"}, "true or false"),
        ({"id": "<script>"}, "request id"),
    ],
)
async def test_a_hostile_console_request_is_refused_by_name_and_reaches_no_worker(
    ws_headers, learner, control_channel, change, words
):
    layer, channel = control_channel
    ws = await _connected(await _running(learner, channel), ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": {**REQUEST, **change}})
    reply = await ws.receive_json_from(TIMEOUT)
    assert reply["error"] == "ValidationError"
    assert words in reply["message"]
    await ws.disconnect()
    await layer.send(channel, {"type": "probe"})
    assert await layer.receive(channel) == {"type": "probe"}  # nothing came before it


async def test_an_nlb_tcp_listener_is_said_not_to_be_an_http_listener(
    ws_headers, learner, control_channel
):
    layer, channel = control_channel
    topology = await database_sync_to_async(make_topology)(document=NLB)
    ws = await _connected(await _running(learner, channel, topology=topology), ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": {**REQUEST, "host": ""}})
    reply = await ws.receive_json_from(TIMEOUT)
    assert "is a TCP listener, not an HTTP one" in reply["message"]
    await ws.disconnect()


@pytest.mark.parametrize(
    "command",
    [
        {"action": "traffic", "paused": True},
        {"action": "traffic", "clients": 3, "keep_alive": False},
        {
            "action": "traffic",
            "mix": [
                {"path": "/api/x?y=1", "host": "", "headers": [["X-A", "b"]], "weight": 3},
                {"path": "/", "host": "", "headers": [], "weight": 1},
            ],
        },
        {"action": "fault", "az": "us-east-1a", "mode": "5xx"},
        {"action": "fault", "target": "10.0.1.10:80", "mode": "flap"},
        {"action": "fault", "target": "10.0.1.10:80", "mode": "normal"},
    ],
)
async def test_traffic_settings_and_faults_go_to_the_worker(
    ws_headers, learner, control_channel, command
):
    layer, channel = control_channel
    ws = await _connected(await _running(learner, channel), ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": command})
    assert (await layer.receive(channel))["command"] == command
    await ws.disconnect()


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ({"action": "traffic"}, "Say what to change"),
        ({"action": "traffic", "clients": 0}, "from 1 to 200"),
        ({"action": "traffic", "clients": 2.5}, "whole number"),
        ({"action": "traffic", "paused": "no"}, "true or false"),
        ({"action": "traffic", "mix": []}, "1 to 10"),
        ({"action": "traffic", "mix": [{"path": "/a", "weight": 0}]}, "weight"),
        ({"action": "traffic", "mix": [{"path": "/a", "headers": [["A\nB", "c"]]}]}, "header"),
        ({"action": "fault", "az": "us-west-2a", "mode": "5xx"}, "not an Availability Zone"),
        ({"action": "fault", "target": "10.0.1.10:80", "mode": "melt"}, "fault mode"),
    ],
)
async def test_bad_traffic_settings_and_faults_are_refused_by_name(
    ws_headers, learner, control_channel, command, words
):
    layer, channel = control_channel
    ws = await _connected(await _running(learner, channel), ws_headers)
    await _skip_snapshot_request(layer, channel)
    await ws.send_json_to({"action": "control", "command": command})
    reply = await ws.receive_json_from(TIMEOUT)
    assert reply["error"] == "ValidationError" and words in reply["message"]
    await ws.disconnect()


async def test_another_learner_cannot_inject_a_fault(learner, other_learner):
    run = await database_sync_to_async(make_run)(
        owner=other_learner, state="running", control_channel="specific.x!y"
    )
    with pytest.raises(Exception, match="someone else's run"):
        await database_sync_to_async(services.inject_fault)(
            learner, run, "5xx", target="10.0.1.10:80"
        )


async def test_inject_fault_is_the_one_checked_way_in(learner, control_channel):
    layer, channel = control_channel
    run = await _running(learner, channel)
    with pytest.raises(ValidationError):
        await database_sync_to_async(services.inject_fault)(learner, run, "5xx", az="nowhere")
    sent = await database_sync_to_async(services.inject_fault)(
        learner, run, "hang", az="us-east-1b"
    )
    assert sent == {"action": "fault", "az": "us-east-1b", "mode": "hang"}
    assert (await layer.receive(channel))["command"] == sent


async def test_a_stranger_cannot_open_the_socket(ws_headers, other_learner):
    run = await database_sync_to_async(make_run)(owner=other_learner, state="running")
    ws = WebsocketCommunicator(application, f"/ws/runs/{run.pk}/", headers=ws_headers)
    connected, _ = await ws.connect()
    assert not connected
    await ws.disconnect()
