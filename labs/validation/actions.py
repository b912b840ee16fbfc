"""Listener and rule actions (spec §1.4): forward, redirect, fixed-response and the
authenticate actions, with the constraints AWS puts on each.

Every action list needs exactly one routing action (forward, redirect or fixed-response)
and it runs last; NLB and GWLB listeners only forward. Redirect loops are refused when the
document is saved: AWS refuses them too, but its exact error text is not documented (spec
§1.4), so the wording is ours.
"""

from __future__ import annotations

import re
from typing import Any

from labs.engine import auth, spec

from .core import SHAPE, TARGET_GROUP, Context, boolean, reference, rule

NEEDS_ACTION = rule("action.at-least-one", source="§1.2")
TYPE_FOR_LB = rule(
    "action.type-per-load-balancer", code="InvalidLoadBalancerAction", source="§1.4 §6.1 §7.1"
)
ONE_ROUTING = rule(
    "action.one-routing-action-last", code="InvalidLoadBalancerAction", source="§1.4"
)
ORDER = rule("action.order", source="§1.4")
ORDER_UNIQUE = rule("action.order-unique", source="§1.4 API Action")
AUTH_HTTPS = rule(
    "action.authenticate-needs-https", code="InvalidLoadBalancerAction", source="§1.4"
)
CONFIG = rule("action.config-required", source="API Action")
FORWARD_GROUPS = rule("action.forward-target-groups", code="TooManyTargetGroups", source="§1.4")
FORWARD_ONE = rule(
    "action.forward-one-group-on-nlb-gwlb", code="InvalidLoadBalancerAction", source="§6.1"
)
FORWARD_BOTH = rule("action.forward-arn-and-config-agree", source="API Action")
STICKINESS = rule("action.forward-stickiness-duration", source="§1.4")
REDIRECT = rule("action.redirect-config", source="§1.4")
REDIRECT_HTTPS_TO_HTTP = rule(
    "action.redirect-not-https-to-http", code="InvalidLoadBalancerAction", source="§1.4"
)
REDIRECT_LOOP = rule(
    "action.redirect-changes-something", code="InvalidLoadBalancerAction", source="§1.4"
)
FIXED = rule("action.fixed-response-config", source="§1.4")

ROUTING = ("forward", "redirect", "fixed-response")
AUTHENTICATE = ("authenticate-oidc", "authenticate-cognito", "jwt-validation")
_CONFIG_KEY = {
    "redirect": "RedirectConfig",
    "fixed-response": "FixedResponseConfig",
    "authenticate-oidc": "AuthenticateOidcConfig",
    "authenticate-cognito": "AuthenticateCognitoConfig",
    "jwt-validation": "JwtValidationConfig",
}
_CONTENT_TYPES = (
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
)
# Redirect components: (max length, placeholders allowed in it).
_COMPONENTS = {
    "Host": (1, 128, ("host",)),
    "Path": (1, 128, ("host", "path", "port")),
    "Query": (0, 128, ("protocol", "host", "port", "path", "query")),
}
_PLACEHOLDER = re.compile(r"#\{([^}]*)\}")


