"""Checklist: every row of ELB_BEHAVIOUR.md's ALB status-code table (§4.3), its desync
classes and modes (§4.2, §4.4 fields 28–29) and its target-health table (§3.3).

Each test id names a spec row, so ``pytest --collect-only -q`` on this file reads as
the coverage list. A row the engine decides is tested here, on the engine. A row whose
outcome is made on the wire (a reset socket, a silent target, a client that leaves) is
proven by a real-socket runtime test; its row here names that test and fails if the test
is gone. A row the playground cannot model honestly (WAF, network ACLs) says why: the
template is refused with a clear error naming the resource type, never silently ignored.
"""

import importlib
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labs import cfn
from labs.engine import auth, desync, errors, flows, health, trace
from labs.engine import lambda_targets as lambdas
from labs.engine.routing import decide
from labs.engine.rules import Router
from labs.engine.spec import Action, HealthCheck, Listener, Target, TargetGroup
from labs.validation import validate
from tests.runtime.helpers import starter_document

from .test_routing_trace import SECRET, facts, listener, states


def _decide(request=None, state=None, router=None):
    return decide(
        request or facts(), router or listener(), state or states(), 0.0, random.Random(1)
    )


def _with_group(**kw):
    state = states()
    state.groups = {**state.groups, "Web": TargetGroup(name="Web", **kw)}
    return state


def _admit(raw_headers=(), method="GET", version="1.1", mode="defensive", xff="", uri=b"/"):
    return desync.admit(
        forwarded_for=xff, version=version, method=method, uri=uri, headers=raw_headers, mode=mode
    )


def _auth(config=None, idp=auth.ACCEPTS, path="/", query="", cookies=None, now=0.0):
    return auth.authenticate(
        kind="authenticate-oidc",
        config={"AuthorizationEndpoint": "https://idp.example.com/authorize", **(config or {})},
        identity_provider=idp,
        host="one.example.com",
        path=path,
        query=query,
        cookies=cookies or {},
        secret=SECRET,
        now=now,
    )


def _lambda_event(body=b""):
    return lambdas.event(
        method="POST",
        path="/",
        query="",
        headers=[],
        body=body,
        target_group_arn="arn",
        multi_value=False,
    )


def _lambda_answer(answer):
    return lambdas.response(answer, multi_value=False)


def _proven_on_the_wire(module: str, test: str) -> None:
    """The row's behaviour is decided on real sockets: its runtime test must exist."""
    found = getattr(importlib.import_module(f"tests.runtime.{module}"), test, None)
    assert callable(found), f"tests/runtime/{module}.py::{test} is gone"


def _not_simulated(resource_type: str) -> None:
    """A resource of a type the playground does not run is kept in the template and set
    aside (the topology page lists it as not simulated): it blocks nothing, and decides
    nothing, so the status code it would cause on AWS never happens here."""
    document = starter_document()
    document["Resources"]["Unmodelled"] = {"Type": resource_type, "Properties": {}}
    assert cfn.validate(document) == []
    resolved = cfn.resolve(document)
    assert [(u.logical_id, u.type) for u in resolved.unmodelled] == [("Unmodelled", resource_type)]


# --- §4.3: the status codes the ALB generates --------------------------------------------


def _400_malformed():
    assert desync.parse_refusal("Invalid method encountered") == errors.MALFORMED_REQUEST
    _proven_on_the_wire(
        "test_alb_corners", "test_a_request_the_alb_refuses_is_logged_as_aws_logs_it"
    )


def _400_header_limits():
    assert errors.HEADERS_TOO_LARGE.status == 400
    _proven_on_the_wire(
        "test_alb_corners", "test_a_request_the_alb_refuses_is_logged_as_aws_logs_it"
    )


def _400_request_line():
    # A request line is long because of its URL: the playground answers the 414 row (a
    # long method is no token llhttp takes: 400 malformed).
    assert errors.URL_TOO_LONG.status == 414
    _proven_on_the_wire(
        "test_alb_corners", "test_a_request_the_alb_refuses_is_logged_as_aws_logs_it"
    )


def _400_incomplete_body():
    assert errors.INCOMPLETE_REQUEST.status == 400
    _proven_on_the_wire(
        "test_spec_corners",
        "test_a_client_that_closes_before_sending_its_whole_body_gets_a_logged_400",
    )


