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
from dataclasses import dataclass
from functools import lru_cache

from .spec import Action, Condition, Listener

DEFAULT = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestFacts:
    method: str
    host: str  # the Host header (port included, as received)
    path: str  # raw path, no query string
    query: str  # raw query string, no "?"
    headers: tuple[tuple[str, str], ...]  # (lower-case name, value), in order
    source_ip: str  # the TCP peer of the connection to the load balancer


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


def _host(condition: Condition, facts: RequestFacts) -> bool:
    host = _host_without_port(facts.host)
    return any(wildcard_match(v, host, ignore_case=True) for v in condition.values)


def _path(condition: Condition, facts: RequestFacts) -> bool:
    return any(wildcard_match(v, facts.path, ignore_case=False) for v in condition.values)


def _method(condition: Condition, facts: RequestFacts) -> bool:
    return facts.method in condition.values


def _header(condition: Condition, facts: RequestFacts) -> bool:
    name = (condition.header_name or "").lower()
    found = [value for key, value in facts.headers if key == name]
    return any(
        wildcard_match(pattern, value, ignore_case=True)
        for value in found
        for pattern in condition.values
    )


def _query(condition: Condition, facts: RequestFacts) -> bool:
    pairs = _query_pairs(facts.query)
    for key_pattern, value_pattern in condition.key_values:
        for key, value in pairs:
            key_ok = key_pattern is None or wildcard_match(key_pattern, key, ignore_case=True)
            if key_ok and wildcard_match(value_pattern, value, ignore_case=True):
                return True
    return False


def _source_ip(condition: Condition, facts: RequestFacts) -> bool:
    address = ipaddress.ip_address(facts.source_ip)
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in condition.values)


_MATCHERS = {
    "host-header": _host,
    "path-pattern": _path,
    "http-request-method": _method,
    "http-header": _header,
    "query-string": _query,
    "source-ip": _source_ip,
}


def route(listener: Listener, facts: RequestFacts) -> Matched:
    """The rule that handles this request: the first full match by priority, else default."""
    for rule in listener.rules:
        if all(_MATCHERS[c.field](c, facts) for c in rule.conditions):
            return Matched(rule.priority, rule.name, rule.actions)
    return Matched(DEFAULT, None, listener.default_actions)