def read(
    ctx: Context,
    logical_id: str,
    path: str,
    values: Any,
    lb_type: str | None,
    listener: tuple[str, int] | None,
) -> tuple[spec.Action, ...]:
    """The actions at ``path``; ``listener`` is (protocol, port) when known."""
    if not isinstance(values, list) or not values:
        ctx.fail(NEEDS_ACTION, logical_id, path, "needs at least one action")
        return ()
    ordered = []
    orders: dict[int, str] = {}  # explicit Order → the action that has it
    for i, item in ctx.mappings(logical_id, path, values):
        where = f"{path}[{i}]"
        # Without a Type the action used to vanish, and every request got a 460 (cfn-lint
        # E3003: a required property is missing).
        if not ctx.required(logical_id, item, "Type", where=where):
            continue
        kind = ctx.choice(logical_id, f"{where}.Type", item.get("Type"), ROUTING + AUTHENTICATE, "")
        if not kind:
            continue
        if lb_type in ("network", "gateway") and kind != "forward":
            ctx.fail(
                TYPE_FOR_LB,
                logical_id,
                f"{where}.Type",
                f"a {lb_type} load balancer's listeners can only forward, not {kind}",
            )
        if kind in AUTHENTICATE and listener is not None and listener[0] != "HTTPS":
            ctx.fail(
                AUTH_HTTPS,
                logical_id,
                f"{where}.Type",
                f"{kind} actions are supported only on HTTPS listeners",
            )
        order = item.get("Order")
        if order is None and len(values) > 1:
            ctx.fail(
                ORDER, logical_id, f"{where}.Order", "is required when there are several actions"
            )
        explicit = order is not None
        order = ctx.integer(logical_id, f"{where}.Order", order, 1, 50000, i + 1)
        # Order decides which action runs first; two with one Order leave that open.
        if explicit and not ctx.reported(logical_id, f"{where}.Order"):
            if order in orders:
                ctx.fail(
                    ORDER_UNIQUE,
                    logical_id,
                    f"{where}.Order",
                    f"Order {order} is already used by {orders[order]}; each action of a "
                    "rule needs its own Order",
                )
            orders.setdefault(order, where.rsplit(".", 1)[-1])
        ordered.append(
            (order, where, _action(ctx, logical_id, where, kind, item, lb_type, listener))
        )
    ordered.sort(key=lambda entry: entry[0])
    routing = [where for _, where, action in ordered if action.type in ROUTING]
    if ordered and (len(routing) != 1 or ordered[-1][2].type not in ROUTING):
        ctx.fail(
            ONE_ROUTING,
            logical_id,
            path,
            "needs exactly one forward, redirect or fixed-response action, ordered last",
        )
    return tuple(action for _, _, action in ordered)


def _action(
    ctx: Context,
    logical_id: str,
    where: str,
    kind: str,
    item: dict[str, Any],
    lb_type: str | None,
    listener: tuple[str, int] | None,
) -> spec.Action:
    if kind == "forward":
        groups, stickiness = _forward(ctx, logical_id, where, item, lb_type)
        return spec.Action(type=kind, target_groups=groups, stickiness=stickiness)
    config = item.get(_CONFIG_KEY[kind])
    if not isinstance(config, dict):
        ctx.fail(
            CONFIG,
            logical_id,
            f"{where}.{_CONFIG_KEY[kind]}",
            f"a {kind} action needs {_CONFIG_KEY[kind]}",
        )
        return spec.Action(type=kind)
    config = _texts(ctx, logical_id, f"{where}.{_CONFIG_KEY[kind]}", config)
    if kind == "redirect":
        _redirect(ctx, logical_id, f"{where}.RedirectConfig", config, listener)
        return spec.Action(type=kind, redirect=config)
    if kind == "fixed-response":
        _fixed_response(ctx, logical_id, f"{where}.FixedResponseConfig", config)
        return spec.Action(type=kind, fixed_response=config)
    if kind in auth.AUTHENTICATE:
        # The sandbox reaches no IdP: the engine plays one, as the template says (auth.py).
        idp = ctx.choice(
            logical_id,
            "Metadata.Playground.IdentityProvider",
            ctx.playground(logical_id).get("IdentityProvider"),
            auth.IDENTITY_PROVIDERS,
            auth.ACCEPTS,
        )
        return spec.Action(type=kind, authenticate=config, identity_provider=idp)
    return spec.Action(type=kind)


