import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labs.cfn import load_topology
from labs.engine.rules import DEFAULT, Matched, RequestFacts, Router, route, wildcard_match
from labs.engine.spec import Action, Condition, Listener, Rule
from tests.engine.helpers import dump, listener_rule, path_rule, starter_document

DEFAULT_ACTIONS = (Action(type="forward", target_groups=(("DefaultTargets", 1),)),)


def facts(**overrides) -> RequestFacts:
    values = {
        "method": "GET",
        "host": "shop.example.com",
        "path": "/",
        "query": "",
        "headers": (),
        "source_ip": "203.0.113.7",
    }
    return RequestFacts(**{**values, **overrides})


def actions(priority: int) -> tuple[Action, ...]:
    return (Action(type="forward", target_groups=((f"Targets{priority}", 1),)),)


def rule(priority: int, *conditions: Condition) -> Rule:
    return Rule(
        name=f"Rule{priority}", priority=priority, conditions=conditions, actions=actions(priority)
    )


def listener(*rules: Rule) -> Listener:
    return Listener(
        name="HttpListener", protocol="HTTP", port=80, default_actions=DEFAULT_ACTIONS, rules=rules
    )


def when(field: str, *values: str, header: str | None = None) -> Condition:
    return Condition(field=field, values=values, header_name=header)


def query(*pairs: tuple[str | None, str]) -> Condition:
    return Condition(field="query-string", key_values=pairs)


def matched(priority: int) -> Matched:
    return Matched(priority, f"Rule{priority}", actions(priority))


NO_MATCH = Matched(DEFAULT, None, DEFAULT_ACTIONS)


# --- wildcards ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*.example.com", "test.example.com", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),  # AWS's own example: whole field
        ("www.example.???", "www.example.com", True),
        ("www.example.???", "www.example.co", False),
        ("www.example.???", "www.example.info", False),
        ("/img/*", "/img/picture.jpg", True),
        ("/img/*", "/img/", True),
        ("/img/*", "/img", False),
        ("/api", "/api/", False),
        ("/api", "/v1/api", False),
        ("*", "", True),
        ("?", "", False),
        ("a*b*c", "abbbc", True),
        ("a*b*c", "acb", False),
        ("a.c", "abc", False),  # "." is not a wildcard
        ("/(x)+[y]", "/(x)+[y]", True),  # nor are regex or fnmatch brackets
        ("a\\*b", "a*b", True),  # an escaped "*" is literal
        ("a\\*b", "axxb", False),
        ("a\\?", "a?", True),
        ("a\\?", "ab", False),
    ],
)
def test_wildcard_patterns_match_the_whole_field(pattern, value, expected):
    assert wildcard_match(pattern, value, ignore_case=False) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "ignore_case", "expected"),
    [
        ("/API/*", "/api/users", False, False),
        ("/API/*", "/api/users", True, True),
        ("*.Example.COM", "shop.example.com", True, True),
        ("*.Example.COM", "shop.example.com", False, False),
    ],
)
def test_wildcard_case_follows_ignore_case(pattern, value, ignore_case, expected):
    assert wildcard_match(pattern, value, ignore_case=ignore_case) is expected


@given(pattern=st.text(alphabet="ab.-/*?", max_size=8), value=st.text(alphabet="ab.-/", max_size=8))
def test_wildcard_match_agrees_with_fnmatch_for_patterns_without_escapes(pattern, value):
    assert wildcard_match(pattern, value, ignore_case=False) == fnmatch.fnmatchcase(value, pattern)


@given(pattern=st.text(alphabet="aAbB*?", max_size=8), value=st.text(alphabet="aAbB", max_size=8))
def test_wildcard_match_ignoring_case_agrees_with_fnmatch_on_lowered_text(pattern, value):
    expected = fnmatch.fnmatchcase(value.lower(), pattern.lower())
    assert wildcard_match(pattern, value, ignore_case=True) == expected


@given(pattern=st.text(max_size=20), value=st.text(max_size=20), ignore_case=st.booleans())
def test_wildcard_match_never_raises(pattern, value, ignore_case):
    assert wildcard_match(pattern, value, ignore_case=ignore_case) in (True, False)


# --- evaluation order --------------------------------------------------------------------------
def test_the_first_rule_in_priority_order_that_matches_wins():
    rules = listener(
        rule(5, when("path-pattern", "/api/*")),
        rule(10, when("path-pattern", "/api/v1/*")),  # more specific, but later
    )

    assert route(rules, facts(path="/api/v1/users")) == matched(5)


def test_a_later_rule_matches_when_the_earlier_ones_do_not():
    rules = listener(
        rule(5, when("path-pattern", "/api/*")), rule(10, when("path-pattern", "/img/*"))
    )

    assert route(rules, facts(path="/img/a.png")) == matched(10)