def _400_websocket_to_lambda():
    function = Target(id="Fn", ip="", port=0, az="", handler="echo")
    state = _with_group(target_type="lambda", targets=(function,))
    assert _decide(facts(upgrade=True), state).lb_error == errors.WEBSOCKET_TO_LAMBDA


def _400_severe_desync():
    admission = _admit([(b"Content-Length", b"1"), (b"Content-Length", b"2")], method="POST")
    assert admission.refusal == errors.DESYNC_BLOCKED
    assert admission.classification == desync.Classification("Severe", "MultipleContentLength")


def _401_deny():
    assert _auth({"OnUnauthenticatedRequest": "deny"}).error == auth.AUTH_DENIED


def _401_idp_rejects():
    outcome = _auth(idp=auth.REJECTS, path=auth.CALLBACK_PATH, query="code=c")
    assert (outcome.error.status, outcome.error.cause) == (401, "AuthInvalidGrantError")


def _401_missing_code():
    outcome = _auth(path=auth.CALLBACK_PATH, query="state=/")
    assert (outcome.error.status, outcome.error.cause) == (401, "AuthMissingCodeParam")


def _401_claims_or_login_timeout():
    pytest.skip(
        "the engine's IdP returns no claims to be too large, and the IdP's login page is "
        "never shown, so its login timeout cannot run out"
    )


def _403_waf():
    _not_simulated("AWS::WAFv2::WebACLAssociation")


def _405_trace():
    decision = _decide(facts(method="TRACE"))
    assert decision.lb_error == errors.METHOD_NOT_ALLOWED
    assert trace.render(decision, 405, "MethodNotAllowed")["rules"] == []


def _408_idle_client():
    assert errors.REQUEST_TIMEOUT.status == 408
    _proven_on_the_wire(
        "test_alb_corners", "test_a_client_idle_mid_request_gets_a_408_event_and_log_line"
    )


def _413_lambda_body():
    with pytest.raises(lambdas.LambdaError) as refused:
        _lambda_event(body=b"x" * (lambdas.LIMIT + 1))
    assert (refused.value.status, refused.value.reason) == (413, "LambdaRequestTooLarge")
    _lambda_event(body=b"x" * lambdas.LIMIT)  # exactly 1 MB still goes


def _414_url():
    assert errors.URL_TOO_LONG.status == 414
    _proven_on_the_wire(
        "test_alb_corners", "test_a_request_the_alb_refuses_is_logged_as_aws_logs_it"
    )


def _460_client_closed():
    assert errors.CLIENT_CLOSED.status == 460
    _proven_on_the_wire(
        "test_alb_corners",
        "test_a_client_that_resets_mid_request_is_logged_460_at_once_and_never_rewritten",
    )


def _463_forwarded_for():
    thirty = ", ".join(f"198.51.100.{n}" for n in range(30))
    assert _admit(xff=thirty).refusal is None
    assert _admit(xff=thirty + ", 198.51.100.99").refusal == errors.TOO_MANY_FORWARDED_FOR


def _464_protocol_version():
    for version in ("HTTP2", "GRPC"):
        state = _with_group(targets=states().groups["Web"].targets, protocol_version=version)
        assert _decide(facts(version="1.1"), state).lb_error == errors.PROTOCOL_VERSION_MISMATCH


def _500_waf_error():
    _not_simulated("AWS::WAFv2::WebACL")


def _500_idp_unreachable():
    outcome = _auth(idp=auth.UNREACHABLE, path=auth.CALLBACK_PATH, query="code=c")
    assert outcome.error == auth.AUTH_TOKEN_ENDPOINT_UNREACHABLE
    assert outcome.error.status == 500


def _501_transfer_encoding():
    assert errors.UNSUPPORTED_TRANSFER_CODING.status == 501
    _proven_on_the_wire(
        "test_alb_corners", "test_a_request_the_alb_refuses_is_logged_as_aws_logs_it"
    )


def _502_connect_refused():
    _proven_on_the_wire(
        "test_stopped_target", "test_a_listener_on_a_stopped_targets_freed_port_receives_nothing"
    )


def _502_target_closed():
    _proven_on_the_wire(
        "test_spec_corners", "test_a_misbehaving_target_gets_the_status_and_cause_aws_gives"
    )


def _502_malformed_response():
    _proven_on_the_wire(
        "test_spec_corners", "test_a_misbehaving_target_gets_the_status_and_cause_aws_gives"
    )


def _502_response_headers():
    _proven_on_the_wire("test_alb_features", "test_response_headers_over_32_kb_get_502")