def _forward(
    ctx: Context, logical_id: str, where: str, item: dict[str, Any], lb_type: str | None
) -> tuple[tuple[tuple[str, int], ...], tuple[bool, int] | None]:
    config = item.get("ForwardConfig") or {}
    if "TargetGroupArn" in item:
        group = ctx.ref(logical_id, f"{where}.TargetGroupArn", item["TargetGroupArn"], TARGET_GROUP)
        # API Action: with both, ForwardConfig names one target group, TargetGroupArn's.
        # Reading only TargetGroupArn hid a second, weighted group the learner meant.
        weighted = config.get("TargetGroups") if isinstance(config, dict) else None
        if weighted is not None:
            named = [
                reference(entry.get("TargetGroupArn"))[0] if isinstance(entry, dict) else None
                for entry in (weighted if isinstance(weighted, list) else [weighted])
            ]
            if group and named != [group]:
                ctx.fail(
                    FORWARD_BOTH,
                    logical_id,
                    f"{where}.ForwardConfig.TargetGroups",
                    f"with TargetGroupArn, ForwardConfig.TargetGroups may name only that "
                    f"target group ({group}); use ForwardConfig alone to weight several",
                )
        stickiness = _stickiness(ctx, logical_id, f"{where}.ForwardConfig", config)
        return ((group, 1),) if group else (), stickiness
    weighted = config.get("TargetGroups") if isinstance(config, dict) else None
    path = f"{where}.ForwardConfig.TargetGroups"
    if not isinstance(weighted, list) or not 1 <= len(weighted) <= 5:
        ctx.fail(
            FORWARD_GROUPS,
            logical_id,
            path if weighted else where,
            "a forward action needs TargetGroupArn or ForwardConfig.TargetGroups with "
            "1 to 5 target groups",
        )
    elif len(weighted) > 1 and lb_type in ("network", "gateway"):
        ctx.fail(
            FORWARD_ONE,
            logical_id,
            path,
            f"a {lb_type} load balancer forwards to exactly one target group",
        )
    groups = []
    for j, entry in ctx.mappings(logical_id, path, weighted if isinstance(weighted, list) else []):
        group = ctx.ref(
            logical_id, f"{path}[{j}].TargetGroupArn", entry.get("TargetGroupArn"), TARGET_GROUP
        )
        weight = ctx.integer(logical_id, f"{path}[{j}].Weight", entry.get("Weight"), 0, 999, 1)
        if group:
            groups.append((group, weight))
    return tuple(groups), _stickiness(ctx, logical_id, f"{where}.ForwardConfig", config)


def _stickiness(ctx: Context, logical_id: str, path: str, config: Any) -> tuple[bool, int] | None:
    sticky = config.get("TargetGroupStickinessConfig") if isinstance(config, dict) else None
    if not isinstance(sticky, dict):
        return None
    path += ".TargetGroupStickinessConfig"
    enabled = bool(boolean(sticky.get("Enabled")))
    if enabled and sticky.get("DurationSeconds") is None:
        ctx.fail(
            STICKINESS,
            logical_id,
            f"{path}.DurationSeconds",
            "is required when target group stickiness is enabled",
        )
        return True, 3600
    duration = ctx.integer(
        logical_id,
        f"{path}.DurationSeconds",
        sticky.get("DurationSeconds"),
        1,
        604800,
        3600,
        STICKINESS,
    )
    return enabled, duration


