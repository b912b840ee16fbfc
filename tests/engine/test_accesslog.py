import re
import shlex
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from labs.engine.accesslog import (
    LogRecord,
    format_line,
    iso_time,
    load_balancer_id,
    target_group_arn,
)

# AWS's documented HTTP entry (ALB guide, "Access log entries", example entries).
AWS_EXAMPLE = (
    "http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 "
    "192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "
    '"GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - '
    "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "
    '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" '
    '0 2018-07-02T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"'
)

# Positions (0-based) of AWS's 29 fields.
(
    TYPE,
    TIME,
    ELB,
    CLIENT,
    TARGET,
    REQUEST_PROCESSING,
    TARGET_PROCESSING,
    RESPONSE_PROCESSING,
    ELB_STATUS,
    TARGET_STATUS,
    RECEIVED,
    SENT,
    REQUEST,
    USER_AGENT,
    SSL_CIPHER,
    SSL_PROTOCOL,
    TARGET_GROUP_ARN,
    TRACE_ID,
    DOMAIN_NAME,
    CERT_ARN,
    RULE,
    CREATION_TIME,
    ACTIONS,
    REDIRECT_URL,
    ERROR_REASON,
    TARGET_LIST,
    TARGET_STATUS_LIST,
    CLASSIFICATION,
    CLASSIFICATION_REASON,
) = range(29)


def epoch(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


FORWARDED = LogRecord(
    type="http",
    lb="my-loadbalancer",
    client="192.168.131.39:2817",
    target="10.0.0.1:80",
    request_time=epoch(2018, 7, 2, 22, 22, 48, 364000),
    response_time=epoch(2018, 7, 2, 22, 23, 0, 186641),
    request_processing=0.0,
    target_processing=0.001,
    response_processing=0.0,
    elb_status=200,
    target_status=200,
    received_bytes=34,
    sent_bytes=366,
    request_line="GET http://www.example.com:80/ HTTP/1.1",
    user_agent="curl/7.46.0",
    target_group="my-targets",
    trace_id="Root=1-58337262-36d228ad5d99923122bbe354",
    rule="default",
    actions=("forward",),
)

NOT_DISPATCHED = replace(
    FORWARDED,
    target=None,
    request_processing=-1,
    target_processing=-1,
    response_processing=-1,
    elb_status=503,
    target_status=None,
    sent_bytes=0,
    target_group=None,
    actions=(),
    error_reason=None,
)


def fields(line: str) -> list[str]:
    return shlex.split(line)


def test_a_forwarded_request_formats_like_awss_documented_example():
    expected = fields(AWS_EXAMPLE)
    expected[ELB] = load_balancer_id("my-loadbalancer")  # our ids are our own
    expected[TARGET_GROUP_ARN] = target_group_arn("my-targets")

    assert fields(format_line(FORWARDED)) == expected


@pytest.mark.parametrize("record", [FORWARDED, NOT_DISPATCHED], ids=["forwarded", "503"])
def test_a_line_has_exactly_29_space_separated_fields(record):
    line = format_line(record)

    assert len(fields(line)) == 29
    assert "\n" not in line


def test_quoted_fields_stay_one_field_when_they_contain_spaces_or_quotes():
    record = replace(FORWARDED, user_agent='Mozilla/5.0 (X11; Linux) "quoted"')

    values = fields(format_line(record))

    assert len(values) == 29
    assert values[USER_AGENT] == "Mozilla/5.0 (X11; Linux) %22quoted%22"
    assert values[REQUEST] == "GET http://www.example.com:80/ HTTP/1.1"


def test_the_user_agent_is_truncated_at_8_kb():
    values = fields(format_line(replace(FORWARDED, user_agent="x" * 9000)))

    assert values[USER_AGENT] == "x" * 8192


def test_times_are_iso_8601_utc_with_microseconds_and_a_z():
    values = fields(format_line(FORWARDED))

    assert values[TIME] == "2018-07-02T22:23:00.186641Z"  # when the response was sent
    assert values[CREATION_TIME] == "2018-07-02T22:22:48.364000Z"  # when the request came in
    assert iso_time(0.0) == "1970-01-01T00:00:00.000000Z"


def test_the_load_balancer_is_named_app_name_and_a_stable_16_hex_id():
    assert re.fullmatch(r"app/WebAlb/[0-9a-f]{16}", load_balancer_id("WebAlb"))
    assert load_balancer_id("WebAlb") == load_balancer_id("WebAlb")
    assert load_balancer_id("WebAlb") != load_balancer_id("OtherAlb")


def test_the_target_group_is_an_elasticloadbalancing_arn():
    arn = target_group_arn("WebTargets")

    assert re.fullmatch(
        r"arn:aws:elasticloadbalancing:[a-z]{2}-[a-z]+-\d:\d{12}:targetgroup/WebTargets/[0-9a-f]{16}",
        arn,
    )
    assert (
        fields(format_line(replace(FORWARDED, target_group="WebTargets")))[TARGET_GROUP_ARN] == arn
    )


@pytest.mark.parametrize(("rule", "expected"), [("default", "0"), (1, "1"), (50000, "50000")])
def test_the_matched_rule_priority_is_0_for_the_default_rule(rule, expected):
    assert fields(format_line(replace(FORWARDED, rule=rule)))[RULE] == expected


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (("forward",), "forward"),
        (("fixed-response",), "fixed-response"),
        (("authenticate", "forward"), "authenticate,forward"),
        ((), "-"),
    ],
)
def test_actions_executed_is_a_comma_list_or_a_dash(actions, expected):
    assert fields(format_line(replace(FORWARDED, actions=actions)))[ACTIONS] == expected


