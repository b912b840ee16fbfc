"""What every validation module shares: problems, the rule registry and the build context.

Each AWS rule the playground enforces is registered once with ``rule()``: an id, the AWS
error code it yields, and the spec section it comes from. ``RULES`` is therefore the list
of rules, and a test checks that each one is exercised by an invalid document.

The ``Context`` walks one document: modules read properties through its helpers (typed
``Ref``s, ranges, choices), report problems with ``fail(rule, ...)`` and leave what they
built on it for the modules that run after them. A problem never stops the walk, so a
learner sees every problem at once.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from labs.engine import spec

VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
INSTANCE = "AWS::EC2::Instance"
EIP = "AWS::EC2::EIP"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
CLASSIC_LOAD_BALANCER = "AWS::ElasticLoadBalancing::LoadBalancer"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
LAMBDA_PERMISSION = "AWS::Lambda::Permission"
CERTIFICATE = "AWS::CertificateManager::Certificate"
AUTO_SCALING_GROUP = "AWS::AutoScaling::AutoScalingGroup"
INTERNET_GATEWAY = "AWS::EC2::InternetGateway"
GATEWAY_ATTACHMENT = "AWS::EC2::VPCGatewayAttachment"
ROUTE_TABLE = "AWS::EC2::RouteTable"
ROUTE = "AWS::EC2::Route"
ROUTE_TABLE_ASSOCIATION = "AWS::EC2::SubnetRouteTableAssociation"
ROUTING = (INTERNET_GATEWAY, GATEWAY_ATTACHMENT, ROUTE_TABLE, ROUTE, ROUTE_TABLE_ASSOCIATION)
SUPPORTED = (
    VPC,
    SUBNET,
    SECURITY_GROUP,
    INSTANCE,
    LOAD_BALANCER,
    LISTENER,
    LISTENER_RULE,
    TARGET_GROUP,
    CLASSIC_LOAD_BALANCER,
    LAMBDA_FUNCTION,
    LAMBDA_PERMISSION,
    CERTIFICATE,
    AUTO_SCALING_GROUP,
    LAUNCH_TEMPLATE,
    EIP,
    *ROUTING,
)

# What ``Ref`` returns for a type, spelled as the GetAtt attribute that returns the same
# value; types missing here return something no property of ours takes (a name, an ARN
# spelled differently), so only their GetAtt forms are useful.
REF_EQUIVALENT = {
    VPC: "VpcId",
    SUBNET: "SubnetId",
    SECURITY_GROUP: "GroupId",
    INSTANCE: "InstanceId",
    LOAD_BALANCER: "LoadBalancerArn",
    LISTENER: "ListenerArn",
    LISTENER_RULE: "RuleArn",
    TARGET_GROUP: "TargetGroupArn",
    LAUNCH_TEMPLATE: "LaunchTemplateId",
    EIP: "PublicIp",
    INTERNET_GATEWAY: "InternetGatewayId",
    ROUTE_TABLE: "RouteTableId",
    CERTIFICATE: "CertificateArn",
    CLASSIC_LOAD_BALANCER: "LoadBalancerName",  # no GetAtt returns it; Ref is the way
}
REF_RETURNS = {
    EIP: "the Elastic IP address",
    LAMBDA_FUNCTION: "the function name",
}
# CloudFormation's documented return values (Fn::GetAtt) for the types we model.
GET_ATT = {
    VPC: {
        "CidrBlock",
        "CidrBlockAssociations",
        "DefaultNetworkAcl",
        "DefaultSecurityGroup",
        "Ipv6CidrBlocks",
        "VpcId",
    },
    SUBNET: {
        "AvailabilityZone",
        "AvailabilityZoneId",
        "CidrBlock",
        "Ipv6CidrBlocks",
        "NetworkAclAssociationId",
        "OutpostArn",
        "SubnetId",
        "VpcId",
    },
    SECURITY_GROUP: {"GroupId", "VpcId"},
    INSTANCE: {
        "AvailabilityZone",
        "InstanceId",
        "PrivateDnsName",
        "PrivateIp",
        "PublicDnsName",
        "PublicIp",
        "VpcId",
    },
    EIP: {"AllocationId", "PublicIp"},
    LAUNCH_TEMPLATE: {"DefaultVersionNumber", "LatestVersionNumber", "LaunchTemplateId"},
    LOAD_BALANCER: {
        "CanonicalHostedZoneID",
        "DNSName",
        "LoadBalancerArn",
        "LoadBalancerFullName",
        "LoadBalancerName",
        "SecurityGroups",
    },
    LISTENER: {"ListenerArn"},
    LISTENER_RULE: {"IsDefault", "RuleArn"},
    TARGET_GROUP: {"LoadBalancerArns", "TargetGroupArn", "TargetGroupFullName", "TargetGroupName"},
    CLASSIC_LOAD_BALANCER: {
        "CanonicalHostedZoneName",
        "CanonicalHostedZoneNameID",
        "DNSName",
        "SourceSecurityGroup.GroupName",
        "SourceSecurityGroup.OwnerAlias",
    },
    LAMBDA_FUNCTION: {
        "Arn",
        "SnapStartResponse",
        "SnapStartResponse.ApplyOn",
        "SnapStartResponse.OptimizationStatus",
    },
    LAMBDA_PERMISSION: {"Id"},
    CERTIFICATE: {"CertificateArn", "Id"},
    AUTO_SCALING_GROUP: {"AutoScalingGroupARN"},
    INTERNET_GATEWAY: {"InternetGatewayId"},
    ROUTE_TABLE: {"RouteTableId"},
    ROUTE_TABLE_ASSOCIATION: {"Id"},
}


@dataclass(frozen=True, slots=True)
class Problem:
    logical_id: str
    path: str
    code: str
    message: str
    rule: str = field(default="", compare=False)  # the registered rule's id
    line: int | None = field(default=None, compare=False)  # in the text, for syntax errors
    column: int | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.logical_id}.{self.path}" if self.path else self.logical_id
        return f"{where}: {self.code}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """What one run may use (``labs.validation.limits``); each names its setting."""

    max_rps: float = 200  # LAB_MAX_RPS
    max_targets: int = 50  # LAB_MAX_TARGETS


class TemplateError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    code: str
    source: str  # where the rule comes from: a spec section, or "playground"


RULES: dict[str, Rule] = {}


def rule(rule_id: str, code: str = "ValidationError", source: str = "") -> Rule:
    """Register one validation rule; ids are unique so the count means something."""
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} registered twice")
    RULES[rule_id] = registered = Rule(rule_id, code, source)
    return registered


PARSE = rule("template.parse", source="CloudFormation")
RESOURCES = rule("template.resources-mapping", source="CloudFormation")
RESOURCE_TYPE = rule("template.resource-type", source="CloudFormation")
PROPERTIES = rule("template.properties-mapping", source="CloudFormation")
SHAPE = rule("value.shape", source="CloudFormation")
REQUIRED = rule("property.required", source="CloudFormation")
INTEGER = rule("value.integer-range", source="API")
CHOICE = rule("value.one-of", source="API")
REF_FORM = rule("ref.form", source="CloudFormation")
REF_TYPE = rule("ref.type", source="CloudFormation")
REF_ATTRIBUTE = rule("ref.attribute", source="CloudFormation")

# Not a mapping with a Resources mapping of mappings: nothing further can be checked.
NO_RESOURCES = Problem(
    "Template", "Resources", RESOURCES.code, "a template needs a Resources mapping", RESOURCES.id
)


class Context:
    """One walk over a parsed template; the modules fill in what they build."""

    def __init__(self, document: dict[str, Any], limits: Limits | None = None) -> None:
        self.document = document
        self.limits = limits or Limits()
        self.resources: dict[str, Any] = document["Resources"]
        self.problems: list[Problem] = []
        self.vpc: ipaddress.IPv4Network | None = None
        self.subnets: dict[str, spec.Subnet] = {}
        self.routing = False  # the template declares its internet gateway / route tables
        self.internet_gateways: list[str] = []  # attached to the VPC
        self.security_groups: list[spec.SecurityGroup] = []
        self.instances: dict[str, spec.Instance] = {}
        self.lambdas: dict[str, spec.LambdaFunction] = {}
        self.certificates: dict[str, spec.Certificate] = {}
        self.auto_scaling_groups: list[spec.AutoScalingGroup] = []
        self.target_groups: dict[str, spec.TargetGroup] = {}
        self.load_balancers: dict[str, spec.LoadBalancer] = {}
        self.listeners: dict[str, tuple[str, spec.Listener]] = {}  # name → (lb, listener)
        self.rules: dict[str, list[spec.Rule]] = {}  # listener → its rules
        self.traffic = spec.Traffic()

    # --- reporting ----------------------------------------------------------------------
    def fail(self, rule_: Rule, logical_id: str, path: str, message: str) -> None:
        self.problems.append(Problem(logical_id, path, rule_.code, message, rule_.id))

    def reported(self, logical_id: str, path: str) -> bool:
        """Whether a problem is already reported at ``path`` (or inside it).

        A rule that builds on a property stays quiet when that property is already
        wrong, so one mistake reads as one line (an unresolved subnet is not also
        "fewer than two zones").
        """
        return any(
            p.logical_id == logical_id
            and (p.path == path or p.path.startswith((f"{path}.", f"{path}[")))
            for p in self.problems
        )

    # --- reading ------------------------------------------------------------------------
    def of_type(self, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource.get("Type") == type_:
                yield logical_id, resource.get("Properties") or {}

    def type_of(self, logical_id: str) -> str | None:
        resource = self.resources.get(logical_id)
        return resource.get("Type") if isinstance(resource, dict) else None

    def playground(self, logical_id: str) -> dict[str, Any]:
        """``Metadata.Playground`` of a resource (settings AWS has no property for)."""
        metadata = self.resources[logical_id].get("Metadata") or {}
        found = metadata.get("Playground") if isinstance(metadata, dict) else None
        return found if isinstance(found, dict) else {}

    def required(
        self, logical_id: str, props: dict[str, Any], *names: str, where: str = "Properties"
    ) -> bool:
        missing = [name for name in names if props.get(name) is None]
        for name in missing:
            self.fail(REQUIRED, logical_id, f"{where}.{name}", "is required")
        return not missing

    def mappings(
        self, logical_id: str, path: str, values: Any
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """The entries of a list property, each checked to be a mapping."""
        if values is None:
            return
        if not isinstance(values, list):
            self.fail(SHAPE, logical_id, path, "must be a list")
            return
        for i, item in enumerate(values):
            if isinstance(item, dict):
                yield i, item
            else:
                self.fail(SHAPE, logical_id, f"{path}[{i}]", "must be a mapping of properties")

    def ref(
        self, logical_id: str, path: str, value: Any, *types: str, attribute: str | None = None
    ) -> str | None:
        """The logical id a ``Ref`` or ``Fn::GetAtt`` names, checked against ``types``.

        ``attribute`` names the GetAtt a property needs when ``Ref`` returns something else
        (an EIP's ``AllocationId``, a function's ``Arn``). An unresolved name returns None
        quietly: the reference pass reports it once for the whole template.
        """
        target, used = reference(value)
        if target is None:
            wanted = f"!GetAtt {types[0].split('::')[-1]}.{attribute}" if attribute else "a Ref"
            self.fail(
                REF_FORM, logical_id, path, f"must be {wanted} to a resource in this template"
            )
            return None
        type_ = self.type_of(target)
        if type_ is None:
            return None
        if types and type_ not in types:
            self.fail(
                REF_TYPE,
                logical_id,
                path,
                f"Ref {target} is a {type_}, expected {' or '.join(types)}",
            )
            return None
        needed = attribute or REF_EQUIVALENT.get(type_)
        if used == needed or (used is None and attribute is None and type_ in REF_EQUIVALENT):
            return target
        if used is None:
            self.fail(
                REF_ATTRIBUTE,
                logical_id,
                path,
                f"Ref {target} returns {REF_RETURNS.get(type_, 'another value')}; "
                f"use !GetAtt {target}.{needed}",
            )
        else:
            self.fail(
                REF_ATTRIBUTE,
                logical_id,
                path,
                f"!GetAtt {target}.{used} is not what this property takes; use "
                + (f"!GetAtt {target}.{needed}" if attribute else f"!Ref {target}"),
            )
        return None

    def refs(self, logical_id: str, path: str, values: Any, *types: str) -> list[str]:
        if values is None:
            return []
        if not isinstance(values, list):
            self.fail(SHAPE, logical_id, path, "must be a list")
            return []
        found = [self.ref(logical_id, f"{path}[{i}]", v, *types) for i, v in enumerate(values)]
        return [f for f in found if f is not None]

    def integer(
        self,
        logical_id: str,
        path: str,
        value: Any,
        low: int,
        high: int,
        default: int | None = None,
        rule_: Rule = INTEGER,
    ) -> int:
        if value is None and default is not None:
            return default
        try:
            number = int(value)
            if isinstance(value, bool) or str(number) != str(value).strip():
                raise ValueError
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
            self.fail(rule_, logical_id, path, f"must be an integer from {low} to {high}")
            return low if default is None else default
        if not low <= number <= high:
            self.fail(
                rule_, logical_id, path, f"{number} is out of range; must be from {low} to {high}"
            )
            return low if default is None else default
        return number

    def choice(
        self,
        logical_id: str,
        path: str,
        value: Any,
        allowed: tuple[str, ...],
        default: str,
        rule_: Rule = CHOICE,
    ) -> str:
        if value is None:
            return default
        if value not in allowed:
            self.fail(rule_, logical_id, path, f"{value!r} is not one of {', '.join(allowed)}")
            return default
        return str(value)

    def network(self, logical_id: str, path: str, value: Any) -> ipaddress.IPv4Network | None:
        if value is None:  # not "None is not an IPv4 CIDR block"
            self.fail(REQUIRED, logical_id, path, "is required")
            return None
        try:
            return ipaddress.IPv4Network(str(value))
        except ValueError:
            self.fail(SHAPE, logical_id, path, f"{value!r} is not an IPv4 CIDR block")
            return None


def reference(value: Any) -> tuple[str | None, str | None]:
    """(logical id, GetAtt attribute or None for Ref) of a Ref/GetAtt value."""
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return value["Ref"], None
        get_att = value.get("Fn::GetAtt")
        if (
            isinstance(get_att, list)
            and len(get_att) == 2
            and all(isinstance(part, str) for part in get_att)
        ):
            return get_att[0], get_att[1]
    return None, None


def article(word: str) -> str:
    """ "a TCP listener" but "an HTTPS listener": by sound, for protocol names."""
    return f"an {word}" if word[:1] in "AEFHILMNORSX" else f"a {word}"


def boolean(value: Any) -> bool | None:
    """CloudFormation booleans: true/false, also as the strings "true"/"false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None