def _502_tls_to_target():
    pytest.skip(
        "the sandbox carries HTTPS target groups as plain HTTP on loopback: no TLS "
        "handshake to a target can fail or time out"
    )


def _502_deregistration_delay():
    assert errors.DEREGISTRATION_DELAY_EXPIRED.status == 502
    _proven_on_the_wire(
        "test_alb_corners", "test_in_flight_requests_get_502_when_the_deregistration_delay_expires"
    )


def _502_lambda_response_too_large():
    with pytest.raises(lambdas.LambdaError) as refused:
        _lambda_answer(
            {"statusCode": 200, "headers": {}, "isBase64Encoded": False, "body": "x" * 2**21}
        )
    assert (refused.value.status, refused.value.reason) == (502, "LambdaResponseTooLarge")


def _502_lambda_error():
    with pytest.raises(lambdas.LambdaError) as refused:
        lambdas.invoke("fail", _lambda_event(), multi_value=False)
    assert (refused.value.status, refused.value.reason) == (502, "LambdaUnhandled")


def _502_lambda_malformed():
    with pytest.raises(lambdas.LambdaError) as refused:
        _lambda_answer({"body": "no status code"})
    assert (refused.value.status, refused.value.reason) == (502, "LambdaInvalidResponse")


def _502_lambda_throttle():
    with pytest.raises(lambdas.LambdaError) as refused:
        lambdas.invoke("echo", _lambda_event(), multi_value=False, reserved_concurrency=0)
    assert (refused.value.status, refused.value.reason) == (502, "LambdaThrottling")
    lambdas.invoke("echo", _lambda_event(), multi_value=False, reserved_concurrency=1)
    _proven_on_the_wire(
        "test_spec_corners", "test_a_function_with_no_reserved_concurrency_is_throttled_502"
    )


def _502_lambda_timeout():
    pytest.skip("the built-in handlers answer at once: a function never runs past its Timeout")


def _503_no_registered_targets():
    state = states(registered={"Web": [], "Api": []})
    assert _decide(state=state).lb_error == errors.NO_REGISTERED_TARGETS


def _503_empty_zone():
    state = states(registered={"Web": ["10.0.2.10:80"], "Api": []}, zonal_groups=frozenset({"Web"}))
    assert _decide(state=state).lb_error == errors.NO_TARGETS_IN_ZONE


def _504_connect_timeout():
    assert errors.TARGET_CONNECT_TIMEOUT.status == 504
    _proven_on_the_wire(
        "test_alb_corners",
        "test_a_target_security_group_that_drops_the_lb_gives_504_after_the_connect_timeout",
    )


def _504_target_silent():
    _proven_on_the_wire(
        "test_spec_corners", "test_a_misbehaving_target_gets_the_status_and_cause_aws_gives"
    )


def _504_nacl():
    _not_simulated("AWS::EC2::NetworkAcl")


def _504_content_length():
    _proven_on_the_wire(
        "test_spec_corners", "test_a_misbehaving_target_gets_the_status_and_cause_aws_gives"
    )


def _504_lambda_unreachable():
    pytest.skip("the built-in handlers run in the worker: the Lambda service is always reachable")


def _505_http_version():
    assert _admit(version="2.0").refusal == errors.HTTP_VERSION_NOT_SUPPORTED
    assert desync.parse_refusal("Invalid HTTP version") == errors.HTTP_VERSION_NOT_SUPPORTED
    assert desync.parse_refusal("Pause on PRI/Upgrade") == errors.HTTP_VERSION_NOT_SUPPORTED
    _proven_on_the_wire(
        "test_spec_corners", "test_another_http_version_on_an_http1_listener_gets_505"
    )


def _561_idp_error():
    outcome = _auth(path=auth.CALLBACK_PATH, query="error=access_denied")
    assert outcome.error == auth.AUTH_IDP_ERROR and outcome.error.status == 561
    _proven_on_the_wire(
        "test_spec_corners", "test_the_alb_answers_an_authentication_failure_itself"
    )