def test_the_default_rule_runs_when_no_rule_matches():
    rules = listener(rule(5, when("path-pattern", "/api/*")))

    assert route(rules, facts(path="/users")) == NO_MATCH


def test_a_listener_without_rules_runs_its_default_rule():
    assert route(listener(), facts()) == NO_MATCH


def test_priority_wins_over_document_order_in_a_loaded_template():
    document = starter_document()
    document["Resources"]["LateRule"] = path_rule(20, "/api/*")
    document["Resources"]["EarlyRule"] = path_rule(10, "/api/*")
    http = load_topology(dump(document)).load_balancers[0].listeners[0]

    assert route(http, facts(path="/api/users")).name == "EarlyRule"


_MEMO_RULES = listener(
    rule(1, when("host-header", "api.*"), when("path-pattern", "/v1/*")),
    rule(2, when("http-request-method", "POST"), when("http-header", "beta", header="X-Flag")),
    rule(3, when("source-ip", "10.0.0.0/8")),
    rule(4, query(("mode", "fast"))),
)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "host": st.sampled_from(["api.example.com", "www.example.com"]),
                "path": st.sampled_from(["/v1/a", "/v2/a"]),
                "method": st.sampled_from(["GET", "POST"]),
                "headers": st.sampled_from([(), (("x-flag", "beta"),), (("x-flag", "no"),)]),
                "source_ip": st.sampled_from(["10.1.2.3", "203.0.113.7"]),
                "query": st.sampled_from(["", "mode=fast", "mode=slow"]),
            }
        ),
        max_size=30,
    )
)
def test_a_router_that_remembers_its_matches_answers_as_a_fresh_one_would(requests):
    remembering = Router(_MEMO_RULES)

    for request in requests:
        assert remembering.route(facts(**request)) == route(_MEMO_RULES, facts(**request))


def test_a_router_stays_right_after_it_forgets(monkeypatch):
    monkeypatch.setattr("labs.engine.rules.MEMO_SIZE", 2)
    router = Router(listener(rule(5, when("path-pattern", "/api/*"))))

    answers = [router.route(facts(path=path)) for path in ("/a", "/api/x", "/b", "/api/y", "/a")]

    assert answers == [NO_MATCH, matched(5), NO_MATCH, matched(5), NO_MATCH]


def test_conditions_of_one_rule_must_all_match():
    rules = listener(rule(5, when("host-header", "api.example.com"), when("path-pattern", "/v1/*")))

    assert route(rules, facts(host="api.example.com", path="/v1/users")) == matched(5)
    assert route(rules, facts(host="api.example.com", path="/v2/users")) == NO_MATCH
    assert route(rules, facts(host="www.example.com", path="/v1/users")) == NO_MATCH


def test_any_value_of_one_condition_may_match():
    rules = listener(rule(5, when("path-pattern", "/api/*", "/img/*")))

    assert route(rules, facts(path="/img/a.png")) == matched(5)
    assert route(rules, facts(path="/api/users")) == matched(5)
    assert route(rules, facts(path="/users")) == NO_MATCH


# --- path-pattern ------------------------------------------------------------------------------
def test_path_matching_ignores_the_query_string():
    rules = listener(
        rule(5, when("path-pattern", "/search")), rule(6, when("path-pattern", "*q=1*"))
    )

    assert route(rules, facts(path="/search", query="q=1")) == matched(5)
    assert route(rules, facts(path="/find", query="q=1")) == NO_MATCH


def test_path_matching_is_case_sensitive():
    rules = listener(rule(5, when("path-pattern", "/API/*")))

    assert route(rules, facts(path="/API/users")) == matched(5)
    assert route(rules, facts(path="/api/users")) == NO_MATCH


def test_path_matching_does_not_percent_decode():
    rules = listener(rule(5, when("path-pattern", "/a b")))

    assert route(rules, facts(path="/a%20b")) == NO_MATCH


# --- host-header -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "shop.example.com",
        "SHOP.Example.Com",
        "shop.example.com:8080",
        "Shop.Example.COM:80",
    ],
)
def test_host_matching_ignores_case_and_port(host):
    rules = listener(rule(5, when("host-header", "shop.example.com")))

    assert route(rules, facts(host=host)) == matched(5)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.example.com", True),
        ("API.example.com:443", True),
        ("example.com", False),
        ("api.example.org", False),
    ],
)
def test_host_wildcards_need_the_whole_name(host, expected):
    rules = listener(rule(5, when("host-header", "*.example.com")))

    assert (route(rules, facts(host=host)) == matched(5)) is expected


# --- http-request-method -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("GET", True),
        ("POST", True),
        ("get", False),
        ("PUT", False),
        ("GETS", False),
    ],
)
def test_method_matching_is_exact_and_case_sensitive(method, expected):
    rules = listener(rule(5, when("http-request-method", "GET", "POST")))

    assert (route(rules, facts(method=method)) == matched(5)) is expected


