"""Listener rule evaluation (spec §1.2–1.3).

Rules are tried in ascending priority; the first whose conditions *all* match wins
(values inside one condition are OR-ed); the default rule runs when none does. Case:
host, header and query-string matches ignore case; path and method are exact. ``*``
matches any run of characters and ``?`` exactly one; a pattern must match the whole
field. The path is matched raw, without the query string and without percent-decoding
(AWS does not document decoding: spec Appendix B).
"""

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any

from .spec import Action, Condition, Listener, Rule

DEFAULT = "default"
NO_COOKIES: Mapping[str, str] = MappingProxyType({})


@dataclass(slots=True, kw_only=True)
class RequestFacts:
    """A request as the rules see it. Not frozen, like ``routing.Decision``: the proxy makes
    one per request and a frozen dataclass pays ``object.__setattr__`` per field. Treat it
    as read-only; a decision keeps it for its trace."""

    method: str
    host: str  # the Host header (port included, as received)
    path: str  # raw path, no query string
    query: str  # raw query string, no "?"
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), in order
    source_ip: str  # the TCP peer of the connection to the load balancer
    # Parsed only when stickiness needs them.
    cookies: Mapping[str, str] = field(default_factory=lambda: NO_COOKIES)
    version: str = "1.1"  # HTTP version of the request (the playground's clients: 1.x)
    upgrade: bool = False  # a WebSocket (or other) upgrade request


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionTried:
    """One condition of one rule against one request, for the trace (rendered late)."""

    rule: int | str  # priority, or DEFAULT
    field: str  # "host-header", "path-pattern", ...
    values: tuple[str, ...]  # the condition's values (query-string: "key=value")
    matched: bool
    seen: str  # what the request had, e.g. the Host header without its port


@dataclass(frozen=True, slots=True)
class Matched:
    rule: int | str  # the rule's priority, or DEFAULT
    name: str | None  # the rule's logical id (None for the default rule)
    actions: tuple[Action, ...]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _host_without_port(host: str) -> str:
    # Unverified in AWS's docs (spec §1.3): we strip ":port" before matching.
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _query_pairs(query: str) -> list[tuple[str, str]]:
    pairs = []
    for item in query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((key, value))
    return pairs


Predicate = Callable[[RequestFacts], bool]
MEMO_SIZE = 4096  # distinct requests (as the rules see them) a Router remembers


def _alternatives(patterns: tuple[str, ...], ignore_case: bool) -> re.Pattern[str]:
    """One regex matching any of ``patterns`` whole (values inside a condition are OR-ed)."""
    parts = "|".join(_wildcard(p, ignore_case).pattern for p in patterns)
    return re.compile(f"(?:{parts})", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _host(condition: Condition) -> Predicate:
    pattern = _alternatives(condition.values, ignore_case=True)
    return lambda facts: pattern.fullmatch(_host_without_port(facts.host)) is not None


def _path(condition: Condition) -> Predicate:
    pattern = _alternatives(condition.values, ignore_case=False)
    return lambda facts: pattern.fullmatch(facts.path) is not None


def _method(condition: Condition) -> Predicate:
    methods = frozenset(condition.values)
    return lambda facts: facts.method in methods


def _header(condition: Condition) -> Predicate:
    name = (condition.header_name or "").lower()
    pattern = _alternatives(condition.values, ignore_case=True)
    # A header sent several times: occurrences are tried in order until one matches.
    return lambda facts: any(
        pattern.fullmatch(value) is not None for key, value in facts.headers if key == name
    )


def _query(condition: Condition) -> Predicate:
    pairs = [
        (None if key is None else _wildcard(key, True), _wildcard(value, True))
        for key, value in condition.key_values
    ]

    def matches(facts: RequestFacts) -> bool:
        received = _query_pairs(facts.query)
        return any(
            (key_pattern is None or key_pattern.fullmatch(key) is not None)
            and value_pattern.fullmatch(value) is not None
            for key_pattern, value_pattern in pairs
            for key, value in received
        )

    return matches


def _source_ip(condition: Condition) -> Predicate:
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in condition.values]
    return lambda facts: any(
        ipaddress.ip_address(facts.source_ip) in network for network in networks
    )


_READS = {  # the RequestFacts field each condition type reads
    "host-header": "host",
    "path-pattern": "path",
    "http-request-method": "method",
    "http-header": "headers",
    "query-string": "query",
    "source-ip": "source_ip",
}

_COMPILERS: dict[str, Callable[[Condition], Predicate]] = {
    "host-header": _host,
    "path-pattern": _path,
    "http-request-method": _method,
    "http-header": _header,
    "query-string": _query,
    "source-ip": _source_ip,
}