STATUS_ROWS = {
    "400 malformed request": _400_malformed,
    "400 single header over 16K or all headers over 64K": _400_header_limits,
    "400 request line over 16K": _400_request_line,
    "400 client closed before sending the full body": _400_incomplete_body,
    "400 WebSocket upgrade to a Lambda target": _400_websocket_to_lambda,
    "400 Severe desync class": _400_severe_desync,
    "401 authenticate action deny": _401_deny,
    "401 IdP rejects the authorization code": _401_idp_rejects,
    "401 IdP callback without a code": _401_missing_code,
    "401 claims too large or login timeout": _401_claims_or_login_timeout,
    "403 AWS WAF web ACL blocked the request": _403_waf,
    "405 TRACE": _405_trace,
    "408 client sent no data before the idle timeout": _408_idle_client,
    "413 Lambda target and body over 1 MB": _413_lambda_body,
    "414 URL or query string too large": _414_url,
    "460 client closed before the idle timeout": _460_client_closed,
    "463 X-Forwarded-For with more than 30 addresses": _463_forwarded_for,
    "464 HTTP1 request to an HTTP2 or GRPC target group": _464_protocol_version,
    "500 WAF evaluation error": _500_waf_error,
    "500 IdP token endpoint unreachable": _500_idp_unreachable,
    "501 Transfer-Encoding other than chunked or identity": _501_transfer_encoding,
    "502 RST or ICMP unreachable while connecting": _502_connect_refused,
    "502 target closed with a request outstanding": _502_target_closed,
    "502 malformed response": _502_malformed_response,
    "502 response headers over 32K": _502_response_headers,
    "502 TLS handshake error or timeout to the target": _502_tls_to_target,
    "502 deregistration delay expired mid-request": _502_deregistration_delay,
    "502 Lambda response over 1 MB": _502_lambda_response_too_large,
    "502 Lambda function error": _502_lambda_error,
    "502 malformed Lambda JSON": _502_lambda_malformed,
    "502 Lambda throttled (reserved concurrency 0)": _502_lambda_throttle,
    "502 Lambda function timeout": _502_lambda_timeout,
    "503 target group has no registered targets": _503_no_registered_targets,
    "503 empty AZ with target group cross-zone off": _503_empty_zone,
    "504 connect to the target not done within 10 s": _504_connect_timeout,
    "504 target silent for the idle timeout": _504_target_silent,
    "504 NACL blocks the ephemeral return ports": _504_nacl,
    "504 Content-Length larger than the body": _504_content_length,
    "504 Lambda service unreachable": _504_lambda_unreachable,
    "505 unexpected HTTP version": _505_http_version,
    "561 IdP returned an error": _561_idp_error,
}


@pytest.mark.parametrize("row", sorted(STATUS_ROWS))
def test_alb_status_code_row(row):
    STATUS_ROWS[row]()


# Each cause the engine can answer with -> the row of the table it belongs to.
CAUSE_ROWS = {
    "MalformedRequest": "400 malformed request",
    "HeadersTooLarge": "400 single header over 16K or all headers over 64K",
    "IncompleteRequest": "400 client closed before sending the full body",
    "WebSocketToLambda": "400 WebSocket upgrade to a Lambda target",
    "DesyncMitigation": "400 Severe desync class",
    "AuthDenied": "401 authenticate action deny",
    "AuthInvalidGrantError": "401 IdP rejects the authorization code",
    "AuthMissingCodeParam": "401 IdP callback without a code",
    "MethodNotAllowed": "405 TRACE",
    "ClientRequestTimeout": "408 client sent no data before the idle timeout",
    "UrlTooLong": "414 URL or query string too large",
    "ClientClosedConnection": "460 client closed before the idle timeout",
    "TooManyForwardedForAddresses": "463 X-Forwarded-For with more than 30 addresses",
    "ProtocolVersionMismatch": "464 HTTP1 request to an HTTP2 or GRPC target group",
    "AuthTokenEpRequestConnectionError": "500 IdP token endpoint unreachable",
    "UnsupportedTransferEncoding": "501 Transfer-Encoding other than chunked or identity",
    "TargetConnectionError": "502 RST or ICMP unreachable while connecting",
    "TargetClosedConnection": "502 target closed with a request outstanding",
    "TargetResponseTooLarge": "502 response headers over 32K",
    "DeregistrationDelayExpired": "502 deregistration delay expired mid-request",
    "NoRegisteredTargets": "503 target group has no registered targets",
    "NoTargetsInZone": "503 empty AZ with target group cross-zone off",
    # §3.4, not a §4.3 row: a target gets requests only once it has passed a check, so an
    # ALB whose targets are all still initial has nowhere to fail open to.
    "NoTargetPassedHealthCheck": None,
    "TargetConnectTimeout": "504 connect to the target not done within 10 s",
    "UnsupportedHttpVersion": "505 unexpected HTTP version",
    "AuthIdpError": "561 IdP returned an error",
    # The playground's own answers, beyond the table: the redirect's status over 8 KB is
    # unverified (§1.4, 500 chosen); jwt-validation (newer) is not carried out; a target
    # outside the run's address map is never connected to.
    "RedirectUrlLimitExceeded": None,
    "UnsupportedAction": None,
    "TargetNotInSandbox": None,
}


