"""Redirect Location building, with AWS's placeholders (spec §1.4)."""

import pytest

from labs.engine.actions import (
    OriginalRequest,
    Redirect,
    RedirectTooLong,
    changes_something,
    redirect,
)

ORIGINAL = OriginalRequest(
    protocol="HTTP", host="one.example.com", port=80, path="/users/7", query="id=1&x=2"
)


@pytest.mark.parametrize(
    ("config", "status", "location"),
    [
        (
            {"StatusCode": "HTTP_301", "Protocol": "HTTPS", "Port": "443"},
            301,
            "https://one.example.com:443/users/7?id=1&x=2",
        ),
        (
            {"StatusCode": "HTTP_302", "Host": "new.example.com"},
            302,
            "http://new.example.com:80/users/7?id=1&x=2",
        ),
        (
            {"StatusCode": "HTTP_301", "Path": "/v2/#{path}"},
            301,
            "http://one.example.com:80/v2/users/7?id=1&x=2",
        ),
        (
            {"StatusCode": "HTTP_301", "Path": "/from/#{host}/#{port}", "Query": "#{protocol}"},
            301,
            "http://one.example.com:80/from/one.example.com/80?http",
        ),
        (
            {"StatusCode": "HTTP_301", "Host": "#{host}.cdn.example.com", "Query": ""},
            301,
            "http://one.example.com.cdn.example.com:80/users/7",
        ),
        (
            {"StatusCode": "HTTP_301", "Protocol": "#{protocol}", "Port": "8080"},
            301,
            "http://one.example.com:8080/users/7?id=1&x=2",
        ),
    ],
)
def test_redirect_expands_placeholders_as_aws_does(config, status, location):
    assert redirect(config, ORIGINAL) == Redirect(status, location)


def test_placeholders_expand_only_where_aws_allows_them():
    # #{query} is not a placeholder of Path: it stays as written.
    answer = redirect({"StatusCode": "HTTP_301", "Path": "/#{query}"}, ORIGINAL)
    assert answer.location == "http://one.example.com:80/#{query}?id=1&x=2"


def test_an_empty_query_emits_no_question_mark():
    request = OriginalRequest(protocol="HTTP", host="a.example.com", port=80, path="/", query="")
    assert (
        redirect({"StatusCode": "HTTP_301", "Protocol": "HTTPS", "Port": "443"}, request).location
        == "https://a.example.com:443/"
    )


def test_a_location_over_8_kb_is_not_completed():
    request = OriginalRequest(
        protocol="HTTP", host="a.example.com", port=80, path="/", query="q=" + "x" * 9000
    )
    with pytest.raises(RedirectTooLong):
        redirect({"StatusCode": "HTTP_301", "Protocol": "HTTPS"}, request)


@pytest.mark.parametrize(
    ("config", "changes"),
    [
        ({"Protocol": "HTTPS"}, True),
        ({"Port": "8080"}, True),
        ({"Host": "b.example.com"}, True),
        ({"Path": "/new"}, True),
        ({"Query": "x=1"}, False),
        ({"Protocol": "HTTP", "Port": "80"}, False),
    ],
)
def test_a_redirect_must_change_more_than_the_query(config, changes):
    assert changes_something(config, "HTTP", 80) is changes
