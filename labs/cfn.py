"""CloudFormation documents ⇄ the engine's ``Topology``.

A topology is a CloudFormation template (YAML, short-form ``!Ref``/``!GetAtt`` included,
or JSON) restricted to the resource types we model, with CloudFormation's own property
names. What AWS has no property for lives under ``Metadata: {Playground: ...}``.

``parse_document`` turns text into plain data (short forms become their long ``Fn::``
spelling); ``dump_yaml`` / ``dump_json`` turn it back, so ``parse(dump(parse(x)))`` equals
``parse(x)``. Validation lives in ``labs.validation``; every problem names the resource's
logical id and the property path in one line: ``ApiRule.Properties.Priority:
PriorityInUse: ...``; a document with any problem yields no topology at all.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

import yaml
from django.conf import settings

from labs import intrinsics
from labs.engine import spec
from labs.validation import RULES, Limits, build, limits
from labs.validation.core import (
    AUTO_SCALING_GROUP,
    CERTIFICATE,
    CLASSIC_LOAD_BALANCER,
    EIP,
    INSTANCE,
    LAMBDA_FUNCTION,
    LAMBDA_PERMISSION,
    LAUNCH_TEMPLATE,
    LISTENER,
    LISTENER_RULE,
    LOAD_BALANCER,
    NO_RESOURCES,
    PARSE,
    SECURITY_GROUP,
    SUBNET,
    SUPPORTED,
    TARGET_GROUP,
    VPC,
    Problem,
    TemplateError,
)

__all__ = [
    "AUTO_SCALING_GROUP",
    "CERTIFICATE",
    "CLASSIC_LOAD_BALANCER",
    "EIP",
    "INSTANCE",
    "LAMBDA_FUNCTION",
    "LAMBDA_PERMISSION",
    "LAUNCH_TEMPLATE",
    "LISTENER",
    "LISTENER_RULE",
    "LOAD_BALANCER",
    "RULES",
    "SECURITY_GROUP",
    "SUBNET",
    "SUPPORTED",
    "TARGET_GROUP",
    "VPC",
    "Limits",
    "Problem",
    "TemplateError",
    "dump_json",
    "dump_yaml",
    "load_topology",
    "parse_document",
    "resolve",
    "run_limits",
    "runnable",
    "template_metadata",
    "validate",
]

# Short-form tags and the long form each stands for (CloudFormation's intrinsic functions).
_SHORT_FORMS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "GetAtt",
            "Sub",
            "Join",
            "Select",
            "Split",
            "GetAZs",
            "ImportValue",
            "FindInMap",
            "Base64",
            "Cidr",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Transform",
            "ToJsonString",
            "Length",
            # the Rules section's assertion functions
            "Contains",
            "EachMemberEquals",
            "EachMemberIn",
            "RefAll",
            "ValueOf",
            "ValueOfAll",
        )
    },
}
_LONG_FORMS = {long: short for short, long in _SHORT_FORMS.items() if short != "Condition"}
_TOP_LEVEL = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
)
_RESOURCE_KEYS = ("Type", "Condition", "DependsOn", "Metadata", "Properties")


# --- parsing ---------------------------------------------------------------------------------
class _Bounded(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


# libyaml parses about fifty times faster than PyYAML's Python parser (a 1 MB template:
# 0.2 s instead of 10), so the bounds hold in well under a second; PyYAML's own words
# for a syntax error, with the line quoted, stay for texts small enough to parse twice.
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_REPORT_BELOW = 64 * 1024  # bytes: PyYAML's Python parser reads this in ~0.5 s at worst


class _Loader(_FAST):  # type: ignore[misc, valid-type]
    """YAML with CloudFormation's short forms; dates stay strings, as CloudFormation reads
    ``AWSTemplateFormatVersion: 2010-09-09``."""


class _ReportingLoader(yaml.SafeLoader):
    """The same YAML, read by PyYAML's Python parser for its error messages only.

    It composes recursively, so it counts the depth as it goes: nesting that stopped
    libyaml (at 1000 open brackets) is reported by resource and property, not by a
    RecursionError.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._path: list[Any] = []  # keys and list indexes down to the node being composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        # ``index``: the key node for a mapping's value, the position in a sequence, None
        # for the root and for keys; so the path's length is the depth ``measure`` counts.
        self._path.append(index.value if isinstance(index, yaml.ScalarNode) else index)
        if len(self._path) > limits.MAX_DEPTH:
            raise _Bounded(limits.too_deep([step for step in self._path if step is not None]))
        node = super().compose_node(parent, index)
        self._path.pop()
        return node