def test_every_cause_the_alb_answers_with_is_on_the_checklist():
    causes = {
        value.cause: value.status
        for module in (errors, auth)
        for value in vars(module).values()
        if isinstance(value, errors.LbError)
    }
    assert set(causes) <= set(CAUSE_ROWS), "a new cause needs its row in CAUSE_ROWS"
    for cause, status in causes.items():
        row = CAUSE_ROWS[cause]
        assert row is None or (row in STATUS_ROWS and row.startswith(str(status))), cause


# --- §4.2: desync mitigation -------------------------------------------------------------

MODE_ROWS = [
    ("monitor", "Compliant", desync.ALLOW),
    ("monitor", "Acceptable", desync.ALLOW),
    ("monitor", "Ambiguous", desync.ALLOW),
    ("monitor", "Severe", desync.ALLOW),
    ("defensive", "Compliant", desync.ALLOW),
    ("defensive", "Acceptable", desync.ALLOW),
    ("defensive", "Ambiguous", desync.CLOSE_AFTER),
    ("defensive", "Severe", desync.BLOCK),
    ("strictest", "Compliant", desync.ALLOW),
    ("strictest", "Acceptable", desync.BLOCK),
    ("strictest", "Ambiguous", desync.BLOCK),
    ("strictest", "Severe", desync.BLOCK),
]


@pytest.mark.parametrize(
    ("mode", "level", "verdict"), MODE_ROWS, ids=[f"{m} {lv}" for m, lv, _ in MODE_ROWS]
)
def test_desync_mode_row(mode, level, verdict):
    assert desync.verdict(desync.Classification(level, "x"), mode) == verdict


def test_an_unknown_desync_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="not a desync mitigation mode: lenient"):
        desync.verdict(desync.COMPLIANT_REQUEST, "lenient")


CLASSIFICATION_ROWS = [
    ("GET", b"/", [(b"X-A", b"")], "EmptyHeader"),
    ("GET", b"/", [(b"Content-Length", b"0")], "GetHeadZeroContentLength"),
    ("GET", b"/", [(b"X-A", "é".encode())], "NonCompliantHeader"),
    ("GET", b"/a b", [], "SpaceInUri"),
    ("GET", b"/a\x01", [], "AmbiguousUri"),
    (
        "POST",
        b"/",
        [(b"Content-Length", b"1"), (b"Transfer-Encoding", b"chunked")],
        "BothTeClPresent",
    ),
    (
        "POST",
        b"/",
        [(b"Content-Length", b"1"), (b"Content-Length", b"1")],
        "DuplicateContentLength",
    ),
    ("POST", b"/", [(b"Content_Length", b"1")], "SuspiciousHeader"),
    ("HEAD", b"/", [(b"Content-Length", b"4")], "UndefinedContentLengthSemantics"),
    ("GET", b"/", [(b"Transfer-Encoding", b"chunked")], "UndefinedTransferEncodingSemantics"),
    ("POST", b"/", [(b"Content-Length", b"x1")], "BadContentLength"),
    ("GET", b"/", [(b"X-A", b"a\x00b")], "BadHeader"),
    ("POST", b"/", [(b"Transfer-Encoding", b"chunked;x")], "BadTransferEncoding"),
    ("GET", b"/a\r", [], "BadUri"),
    ("POST", b"/", [(b"Content-Length", b"1"), (b"Content-Length", b"2")], "MultipleContentLength"),
    (
        "POST",
        b"/",
        [(b"Transfer-Encoding", b"chunked, chunked")],
        "MultipleTransferEncodingChunked",
    ),
]


@pytest.mark.parametrize(
    ("method", "uri", "headers", "reason"),
    CLASSIFICATION_ROWS,
    ids=[f"{desync.REASONS[r[3]]} {r[3]}" for r in CLASSIFICATION_ROWS],
)
def test_desync_classification_row(method, uri, headers, reason):
    found = desync.classify(method, uri, headers)
    assert (found.level, found.reason) == (desync.REASONS[reason], reason)


def test_every_classification_reason_has_its_row():
    assert {row[3] for row in CLASSIFICATION_ROWS} == set(desync.REASONS)


