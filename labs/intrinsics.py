"""What CloudFormation does to a template before it creates anything, done the same way.

A template as people write it takes ``Parameters``, picks values from ``Mappings``, turns
resources on and off with ``Conditions`` and builds strings with ``Fn::Sub``/``Fn::Join``.
``resolve`` evaluates all of that, as CloudFormation's template reference describes each
function, into the plain document the validation (``labs.validation``) reads:

- parameters take the value given (``Metadata.Playground.Parameters`` or the caller's),
  else their ``Default``; one without either is reported as CloudFormation does
  (``Parameters: [KeyName] must have values``) and listed by ``inputs`` so a form can ask;
- parameters naming something of an account we do not have (``AWS::EC2::VPC::Id``,
  subnets, security groups, a certificate ARN) get a **sandbox stand-in** instead: a VPC,
  subnets in two zones, an open security group, a certificate the run's CA issues;
- pseudo parameters are the playground's account (``labs.engine.accesslog``);
- a resource whose condition is false is removed, so is ``AWS::NoValue``;
- ``Ref``/``Fn::GetAtt`` to resources stay as they are (validation resolves them), except
  inside strings, where they become a stand-in physical name;
- resources of types the playground does not simulate are set aside (``Resolved.unmodelled``)
  rather than refused; the ones that change who reaches whom are merged into what they change
  (``AWS::EC2::SecurityGroupIngress`` into its group, ``ListenerCertificate`` into its
  listener); internet gateways and route tables are kept (``labs.validation.routing`` reads
  them); a Route 53 alias of a load balancer's ``DNSName`` is set aside but its name joins
  that load balancer (``Metadata.Playground.Aliases``), the Host its clients send;
- an ECS service behind a target group (``AWS::ECS::Service`` with ``LoadBalancers``) runs
  its ``DesiredCount`` tasks as dummy targets registered in that group: in ``awsvpc`` mode
  one address per task in the service's subnets (ip targets), in ``bridge`` mode container
  instances in the load balancer's subnets with a host port from 32768 per task
  (``Resolved.ecs_services``); the cluster and task definitions are set aside.

The stored template is never changed: this is a view of it, taken on every load.
Every problem names the resource (or ``Parameters``/``Conditions``), the path and the function.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from labs.engine.accesslog import ACCOUNT, REGION
from labs.validation.core import (
    AUTO_SCALING_GROUP,
    CERTIFICATE,
    CLASSIC_LOAD_BALANCER,
    INSTANCE,
    INTEGER,
    LAUNCH_TEMPLATE,
    LISTENER,
    LOAD_BALANCER,
    SECURITY_GROUP,
    SUBNET,
    SUPPORTED,
    TARGET_GROUP,
    VPC,
    Problem,
    rule,
)

STACK_NAME = "playground"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/0a1b2c3d-playground"
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::AccountId": ACCOUNT,
    "AWS::NotificationARNs": [],
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::StackId": STACK_ID,
    "AWS::StackName": STACK_NAME,
    "AWS::URLSuffix": "amazonaws.com",
}
# The zones Fn::GetAZs returns for the playground's region (us-east-1 has six).
ZONES = tuple(f"{REGION}{letter}" for letter in "abcdef")

PARAMETER = rule("template.parameter-value", source="CloudFormation")
# A value the template needs and nobody gave yet: the template itself is fine (CloudFormation
# validates it without values); it cannot run until the values are given.
MISSING = rule("template.parameter-missing", source="CloudFormation")
FUNCTION = rule("template.intrinsic-function", source="CloudFormation")
CONDITION = rule("template.condition", source="CloudFormation")
MAPPING = rule("template.find-in-map", source="CloudFormation")
# Each function's problems are reported under its own rule where it has one.
_RULE_OF = {"Fn::FindInMap": MAPPING, "Fn::If": CONDITION}
TRANSFORM = rule("template.transform", source="playground")

SECURITY_GROUP_INGRESS = "AWS::EC2::SecurityGroupIngress"
SECURITY_GROUP_EGRESS = "AWS::EC2::SecurityGroupEgress"
LISTENER_CERTIFICATE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
ECS_SERVICE = "AWS::ECS::Service"
ECS_TASK_DEFINITION = "AWS::ECS::TaskDefinition"
RECORD_SET = "AWS::Route53::RecordSet"
RECORD_SET_GROUP = "AWS::Route53::RecordSetGroup"
# Docker's ephemeral host ports (ECS's dynamic port mapping): a bridge task's first port.
DYNAMIC_PORTS = 32768
MAX_TASKS = 50  # a service's DesiredCount the playground runs (LAB_MAX_TARGETS bounds a run)
MERGED = (SECURITY_GROUP_INGRESS, SECURITY_GROUP_EGRESS, LISTENER_CERTIFICATE)
# What resolution keeps: the types validation reads, and those it turns into them.
_KEPT = (*SUPPORTED, *MERGED, LAUNCH_CONFIGURATION)
# Every type the playground runs (the rest are set aside), for the topology page's list.
SIMULATED = tuple(sorted((*_KEPT, ECS_SERVICE)))


class _NoValue:
    """``AWS::NoValue``: the property (or list item) it stands in is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


@dataclass(frozen=True, slots=True)
class Input:
    """A value the template needs from whoever imports it (a form field, a CLI flag)."""

    name: str
    type: str  # the parameter's Type, or "Fn::ImportValue"
    description: str = ""
    default: str | None = None
    allowed_values: tuple[str, ...] = ()
    no_echo: bool = False
    stand_in: str | None = None  # what the playground supplies when it is left empty


@dataclass(frozen=True, slots=True)
class Unmodelled:
    logical_id: str
    type: str


@dataclass(frozen=True, slots=True)
class EcsService:
    """An ECS service whose tasks run as dummy targets of ``target_group``."""

    logical_id: str
    target_group: str
    tasks: int
    network_mode: str  # "awsvpc" (ip targets) or "bridge" (instance targets, dynamic ports)


@dataclass(slots=True)
class Resolved:
    document: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    unmodelled: list[Unmodelled] = field(default_factory=list)
    stand_ins: dict[str, str] = field(default_factory=dict)  # parameter → what stands in
    removed: list[tuple[str, str]] = field(default_factory=list)  # (logical id, condition)
    # Where a problem was found (or a missing parameter left a hole): validation's own
    # complaints at or under these paths are the same cause, said once already.
    explained: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # parameter → the value used
    ecs_services: list[EcsService] = field(default_factory=list)


