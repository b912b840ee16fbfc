"""Spec rows on the wire that the older corner tests did not reach: 505 for another HTTP
version, desync mitigation modes and their access-log fields (§4.2–4.4), and a health
checker that fails itself (``unavailable`` / ``Elb.InternalError``, §3.3)."""

import asyncio
import copy

import pytest

from labs.engine.spec import HealthCheck, Target, TargetGroup
from labs.runtime.clock import LabClock
from labs.runtime.health_checker import TargetChecker
from labs.runtime.orchestrator import ScriptedRequest
from labs.runtime.sandbox import Sandbox
from labs.runtime.targets import start_target

from .helpers import of_type, run_script, starter, topology
from .test_alb_corners import _fields
from .test_alb_features import _https
from .test_client_side import Node, _status
from .test_control import Lab

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", id="HTTP/2 preface"),
        pytest.param(b"GET / HTTP/2.0\r\nHost: a.example.com\r\n\r\n", id="HTTP/2.0 line"),
        pytest.param(b"GET / HTTP/1.2\r\nHost: a.example.com\r\n\r\n", id="HTTP/1.2"),
    ],
)
async def test_another_http_version_on_an_http1_listener_gets_505(raw):
    async with Node() as node:
        answer = await node.exchange(raw)
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 505
    (event,) = of_type(node.events, "request")
    assert (event["elb_status_code"], event["error_reason"]) == (505, "UnsupportedHttpVersion")
    assert _fields(event["log"])[4:10] == ["-", "-1", "-1", "-1", "505", "-"]


def _desync_mode(mode):
    def edit(document):
        document["Resources"]["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "routing.http.desync_mitigation_mode", "Value": mode}
        ]

    return edit


GET_WITH_BODY = b"GET / HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 5\r\n\r\nhello"
GET_EMPTY_LENGTH = b"GET / HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 0\r\n\r\n"
SUSPICIOUS = b"GET / HTTP/1.1\r\nHost: a.example.com\r\nContent_Length: 5\r\n\r\n"
EMPTY = ("Acceptable", "GetHeadZeroContentLength")
UNDEFINED = ("Ambiguous", "UndefinedContentLengthSemantics")


# Severe requests (two Content-Lengths, a NUL in a header...) are refused by the HTTP/1
# parser before any mode is consulted (400 MalformedRequest): the engine's tests cover them.
@pytest.mark.parametrize(
    ("mode", "raw", "status", "classification"),
    [
        ("defensive", GET_EMPTY_LENGTH, 200, EMPTY),
        ("strictest", GET_EMPTY_LENGTH, 400, EMPTY),
        ("strictest", GET_WITH_BODY, 400, UNDEFINED),
        ("monitor", GET_WITH_BODY, 200, UNDEFINED),
        ("monitor", SUSPICIOUS, 200, ("Ambiguous", "SuspiciousHeader")),
    ],
    ids=[
        "defensive allows Acceptable",
        "strictest blocks Acceptable",
        "strictest blocks Ambiguous",
        "monitor allows Ambiguous",
        "monitor allows a suspicious header",
    ],
)
async def test_the_desync_mode_decides_and_the_log_names_the_classification(
    mode, raw, status, classification
):
    async with Node(_desync_mode(mode)) as node:
        answer = await node.exchange(raw)
        await node.wait_for(lambda e: e["type"] == "request")
        await node.wait_for(_non_compliant_counted)
    assert _status(answer) == status
    (event,) = of_type(node.events, "request")
    fields = _fields(event["log"])
    assert fields[27:29] == [f'"{classification[0]}"', f'"{classification[1]}"']
    if status == 400:
        assert event["error_reason"] == "DesyncMitigation"
    counted = [
        lb[NON_COMPLIANT]
        for e in of_type(node.events, "metrics")
        for lb in e["load_balancers"].values()
        if NON_COMPLIANT in lb
    ]
    assert counted == [1]


NON_COMPLIANT = "DesyncMitigationMode_NonCompliant_Request_Count"


def _non_compliant_counted(event) -> bool:
    return event["type"] == "metrics" and any(
        NON_COMPLIANT in lb for lb in event["load_balancers"].values()
    )


async def test_an_ambiguous_request_is_routed_then_both_connections_close():
    async with Node(_desync_mode("defensive")) as node:
        reader, writer = await node.connect()
        writer.write(GET_WITH_BODY)
        async with asyncio.timeout(10):
            answer = await reader.read()  # to EOF: the ALB closes after its answer
        writer.close()
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 200
    (event,) = of_type(node.events, "request")
    assert event["target"] is not None
    assert _fields(event["log"])[27:29] == ['"Ambiguous"', '"UndefinedContentLengthSemantics"']