def test_a_compliant_request_is_admitted_unclassified():
    request = [(b"Host", b"a.example.com"), (b"Content-Length", b"2")]
    assert _admit(request, method="POST") == desync.ADMITTED
    assert desync.classify("POST", b"/", request) == desync.COMPLIANT_REQUEST


def test_the_most_severe_reason_classifies_the_request():
    found = desync.classify("GET", b"/a b", [(b"Content-Length", b"1"), (b"Content-Length", b"2")])
    assert found == desync.Classification("Severe", "MultipleContentLength")


def test_ambiguous_under_defensive_is_routed_and_closes_both_connections():
    admission = _admit([(b"Content-Length", b"4")])
    assert admission.refusal is None and admission.close_after
    assert admission.classification == desync.Classification(
        "Ambiguous", "UndefinedContentLengthSemantics"
    )


# --- §3.3: target states and reason codes ------------------------------------------------

CHECK = HealthCheck(healthy_threshold=2, unhealthy_threshold=2)


def _steps(*events, start=None):
    current = start or health.TargetHealth()
    for event in events:
        current, _ = health.step(current, event, CHECK)
    return current


def _failed(reason):
    return health.CheckFailed(at=1.0, reason=reason, description=f"what the probe saw: {reason}")


def _state(current):
    return (current.state, current.reason)


HEALTH_ROWS = {
    "initial Elb.RegistrationInProgress": (
        lambda: _steps(),
        ("initial", "Elb.RegistrationInProgress"),
    ),
    "initial Elb.InitialHealthChecking": (
        lambda: _steps(_failed(health.TIMEOUT)),
        ("initial", "Elb.InitialHealthChecking"),
    ),
    "healthy (no reason)": (lambda: _steps(health.CheckPassed(at=1.0)), ("healthy", None)),
    "unhealthy Target.ResponseCodeMismatch": (
        lambda: _steps(*[_failed(health.RESPONSE_CODE_MISMATCH)] * 2),
        ("unhealthy", "Target.ResponseCodeMismatch"),
    ),
    "unhealthy Target.Timeout": (
        lambda: _steps(*[_failed(health.TIMEOUT)] * 2),
        ("unhealthy", "Target.Timeout"),
    ),
    "unhealthy Target.FailedHealthChecks": (
        lambda: _steps(*[_failed(health.FAILED_HEALTH_CHECKS)] * 2),
        ("unhealthy", "Target.FailedHealthChecks"),
    ),
    "unhealthy Elb.InternalError": (
        lambda: _steps(*[_failed(health.INTERNAL_ERROR)] * 2),
        ("unhealthy", "Elb.InternalError"),
    ),
    "unused Target.NotRegistered": (
        lambda: _steps(health.Deregistered(at=1.0), health.DelayExpired(at=2.0)),
        ("unused", "Target.NotRegistered"),
    ),
    "unused Target.NotInUse": (
        lambda: _steps(health.GroupUnused(at=1.0)),
        ("unused", "Target.NotInUse"),
    ),
    "unused Target.InvalidState": (
        lambda: _steps(health.CheckPassed(at=1.0), health.InstanceStopped(at=2.0)),
        ("unused", "Target.InvalidState"),
    ),
    "unused Target.IpUnusable": (
        lambda: _steps(health.IpReserved(at=0.0)),
        ("unused", "Target.IpUnusable"),
    ),
    "draining Target.DeregistrationInProgress": (
        lambda: _steps(health.CheckPassed(at=1.0), health.Deregistered(at=2.0)),
        ("draining", "Target.DeregistrationInProgress"),
    ),
    "unavailable Target.HealthCheckDisabled": (
        lambda: _steps(health.ChecksDisabled(at=0.0)),
        ("unavailable", "Target.HealthCheckDisabled"),
    ),
    "unavailable Elb.InternalError": (
        lambda: _steps(health.CheckPassed(at=1.0), health.CheckerFailed(at=2.0)),
        ("unavailable", "Elb.InternalError"),
    ),
}


@pytest.mark.parametrize("row", sorted(HEALTH_ROWS))
def test_target_health_row(row):
    build, expected = HEALTH_ROWS[row]
    current = build()
    assert _state(current) == expected
    assert health.describe(current) or current.state == "healthy"  # AWS's words go with it