def _intrinsic(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _loader in (_Loader, _ReportingLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    for _short, _long in _SHORT_FORMS.items():
        _loader.add_constructor(f"!{_short}", _intrinsic(_long))

_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


def _check_yaml_shape(text: str) -> None:
    """Walk the parser's events once, before anything is composed: nesting past
    ``MAX_DEPTH`` or more than ``MAX_VALUES`` values (aliases not yet expanded) raises
    ``_Bounded``. Composing is recursive, so this is what keeps deep text off the stack.
    """
    # Per open collection: [is a mapping, the next node is a key, last key, next index].
    open_: list[list[Any]] = []
    path: list[Any] = []  # each open collection's step from its parent (the root has none)
    count = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _NODE_EVENTS):
            count += 1
            step = _step(open_[-1], event) if open_ else None
            if step is not _KEY and (len(open_) >= limits.MAX_DEPTH or count > limits.MAX_VALUES):
                where = [s for s in (*path, step) if s is not None]
                too_deep = len(open_) >= limits.MAX_DEPTH
                raise _Bounded(limits.too_deep(where) if too_deep else limits.too_many(where))
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                if open_:
                    path.append(None if step is _KEY else step)
                open_.append([isinstance(event, yaml.MappingStartEvent), True, None, 0])
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            open_.pop()
            del path[max(len(open_) - 1, 0) :]


_KEY = object()  # a mapping's key: not a step down, the next value's name


def _step(parent: list[Any], event: yaml.Event) -> Any:
    """Where a node sits in its open parent collection (and advance the parent)."""
    is_mapping, wants_key, key, index = parent
    if not is_mapping:
        parent[3] = index + 1
        return index
    parent[1] = not wants_key
    if wants_key:
        parent[2] = event.value if isinstance(event, yaml.ScalarEvent) else None
        return _KEY
    return key


def _parse_problem(text: str, fast: yaml.YAMLError | json.JSONDecodeError) -> Problem:
    """The problem with text the parser refused, as "line L, column C: what" (the editor
    shows it at that line). For small YAML, PyYAML's Python parser reads it again: it names
    the property that nests too deep."""
    error: yaml.YAMLError | json.JSONDecodeError = fast
    if isinstance(fast, yaml.YAMLError) and len(text) <= _REPORT_BELOW:
        try:
            yaml.load(text, Loader=_ReportingLoader)  # noqa: S506 - a SafeLoader
        except _Bounded as bounded:
            return bounded.problem
        except yaml.YAMLError as slow:
            error = slow
    line: int | None
    column: int | None
    if isinstance(error, json.JSONDecodeError):
        line, column, what = error.lineno, error.colno, error.msg
        language = "JSON"
    else:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        what = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        if context:
            what = f"{what} ({context})"
        language = "YAML"
    where = f"line {line}, column {column}: " if line is not None else ""
    return Problem(
        "Template",
        "",
        PARSE.code,
        f"not valid {language}: {where}{what}".replace("\n", " "),
        PARSE.id,
        line=line,
        column=column,
    )


def parse_document(text: str) -> dict[str, Any]:
    """The template as plain data; short forms become their long ``Fn::`` spelling.

    Raises:
        TemplateError: the text is no template, or is larger, deeper or holds more values
            than ``labs.validation.limits`` allows.
    """
    too_big = limits.size(text)
    if too_big is not None:
        raise TemplateError([too_big])
    try:
        if text.lstrip().startswith("{"):
            document = json.loads(text)
        else:
            _check_yaml_shape(text)
            document = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except _Bounded as exc:
        raise TemplateError([exc.problem]) from None
    except RecursionError:  # json's C scanner nests on the stack: far past MAX_DEPTH
        raise TemplateError([limits.too_deep([])]) from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TemplateError([_parse_problem(text, exc)]) from None
    except ValueError as exc:  # an integer past Python's int-string limit (sys.int_info)
        if "digits" not in str(exc):
            raise
        language = "JSON" if text.lstrip().startswith("{") else "YAML"
        digits = sys.get_int_max_str_digits()
        raise TemplateError(
            [
                Problem(
                    "Template",
                    "",
                    PARSE.code,
                    f"not valid {language}: a number has more than {digits} digits",
                    PARSE.id,
                )
            ]
        ) from None
    if (
        not isinstance(document, dict)
        or not isinstance(document.get("Resources"), dict)
        or not all(isinstance(r, dict) for r in document["Resources"].values())
    ):
        raise TemplateError([NO_RESOURCES])
    bounded = limits.measure(document) or limits.resource_count(document["Resources"])
    if bounded is not None:
        raise TemplateError([bounded])
    return document


def template_metadata(text: str) -> dict[str, Any]:
    """``Metadata.Playground`` of a template (titles, descriptions, traffic)."""
    metadata = parse_document(text).get("Metadata") or {}
    playground = metadata.get("Playground") if isinstance(metadata, dict) else None
    return playground if isinstance(playground, dict) else {}


def run_limits() -> Limits:
    """What a run may use, from the settings (LAB_MAX_RPS, LAB_MAX_TARGETS); read on each
    call, so every entry point (views, commands, the worker) checks today's values."""
    if not settings.configured:
        return Limits()
    default = Limits()
    return Limits(
        max_rps=getattr(settings, "LAB_MAX_RPS", default.max_rps),
        max_targets=getattr(settings, "LAB_MAX_TARGETS", default.max_targets),
    )


def resolve(
    source: str | dict[str, Any], parameters: Mapping[str, str] | None = None
) -> intrinsics.Resolved:
    """The template as CloudFormation would create it: parameters, conditions and intrinsic
    functions evaluated, unmodelled resources set aside (``labs.intrinsics``).

    Raises:
        TemplateError: the text is no template (``parse_document``).
    """
    document = parse_document(source) if isinstance(source, str) else source
    return intrinsics.resolve(document, parameters)


def load_topology(
    source: str | dict[str, Any],
    bounds: Limits | None = None,
    parameters: Mapping[str, str] | None = None,
) -> spec.Topology:
    """The topology a template (text or parsed document) describes, within ``bounds``
    (default: ``run_limits()``), with ``parameters`` over the template's own values.

    Raises:
        TemplateError: with every problem found, the template's (parameters, functions)
            and the resources' together; an invalid document yields nothing.
    """
    resolved = resolve(source, parameters)
    try:
        topology = build(resolved.document, bounds or run_limits())
    except TemplateError as error:
        said = resolved.explained
        raise TemplateError(
            resolved.problems + [p for p in error.problems if not _said(p, said)]
        ) from None
    if resolved.problems:
        raise TemplateError(resolved.problems)
    return topology


def _said(problem: Problem, explained: list[tuple[str, str]]) -> bool:
    """Whether ``problem`` sits at or under a path the template's own evaluation already
    reported: one cause, one line."""
    return any(
        problem.logical_id == logical_id
        and (
            problem.path == path
            or problem.path.startswith((f"{path}.", f"{path}["))
            or path.startswith((f"{problem.path}.", f"{problem.path}["))
        )
        for logical_id, path in explained
    )


def validate(
    document: dict[str, Any],
    bounds: Limits | None = None,
    parameters: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every problem of a parsed document; [] when it is valid."""
    if not isinstance(document.get("Resources"), dict):
        return [NO_RESOURCES]
    try:
        load_topology(document, bounds, parameters)
    except TemplateError as error:
        return error.problems
    return []


# --- dumping ---------------------------------------------------------------------------------
def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys in CloudFormation's customary order, resource attributes Type first;
    resources and properties keep the document's order."""
    top = {key: document[key] for key in _TOP_LEVEL if key in document}
    top.update((key, value) for key, value in document.items() if key not in top)
    resources = top.get("Resources")
    if isinstance(resources, dict):
        top["Resources"] = {
            name: _ordered_resource(resource) if isinstance(resource, dict) else resource
            for name, resource in resources.items()
        }
    return top


def _ordered_resource(resource: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: resource[key] for key in _RESOURCE_KEYS if key in resource}
    ordered.update((key, value) for key, value in resource.items() if key not in ordered)
    return ordered


class _Dumper(yaml.SafeDumper):
    """Writes intrinsic functions in their short form: ``!Ref X``, ``!GetAtt A.B``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key

    def choose_scalar_style(self) -> str:
        # PyYAML quotes every scalar with an explicit tag; a short form reads better plain
        # (``!Ref Vpc``), and the tag already says how to read it back.
        style = super().choose_scalar_style()
        event: Any = self.event
        if (
            style in ("'", '"')
            and not event.style
            and (event.tag or "").startswith("!")
            and not (event.tag or "").startswith("!!")
        ):
            analysis = self.analysis or self.analyze_scalar(event.value)
            plain = analysis.allow_flow_plain if self.flow_level else analysis.allow_block_plain
            if plain and not analysis.empty and not analysis.multiline:
                return ""
        return style


def _represent_dict(dumper: _Dumper, data: dict[str, Any]) -> yaml.Node:
    if len(data) == 1:
        ((key, value),) = data.items()
        short = _LONG_FORMS.get(key) if isinstance(key, str) else None
        if (
            short == "GetAtt"
            and isinstance(value, list)
            and len(value) == 2
            and all(isinstance(part, str) for part in value)
            and re.fullmatch(r"[A-Za-z0-9]+", value[0])
        ):
            return dumper.represent_scalar("!GetAtt", f"{value[0]}.{value[1]}")
        if short is not None and (short != "GetAtt" or isinstance(value, list)):
            if isinstance(value, str):
                return dumper.represent_scalar(f"!{short}", value, style=_style(value))
            if isinstance(value, list):
                return dumper.represent_sequence(f"!{short}", value)
            if isinstance(value, dict):
                return dumper.represent_mapping(f"!{short}", value)
    return dumper.represent_dict(data)


def _style(text: str) -> str | None:
    # PyYAML writes NEL (U+0085) raw in plain, quoted and block styles and reads it back as
    # a line break; only double quotes escape it. Code and prose read best as blocks.
    return '"' if "\x85" in text else "|" if "\n" in text.rstrip("\n") else None


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=_style(data))


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(str, _represent_str)


def dump_yaml(document: dict[str, Any]) -> str:
    """The document as CloudFormation YAML with short-form intrinsics."""
    return yaml.dump(
        _ordered(document),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def dump_json(document: dict[str, Any]) -> str:
    """The document as CloudFormation JSON (long forms, 2-space indent)."""
    return json.dumps(_ordered(document), indent=2, ensure_ascii=False) + "\n"


# --- what the runtime can run ------------------------------------------------------------------
_RUNTIME_ACTIONS = ("forward", "redirect", "fixed-response")


# What each load balancer type's data plane carries today.
_RUNTIME_PROTOCOLS = {
    "application": ("HTTP", "HTTPS"),
    "network": ("TCP", "TLS", "UDP", "TCP_UDP"),
    "classic": ("HTTP", "HTTPS", "TCP", "SSL"),
    "gateway": ("GENEVE",),  # the listener takes every IP packet (§7.1)
}
# A Classic LB's dummy instances speak HTTP/TCP, or TLS with the run's CA (HTTPS/SSL).
_CLASSIC_INSTANCE_PROTOCOLS = ("HTTP", "TCP", "HTTPS", "SSL")


def runnable(topology: spec.Topology) -> str | None:
    """None when today's runtime can run the topology, else a code saying why not.

    The runtime proxies HTTP and HTTPS for Application Load Balancers, forwarding to
    instance, ip or Lambda targets, redirecting or answering fixed responses, and passes TCP
    through Network Load Balancers to instance, ip and alb targets; Classic Load Balancers run
    HTTP, HTTPS, TCP and SSL listeners to HTTP, HTTPS, TCP and SSL instances; Gateway Load
    Balancers hand IP packets to GENEVE appliances; codes look like
    ``unsupported-load-balancer-type:gateway`` so the web layer can translate them.
    """
    if not topology.load_balancers:
        return "no-load-balancer"
    for lb in topology.load_balancers:
        if lb.type not in _RUNTIME_PROTOCOLS:
            return f"unsupported-load-balancer-type:{lb.type}"
        for listener in lb.listeners:
            if listener.protocol not in _RUNTIME_PROTOCOLS[lb.type]:
                return f"unsupported-listener-protocol:{listener.protocol}"
            if lb.type == "classic" and (reason := _classic_unsupported(lb, listener)):
                return reason
            actions = listener.default_actions + tuple(
                action for rule in listener.rules for action in rule.actions
            )
            for action in actions:
                if action.type not in _RUNTIME_ACTIONS:
                    return f"unsupported-action:{action.type}"
    for group in topology.target_groups:
        if group.target_type not in ("instance", "ip", "lambda", "alb"):
            return f"unsupported-target-type:{group.target_type}"
    return None


def _classic_unsupported(lb: spec.LoadBalancer, listener: spec.Listener) -> str | None:
    """What today's Classic LB runtime cannot carry: listeners forwarding to different
    instance ports, or speaking TLS and plain text to the same instance port (one dummy
    instance server per port)."""
    if listener.instance_protocol not in _CLASSIC_INSTANCE_PROTOCOLS:
        return f"unsupported-instance-protocol:{listener.instance_protocol}"
    tls = [x.instance_protocol for x in lb.listeners if x.instance_protocol in ("HTTPS", "SSL")]
    if tls and len(tls) < len(lb.listeners):  # TLS and plain text to one instance port
        return f"unsupported-instance-protocol:{tls[0]}"
    if lb.health_check is not None and lb.health_check.protocol not in (
        "HTTP",
        "TCP",
        "HTTPS",
        "SSL",
    ):
        return f"unsupported-health-check-protocol:{lb.health_check.protocol}"
    if listener.instance_port != lb.listeners[0].instance_port:
        return f"unsupported-instance-port:{listener.instance_port}"
    return None
