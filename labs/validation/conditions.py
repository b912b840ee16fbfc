"""Listener-rule conditions (spec §1.2–1.3): fields, values, lengths and character sets,
and the limits: at most 3 values (match evaluations) per condition, 5 per rule, 5
wildcards per rule, one of each singular field.

The limit messages follow the quota's wording; AWS's exact API text is not documented
(spec appendix B).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from labs.engine import spec

from .core import SHAPE, Context, rule

REGEX = rule("condition.regex-values-not-simulated", source="playground §1.3")
FIELD = rule("condition.field", source="§1.3")
VALUES = rule("condition.values-not-empty", source="§1.2")
LEGACY_VALUES = rule("condition.legacy-values-host-path-only", source="CloudFormation")
CARDINALITY = rule("condition.one-per-field", source="§1.2")
TOO_MANY_VALUES = rule("condition.at-most-5-values", source="§1.2")
PER_CONDITION = rule("condition.at-most-3-values-per-condition", source="§1.2")
TOO_MANY_WILDCARDS = rule("condition.at-most-5-wildcards", source="§1.2")
VALUE_FORMAT = rule("condition.value-format", source="§1.3")
HOST_DOT = rule("condition.host-header-dot", source="§1.3")
HEADER_NAME = rule("condition.http-header-name", source="§1.3")
SOURCE_IP = rule("condition.source-ip-cidr", source="§1.3")

CONFIGS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}
_SINGULAR = ("host-header", "http-request-method", "path-pattern", "source-ip")
# field → (longest value, allowed characters, described), spec §1.3.
_FORMATS = {
    "host-header": (128, r"[A-Za-z0-9\-._*?]+", "A-Z, a-z, 0-9, - . * ?"),
    "path-pattern": (
        128,
        r"[A-Za-z0-9_\-.$/~\"'@:+&*?]+",
        "A-Z, a-z, 0-9, _ - . $ / ~ \" ' @ : + & * ?",
    ),
    "http-header": (128, r"[\x20-\x7e]+", "visible ASCII"),
    "http-request-method": (40, r"[A-Z_\-]+", "A-Z, - _"),
    "query-string": (128, r"[\x20-\x7e]+", "visible ASCII"),
}
_PER_CONDITION = 3
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,40}")


def read(ctx: Context, logical_id: str, values: Any) -> tuple[spec.Condition, ...]:
    if values is not None and not isinstance(values, list):  # not "needs one": it has one
        ctx.fail(SHAPE, logical_id, "Properties.Conditions", "must be a list of conditions")
        return ()
    if not values:
        ctx.fail(VALUES, logical_id, "Properties.Conditions", "a rule needs at least one condition")
        return ()
    conditions = []
    seen: dict[str, int] = {}
    for i, item in ctx.mappings(logical_id, "Properties.Conditions", values):
        path = f"Properties.Conditions[{i}]"
        field = item.get("Field")
        if not isinstance(field, str) or field not in CONFIGS:
            ctx.fail(
                FIELD, logical_id, f"{path}.Field", f"{field!r} is not one of {', '.join(CONFIGS)}"
            )
            continue
        if field in _SINGULAR and field in seen:
            ctx.fail(
                CARDINALITY,
                logical_id,
                f"{path}.Field",
                f"a rule can have only one {field} condition (Conditions[{seen[field]}] is one)",
            )
        seen.setdefault(field, i)
        condition = _condition(ctx, logical_id, path, field, item)
        if condition is not None:
            conditions.append(condition)
    _limits(ctx, logical_id, conditions)
    return tuple(conditions)


def _condition(
    ctx: Context, logical_id: str, path: str, field: str, item: dict[str, Any]
) -> spec.Condition | None:
    key = CONFIGS[field]
    if "Values" in item and key not in item:
        if field not in ("host-header", "path-pattern"):
            ctx.fail(
                LEGACY_VALUES,
                logical_id,
                f"{path}.Values",
                f"Values is only for host-header and path-pattern; use {key}",
            )
            return None
        config: Any = {"Values": item["Values"]}
    else:
        path = f"{path}.{key}"
        config = item.get(key)
    if not isinstance(config, dict):
        ctx.fail(VALUES, logical_id, path, f"a {field} condition needs {key}")
        return None
    values = config.get("Values")
    if values is None and config.get("RegexValues") is not None:
        # Newer AWS matching (spec §1.3); not "needs at least one value": it has some.
        ctx.fail(
            REGEX,
            logical_id,
            f"{path}.RegexValues",
            "RegexValues are not simulated: the playground matches Values (wildcards * ?)",
        )
        return None
    if values is not None and not isinstance(values, list):
        ctx.fail(SHAPE, logical_id, f"{path}.Values", "must be a list of values")
        return None
    if not values:
        ctx.fail(VALUES, logical_id, f"{path}.Values", "a condition needs at least one value")
        return None
    if len(values) > _PER_CONDITION:
        # rule-condition-types.html: "up to three match evaluations per condition"; to
        # require several values, use one condition per value.
        ctx.fail(
            PER_CONDITION,
            logical_id,
            f"{path}.Values",
            f"A condition can only have '{_PER_CONDITION}' match evaluations; this one has "
            f"{len(values)}",
        )
    if field == "query-string":
        pairs = []
        for j, pair in ctx.mappings(logical_id, f"{path}.Values", values):
            for part in ("Key", "Value"):
                if pair.get(part) is not None or part == "Value":
                    _value(ctx, logical_id, f"{path}.Values[{j}].{part}", field, pair.get(part))
            name = pair.get("Key")  # anything but a string was reported just above
            pairs.append((None if name is None else str(name), str(pair.get("Value", ""))))
        return spec.Condition(field=field, key_values=tuple(pairs))
    header = None
    if field == "http-header":
        header = config.get("HttpHeaderName")
        _header_name(ctx, logical_id, f"{path}.HttpHeaderName", header)
    for j, value in enumerate(values):
        _value(ctx, logical_id, f"{path}.Values[{j}]", field, value)
    return spec.Condition(field=field, values=tuple(str(v) for v in values), header_name=header)


def _header_name(ctx: Context, logical_id: str, path: str, name: Any) -> None:
    if not name:
        ctx.fail(HEADER_NAME, logical_id, path, "an http-header condition needs HttpHeaderName")
    elif not isinstance(name, str) or not _TOKEN.fullmatch(name) or "*" in name or "?" in name:
        ctx.fail(
            HEADER_NAME,
            logical_id,
            path,
            f"{name!r} must be a header name of at most 40 token characters, no wildcards",
        )
    elif name.lower() == "host":
        ctx.fail(
            HEADER_NAME,
            logical_id,
            path,
            "an http-header condition cannot match Host; use a host-header condition",
        )


def _value(ctx: Context, logical_id: str, path: str, field: str, value: Any) -> None:
    if field == "source-ip":
        _source_ip(ctx, logical_id, path, value)
        return
    longest, pattern, described = _FORMATS[field]
    if value is None or value == "":
        ctx.fail(VALUES, logical_id, path, "condition values cannot be empty")
    elif not isinstance(value, str):
        ctx.fail(VALUE_FORMAT, logical_id, path, f"{value!r} must be a string")
    elif len(value) > longest:
        ctx.fail(VALUE_FORMAT, logical_id, path, f"must be at most {longest} characters")
    elif not re.fullmatch(pattern, value):
        ctx.fail(VALUE_FORMAT, logical_id, path, f"{value!r} may only contain {described}")
    elif field == "host-header" and (
        "." not in value or not re.fullmatch(r"[A-Za-z*?]+", value.rsplit(".", 1)[1])
    ):
        ctx.fail(
            HOST_DOT,
            logical_id,
            path,
            f"{value!r} must contain a dot and only letters after the last one",
        )


def _source_ip(ctx: Context, logical_id: str, path: str, value: Any) -> None:
    try:
        network = ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        ctx.fail(SOURCE_IP, logical_id, path, f"{value!r} is not a CIDR block")
        return
    if network == ipaddress.ip_network("255.255.255.255/32"):
        ctx.fail(SOURCE_IP, logical_id, path, "255.255.255.255/32 is not allowed")


def _limits(ctx: Context, logical_id: str, conditions: list[spec.Condition]) -> None:
    # A condition over its own limit is reported once, there: counted at 3 here.
    values = sum(min(len(c.values) + len(c.key_values), _PER_CONDITION) for c in conditions)
    if values > 5:
        ctx.fail(
            TOO_MANY_VALUES,
            logical_id,
            "Properties.Conditions",
            f"A rule can only have '5' condition values; this one has {values}",
        )
    texts = [v for c in conditions if c.field != "http-request-method" for v in c.values]
    texts += [part or "" for c in conditions for pair in c.key_values for part in pair]
    # A backslash escapes a literal * or ? in query strings; those are not wildcards.
    wildcards = sum(len(re.findall(r"(?<!\\)[*?]", text)) for text in texts)
    if wildcards > 5:
        ctx.fail(
            TOO_MANY_WILDCARDS,
            logical_id,
            "Properties.Conditions",
            f"A rule can only have '5' wildcards; this one has {wildcards}",
        )