def test_unhealthy_draining_row():
    """NLB, ``...unhealthy.connection_termination.enabled=false``: no new flows, flows kept
    for the draining interval, then ``unhealthy``; back to healthy if it recovers."""
    attributes = {
        "target_health_state.unhealthy.connection_termination.enabled": "false",
        "target_health_state.unhealthy.draining_interval_seconds": "120",
    }
    assert flows.unhealthy_draining_seconds(attributes) == 120.0
    assert flows.unhealthy_draining_seconds({}) is None  # terminated at once by default
    check = replace(CHECK, unhealthy_draining_seconds=120.0)
    healthy = health.TargetHealth(state=health.HEALTHY, reason=None)
    current = healthy
    for _ in range(2):
        current, _ = health.step(current, _failed(health.TIMEOUT), check)
    assert _state(current) == ("unhealthy.draining", "Target.Timeout")
    pool = flows.Pool(
        targets=("a", "b"),
        zones={"a": "z", "b": "z"},
        health={"a": current.state, "b": "healthy"},
    )
    assert flows.candidates(pool, "z")[0] == ("b",)  # no new flows while it drains
    assert not flows.ends_flows_of_unhealthy(attributes, pool)  # its flows are kept
    expired, _ = health.step(current, health.DrainingIntervalExpired(at=9.0), check)
    assert _state(expired) == ("unhealthy", "Target.Timeout")
    recovered = current
    for _ in range(2):
        recovered, _ = health.step(recovered, health.CheckPassed(at=9.0), check)
    assert _state(recovered) == ("healthy", None)
    _proven_on_the_wire(
        "test_spec_corners",
        "test_an_nlb_target_that_fails_with_termination_off_drains_then_shows_unhealthy",
    )


def test_every_reason_code_in_the_spec_has_its_row():
    reasons = {expected[1] for _, expected in HEALTH_ROWS.values()} - {None}
    assert reasons == {
        "Elb.RegistrationInProgress",
        "Elb.InitialHealthChecking",
        "Target.ResponseCodeMismatch",
        "Target.Timeout",
        "Target.FailedHealthChecks",
        "Elb.InternalError",
        "Target.NotRegistered",
        "Target.NotInUse",
        "Target.InvalidState",
        "Target.IpUnusable",
        "Target.DeregistrationInProgress",
        "Target.HealthCheckDisabled",
    }


def test_a_stopped_instance_comes_back_initial_when_it_starts():
    stopped = _steps(health.InstanceStopped(at=1.0))
    assert _state(_steps(health.InstanceStarted(at=2.0), start=stopped)) == (
        "initial",
        "Elb.RegistrationInProgress",
    )
    with pytest.raises(health.HealthRefused):  # an unused target is not checked
        health.step(stopped, health.CheckPassed(at=2.0), CHECK)
    drained = _steps(health.Deregistered(at=3.0), start=stopped)
    assert _state(drained) == ("draining", "Target.DeregistrationInProgress")


def test_after_an_internal_error_the_next_check_counts_as_a_first():
    failed = _steps(health.CheckerFailed(at=1.0))
    assert _state(_steps(health.CheckPassed(at=2.0), start=failed)) == ("healthy", None)
    once = _steps(_failed(health.TIMEOUT), start=failed)
    assert _state(once) == ("initial", "Elb.InitialHealthChecking")
    disabled = _steps(health.ChecksDisabled(at=1.0))
    with pytest.raises(health.HealthRefused):  # checks off: results are refused, as before
        health.step(disabled, health.CheckPassed(at=2.0), CHECK)


def test_an_ip_reserved_by_a_load_balancer_is_only_found_at_registration():
    healthy = _steps(health.CheckPassed(at=1.0))
    with pytest.raises(health.HealthRefused):
        health.step(healthy, health.IpReserved(at=2.0), CHECK)


def test_a_valid_session_lets_the_forward_after_the_authenticate_action_run():
    issued = _auth(path=auth.CALLBACK_PATH, query="code=c&state=/x", now=1.0)
    assert issued.result == auth.SESSION_ISSUED
    assert issued.location == "https://one.example.com/x"
    name, _, value = issued.cookie.partition("=")
    router = Router(
        Listener(
            name="L",
            protocol="HTTPS",
            port=443,
            default_actions=(
                Action(type="authenticate-oidc", authenticate={"ClientId": "c"}),
                Action(type="forward", target_groups=(("Web", 1),)),
            ),
        )
    )
    decision = decide(facts(cookies={name: value}), router, states(), 2.0, random.Random(1))
    assert decision.lb_error is None and decision.target is not None
    assert decision.action.type == "forward"
    assert decision.authentication is not None
    assert trace.render(decision, 200, None)["authentication"]["result"] == "authenticated"
    expired = decide(facts(cookies={name: value}), router, states(), 10**7, random.Random(1))
    assert expired.redirect is not None and expired.redirect.status == 302  # log in again
    forged = decide(facts(cookies={name: value + "x"}), router, states(), 2.0, random.Random(1))
    assert forged.authentication is not None and forged.authentication.result == auth.LOGIN