async def test_a_compliant_request_logs_dashes_for_the_classification():
    async with Node() as node:
        answer = await node.exchange(
            b"GET / HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n"
        )
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 200
    (event,) = of_type(node.events, "request")
    assert _fields(event["log"])[27:29] == ['"-"', '"-"']


WEB1 = Target(id="Web1", ip="10.0.1.10", port=80, az="us-east-1a")


async def test_a_health_checker_that_fails_itself_reports_unavailable_internal_error():
    sandbox = Sandbox()  # the target is not in the address map yet: the checker cannot run
    reports: list[dict] = []
    group = TargetGroup(name="WebTargets", targets=(WEB1,), health_check=HealthCheck())
    states: dict[str, str] = {}
    checker = TargetChecker(
        group,
        WEB1,
        sandbox.loopback("10.0.1.250"),
        sandbox,
        LabClock(1),
        states,
        lambda event: reports.append(event.wire()),
    )
    async with asyncio.timeout(10):
        assert await checker.check_or_fail()
        assert (reports[-1]["state"], reports[-1]["reason"]) == ("unavailable", "Elb.InternalError")
        assert reports[-1]["description"].startswith("Health checks failed due to an internal")
        server = await start_target(WEB1, sandbox, lambda source: True, frozenset({"/"}))
        try:
            assert await checker.check_or_fail()  # the checker works again: one pass
        finally:
            listening = server.server
            server.close()
            if listening is not None:
                await listening.wait_closed()
    assert states == {WEB1.address: "healthy"}
    assert [(r["previous"], r["state"]) for r in reports] == [
        ("initial", "unavailable"),
        ("unavailable", "healthy"),
    ]