# --- parameters ---------------------------------------------------------------------------
_STAND_IN_TYPES = {
    "AWS::EC2::VPC::Id": "vpc",
    "AWS::EC2::Subnet::Id": "subnet",
    "List<AWS::EC2::Subnet::Id>": "subnets",
    "AWS::EC2::SecurityGroup::Id": "security-group",
    "List<AWS::EC2::SecurityGroup::Id>": "security-groups",
    "AWS::EC2::KeyPair::KeyName": "key-pair",
    "AWS::EC2::Image::Id": "image",
    "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>": "image",
    "AWS::EC2::AvailabilityZone::Name": "zone",
    "List<AWS::EC2::AvailabilityZone::Name>": "zones",
    "AWS::Route53::HostedZone::Id": "hosted-zone",
}
_CERTIFICATE_KEYS = ("CertificateArn", "SSLCertificateId")


def inputs(document: dict[str, Any]) -> list[Input]:
    """Every value the template asks for: its parameters and its ``Fn::ImportValue`` names,
    in the document's order."""
    declared = document.get("Parameters")
    found: list[Input] = []
    certificates = _certificate_parameters(document)
    if isinstance(declared, dict):
        for name, props in declared.items():
            if not isinstance(props, dict):
                continue
            type_ = str(props.get("Type", "String"))
            default = props.get("Default")
            allowed = props.get("AllowedValues")
            stand_in = _STAND_IN_TYPES.get(type_) or (
                "certificate" if name in certificates else None
            )
            found.append(
                Input(
                    name=str(name),
                    type=type_,
                    description=str(props.get("Description") or ""),
                    default=None if default is None else _text(default),
                    allowed_values=tuple(_text(v) for v in allowed)
                    if isinstance(allowed, list)
                    else (),
                    no_echo=str(props.get("NoEcho", "")).lower() == "true",
                    stand_in=stand_in,
                )
            )
    for name in sorted(set(_imports(document.get("Resources")))):
        found.append(Input(name=name, type="Fn::ImportValue"))
    return found


def _imports(value: Any) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _imports(item)
    elif isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("Fn::ImportValue"), str):
            yield value["Fn::ImportValue"]
            return
        for item in value.values():
            yield from _imports(item)


def _certificate_parameters(document: dict[str, Any]) -> set[str]:
    """Parameters a listener takes its certificate from (their Type is just String)."""
    names: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in _CERTIFICATE_KEYS and isinstance(item, dict) and "Ref" in item:
                    names.add(str(item["Ref"]))
                walk(item)

    walk(document.get("Resources"))
    return names


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return str(value)


# --- the resolver -------------------------------------------------------------------------
def needs_values(problems: list[Problem]) -> bool:
    """Whether ``problems`` are only values nobody gave yet (the template itself is sound)."""
    return bool(problems) and all(p.rule == MISSING.id for p in problems)