def test_an_lbs_own_ips_are_reserved_for_its_ip_target_groups_and_proven_on_the_wire():
    from labs.engine.routing import reserved_ips
    from labs.engine.spec import LoadBalancer, Node

    forward = Action(type="forward", target_groups=(("Ips", 1),))
    alb = LoadBalancer(
        name="Alb",
        nodes=(Node(az="a", ip="10.0.1.5"), Node(az="b", ip="10.0.2.5")),
        listeners=(Listener(name="L", protocol="HTTP", port=80, default_actions=(forward,)),),
    )
    other = LoadBalancer(name="Other", nodes=(Node(az="a", ip="10.0.1.6"),))
    nlb = LoadBalancer(name="Nlb", type="network", nodes=(Node(az="a", ip="10.0.1.7"),))
    ips = TargetGroup(name="Ips", target_type="ip")
    assert reserved_ips([alb, other, nlb], ips) == {"10.0.1.5", "10.0.2.5", "10.0.1.6"}
    assert reserved_ips([alb], TargetGroup(name="Ips")) == frozenset()  # instances: n/a
    _proven_on_the_wire(
        "test_spec_corners",
        "test_an_ip_target_at_the_load_balancers_own_address_is_unused_ip_unusable",
    )


def test_failing_open_never_sends_to_an_unused_target():
    from labs.engine.balancing import FAIL_OPEN, NoRegisteredTargets, RoundRobin, choose

    health_of = {"a": "unhealthy", "b": "unused"}
    picks = {choose(["a", "b"], health_of, RoundRobin()).target for _ in range(4)}
    assert picks == {"a"}
    assert choose(["a", "b"], health_of, RoundRobin()).reason == FAIL_OPEN
    with pytest.raises(NoRegisteredTargets):  # nothing in service at all: 503
        choose(["b"], health_of, RoundRobin())


_NAMES = st.sampled_from(
    [
        b"Host",
        b"Accept-Encoding",
        b"Content-Length",
        b"content_length",
        b"Transfer-Encoding",
        b"X-A",
    ]
)
_VALUES = st.one_of(
    st.sampled_from([b"", b"0", b"4", b"chunked", b"gzip", b"x1", "é".encode(), b"a\nb"]),
    st.binary(max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST"]),
    uri=st.one_of(st.just(b"/a?b=1"), st.binary(max_size=6)),
    headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=4),
)
def test_the_fast_compliant_path_classifies_as_the_full_rules_do(method, uri, headers):
    assert desync.classify(method, uri, headers) == desync._classify(method, uri, headers)


def test_a_reserved_concurrency_out_of_range_is_a_clear_validation_error():
    from pathlib import Path

    from labs.cfn import parse_document

    starters = Path(__file__).resolve().parents[2] / "labs" / "starters"
    document = parse_document((starters / "lambda-target.yaml").read_text())
    document["Resources"]["EchoFunction"]["Properties"]["ReservedConcurrentExecutions"] = -1
    (problem,) = validate(document)
    assert (problem.logical_id, problem.path) == (
        "EchoFunction",
        "Properties.ReservedConcurrentExecutions",
    )
    assert problem.code == "ValidationError" and "-1" in problem.message


def test_a_stopped_instance_is_invalid_state_on_the_wire_too():
    _proven_on_the_wire(
        "test_stopped_target", "test_a_listener_on_a_stopped_targets_freed_port_receives_nothing"
    )
    _proven_on_the_wire(
        "test_spec_corners",
        "test_a_health_checker_that_fails_itself_reports_unavailable_internal_error",
    )


@pytest.mark.parametrize("value", [b"", b" ", b"\t", b" \t "])
@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_blank_header_value_is_an_empty_header_wherever_it_is(value, where):
    headers = [(b"Host", b"a.example.com"), (b"X-A", b"1")]
    headers.insert(where, (b"X-Blank", value))
    assert desync.classify("GET", b"/", headers) == desync.Classification(
        desync.ACCEPTABLE, "EmptyHeader"
    )