def _redirect(
    ctx: Context,
    logical_id: str,
    path: str,
    config: dict[str, str],
    listener: tuple[str, int] | None,
) -> None:
    unknown = set(config) - {"StatusCode", "Protocol", "Host", "Port", "Path", "Query"}
    for key in sorted(unknown):
        ctx.fail(REDIRECT, logical_id, f"{path}.{key}", "is not a RedirectConfig property")
    if "StatusCode" not in config:
        ctx.required(logical_id, config, "StatusCode", where=path)
    elif config["StatusCode"] not in ("HTTP_301", "HTTP_302"):
        ctx.fail(REDIRECT, logical_id, f"{path}.StatusCode", "must be HTTP_301 or HTTP_302")
    protocol = config.get("Protocol")
    if protocol is not None and not re.fullmatch(r"HTTPS?|#\{protocol\}", protocol):
        ctx.fail(REDIRECT, logical_id, f"{path}.Protocol", "must be HTTP, HTTPS or #{protocol}")
    elif protocol == "HTTP" and listener is not None and listener[0] == "HTTPS":
        ctx.fail(
            REDIRECT_HTTPS_TO_HTTP,
            logical_id,
            f"{path}.Protocol",
            "an HTTPS listener cannot redirect to HTTP",
        )
    port = config.get("Port")
    if (
        port is not None
        and port != "#{port}"
        and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535)
    ):
        ctx.fail(REDIRECT, logical_id, f"{path}.Port", "must be 1-65535 or #{port}")
    for key, (low, high, allowed) in _COMPONENTS.items():
        value = config.get(key)
        if value is not None:
            _component(ctx, logical_id, f"{path}.{key}", key, value, low, high, allowed)
    same = {
        "Protocol": ("#{protocol}", listener and listener[0]),
        "Host": ("#{host}",),
        "Port": ("#{port}", listener and str(listener[1])),
        "Path": ("/#{path}",),
    }
    if all(config.get(key) in (None, *kept) for key, kept in same.items()):
        ctx.fail(
            REDIRECT_LOOP,
            logical_id,
            path,
            "a redirect must change the protocol, host, port or path, or it would "
            "redirect to itself",
        )


def _component(
    ctx: Context,
    logical_id: str,
    path: str,
    key: str,
    value: str,
    low: int,
    high: int,
    allowed: tuple[str, ...],
) -> None:
    if not low <= len(value) <= high:
        ctx.fail(REDIRECT, logical_id, path, f"must be {low} to {high} characters")
    elif key == "Path" and not value.startswith("/"):
        ctx.fail(REDIRECT, logical_id, path, "must be an absolute path starting with /")
    elif key == "Query" and value.startswith("?"):
        ctx.fail(REDIRECT, logical_id, path, "must not start with ? (it is added for you)")
    elif key != "Query" and re.search(r"%[0-9A-Fa-f]{2}", value):
        ctx.fail(REDIRECT, logical_id, path, "must not be percent-encoded")
    elif bad := [p for p in _PLACEHOLDER.findall(value) if p not in allowed]:
        ctx.fail(
            REDIRECT,
            logical_id,
            path,
            f"#{{{bad[0]}}} cannot be used in {key}; allowed: "
            + ", ".join(f"#{{{p}}}" for p in allowed),
        )


def _texts(ctx: Context, logical_id: str, path: str, config: dict[str, Any]) -> dict[str, str]:
    """A redirect's or fixed response's fields as text. A null is an absent field (it was
    the text "None": a redirect to host None, a body reading None); a list or a mapping
    is no text at all."""
    texts = {}
    for key, value in config.items():
        if isinstance(value, dict | list):
            ctx.fail(SHAPE, logical_id, f"{path}.{key}", "must be a string")
        elif value is not None:
            texts[key] = str(value)
    return texts


def _fixed_response(ctx: Context, logical_id: str, path: str, config: dict[str, str]) -> None:
    unknown = set(config) - {"StatusCode", "ContentType", "MessageBody"}
    for key in sorted(unknown):
        ctx.fail(FIXED, logical_id, f"{path}.{key}", "is not a FixedResponseConfig property")
    if "StatusCode" not in config:
        ctx.required(logical_id, config, "StatusCode", where=path)
    elif not re.fullmatch(r"[245]\d\d", config["StatusCode"]):
        ctx.fail(
            FIXED,
            logical_id,
            f"{path}.StatusCode",
            f"{config.get('StatusCode')!r} must be a 2XX, 4XX or 5XX status code",
        )
    content_type = config.get("ContentType")
    if content_type is not None and content_type not in _CONTENT_TYPES:
        ctx.fail(
            FIXED, logical_id, f"{path}.ContentType", f"must be one of {', '.join(_CONTENT_TYPES)}"
        )
    if len(config.get("MessageBody", "")) > 1024:
        ctx.fail(FIXED, logical_id, f"{path}.MessageBody", "must be at most 1024 characters")