def _authenticated(identity_provider=None, on_unauthenticated=None):
    def edit(document):
        _https(document)
        listener = document["Resources"]["HttpsListener"]
        config = {
            "Issuer": "https://idp.example.com",
            "AuthorizationEndpoint": "https://idp.example.com/authorize",
            "TokenEndpoint": "https://idp.example.com/token",
            "UserInfoEndpoint": "https://idp.example.com/userinfo",
            "ClientId": "playground",
            "ClientSecret": "secret",
        }
        if on_unauthenticated:
            config["OnUnauthenticatedRequest"] = on_unauthenticated
        listener["Properties"]["DefaultActions"] = [
            {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": config},
            {"Type": "forward", "Order": 2, "TargetGroupArn": {"Ref": "WebTargets"}},
        ]
        if identity_provider:
            listener["Metadata"] = {"Playground": {"IdentityProvider": identity_provider}}

    return edit


SITE = "https://one.example.com"


async def test_an_authenticate_action_logs_in_through_the_idp_and_then_forwards():
    events, lab = await run_script(
        topology(_authenticated()),
        ScriptedRequest(url=f"{SITE}/private?x=1", client="alice"),
        ScriptedRequest(url=f"{SITE}/oauth2/idpresponse?code=c0de&state=/private", client="alice"),
        ScriptedRequest(url=f"{SITE}/private", client="alice"),
    )
    login, back, inside = lab.answers
    assert (login.status, back.status, inside.status) == (302, 302, 200)
    location = dict(login.headers)["Location"]
    assert location.startswith("https://idp.example.com/authorize?client_id=playground&")
    assert "redirect_uri=https%3A%2F%2Fone.example.com%2Foauth2%2Fidpresponse" in location
    assert "state=%2Fprivate%3Fx%3D1" in location
    back_headers = dict(back.headers)
    assert back_headers["Location"] == f"{SITE}/private"
    assert back_headers["Set-Cookie"].startswith("AWSELBAuthSessionCookie-0=")
    requests = of_type(events, "request")
    assert [e["target"] is not None for e in requests] == [False, False, True]
    assert [_fields(e["log"])[22] for e in requests] == [
        '"authenticate"',
        '"authenticate"',
        '"authenticate,forward"',
    ]
    assert requests[2]["trace"]["authentication"]["result"] == "authenticated"
    assert _lb_sum(events, "ELBAuthSuccess") == 1  # the session issued, not the login


def _lb_sum(events, name):
    return sum(
        lb.get(name, 0) for e in of_type(events, "metrics") for lb in e["load_balancers"].values()
    )


@pytest.mark.parametrize(
    ("edit", "url", "status", "cause"),
    [
        (_authenticated(on_unauthenticated="deny"), "/private", 401, "AuthDenied"),
        (_authenticated(), "/oauth2/idpresponse?error=access_denied", 561, "AuthIdpError"),
        (_authenticated(), "/oauth2/idpresponse?state=/", 401, "AuthMissingCodeParam"),
        (_authenticated("rejects"), "/oauth2/idpresponse?code=c", 401, "AuthInvalidGrantError"),
        (
            _authenticated("unreachable"),
            "/oauth2/idpresponse?code=c",
            500,
            "AuthTokenEpRequestConnectionError",
        ),
    ],
    ids=["401 deny", "561 IdP error", "401 no code", "401 IdP rejects", "500 IdP unreachable"],
)
async def test_the_alb_answers_an_authentication_failure_itself(edit, url, status, cause):
    events, lab = await run_script(topology(edit), ScriptedRequest(url=SITE + url))
    assert lab.answers[0].status == status
    (event,) = of_type(events, "request")
    assert (event["elb_status_code"], event["error_reason"], event["target"]) == (
        status,
        cause,
        None,
    )
    assert f'"{cause}"' in event["log"]  # AWS logs Auth* error reasons
    counted = {
        name: _lb_sum(events, name) for name in ("ELBAuthFailure", "ELBAuthError", "ELBAuthSuccess")
    }
    expected = {"AuthIdpError": "ELBAuthFailure", "AuthInvalidGrantError": "ELBAuthFailure"}
    metric = expected.get(cause, None if cause == "AuthDenied" else "ELBAuthError")
    assert counted == {name: int(name == metric) for name in counted}


@pytest.mark.parametrize(
    ("mode", "status", "cause"),
    [
        ("reset", 502, "TargetClosedConnection"),
        ("garbage", 502, "TargetMalformedResponse"),
        ("hang", 504, "TargetTimeout"),
        ("short-body", 504, "TargetTimeout"),
    ],
    ids=[
        "502 target reset with the request outstanding",
        "502 malformed response",
        "504 target silent for the idle timeout",
        "504 Content-Length larger than the body",
    ],
)
async def test_a_misbehaving_target_gets_the_status_and_cause_aws_gives(mode, status, cause):
    def edit(document):
        resources = document["Resources"]
        for name in ("Web1", "Web2", "Web3"):
            resources[name]["Metadata"] = {"Playground": {"App": {"Mode": mode}}}
        resources["LoadBalancer"]["Properties"]["LoadBalancerAttributes"] = [
            {"Key": "idle_timeout.timeout_seconds", "Value": "2"}
        ]

    events, lab = await run_script(
        topology(edit), ScriptedRequest(url="http://a.example.com/"), clock_speed=30
    )
    assert lab.answers[0].status == status
    (event,) = of_type(events, "request")
    assert (event["elb_status_code"], event["error_reason"]) == (status, cause)
    assert event["target"] is not None and event["target_status_code"] is None


async def test_a_client_that_closes_before_sending_its_whole_body_gets_a_logged_400():
    async with Node() as node:
        reader, writer = await node.connect()
        writer.write(
            b"POST / HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 100\r\n\r\nten bytes!"
        )
        writer.write_eof()
        async with asyncio.timeout(10):
            answer = await reader.read()
        writer.close()
        await node.wait_for(lambda e: e["type"] == "request")
    assert _status(answer) == 400
    (event,) = of_type(node.events, "request")
    assert (event["error_reason"], event["target"]) == ("IncompleteRequest", None)
    assert _fields(event["log"])[4:10] == ["-", "-1", "-1", "-1", "400", "-"]


def _drain_unhealthy_for(seconds):
    def edit(document):
        document["Resources"]["TcpTargets"]["Properties"]["TargetGroupAttributes"] = [
            {
                "Key": "target_health_state.unhealthy.connection_termination.enabled",
                "Value": "false",
            },
            {"Key": "target_health_state.unhealthy.draining_interval_seconds", "Value": seconds},
        ]

    return edit


async def test_an_nlb_target_that_fails_with_termination_off_drains_then_shows_unhealthy():
    web1 = "10.0.1.10:80"
    async with Lab(starter("nlb-static-ips.yaml", _drain_unhealthy_for("60")), rps=20) as lab:
        await lab.wait_for(
            lambda e: e["type"] == "flow" and e["state"] == "open" and e["target"] == web1,
            within=25,
        )
        lab.runtime.control({"action": "fault", "target": web1, "mode": "unhealthy"})
        await lab.wait_for(lab.health(web1, "unhealthy.draining"), within=25)
        live = {f.decision.target for n in lab.runtime._nodes for f in n.live.values()}
        assert web1 in live  # its flows carry on while it drains
        await lab.wait_for(lab.health(web1, "unhealthy"), within=25)
    changes = [
        e
        for e in of_type(lab.events, "health")
        if e["target"] == web1 and e["previous"] != e["state"] and e["previous"] is not None
    ]
    draining, unhealthy = changes[-2:]
    assert (draining["previous"], draining["state"]) == ("healthy", "unhealthy.draining")
    assert draining["reason"] == "Target.ResponseCodeMismatch"
    assert (unhealthy["previous"], unhealthy["state"]) == ("unhealthy.draining", "unhealthy")
    assert 60 <= unhealthy["t"] - draining["t"] < 90  # the draining interval, lab clock
    assert not [
        e for e in lab.events if e["type"] == "flow" and e.get("closed_by") == "unhealthy_target"
    ]


def _ip_of_the_lb_registered(document):
    resources = document["Resources"]
    web3 = resources["Web3"]["Properties"]
    web3["PrivateIpAddress"], web3["SubnetId"] = "10.0.1.5", {"Ref": "SubnetA"}  # the node's
    ip_targets = copy.deepcopy(resources["WebTargets"])
    ip_targets["Properties"]["TargetType"] = "ip"
    ip_targets["Properties"]["Targets"] = [
        {"Id": "10.0.1.10", "Port": 80},
        {"Id": "10.0.1.5", "Port": 80},
    ]
    resources["IpTargets"] = ip_targets
    resources["HttpListener"]["Properties"]["DefaultActions"] = [
        {"Type": "forward", "TargetGroupArn": {"Ref": "IpTargets"}}
    ]


async def test_an_ip_target_at_the_load_balancers_own_address_is_unused_ip_unusable():
    events, lab = await run_script(
        topology(_ip_of_the_lb_registered),
        *[ScriptedRequest(url="http://a.example.com/")] * 4,
    )
    assert lab.topology.load_balancers[0].nodes[0].ip == "10.0.1.5"  # what the test is about
    reserved = [
        e
        for e in of_type(events, "health")
        if (e["target_group"], e["target"]) == ("IpTargets", "10.0.1.5:80")
    ]
    assert [(e["state"], e["reason"]) for e in reserved] == [
        ("initial", "Elb.RegistrationInProgress"),
        ("unused", "Target.IpUnusable"),
    ]
    assert all(e["check"] is None for e in reserved)  # never probed
    assert [a.status for a in lab.answers] == [200] * 4
    assert {e["target"] for e in of_type(events, "request")} == {"10.0.1.10:80"}


async def test_a_function_with_no_reserved_concurrency_is_throttled_502():
    def throttled(document):
        properties = document["Resources"]["EchoFunction"]["Properties"]
        properties["ReservedConcurrentExecutions"] = 0

    events, lab = await run_script(
        starter("lambda-target.yaml", throttled), ScriptedRequest(url="http://lb.example.com/")
    )
    assert lab.answers[0].status == 502
    (event,) = of_type(events, "request")
    assert event["error_reason"] == "LambdaThrottling"
    assert '"LambdaThrottling"' in event["log"]


class _Silent(asyncio.Protocol):
    """A target that accepts a connection and never answers."""

    def connection_made(self, transport):
        self.transport = transport


async def test_a_health_events_check_latency_is_in_lab_time():
    sandbox = Sandbox()
    loop = asyncio.get_running_loop()
    host = sandbox.loopback(WEB1.ip)
    silent = await loop.create_server(_Silent, host, 0)
    sandbox.publish(WEB1.address, (host, silent.sockets[0].getsockname()[1]))
    reports: list[dict] = []
    check = HealthCheck(timeout_seconds=5, unhealthy_threshold=2)
    group = TargetGroup(name="WebTargets", targets=(WEB1,), health_check=check)
    checker = TargetChecker(
        group,
        WEB1,
        sandbox.loopback("10.0.1.250"),
        sandbox,
        LabClock(10),  # 5 lab seconds pass in half a real second
        {},
        lambda event: reports.append(event.wire()),
    )
    try:
        async with asyncio.timeout(10):
            await checker.check_or_fail()
    finally:
        silent.close()
        await silent.wait_closed()
    (timed_out,) = reports
    assert timed_out["check"]["error"] == "timeout"
    assert timed_out["check"]["latency_ms"] == 5000.0  # HealthCheckTimeoutSeconds, lab clock
    assert timed_out["reason"] == "Elb.InitialHealthChecking"