# --- http-header -------------------------------------------------------------------------------
def test_header_name_and_value_ignore_case_and_values_take_wildcards():
    rules = listener(rule(5, when("http-header", "*mobile*", header="User-Agent")))

    assert route(rules, facts(headers=(("user-agent", "Safari MOBILE/15"),))) == matched(5)
    assert route(rules, facts(headers=(("user-agent", "curl/8.5"),))) == NO_MATCH


def test_every_occurrence_of_a_repeated_header_is_tried():
    rules = listener(rule(5, when("http-header", "beta", header="X-Env")))
    headers = (("user-agent", "curl/8.5"), ("x-env", "dev"), ("x-env", "BETA"))

    assert route(rules, facts(headers=headers)) == matched(5)


def test_a_missing_header_does_not_match():
    rules = listener(rule(5, when("http-header", "*", header="X-Env")))

    assert route(rules, facts(headers=(("user-agent", "curl/8.5"),))) == NO_MATCH


# --- query-string ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("version=v1", True),
        ("a=1&version=v1", True),
        ("VERSION=V1", True),  # key and value ignore case
        ("version=v2", False),
        ("other=v1", False),
        ("", False),
    ],
)
def test_a_query_condition_with_a_key_matches_that_key_only(raw, expected):
    rules = listener(rule(5, query(("version", "v1"))))

    assert (route(rules, facts(query=raw)) == matched(5)) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("version=v1", True),
        ("anything=v1", True),
        ("a=1&b=v1", True),
        ("v1=other", False),
    ],
)
def test_a_query_condition_without_a_key_matches_the_value_under_any_key(raw, expected):
    rules = listener(rule(5, query((None, "v1"))))

    assert (route(rules, facts(query=raw)) == matched(5)) is expected


def test_any_listed_query_pair_may_match():
    rules = listener(rule(5, query(("lang", "ko"), ("lang", "en"))))

    assert route(rules, facts(query="lang=en")) == matched(5)
    assert route(rules, facts(query="lang=fr")) == NO_MATCH


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("q=a*b", True),
        ("q=axxb", False),
        ("q=what?", True),
        ("q=whatx", False),
    ],
)
def test_query_values_escape_a_literal_star_or_question_mark_with_a_backslash(raw, expected):
    rules = listener(rule(5, query((None, "a\\*b"), (None, "what\\?"))))

    assert (route(rules, facts(query=raw)) == matched(5)) is expected


def test_query_keys_and_values_take_wildcards():
    rules = listener(rule(5, query(("ver*", "v?"))))

    assert route(rules, facts(query="version=v2")) == matched(5)
    assert route(rules, facts(query="version=v10")) == NO_MATCH


# --- source-ip ---------------------------------------------------------------------------------
def test_source_ip_matches_the_tcp_peer_and_ignores_x_forwarded_for():
    rules = listener(rule(5, when("source-ip", "10.0.0.0/8")))

    spoofed = facts(source_ip="203.0.113.7", headers=(("x-forwarded-for", "10.1.2.3"),))
    proxied = facts(source_ip="10.1.2.3", headers=(("x-forwarded-for", "203.0.113.7"),))

    assert route(rules, spoofed) == NO_MATCH
    assert route(rules, proxied) == matched(5)


@pytest.mark.parametrize(
    ("source_ip", "expected"),
    [
        ("192.0.2.10", True),
        ("192.0.2.11", False),
        ("198.51.100.200", True),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
    ],
)
def test_source_ip_takes_any_of_its_cidrs_ipv4_or_ipv6(source_ip, expected):
    cidrs = when("source-ip", "192.0.2.10/32", "198.51.100.0/24", "2001:db8::/32")
    rules = listener(rule(5, cidrs))

    assert (route(rules, facts(source_ip=source_ip)) == matched(5)) is expected


def test_an_ipv4_peer_does_not_match_an_ipv6_cidr():
    rules = listener(rule(5, when("source-ip", "::/0")))

    assert route(rules, facts(source_ip="10.0.0.1")) == NO_MATCH


def test_a_loaded_template_routes_a_host_and_query_rule():
    document = starter_document()
    document["Resources"]["BetaRule"] = listener_rule(
        7,
        [
            {"Field": "host-header", "HostHeaderConfig": {"Values": ["*.example.com"]}},
            {
                "Field": "query-string",
                "QueryStringConfig": {"Values": [{"Key": "beta", "Value": "1"}]},
            },
        ],
    )
    http = load_topology(dump(document)).load_balancers[0].listeners[0]

    hit = route(http, facts(host="www.example.com:80", query="beta=1"))
    miss = route(http, facts(host="www.example.com", query="beta=0"))

    assert (hit.rule, hit.name) == (7, "BetaRule")
    assert (miss.rule, miss.name) == (DEFAULT, None)
    assert miss.actions == http.default_actions