def with_values(document: dict[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """``document`` keeping ``values`` for its parameters (``Metadata.Playground.Parameters``),
    where every run and export finds them; an empty value removes a stored one."""
    updated = copy.deepcopy(document)
    metadata = updated.get("Metadata")
    if not isinstance(metadata, dict):
        metadata = updated["Metadata"] = {}
    playground = metadata.get("Playground")
    if not isinstance(playground, dict):
        playground = metadata["Playground"] = {}
    stored = playground.get("Parameters")
    kept = {**(stored if isinstance(stored, dict) else {}), **values}
    kept = {name: value for name, value in kept.items() if value != ""}
    if kept:
        playground["Parameters"] = kept
    else:
        playground.pop("Parameters", None)
    return updated


def resolve(document: dict[str, Any], given: Mapping[str, str] | None = None) -> Resolved:
    """The document as CloudFormation would create it, with ``given`` parameter values
    (they win over ``Metadata.Playground.Parameters``, which win over defaults)."""
    resources = document.get("Resources") if isinstance(document, dict) else None
    if not isinstance(resources, dict) or not all(isinstance(r, dict) for r in resources.values()):
        return Resolved(document=document)  # not a template: validation says so, once
    return _Resolver(document, given or {}).run()


class _Problem(Exception):
    """One evaluation that cannot go on; reported once, at the path where it happened."""

    def __init__(self, message: str, *, silent: bool = False) -> None:
        self.message = message
        self.silent = silent  # already said elsewhere (a parameter without a value)
        self.path: str | None = None
        self.rule = FUNCTION


_SUB_NAME = re.compile(r"\$\{([^}]*)\}")
_STRING_TYPES = ("String", "AWS::SSM::Parameter::Value<String>")


class _Resolver:
    def __init__(self, document: dict[str, Any], given: Mapping[str, str]) -> None:
        self.source = document
        metadata = document.get("Metadata")
        playground = metadata.get("Playground") if isinstance(metadata, dict) else None
        stored = playground.get("Parameters") if isinstance(playground, dict) else None
        self.given: dict[str, Any] = {**(stored if isinstance(stored, dict) else {}), **given}
        self.resources: dict[str, Any] = document.get("Resources") or {}
        self.mappings: dict[str, Any] = _dict(document.get("Mappings"))
        declared = document.get("Conditions")
        self.declared_conditions: dict[str, Any] = declared if isinstance(declared, dict) else {}
        self.conditions: dict[str, bool] = {}
        self.evaluating: list[str] = []
        self.stand_in_subnets: list[str] = []  # logical ids, in the order parameters asked
        self.out = Resolved(document={})
        self.parameters: dict[str, Any] = {}
        self.here = ("Template", "")  # (logical id, path) of what is being evaluated

    # --- the walk ------------------------------------------------------------------------
    def run(self) -> Resolved:
        self._parameters()
        self._transform()
        resources: dict[str, Any] = {}
        ecs: dict[str, tuple[str, dict[str, Any]]] = {}
        records: dict[str, tuple[str, dict[str, Any]]] = {}
        for logical_id, resource in self.resources.items():
            if not isinstance(resource, dict):
                resources[logical_id] = resource
                continue
            if "Condition" in resource and not self._resource_condition(logical_id, resource):
                self.out.removed.append((logical_id, str(resource["Condition"])))
                continue
            type_ = resource.get("Type")
            if type_ in (ECS_SERVICE, ECS_TASK_DEFINITION):
                # Read for what it registers, then set aside (a service says so itself).
                props = self._at(logical_id, "Properties", resource.get("Properties") or {})
                ecs[logical_id] = (str(type_), props if isinstance(props, dict) else {})
                if type_ == ECS_TASK_DEFINITION:
                    self.out.unmodelled.append(Unmodelled(logical_id, str(type_)))
                continue
            if type_ not in _KEPT and _is_resource_type(type_):
                if type_ in (RECORD_SET, RECORD_SET_GROUP):
                    # DNS is not simulated, but an alias naming a load balancer is the host
                    # name its clients ask for: the topology page and the traffic use it.
                    props = self._at(logical_id, "Properties", resource.get("Properties") or {})
                    records[logical_id] = (str(type_), props if isinstance(props, dict) else {})
                self.out.unmodelled.append(Unmodelled(logical_id, str(type_)))
                continue
            resolved = {
                key: copy.deepcopy(value)
                for key, value in resource.items()
                if key not in ("Condition", "Properties")
            }
            depends = resolved.get("DependsOn")
            if isinstance(depends, list | str):
                # Waiting on what is set aside (a NAT gateway a route waits for) is no wait here.
                kept = [
                    n
                    for n in ([depends] if isinstance(depends, str) else depends)
                    if not (isinstance(n, str) and self._unmodelled(n))
                ]
                if kept:
                    resolved["DependsOn"] = kept if isinstance(depends, list) else kept[0]
                else:
                    del resolved["DependsOn"]
            if "Properties" in resource:
                value = self._at(logical_id, "Properties", resource["Properties"])
                if value is NO_VALUE:
                    del resolved["Properties"]
                else:
                    resolved["Properties"] = value
            resources[logical_id] = resolved
        resources.update(self._stand_in_resources(resources))
        self._ecs_services(resources, ecs)
        _merge(resources)
        _aliases(resources, records)
        _launch_configurations(resources)
        _primary_interfaces(resources)
        given_arns = {v for v in self.parameters.values() if isinstance(v, str)}
        _certificates(resources, self.out.stand_ins, given_arns)
        document = {
            key: value
            for key, value in self.source.items()
            if key not in ("Parameters", "Conditions", "Mappings", "Rules", "Resources", "Outputs")
        }
        document["Resources"] = resources
        outputs = self.source.get("Outputs")
        if isinstance(outputs, dict):
            document["Outputs"] = self._outputs(outputs)
        self.out.document = document
        self.out.values = dict(self.parameters)
        return self.out

    def _at(self, logical_id: str, path: str, value: Any) -> Any:
        """``value`` evaluated. A function that cannot be evaluated is reported at its own
        path and its property left out (``NO_VALUE``), so the rest is still checked and the
        property's other checks stay quiet (``load_topology`` drops them)."""
        self.here = (logical_id, path)
        try:
            return self._eval(value, path)
        except _Problem as problem:
            self._report(logical_id, problem, path)
            return NO_VALUE

    def _report(self, logical_id: str, problem: _Problem, path: str) -> None:
        where = problem.path if problem.path is not None else path
        self.out.explained.append((logical_id, where))
        if not problem.silent:
            self.out.problems.append(
                Problem(logical_id, where, problem.rule.code, problem.message, problem.rule.id)
            )

    def _eval(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            items = (self._eval(item, f"{path}[{i}]") for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            function = self._functions.get(name)
            if function is not None:
                self.here = (self.here[0], path)
                try:
                    return function(self, argument, path)
                except _Problem as problem:
                    if problem.path is None:
                        problem.path = path  # the innermost function that failed
                        if problem.rule is FUNCTION:
                            problem.rule = _RULE_OF.get(name, FUNCTION)
                    raise
        evaluated = {}
        for key, item in value.items():
            try:
                evaluated[key] = self._eval(item, f"{path}.{key}")
            except _Problem as problem:  # this property is out; its siblings go on
                self._report(self.here[0], problem, f"{path}.{key}")
        return {key: item for key, item in evaluated.items() if item is not NO_VALUE}

    # --- parameters ----------------------------------------------------------------------
    def _parameters(self) -> None:
        declared = self.source.get("Parameters")
        if declared is None:
            return
        if not isinstance(declared, dict):
            self._fail_at("Parameters", "", "must be a mapping of parameter declarations")
            return
        certificates = _certificate_parameters(self.source)
        missing = []
        for name, props in declared.items():
            if not isinstance(props, dict):
                self._fail_at("Parameters", name, "must be a mapping with a Type")
                continue
            type_ = str(props.get("Type", "String"))
            raw = self.given.get(name, props.get("Default"))
            kind = _STAND_IN_TYPES.get(type_) or ("certificate" if name in certificates else None)
            if kind is not None and (raw in (None, "") or kind in _ALWAYS_STANDS_IN):
                self.parameters[name] = self._stand_in(name, kind, raw)
                continue
            if raw is None:
                missing.append(name)
                continue
            value = self._typed(name, type_, props, raw)
            if value is not None:
                self.parameters[name] = value
        if missing:
            self._fail_at(
                "Parameters", "", f"Parameters: [{', '.join(missing)}] must have values", MISSING
            )

    def _typed(self, name: str, type_: str, props: dict[str, Any], raw: Any) -> Any:
        """A parameter's value checked against its declaration, as CloudFormation checks
        it when a stack is created (its messages, word for word where it has one)."""
        text = _text(raw)
        is_list = type_.startswith("List<") or type_ == "CommaDelimitedList"
        values = [part.strip() for part in text.split(",")] if is_list else [text]
        allowed = props.get("AllowedValues")
        for value in values:
            if isinstance(allowed, list) and value not in [_text(a) for a in allowed]:
                return self._fail_at(
                    "Parameters",
                    name,
                    f"Parameter '{name}' must be one of AllowedValues",
                )
            if type_ in ("Number", "List<Number>"):
                try:
                    number = float(value)
                except ValueError:
                    return self._fail_at("Parameters", name, f"Parameter '{name}' must be a number")
                low, high = props.get("MinValue"), props.get("MaxValue")
                if (low is not None and number < float(low)) or (
                    high is not None and number > float(high)
                ):
                    return self._fail_at(
                        "Parameters",
                        name,
                        f"Parameter '{name}' must be a number from {low} to {high}",
                    )
            pattern = props.get("AllowedPattern")
            if isinstance(pattern, str):
                try:
                    matched = re.fullmatch(pattern, value) is not None
                except re.error:
                    matched = True  # CloudFormation's Java regex dialect: not ours to judge
                if not matched:
                    return self._fail_at(
                        "Parameters",
                        name,
                        str(
                            props.get("ConstraintDescription")
                            or f"Parameter '{name}' must match pattern {pattern}"
                        ),
                    )
            for limit, longer in (("MinLength", False), ("MaxLength", True)):
                bound = props.get(limit)
                if bound is not None and (
                    len(value) > int(bound) if longer else len(value) < int(bound)
                ):
                    word = "maximum" if longer else "minimum"
                    return self._fail_at(
                        "Parameters",
                        name,
                        f"Parameter '{name}' must contain at {'most' if longer else 'least'} "
                        f"{bound} characters ({word} length)",
                    )
        return values if is_list else values[0]

    def _stand_in(self, name: str, kind: str, raw: Any) -> Any:
        """What a parameter naming part of an AWS account stands for here."""
        said = {
            "vpc": "the playground's VPC",
            "subnet": "a playground subnet",
            "subnets": "two playground subnets in two Availability Zones",
            "security-group": "a playground security group open to all traffic",
            "security-groups": "a playground security group open to all traffic",
            "certificate": "a certificate the run's own certificate authority issues",
        }
        if kind in said:
            self.out.stand_ins[name] = said[kind]
        if kind == "vpc":
            return {"Ref": _VPC}
        if kind == "subnet":
            return {"Ref": self._subnet(name)}
        if kind == "subnets":
            return [{"Ref": self._subnet(f"{name}1")}, {"Ref": self._subnet(f"{name}2")}]
        if kind == "security-group":
            return {"Ref": _SECURITY_GROUP}
        if kind == "security-groups":
            return [{"Ref": _SECURITY_GROUP}]
        if kind == "certificate":
            return f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/playground-{name.lower()}"
        if kind == "zone":
            return raw or ZONES[0]
        if kind == "zones":
            return [part.strip() for part in raw.split(",")] if raw else list(ZONES[:2])
        if kind == "image":
            return raw or "ami-0playground0000000"
        return raw or f"playground-{kind}"

    def _subnet(self, name: str) -> str:
        subnets = self.stand_in_subnets
        logical_id = f"PlaygroundSubnet{re.sub(r'[^A-Za-z0-9]', '', name)}"
        if logical_id not in subnets:
            subnets.append(logical_id)
        return logical_id

    def _stand_in_resources(self, resources: dict[str, Any]) -> dict[str, Any]:
        """The VPC, subnets and security group the stand-in parameters refer to."""
        wanted = self.out.stand_ins
        subnets = self.stand_in_subnets
        needs_vpc = (
            any(isinstance(v, dict) and v.get("Ref") == _VPC for v in self.parameters.values())
            or bool(subnets)
            or any(
                v == {"Ref": _SECURITY_GROUP} or v == [{"Ref": _SECURITY_GROUP}]
                for v in self.parameters.values()
            )
        )
        if not wanted or not needs_vpc:
            return {}
        own_vpc = [r for r in resources.values() if isinstance(r, dict) and r.get("Type") == VPC]
        added: dict[str, Any] = {}
        taken = [
            ipaddress.IPv4Network(str(_dict(r.get("Properties")).get("CidrBlock")), strict=False)
            for r in resources.values()
            if isinstance(r, dict)
            and r.get("Type") == SUBNET
            and _is_network(_dict(r.get("Properties")).get("CidrBlock"))
        ]
        vpc_ref: Any = {"Ref": _VPC}
        if own_vpc:
            vpc_id = next(
                k for k, r in resources.items() if isinstance(r, dict) and r.get("Type") == VPC
            )
            vpc_ref = {"Ref": vpc_id}
            block = _dict(own_vpc[0].get("Properties")).get("CidrBlock")
            # A block that is no CIDR is validation's to report; the stand-ins still fit.
            vpc_cidr = ipaddress.IPv4Network(
                str(block) if _is_network(block) else "10.0.0.0/16", strict=False
            )
        else:
            vpc_cidr = _covering(taken)
            added[_VPC] = {
                "Type": VPC,
                "Properties": {"CidrBlock": str(vpc_cidr)},
                "Metadata": {"Playground": {"StandIn": True}},
            }
        free = (
            net
            for net in vpc_cidr.subnets(new_prefix=24)
            if not any(net.overlaps(t) for t in taken)
        )
        for i, logical_id in enumerate(subnets):
            cidr = next(free, None)
            if cidr is None:
                break
            added[logical_id] = {
                "Type": SUBNET,
                "Properties": {
                    "VpcId": vpc_ref,
                    "CidrBlock": str(cidr),
                    "AvailabilityZone": ZONES[i % 2],
                    "MapPublicIpOnLaunch": True,
                },
                "Metadata": {"Playground": {"StandIn": True}},
            }
        if any(
            v == {"Ref": _SECURITY_GROUP} or v == [{"Ref": _SECURITY_GROUP}]
            for v in self.parameters.values()
        ):
            added[_SECURITY_GROUP] = {
                "Type": SECURITY_GROUP,
                "Properties": {
                    "GroupDescription": "Playground stand-in: all traffic allowed",
                    "VpcId": vpc_ref,
                    "SecurityGroupIngress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}],
                },
                "Metadata": {"Playground": {"StandIn": True}},
            }
        return {k: v for k, v in added.items() if k not in resources}

    def _transform(self) -> None:
        transform = self.source.get("Transform")
        if transform is not None:
            names = transform if isinstance(transform, list) else [transform]
            self._fail_at(
                "Template",
                "Transform",
                f"Transform {', '.join(map(str, names))}: the playground does not run "
                "CloudFormation macros; expand the template first (aws cloudformation "
                "package / sam build) and paste the result",
                TRANSFORM,
            )

    def _ecs_services(
        self, resources: dict[str, Any], ecs: dict[str, tuple[str, dict[str, Any]]]
    ) -> None:
        """Each ECS service's tasks become dummy targets in the target groups it names."""
        tasks = {k: props for k, (type_, props) in ecs.items() if type_ == ECS_TASK_DEFINITION}
        used = _addresses(resources)
        for logical_id, (type_, props) in ecs.items():
            if type_ != ECS_SERVICE:
                continue
            count = props.get("DesiredCount", 1)
            if isinstance(count, str) and count.isascii() and count.isdigit():
                count = int(count)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_TASKS:
                self._fail_at(
                    logical_id,
                    "Properties.DesiredCount",
                    f"must be a whole number from 0 to {MAX_TASKS} (got {_shown(count)})",
                    INTEGER,
                )
                continue
            mode = _network_mode(props, tasks)
            placed = False
            for index, entry in enumerate(_list(props.get("LoadBalancers"))):
                group = _target(_dict(entry).get("TargetGroupArn"), resources, TARGET_GROUP)
                port = _dict(entry).get("ContainerPort")
                if group is None or not isinstance(port, int) or isinstance(port, bool):
                    continue  # a Classic LoadBalancerName, or nothing we can register
                prefix = logical_id if index == 0 else f"{logical_id}{index + 1}"
                targets = (
                    _awsvpc_tasks(resources, prefix, props, count, port, used)
                    if mode == "awsvpc"
                    else _bridge_tasks(resources, prefix, group, count)
                )
                group_props = resources[group].setdefault("Properties", {})
                if isinstance(group_props, dict):
                    existing = group_props.get("Targets")
                    group_props["Targets"] = [
                        *(existing if isinstance(existing, list) else []),
                        *targets,
                    ]
                self.out.ecs_services.append(EcsService(logical_id, group, count, mode))
                placed = True
            if not placed:
                self.out.unmodelled.append(Unmodelled(logical_id, ECS_SERVICE))

    def _outputs(self, outputs: dict[str, Any]) -> dict[str, Any]:
        kept = {}
        for name, output in outputs.items():
            if isinstance(output, dict) and "Condition" in output:
                if not self._condition_named(output["Condition"], "Outputs", name):
                    continue
                output = {k: v for k, v in output.items() if k != "Condition"}
            kept[name] = self._at("Outputs", name, output)
        return kept

    # --- conditions ----------------------------------------------------------------------
    def _resource_condition(self, logical_id: str, resource: dict[str, Any]) -> bool:
        return self._condition_named(resource["Condition"], logical_id, "Condition")

    def _condition_named(self, name: Any, logical_id: str, path: str) -> bool:
        self.here = (logical_id, path)
        try:
            return self._condition(name)
        except _Problem as problem:
            if not problem.silent:
                self.out.problems.append(
                    Problem(logical_id, path, CONDITION.code, problem.message, CONDITION.id)
                )
            return True  # keep the resource, so its own problems are still reported

    def _condition(self, name: Any) -> bool:
        if not isinstance(name, str) or name not in self.declared_conditions:
            raise _Problem(f"Unresolved condition dependency {name} in Fn::If or Condition")
        if name in self.conditions:
            return self.conditions[name]
        if name in self.evaluating:
            raise _Problem(
                f"Circular condition dependency: {' -> '.join([*self.evaluating, name])}"
            )
        self.evaluating.append(name)
        try:
            outcome = self._boolean(self.declared_conditions[name], f"Conditions.{name}")
        finally:
            self.evaluating.pop()
        self.conditions[name] = outcome
        return outcome

    def _boolean(self, value: Any, path: str) -> bool:
        if isinstance(value, dict) and len(value) == 1 and "Condition" in value:
            return self._condition(value["Condition"])
        result = self._eval(value, path)
        if not isinstance(result, bool):
            raise _Problem(
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or a Condition; "
                f"got {_shown(value)}"
            )
        return result

    # --- the functions -------------------------------------------------------------------
    def _ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            raise _Problem(f"Ref takes a name; got {_shown(name)}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return copy.deepcopy(PSEUDO_PARAMETERS[name])
        if name in self.parameters:
            return copy.deepcopy(self.parameters[name])
        declared = self.source.get("Parameters")
        if isinstance(declared, dict) and name in declared:
            raise _Problem(f"Ref {name}: the parameter has no value", silent=True)
        if self._unmodelled(name):
            return _physical(name)
        return {"Ref": name}

    def _get_att(self, argument: Any, path: str) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise _Problem("Fn::GetAtt takes [logical id, attribute]")
        target, attribute = argument[0], self._eval(argument[1], path)
        if not isinstance(target, str) or not isinstance(attribute, str):
            raise _Problem("Fn::GetAtt takes [logical id, attribute] as strings")
        if self._unmodelled(target):
            return _physical(f"{target}.{attribute}")
        known = _KNOWN_ATTRIBUTES.get((self._type(target) or "", attribute))
        if known is not None:
            props = _dict(self.resources[target].get("Properties"))
            if known in props:
                return self._eval(props[known], path)
        return {"Fn::GetAtt": [target, attribute]}

    def _type(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        type_ = resource.get("Type") if isinstance(resource, dict) else None
        return type_ if isinstance(type_, str) else None

    def _unmodelled(self, logical_id: str) -> bool:
        resource = self.resources.get(logical_id)
        type_ = resource.get("Type") if isinstance(resource, dict) else None
        return type_ not in _KEPT and _is_resource_type(type_)

    def _sub(self, argument: Any, path: str) -> Any:
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise _Problem("Fn::Sub takes a string or [string, {name: value}]")
            template, names = argument[0], argument[1]
        else:
            template, names = argument, {}
        if not isinstance(template, str):
            raise _Problem(f"Fn::Sub takes a string; got {_shown(template)}")
        local = {key: self._eval(value, f"{path}.{key}") for key, value in names.items()}
        whole = _SUB_NAME.fullmatch(template)
        if whole and not whole.group(1).startswith("!") and whole.group(1) not in local:
            found = self._sub_name(whole.group(1))
            if isinstance(found, dict):  # "${Resource}" alone: the reference itself
                return found

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            value = local[name] if name in local else self._sub_name(name)
            return self._string(value, "Fn::Sub")

        return _SUB_NAME.sub(replace, template)

    def _sub_name(self, name: str) -> Any:
        target, dot, attribute = name.partition(".")
        if dot and target not in self.parameters:
            return self._get_att([target, attribute], "")
        return self._ref(name, "")

    def _join(self, argument: Any, path: str) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise _Problem("Fn::Join takes [delimiter, [values]]")
        delimiter, values = argument[0], self._eval(argument[1], path)
        if not isinstance(delimiter, str) or not isinstance(values, list):
            raise _Problem("Fn::Join takes [delimiter, [values]] (a string and a list)")
        return delimiter.join(self._string(v, "Fn::Join") for v in values)

    def _select(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise _Problem("Fn::Select takes [index, [values]]")
        index, values = self._eval(argument[0], path), self._eval(argument[1], path)
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise _Problem(f"Fn::Select: index {_shown(index)} is not a number") from None
        if not isinstance(values, list):
            raise _Problem(f"Fn::Select: {_shown(values)} is not a list")
        if not 0 <= position < len(values):
            raise _Problem(
                f"Fn::Select: index {position} is out of range (the list has {len(values)})"
            )
        return values[position]

    def _split(self, argument: Any, path: str) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise _Problem("Fn::Split takes [delimiter, string]")
        delimiter, text = argument[0], self._eval(argument[1], path)
        if not isinstance(delimiter, str) or not delimiter:
            raise _Problem("Fn::Split takes a delimiter string")
        return self._string(text, "Fn::Split").split(delimiter)

    def _find_in_map(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise _Problem("Fn::FindInMap takes [map name, top-level key, second-level key]")
        keys = [self._string(self._eval(part, path), "Fn::FindInMap") for part in argument[:3]]
        found: Any = self.mappings
        for key in keys:
            if not isinstance(found, dict) or key not in found:
                if len(argument) == 4 and isinstance(argument[3], dict):
                    return self._eval(argument[3].get("DefaultValue"), path)
                raise _Problem(
                    f"Fn::FindInMap: Unable to get mapping for {'::'.join(keys)}"
                    + ("" if keys[0] in self.mappings else f" (no mapping named {keys[0]})")
                )
            found = found[key]
        return copy.deepcopy(found)

    def _get_azs(self, argument: Any, path: str) -> list[str]:
        region = self._eval(argument, path)
        if region in ("", None, REGION):
            return list(ZONES)
        if not isinstance(region, str):
            raise _Problem(f"Fn::GetAZs takes a region name; got {_shown(region)}")
        return [f"{region}{letter}" for letter in "abc"]

    def _cidr(self, argument: Any, path: str) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 3:
            raise _Problem("Fn::Cidr takes [ipBlock, count, cidrBits]")
        block, count, bits = (self._eval(part, path) for part in argument)
        try:
            network = ipaddress.IPv4Network(str(block), strict=False)
            count, bits = int(count), int(bits)
            blocks = list(network.subnets(new_prefix=32 - bits))
        except ValueError as exc:
            raise _Problem(f"Fn::Cidr: {exc}") from None
        if not 1 <= count <= 256 or count > len(blocks):
            raise _Problem(
                f"Fn::Cidr: {count} blocks of /{32 - bits} do not fit in {network}"
                f" (at most {min(len(blocks), 256)})"
            )
        return [str(b) for b in blocks[:count]]

    def _base64(self, argument: Any, path: str) -> str:
        text = self._string(self._eval(argument, path), "Fn::Base64")
        return base64.b64encode(text.encode()).decode()

    def _if(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise _Problem("Fn::If takes [condition name, value if true, value if false]")
        chosen = argument[1] if self._condition(argument[0]) else argument[2]
        return self._eval(chosen, path)

    def _equals(self, argument: Any, path: str) -> bool:
        if not isinstance(argument, list) or len(argument) != 2:
            raise _Problem("Fn::Equals takes [value, value]")
        left, right = (self._eval(part, path) for part in argument)
        return _text(left) == _text(right)

    def _and(self, argument: Any, path: str) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise _Problem("Fn::And takes 2 to 10 conditions")
        return all([self._boolean(part, path) for part in argument])

    def _or(self, argument: Any, path: str) -> bool:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise _Problem("Fn::Or takes 2 to 10 conditions")
        return any([self._boolean(part, path) for part in argument])

    def _not(self, argument: Any, path: str) -> bool:
        if not isinstance(argument, list) or len(argument) != 1:
            raise _Problem("Fn::Not takes [condition]")
        return not self._boolean(argument[0], path)

    def _import_value(self, argument: Any, path: str) -> Any:
        name = self._eval(argument, path)
        if not isinstance(name, str):
            raise _Problem("Fn::ImportValue takes an export name")
        if name in self.given:
            return self.given[name]
        raise _Problem(
            f"Fn::ImportValue: no stack here exports {name}; give its value as the parameter {name}"
        )

    def _length(self, argument: Any, path: str) -> int:
        values = self._eval(argument, path)
        if not isinstance(values, list):
            raise _Problem("Fn::Length takes a list")
        return len(values)

    def _to_json_string(self, argument: Any, path: str) -> str:
        return json.dumps(self._eval(argument, path), separators=(",", ":"))

    _functions: dict[str, Callable[[_Resolver, Any, str], Any]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::FindInMap": _find_in_map,
        "Fn::GetAZs": _get_azs,
        "Fn::Cidr": _cidr,
        "Fn::Base64": _base64,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::And": _and,
        "Fn::Or": _or,
        "Fn::Not": _not,
        "Fn::ImportValue": _import_value,
        "Fn::Length": _length,
        "Fn::ToJsonString": _to_json_string,
    }

    # --- helpers ---------------------------------------------------------------------------
    def _string(self, value: Any, function: str) -> str:
        if isinstance(value, dict) and len(value) == 1:
            if "Ref" in value:
                return _physical(str(value["Ref"]))
            if "Fn::GetAtt" in value:
                return _physical(".".join(map(str, value["Fn::GetAtt"])))
        if isinstance(value, list | dict) or value is NO_VALUE:
            raise _Problem(f"{function} needs a string here; got {_shown(value)}")
        return _text(value)

    def _fail_at(self, logical_id: str, path: str, message: str, rule_: Any = PARAMETER) -> None:
        self.out.problems.append(Problem(logical_id, path, rule_.code, message, rule_.id))


# Attributes whose value is one of the resource's own properties, known before it exists.
_KNOWN_ATTRIBUTES = {
    (VPC, "CidrBlock"): "CidrBlock",
    (SUBNET, "CidrBlock"): "CidrBlock",
    (SUBNET, "AvailabilityZone"): "AvailabilityZone",
    (SUBNET, "VpcId"): "VpcId",
    (SECURITY_GROUP, "VpcId"): "VpcId",
}
_VPC = "PlaygroundVpc"
_SECURITY_GROUP = "PlaygroundSecurityGroup"
# Kinds that stand in even when a value is given: the value names an account we don't have.
_ALWAYS_STANDS_IN = ("vpc", "subnet", "subnets", "security-group", "security-groups", "certificate")


_RESOURCE_TYPE = re.compile(r"(AWS|Alexa)::[A-Za-z0-9]+::[A-Za-z0-9]+|Custom::[A-Za-z0-9_@-]+")


def _is_resource_type(type_: Any) -> bool:
    """Spelled like a CloudFormation type (the rest is refused: "Unrecognized resource
    types"); which ones exist, only AWS knows."""
    return isinstance(type_, str) and _RESOURCE_TYPE.fullmatch(type_) is not None


def _physical(name: str) -> str:
    """A stand-in physical name for a resource inside a string (a tag, a name)."""
    return f"{STACK_NAME}-{name}"


def _shown(value: Any) -> str:
    """A value in a message, as the template spells it (never a Python repr of a dict)."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        short = name.removeprefix("Fn::")
        return f"!{short} {json.dumps(argument, default=str)}"
    return json.dumps(value, default=str)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_network(value: Any) -> bool:
    try:
        ipaddress.IPv4Network(str(value), strict=False)
    except ValueError:
        return False
    return True


def _covering(taken: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    """The stand-in VPC's block: 10.0.0.0/16, or the /16 holding the template's own subnets."""
    if not taken:
        return ipaddress.IPv4Network("10.0.0.0/16")
    first = taken[0].supernet(new_prefix=16) if taken[0].prefixlen > 16 else taken[0]
    while not all(t.subnet_of(first) for t in taken) and first.prefixlen > 8:
        first = first.supernet()
    return first


def _merge(resources: dict[str, Any]) -> None:
    """Standalone ingress/egress rules join their group, extra listener certificates their
    listener: they change who reaches whom, so they are part of what runs. One whose group or
    listener is not a resource here stays out (validation has nothing to merge it into)."""
    merged = [k for k, r in resources.items() if isinstance(r, dict) and r.get("Type") in MERGED]
    for logical_id in merged:
        resource = resources.pop(logical_id)
        props = _dict(resource.get("Properties"))
        if resource["Type"] == LISTENER_CERTIFICATE:
            target = _target(props.get("ListenerArn"), resources, LISTENER)
            certificates = props.get("Certificates")
            if target is not None and isinstance(certificates, list):
                playground = (
                    resources[target].setdefault("Metadata", {}).setdefault("Playground", {})
                )
                playground.setdefault("ListenerCertificates", []).extend(certificates)
            continue
        target = _target(props.get("GroupId"), resources, SECURITY_GROUP)
        if target is None:
            continue
        group = resources[target].setdefault("Properties", {})
        if not isinstance(group, dict):
            continue  # validation reports the group's own Properties
        key = (
            "SecurityGroupIngress"
            if resource["Type"] == SECURITY_GROUP_INGRESS
            else "SecurityGroupEgress"
        )
        existing = group.get(key)
        group[key] = [
            *(existing if isinstance(existing, list) else []),
            {k: v for k, v in props.items() if k not in ("GroupId", "GroupName")},
        ]


def _aliases(resources: dict[str, Any], records: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Route 53 alias records whose ``AliasTarget.DNSName`` is a load balancer's
    ``!GetAtt X.DNSName`` join that load balancer as ``Metadata.Playground.Aliases``: the
    names its clients resolve to it, so they are the Host its clients send."""
    for type_, props in records.values():
        sets = _list(props.get("RecordSets")) if type_ == RECORD_SET_GROUP else [props]
        for record in sets:
            record = _dict(record)
            alias = _dict(record.get("AliasTarget")).get("DNSName")
            name = record.get("Name")
            get_att = alias.get("Fn::GetAtt") if isinstance(alias, dict) else None
            if not (isinstance(name, str) and isinstance(get_att, list) and len(get_att) == 2):
                continue
            lb, attribute = get_att
            if not isinstance(lb, str) or attribute != "DNSName":
                continue
            if _dict(resources.get(lb)).get("Type") not in (
                LOAD_BALANCER,
                CLASSIC_LOAD_BALANCER,
            ):
                continue
            metadata = resources[lb].setdefault("Metadata", {})
            playground = (
                metadata.setdefault("Playground", {}) if isinstance(metadata, dict) else None
            )
            if not isinstance(playground, dict):
                continue  # validation reports the load balancer's own Metadata
            names = playground.setdefault("Aliases", [])
            host = name.rstrip(".").lower()
            if isinstance(names, list) and host not in names:
                names.append(host)


def _target(value: Any, resources: dict[str, Any], type_: str) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        name = value.get("Ref")
        if name is None and isinstance(value.get("Fn::GetAtt"), list):
            name = value["Fn::GetAtt"][0]
        if isinstance(name, str) and isinstance(resources.get(name), dict):
            return name if resources[name].get("Type") == type_ else None
    return None


def _network_mode(service: dict[str, Any], tasks: dict[str, dict[str, Any]]) -> str:
    """The task definition's NetworkMode, else ECS's default: awsvpc on Fargate, else bridge."""
    reference = service.get("TaskDefinition")
    name = reference.get("Ref") if isinstance(reference, dict) else None
    task = tasks.get(name, {}) if isinstance(name, str) else {}
    mode = task.get("NetworkMode")
    if mode in ("awsvpc", "bridge", "host"):
        return "awsvpc" if mode == "awsvpc" else "bridge"
    fargate = service.get("LaunchType") == "FARGATE" or "FARGATE" in _list(
        task.get("RequiresCompatibilities")
    )
    return "awsvpc" if fargate else "bridge"


def _addresses(resources: dict[str, Any]) -> set[str]:
    return {
        str(props["PrivateIpAddress"])
        for resource in resources.values()
        if isinstance(resource, dict)
        and isinstance(props := resource.get("Properties"), dict)
        and "PrivateIpAddress" in props
    }


def _subnet_refs(value: Any, resources: dict[str, Any]) -> list[str]:
    return [name for item in _list(value) if (name := _target(item, resources, SUBNET)) is not None]


def _task_instance(subnet: str, groups: Any, **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"SubnetId": {"Ref": subnet}, **extra}
    if isinstance(groups, list) and groups:
        props["SecurityGroupIds"] = groups
    return {"Type": INSTANCE, "Properties": props, "Metadata": {"Playground": {"StandIn": True}}}


def _awsvpc_tasks(
    resources: dict[str, Any],
    prefix: str,
    service: dict[str, Any],
    count: int,
    port: int,
    used: set[str],
) -> list[dict[str, Any]]:
    """One task per address, spread over the service's subnets (its ENI: an ip target)."""
    config = _dict(_dict(service.get("NetworkConfiguration")).get("AwsvpcConfiguration"))
    subnets = _subnet_refs(config.get("Subnets"), resources)
    if not subnets:
        return []
    targets = []
    for task in range(count):
        subnet = subnets[task % len(subnets)]
        cidr = _dict(resources[subnet].get("Properties")).get("CidrBlock")
        if not _is_network(cidr):
            continue
        hosts = ipaddress.IPv4Network(str(cidr), strict=False).hosts()
        free = next((str(h) for i, h in enumerate(hosts) if i >= 199 and str(h) not in used), None)
        if free is None:
            continue
        used.add(free)
        resources[f"{prefix}Task{task + 1}"] = _task_instance(
            subnet, config.get("SecurityGroups"), PrivateIpAddress=free
        )
        targets.append({"Id": free, "Port": port})
    return targets


def _bridge_tasks(
    resources: dict[str, Any], prefix: str, group: str, count: int
) -> list[dict[str, Any]]:
    """Container instances, one per subnet of the load balancer in front of ``group`` (or of
    the template's first load balancer); each task is the instance on the next host port."""
    subnets = _front_subnets(resources, group)
    if not subnets:
        return []
    hosts = [f"{prefix}ContainerInstance{n + 1}" for n in range(min(count, len(subnets)))]
    for host, subnet in zip(hosts, subnets, strict=False):
        resources[host] = _task_instance(subnet, None)
    return [
        {"Id": {"Ref": hosts[task % len(hosts)]}, "Port": DYNAMIC_PORTS + task}
        for task in range(count)
    ]


def _front_subnets(resources: dict[str, Any], group: str) -> list[str]:
    balancers = [
        props
        for resource in resources.values()
        if isinstance(resource, dict)
        and resource.get("Type") == LOAD_BALANCER
        and isinstance(props := resource.get("Properties"), dict)
    ]
    for props in balancers:
        subnets = _subnet_refs(props.get("Subnets"), resources) or _subnet_refs(
            [m.get("SubnetId") for m in _list(props.get("SubnetMappings")) if isinstance(m, dict)],
            resources,
        )
        if subnets:
            return subnets
    return []


def _launch_configurations(resources: dict[str, Any]) -> None:
    """A launch configuration is what launch templates replaced: the same instance settings
    under older names. It becomes the launch template it amounts to, and a group launching
    from it launches from that."""
    names = {
        logical_id
        for logical_id, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == LAUNCH_CONFIGURATION
    }
    for logical_id in names:
        resource = resources[logical_id]
        props = _dict(resource.get("Properties"))
        data: dict[str, Any] = {
            key: props[key]
            for key in ("ImageId", "InstanceType", "KeyName", "UserData")
            if key in props
        }
        if "SecurityGroups" in props:
            data["SecurityGroupIds"] = props["SecurityGroups"]
        resource["Type"] = LAUNCH_TEMPLATE
        resource["Properties"] = {"LaunchTemplateData": data}
    for resource in resources.values():
        group = resource.get("Properties") if isinstance(resource, dict) else None
        if resource.get("Type") != AUTO_SCALING_GROUP or not isinstance(group, dict):
            continue
        configuration = group.get("LaunchConfigurationName")
        if isinstance(configuration, dict) and configuration.get("Ref") in names:
            del group["LaunchConfigurationName"]
            group.setdefault("LaunchTemplate", {"LaunchTemplateId": configuration, "Version": "1"})


def _primary_interfaces(resources: dict[str, Any]) -> None:
    """An instance launched with ``NetworkInterfaces`` lives where its primary interface
    (``DeviceIndex`` 0) does: its subnet, address and security groups are the instance's."""
    for resource in resources.values():
        if not isinstance(resource, dict) or resource.get("Type") != INSTANCE:
            continue
        props = resource.get("Properties")
        if not isinstance(props, dict) or not isinstance(props.get("NetworkInterfaces"), list):
            continue
        interfaces = props["NetworkInterfaces"]
        if not interfaces:
            continue
        primary = next(
            (
                i
                for i in interfaces
                if isinstance(i, dict) and str(i.get("DeviceIndex", "0")) == "0"
            ),
            None,
        )
        if primary is None:
            continue
        for theirs, ours in (
            ("SubnetId", "SubnetId"),
            ("PrivateIpAddress", "PrivateIpAddress"),
            ("GroupSet", "SecurityGroupIds"),
        ):
            if theirs in primary and ours not in props:
                props[ours] = primary[theirs]
        del props["NetworkInterfaces"]


def _certificates(resources: dict[str, Any], stand_ins: dict[str, str], given: set[str]) -> None:
    """A certificate given as an ARN (a parameter, or pasted from a real account) becomes a
    certificate the run's CA issues, for the host names the listener's rules route."""
    issued: dict[str, str] = {}

    def stand_in(arn: str, listener: str) -> dict[str, str]:
        if arn not in issued:
            name = issued[arn] = f"PlaygroundCertificate{len(issued) + 1}"
            domains = _hosts(resources, listener) or ["www.example.com"]
            resources[name] = {
                "Type": CERTIFICATE,
                "Properties": {
                    "DomainName": domains[0],
                    **({"SubjectAlternativeNames": domains[1:]} if domains[1:] else {}),
                },
                "Metadata": {"Playground": {"StandIn": True, "For": arn}},
            }
            if arn not in given:  # a parameter's stand-in is already said under its name
                stand_ins.setdefault(
                    arn, "a certificate the run's own certificate authority issues"
                )
        return {"Ref": issued[arn]}

    for logical_id, resource in list(resources.items()):
        if not isinstance(resource, dict):
            continue
        props = _dict(resource.get("Properties"))
        if resource.get("Type") == LISTENER:
            playground = _dict(_dict(resource.get("Metadata")).get("Playground"))
            for item in [
                *_list(props.get("Certificates")),
                *_list(playground.get("ListenerCertificates")),
            ]:
                if isinstance(item, dict) and isinstance(item.get("CertificateArn"), str):
                    item["CertificateArn"] = stand_in(item["CertificateArn"], logical_id)
        elif resource.get("Type") == CLASSIC_LOAD_BALANCER:
            for item in _list(props.get("Listeners")):
                if isinstance(item, dict) and isinstance(item.get("SSLCertificateId"), str):
                    item["SSLCertificateId"] = stand_in(item["SSLCertificateId"], logical_id)


def _hosts(resources: dict[str, Any], listener: str) -> list[str]:
    """Host names the rules of ``listener`` route, wildcards made concrete."""
    hosts: list[str] = []
    for resource in resources.values():
        if not isinstance(resource, dict):
            continue
        props = _dict(resource.get("Properties"))
        if props.get("ListenerArn") != {"Ref": listener}:
            continue
        for condition in _list(props.get("Conditions")):
            if not isinstance(condition, dict) or condition.get("Field") != "host-header":
                continue
            config = _dict(condition.get("HostHeaderConfig"))
            values = config.get("Values") or condition.get("Values") or []
            for value in values if isinstance(values, list) else []:
                if (
                    isinstance(value, str)
                    and value.replace("*", "www").replace("?", "a") not in hosts
                ):
                    hosts.append(value.replace("*", "www").replace("?", "a"))
    return hosts