def test_a_request_never_dispatched_has_dashes_for_the_target_and_minus_one_times():
    values = fields(format_line(NOT_DISPATCHED))

    assert values[TARGET] == "-"
    assert values[REQUEST_PROCESSING : RESPONSE_PROCESSING + 1] == ["-1", "-1", "-1"]
    assert values[ELB_STATUS] == "503"
    assert values[TARGET_STATUS] == "-"
    assert values[TARGET_GROUP_ARN] == "-"
    assert values[ACTIONS] == "-"
    assert values[TARGET_LIST] == "-"
    assert values[TARGET_STATUS_LIST] == "-"


def test_a_target_that_never_answered_keeps_its_address_but_not_a_status():
    record = replace(
        FORWARDED,
        elb_status=502,
        target_status=None,
        target_processing=-1,
        response_processing=-1,
        error_reason="TargetConnectionErrorCode",
    )

    values = fields(format_line(record))

    assert values[TARGET] == values[TARGET_LIST] == "10.0.0.1:80"
    assert (values[ELB_STATUS], values[TARGET_STATUS], values[TARGET_STATUS_LIST]) == (
        "502",
        "-",
        "-",
    )
    assert values[ERROR_REASON] == "TargetConnectionErrorCode"


def test_processing_times_are_seconds_with_millisecond_precision():
    record = replace(
        FORWARDED, request_processing=0.0004, target_processing=1.23456, response_processing=0.0
    )

    values = fields(format_line(record))

    assert values[REQUEST_PROCESSING : RESPONSE_PROCESSING + 1] == ["0.000", "1.235", "0.000"]


def test_fields_the_playground_does_not_model_are_dashes():
    values = fields(format_line(FORWARDED))

    assert [
        values[i]
        for i in (
            SSL_CIPHER,
            SSL_PROTOCOL,
            DOMAIN_NAME,
            CERT_ARN,
            REDIRECT_URL,
            CLASSIFICATION,
            CLASSIFICATION_REASON,
        )
    ] == ["-"] * 7


def test_a_redirect_url_is_quoted_in_its_own_field():
    record = replace(FORWARDED, redirect_url="https://www.example.com:443/", actions=("redirect",))

    values = fields(format_line(record))

    assert values[REDIRECT_URL] == "https://www.example.com:443/"
    assert '"https://www.example.com:443/"' in format_line(record)