def _seer(condition: Condition) -> Callable[[RequestFacts], str]:
    """What a condition compared, in the request's words."""
    if condition.field == "http-header":
        name = (condition.header_name or "").lower()

        def seen(facts: RequestFacts) -> str:
            found = [value for key, value in facts.headers if key == name]
            return ", ".join(found) if found else "(absent)"

        return seen
    return _SEEN[condition.field]


_SEEN: dict[str, Callable[[RequestFacts], str]] = {
    "host-header": lambda facts: _host_without_port(facts.host),
    "path-pattern": lambda facts: facts.path,
    "http-request-method": lambda facts: facts.method,
    "query-string": lambda facts: facts.query,
    "source-ip": lambda facts: facts.source_ip,
}

# One condition of a rule, ready to be explained: field, values as shown, its predicate,
# and what it reads from the request.
Explainer = tuple[str, tuple[str, ...], Predicate, Callable[[RequestFacts], str]]


def _shown_values(condition: Condition) -> tuple[str, ...]:
    if condition.field == "query-string":
        return tuple(f"{key}={value}" if key else value for key, value in condition.key_values)
    return condition.values


class Router:
    """A listener's rules, compiled once: per request only predicates run."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self._rules = [
            (
                tuple(_COMPILERS[c.field](c) for c in rule.conditions),
                Matched(rule.priority, rule.name, rule.actions),
            )
            for rule in listener.rules
        ]
        self._default = Matched(DEFAULT, None, listener.default_actions)
        self._explainers = [
            tuple(
                (c.field, _shown_values(c), predicate, _seer(c))
                for c, predicate in zip(rule.conditions, predicates, strict=True)
            )
            for rule, (predicates, _) in zip(listener.rules, self._rules, strict=True)
        ]
        # Only http-header conditions read headers: the proxy skips decoding them otherwise.
        self.needs_headers = any(
            c.field == "http-header" for rule in listener.rules for c in rule.conditions
        )
        # Matching is pure, and reads only the facts the conditions name: remember the
        # outcome per distinct value of those (a lab's traffic repeats a few paths), so a
        # request that has been seen costs one lookup, not a regex per rule.
        read = sorted({_READS[c.field] for rule in listener.rules for c in rule.conditions})
        self._key = attrgetter(*read) if read else None
        self._memo: dict[object, int] = {}
        # labs.engine.trace's rendering of the rules a request tried, per (rule index,
        # ``alike`` key): kept here, so it lives and goes with the listener.
        self.explained: dict[tuple[int, object], Any] = {}

    def route(self, facts: RequestFacts) -> Matched:
        """The rule that handles this request: the first full match by priority, else default."""
        index = self.match(facts)
        return self._default if index < 0 else self._rules[index][1]

    def alike(self, facts: RequestFacts) -> object:
        """What the rules read from ``facts``: requests alike in it match, and are
        explained, alike."""
        return None if self._key is None else self._key(facts)

    def match(self, facts: RequestFacts) -> int:
        """The index in ``listener.rules`` of the first full match, or -1 for the default."""
        if self._key is None:
            return -1  # no rules: the default
        key = self._key(facts)
        index = self._memo.get(key)
        if index is None:
            index = self._first_match(facts)
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()  # unbounded distinct paths: start over, stay small
            self._memo[key] = index
        return index

    def _first_match(self, facts: RequestFacts) -> int:
        for index, (predicates, _) in enumerate(self._rules):
            for predicate in predicates:
                if not predicate(facts):
                    break
            else:
                return index
        return -1

    def matched(self, index: int) -> Matched:
        return self._default if index < 0 else self._rules[index][1]

    def explain(self, rule: Rule, index: int, facts: RequestFacts) -> list[ConditionTried]:
        """Every condition of ``listener.rules[index]`` against ``facts``, none skipped."""
        return [
            ConditionTried(rule=rule.priority, field=field, values=values, matched=m, seen=seen)
            for field, values, m, seen in self.tried(index, facts)
        ]

    def tried(
        self, index: int, facts: RequestFacts
    ) -> list[tuple[str, tuple[str, ...], bool, str]]:
        """``explain`` as plain tuples (field, values, matched, seen): the trace's fast path."""
        return [
            (field, values, predicate(facts), seen(facts))
            for field, values, predicate, seen in self._explainers[index]
        ]


def route(listener: Listener, facts: RequestFacts) -> Matched:
    """One-off routing (tests, tools); the proxy keeps a ``Router`` per listener."""
    return Router(listener).route(facts)
