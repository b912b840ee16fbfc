"""CloudFormation documents → the engine's ``Topology``.

A topology is a CloudFormation template (YAML, short-form ``!Ref``/``!GetAtt`` included,
or JSON) restricted to the resource types we model, with CloudFormation's own property
names. What AWS has no property for lives under ``Metadata: {Playground: ...}``.

Every problem names the resource's logical id and the property path, in one line:
``ApiRule.Properties.Priority: ValidationError: ...``; a document with any problem
yields no topology at all.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from labs.engine import spec

VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
INSTANCE = "AWS::EC2::Instance"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"
LISTENER_RULE = "AWS::ElasticLoadBalancingV2::ListenerRule"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"
SUPPORTED = (VPC, SUBNET, SECURITY_GROUP, INSTANCE, LOAD_BALANCER, LISTENER, LISTENER_RULE,
             TARGET_GROUP)

_ALB_LISTENER_PROTOCOLS = ("HTTP", "HTTPS")
_ALGORITHMS = ("round_robin", "least_outstanding_requests", "weighted_random")
# At most one condition of each of these per rule (spec §1.2).
_ONCE_PER_RULE = ("host-header", "http-request-method", "path-pattern", "source-ip")


@dataclass(frozen=True, slots=True)
class Problem:
    logical_id: str
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.logical_id}.{self.path}" if self.path else self.logical_id
        return f"{where}: {self.code}: {self.message}"


class TemplateError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


# --- parsing ---------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsic functions."""


def _intrinsic(name: str) -> Any:
    def construct(loader: _Loader, node: yaml.Node) -> dict[str, Any]:
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


for _tag in ("Ref", "GetAtt", "Sub", "Join", "Select", "Split", "GetAZs", "ImportValue",
             "FindInMap", "Base64", "Cidr", "If", "Equals", "Not", "And", "Or", "Condition"):
    _Loader.add_constructor(f"!{_tag}", _intrinsic("Ref" if _tag == "Ref" else f"Fn::{_tag}"))


def parse_document(text: str) -> dict[str, Any]:
    """The template as plain data; short forms become their long ``Fn::`` spelling."""
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else \
            yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TemplateError([Problem("Template", "", "ValidationError",
                                     f"not valid YAML or JSON: {exc}".replace("\n", " "))]) \
            from None
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError([Problem("Template", "Resources", "ValidationError",
                                     "a template needs a Resources mapping")])
    return document


def template_metadata(text: str) -> dict[str, Any]:
    """``Metadata.Playground`` of a template (titles, descriptions, traffic)."""
    metadata = parse_document(text).get("Metadata") or {}
    playground = metadata.get("Playground") if isinstance(metadata, dict) else None
    return playground if isinstance(playground, dict) else {}


def load_topology(text: str) -> spec.Topology:
    return _Builder(parse_document(text)).build()


# --- building ----------------------------------------------------------------------------------
class _Builder:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.resources: dict[str, Any] = document["Resources"]
        self.problems: list[Problem] = []

    # helpers --------------------------------------------------------------------------------
    def fail(self, logical_id: str, path: str, message: str, code: str = "ValidationError") -> None:
        self.problems.append(Problem(logical_id, path, code, message))

    def of_type(self, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.resources.items():
            if resource.get("Type") == type_:
                props = resource.get("Properties") or {}
                if isinstance(props, dict):
                    yield logical_id, props

    def mappings(self, logical_id: str, path: str,
                 values: Any) -> Iterator[tuple[int, dict[str, Any]]]:
        """The entries of a list property, each checked to be a mapping."""
        if values is None:
            return
        if not isinstance(values, list):
            self.fail(logical_id, path, "must be a list")
            return
        for i, item in enumerate(values):
            if isinstance(item, dict):
                yield i, item
            else:
                self.fail(logical_id, f"{path}[{i}]", "must be a mapping of properties")

    def ref(self, logical_id: str, path: str, value: Any, *types: str) -> str | None:
        """The logical id a ``Ref`` (or ``Fn::GetAtt``) names, checked against ``types``."""
        target = None
        if isinstance(value, dict) and "Ref" in value:
            target = value["Ref"]
        elif isinstance(value, dict) and "Fn::GetAtt" in value:
            target = (value["Fn::GetAtt"] or [None])[0]
        if not isinstance(target, str):
            self.fail(logical_id, path, "must be a Ref to a resource in this template")
            return None
        resource = self.resources.get(target)
        if resource is None:
            self.fail(logical_id, path, f"Ref {target} does not name a resource in this template")
            return None
        if types and resource.get("Type") not in types:
            self.fail(logical_id, path, f"Ref {target} is a {resource.get('Type')}, "
                                        f"expected {' or '.join(types)}")
            return None
        return target

    def refs(self, logical_id: str, path: str, values: Any, *types: str) -> list[str]:
        if values is None:
            return []
        if not isinstance(values, list):
            self.fail(logical_id, path, "must be a list")
            return []
        found = [self.ref(logical_id, f"{path}[{i}]", v, *types) for i, v in enumerate(values)]
        return [f for f in found if f is not None]

    def integer(self, logical_id: str, path: str, value: Any, low: int, high: int,
                default: int | None = None) -> int:
        if value is None and default is not None:
            return default
        try:
            number = int(value)
            if isinstance(value, bool) or str(number) != str(value).strip():
                raise ValueError
        except (TypeError, ValueError):
            self.fail(logical_id, path, f"must be an integer from {low} to {high}")
            return low
        if not low <= number <= high:
            self.fail(logical_id, path, f"{number} is out of range; must be from {low} to {high}")
        return number

    def choice(self, logical_id: str, path: str, value: Any, allowed: tuple[str, ...],
               default: str) -> str:
        if value is None:
            return default
        if value not in allowed:
            self.fail(logical_id, path, f"{value!r} is not one of {', '.join(allowed)}")
            return default
        return str(value)

    def network(self, logical_id: str, path: str, value: Any) -> ipaddress.IPv4Network | None:
        try:
            return ipaddress.IPv4Network(str(value))
        except ValueError:
            self.fail(logical_id, path, f"{value!r} is not an IPv4 CIDR block")
            return None

    # the build ------------------------------------------------------------------------------
    def build(self) -> spec.Topology:
        for logical_id, resource in self.resources.items():
            type_ = resource.get("Type") if isinstance(resource, dict) else None
            if type_ not in SUPPORTED:
                self.fail(logical_id, "Type", f"{type_!r} is not a resource type the playground "
                                              f"models ({', '.join(SUPPORTED)})")
            elif not isinstance(resource.get("Properties") or {}, dict):
                self.fail(logical_id, "Properties", "must be a mapping of properties")
        if self.problems:
            raise TemplateError(self.problems)
        vpc_cidr = self._vpc()
        subnets = self._subnets(vpc_cidr)
        groups = self._security_groups()
        instances = self._instances(subnets)
        target_groups = self._target_groups(instances, vpc_cidr)
        load_balancers = self._load_balancers(subnets, target_groups)
        traffic = self._traffic()
        if self.problems:
            raise TemplateError(self.problems)
        return spec.Topology(
            vpc_cidr=str(vpc_cidr), load_balancers=tuple(load_balancers),
            target_groups=tuple(target_groups.values()), security_groups=tuple(groups),
            traffic=traffic)

    def _vpc(self) -> ipaddress.IPv4Network:
        vpcs = list(self.of_type(VPC))
        if len(vpcs) != 1:
            self.fail("Template", "Resources", f"needs exactly one {VPC}; found {len(vpcs)}")
            raise TemplateError(self.problems)
        logical_id, props = vpcs[0]
        cidr = self.network(logical_id, "Properties.CidrBlock", props.get("CidrBlock"))
        if cidr is None:
            raise TemplateError(self.problems)
        if not cidr.is_private:
            self.fail(logical_id, "Properties.CidrBlock", f"{cidr} is not a private range")
        return cidr

    def _subnets(self, vpc: ipaddress.IPv4Network) -> dict[str, tuple[str, ipaddress.IPv4Network]]:
        subnets = {}
        for logical_id, props in self.of_type(SUBNET):
            self.ref(logical_id, "Properties.VpcId", props.get("VpcId"), VPC)
            cidr = self.network(logical_id, "Properties.CidrBlock", props.get("CidrBlock"))
            az = props.get("AvailabilityZone")
            if not isinstance(az, str) or not az:
                self.fail(logical_id, "Properties.AvailabilityZone",
                          "the playground needs each subnet's Availability Zone, e.g. us-east-1a")
                continue
            if cidr is None:
                continue
            clash = next((name for name, (_, other) in subnets.items() if cidr.overlaps(other)),
                         None)
            if not cidr.subnet_of(vpc):
                self.fail(logical_id, "Properties.CidrBlock", f"{cidr} is not inside the VPC {vpc}")
            elif clash is not None:
                self.fail(logical_id, "Properties.CidrBlock",
                          f"The CIDR '{cidr}' conflicts with another subnet ({clash})",
                          code="InvalidSubnet.Conflict")
            else:
                subnets[logical_id] = (az, cidr)
        return subnets

    def _security_groups(self) -> list[spec.SecurityGroup]:
        groups = []
        for logical_id, props in self.of_type(SECURITY_GROUP):
            rules = []
            for i, rule in self.mappings(logical_id, "Properties.SecurityGroupIngress",
                                         props.get("SecurityGroupIngress")):
                path = f"Properties.SecurityGroupIngress[{i}]"
                protocol = str(rule.get("IpProtocol", "")).lower()
                if protocol not in ("tcp", "udp", "-1"):
                    self.fail(logical_id, f"{path}.IpProtocol", "must be tcp, udp or -1")
                    continue
                low = self.integer(logical_id, f"{path}.FromPort", rule.get("FromPort", 0),
                                   -1, 65535)
                high = self.integer(logical_id, f"{path}.ToPort", rule.get("ToPort", 65535),
                                    -1, 65535)
                source = None
                if "SourceSecurityGroupId" in rule:
                    source = self.ref(logical_id, f"{path}.SourceSecurityGroupId",
                                      rule["SourceSecurityGroupId"], SECURITY_GROUP)
                elif "CidrIp" in rule:
                    self.network(logical_id, f"{path}.CidrIp", rule["CidrIp"])
                else:
                    self.fail(logical_id, path, "needs CidrIp or SourceSecurityGroupId")
                rules.append(spec.IngressRule(
                    protocol=protocol, from_port=low, to_port=high,
                    cidr=rule.get("CidrIp"), source_group=source))
            groups.append(spec.SecurityGroup(name=logical_id, ingress=tuple(rules)))
        return groups

    def _instances(self, subnets: dict[str, tuple[str, ipaddress.IPv4Network]]
                   ) -> dict[str, tuple[str, str, tuple[str, ...], spec.AppBehaviour]]:
        """logical id → (ip, az, security groups, behaviour)."""
        instances = {}
        used: dict[str, str] = {}
        for logical_id, props in self.of_type(INSTANCE):
            subnet = self.ref(logical_id, "Properties.SubnetId", props.get("SubnetId"), SUBNET)
            groups = self.refs(logical_id, "Properties.SecurityGroupIds",
                               props.get("SecurityGroupIds"), SECURITY_GROUP)
            if subnet is None or subnet not in subnets:
                continue
            az, cidr = subnets[subnet]
            ip = self._instance_ip(logical_id, props.get("PrivateIpAddress"), cidr, used)
            if ip is None:
                continue
            used[ip] = logical_id
            instances[logical_id] = (ip, az, tuple(groups), self._app(logical_id))
        return instances

    def _instance_ip(self, logical_id: str, value: Any, cidr: ipaddress.IPv4Network,
                     used: dict[str, str]) -> str | None:
        path = "Properties.PrivateIpAddress"
        if value is None:  # AWS would assign one; we take the next free host from .10
            for host in list(cidr.hosts())[9:]:
                if str(host) not in used:
                    return str(host)
            self.fail(logical_id, path, f"no free address left in {cidr}")
            return None
        try:
            ip = ipaddress.IPv4Address(str(value))
        except ValueError:
            self.fail(logical_id, path, f"{value!r} is not an IPv4 address")
            return None
        if ip not in cidr:
            self.fail(logical_id, path, f"{ip} is not inside the instance's subnet {cidr}")
            return None
        # AWS reserves the first four and the last address of every subnet.
        if int(ip) - int(cidr.network_address) < 4 or ip == cidr.broadcast_address:
            self.fail(logical_id, path, f"{ip} is reserved by AWS in subnet {cidr}")
            return None
        if str(ip) in used:
            self.fail(logical_id, path, f"{ip} is already used by {used[str(ip)]}")
            return None
        return str(ip)

    def _app(self, logical_id: str) -> spec.AppBehaviour:
        metadata = self.resources[logical_id].get("Metadata") or {}
        app = (metadata.get("Playground") or {}).get("App") or {}
        path = "Metadata.Playground.App"
        body = app.get("Body")
        return spec.AppBehaviour(
            status=self.integer(logical_id, f"{path}.Status", app.get("Status"), 100, 599, 200),
            body=None if body is None else str(body),
            latency_ms=self.integer(logical_id, f"{path}.LatencyMs", app.get("LatencyMs"),
                                    0, 600_000, 0),
            health_status=self.integer(logical_id, f"{path}.HealthStatus",
                                       app.get("HealthStatus"), 100, 599, 200),
        )

    def _target_groups(self, instances: dict[str, Any],
                       vpc: ipaddress.IPv4Network) -> dict[str, spec.TargetGroup]:
        groups = {}
        for logical_id, props in self.of_type(TARGET_GROUP):
            protocol = self.choice(logical_id, "Properties.Protocol", props.get("Protocol"),
                                   ("HTTP", "HTTPS"), "HTTP")
            port = self.integer(logical_id, "Properties.Port", props.get("Port"), 1, 65535, 80)
            target_type = self.choice(logical_id, "Properties.TargetType",
                                      props.get("TargetType"), ("instance", "ip"), "instance")
            attributes = self._attributes(logical_id, props.get("TargetGroupAttributes"))
            algorithm = self.choice(
                logical_id, "Properties.TargetGroupAttributes.load_balancing.algorithm.type",
                attributes.get("load_balancing.algorithm.type"), _ALGORITHMS, "round_robin")
            targets = self._targets(logical_id, props.get("Targets"), port, target_type,
                                    instances, vpc)
            groups[logical_id] = spec.TargetGroup(
                name=logical_id, protocol=protocol, port=port, target_type=target_type,
                targets=tuple(targets), health_check=self._health_check(logical_id, props),
                algorithm=algorithm)
        return groups

    def _attributes(self, logical_id: str, values: Any) -> dict[str, str]:
        attributes = {}
        for i, item in self.mappings(logical_id, "Properties.TargetGroupAttributes", values):
            if "Key" not in item or "Value" not in item:
                self.fail(logical_id, f"Properties.TargetGroupAttributes[{i}]",
                          "each attribute needs Key and Value")
                continue
            attributes[str(item["Key"])] = str(item["Value"])
        return attributes

    def _targets(self, logical_id: str, values: Any, port: int, target_type: str,
                 instances: dict[str, Any], vpc: ipaddress.IPv4Network) -> list[spec.Target]:
        targets = []
        for i, item in self.mappings(logical_id, "Properties.Targets", values):
            path = f"Properties.Targets[{i}]"
            target_port = self.integer(logical_id, f"{path}.Port", item.get("Port"), 1, 65535,
                                       port)
            if target_type == "instance":
                instance = self.ref(logical_id, f"{path}.Id", item.get("Id"), INSTANCE)
                if instance is None or instance not in instances:
                    continue
                ip, az, groups, app = instances[instance]
                targets.append(spec.Target(id=instance, ip=ip, port=target_port, az=az,
                                           app=app, security_groups=groups))
                continue
            target = self._ip_target(logical_id, f"{path}.Id", item.get("Id"), vpc, instances)
            if target is not None:
                az = str(item.get("AvailabilityZone") or target[1])
                targets.append(spec.Target(id=target[0], ip=target[0], port=target_port, az=az,
                                           app=target[3], security_groups=target[2]))
        return targets

    def _ip_target(self, logical_id: str, path: str, value: Any, vpc: ipaddress.IPv4Network,
                   instances: dict[str, Any]) -> tuple[str, str, tuple[str, ...], Any] | None:
        try:
            ip = ipaddress.IPv4Address(str(value))
        except ValueError:
            self.fail(logical_id, path, f"{value!r} is not an IPv4 address")
            return None
        # AWS: ip targets must be in the VPC's subnets or RFC 1918 / RFC 6598 ranges; the
        # playground further needs an instance behind the address to answer.
        if ip not in vpc:
            self.fail(logical_id, path, f"{ip} is outside the VPC {vpc}: the sandbox only "
                                        "reaches addresses inside it")
            return None
        for ip_, az, groups, app in instances.values():
            if ip_ == str(ip):
                return str(ip), az, groups, app
        self.fail(logical_id, path, f"no instance in this template has the address {ip}")
        return None

    def _health_check(self, logical_id: str, props: dict[str, Any]) -> spec.HealthCheck:
        p = "Properties."
        port = props.get("HealthCheckPort", "traffic-port")
        if port != "traffic-port":
            port = str(self.integer(logical_id, p + "HealthCheckPort", port, 1, 65535))
        interval = self.integer(logical_id, p + "HealthCheckIntervalSeconds",
                                props.get("HealthCheckIntervalSeconds"), 5, 300, 30)
        timeout = self.integer(logical_id, p + "HealthCheckTimeoutSeconds",
                               props.get("HealthCheckTimeoutSeconds"), 2, 120, 5)
        if 5 <= interval <= 300 and 2 <= timeout <= 120 and timeout >= interval:
            self.fail(logical_id, p + "HealthCheckTimeoutSeconds",
                      "Health check timeout must be smaller than the interval")
        path = str(props.get("HealthCheckPath", "/"))
        if not path.startswith("/") or len(path) > 1024:
            self.fail(logical_id, p + "HealthCheckPath",
                      "must start with / and be at most 1024 characters")
        matcher = (props.get("Matcher") or {}).get("HttpCode", "200")
        self._matcher(logical_id, p + "Matcher.HttpCode", str(matcher))
        return spec.HealthCheck(
            protocol=self.choice(logical_id, p + "HealthCheckProtocol",
                                 props.get("HealthCheckProtocol"), ("HTTP", "HTTPS"), "HTTP"),
            port=port, path=path, interval_seconds=interval, timeout_seconds=timeout,
            healthy_threshold=self.integer(logical_id, p + "HealthyThresholdCount",
                                           props.get("HealthyThresholdCount"), 2, 10, 5),
            unhealthy_threshold=self.integer(logical_id, p + "UnhealthyThresholdCount",
                                             props.get("UnhealthyThresholdCount"), 2, 10, 2),
            matcher=str(matcher))

    def _matcher(self, logical_id: str, path: str, matcher: str) -> None:
        for part in matcher.split(","):
            low, _, high = part.strip().partition("-")
            if not (low.isdigit() and (not high or high.isdigit())) or not all(
                    200 <= int(code) <= 499 for code in (low, high or low)):
                self.fail(logical_id, path, f"{matcher!r}: ALB success codes are values or "
                                            "ranges from 200 to 499, e.g. 200,202 or 200-299")
                return

    def _load_balancers(self, subnets: dict[str, tuple[str, ipaddress.IPv4Network]],
                        target_groups: dict[str, spec.TargetGroup]) -> list[spec.LoadBalancer]:
        listeners = self._listeners(target_groups)
        result = []
        for logical_id, props in self.of_type(LOAD_BALANCER):
            lb_type = self.choice(logical_id, "Properties.Type", props.get("Type"),
                                  ("application",), "application")
            scheme = self.choice(logical_id, "Properties.Scheme", props.get("Scheme"),
                                 ("internet-facing", "internal"), "internet-facing")
            names = self.refs(logical_id, "Properties.Subnets", props.get("Subnets"), SUBNET)
            zones = [subnets[name] for name in names if name in subnets]
            if len({az for az, _ in zones}) != len(zones):
                self.fail(logical_id, "Properties.Subnets",
                          "You can specify only one subnet per Availability Zone")
            elif len(zones) < 2 and lb_type == "application":
                self.fail(logical_id, "Properties.Subnets",
                          "At least two subnets in two different Availability Zones must be "
                          "specified")
            nodes = tuple(spec.Node(az=az, ip=str(cidr.network_address + 5)) for az, cidr in zones)
            groups = self.refs(logical_id, "Properties.SecurityGroups",
                               props.get("SecurityGroups"), SECURITY_GROUP)
            result.append(spec.LoadBalancer(
                name=logical_id, type=lb_type, scheme=scheme, nodes=nodes,
                listeners=tuple(listeners.get(logical_id, ())), security_groups=tuple(groups)))
        return result

    def _listeners(self, target_groups: dict[str, spec.TargetGroup]
                   ) -> dict[str, list[spec.Listener]]:
        rules = self._rules(target_groups)
        by_lb: dict[str, list[spec.Listener]] = {}
        ports: dict[tuple[str, int], str] = {}
        for logical_id, props in self.of_type(LISTENER):
            lb = self.ref(logical_id, "Properties.LoadBalancerArn", props.get("LoadBalancerArn"),
                          LOAD_BALANCER)
            protocol = self.choice(logical_id, "Properties.Protocol", props.get("Protocol"),
                                   _ALB_LISTENER_PROTOCOLS, "HTTP")
            port = self.integer(logical_id, "Properties.Port", props.get("Port"), 1, 65535)
            if protocol == "HTTPS":
                self.fail(logical_id, "Properties.Protocol",
                          "HTTPS listeners arrive with certificates; use HTTP for now",
                          code="UnsupportedProtocol")
            actions = self._actions(logical_id, "Properties.DefaultActions",
                                    props.get("DefaultActions"), target_groups)
            if lb is None:
                continue
            if (lb, port) in ports:
                self.fail(logical_id, "Properties.Port",
                          f"port {port} is already used by {ports[lb, port]}",
                          code="DuplicateListener")
            ports[lb, port] = logical_id
            by_lb.setdefault(lb, []).append(spec.Listener(
                name=logical_id, protocol=protocol, port=port, default_actions=actions,
                rules=tuple(sorted(rules.get(logical_id, []), key=lambda r: r.priority))))
        return by_lb

    def _rules(self, target_groups: dict[str, spec.TargetGroup]) -> dict[str, list[spec.Rule]]:
        by_listener: dict[str, list[spec.Rule]] = {}
        priorities: dict[tuple[str, int], str] = {}
        for logical_id, props in self.of_type(LISTENER_RULE):
            listener = self.ref(logical_id, "Properties.ListenerArn", props.get("ListenerArn"),
                                LISTENER)
            priority = self.integer(logical_id, "Properties.Priority", props.get("Priority"),
                                    1, 50000)
            conditions = self._conditions(logical_id, props.get("Conditions"))
            actions = self._actions(logical_id, "Properties.Actions", props.get("Actions"),
                                    target_groups)
            if listener is None:
                continue
            if (listener, priority) in priorities:
                self.fail(logical_id, "Properties.Priority",
                          f"priority {priority} is already used by "
                          f"{priorities[listener, priority]}", code="PriorityInUse")
            priorities[listener, priority] = logical_id
            by_listener.setdefault(listener, []).append(spec.Rule(
                name=logical_id, priority=priority, conditions=conditions, actions=actions))
        return by_listener

    def _conditions(self, logical_id: str, values: Any) -> tuple[spec.Condition, ...]:
        if not isinstance(values, list) or not values:
            self.fail(logical_id, "Properties.Conditions", "a rule needs at least one condition")
            return ()
        conditions = []
        configs = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
                   "http-request-method": "HttpRequestMethodConfig",
                   "source-ip": "SourceIpConfig", "http-header": "HttpHeaderConfig",
                   "query-string": "QueryStringConfig"}
        seen: dict[str, int] = {}
        for i, item in self.mappings(logical_id, "Properties.Conditions", values):
            path = f"Properties.Conditions[{i}]"
            field = item.get("Field")
            if field not in configs:
                self.fail(logical_id, f"{path}.Field", f"{field!r} is not one of "
                                                       f"{', '.join(configs)}")
                continue
            if field in _ONCE_PER_RULE and field in seen:
                self.fail(logical_id, f"{path}.Field",
                          f"a rule can have only one {field} condition "
                          f"(Conditions[{seen[field]}] is one)")
            seen.setdefault(field, i)
            condition = self._condition(logical_id, f"{path}.{configs[field]}", field,
                                        item.get(configs[field]) or {"Values": item.get("Values")})
            if condition is not None:
                conditions.append(condition)
        return tuple(conditions)

    def _condition(self, logical_id: str, path: str, field: str,
                   config: Any) -> spec.Condition | None:
        if not isinstance(config, dict):
            self.fail(logical_id, path, "must be a mapping")
            return None
        values = config.get("Values") or []
        if not isinstance(values, list) or not values:
            self.fail(logical_id, f"{path}.Values", "a condition needs at least one value")
            return None
        if field == "query-string":
            pairs = tuple((pair.get("Key"), str(pair.get("Value", "")))
                          for _, pair in self.mappings(logical_id, f"{path}.Values", values))
            return spec.Condition(field=field, key_values=pairs)
        if field == "source-ip":
            for j, value in enumerate(values):
                try:
                    ipaddress.ip_network(str(value), strict=False)
                except ValueError:
                    self.fail(logical_id, f"{path}.Values[{j}]", f"{value!r} is not a CIDR block")
        header = config.get("HttpHeaderName")
        if field == "http-header" and not header:
            self.fail(logical_id, f"{path}.HttpHeaderName", "an http-header condition needs "
                                                           "HttpHeaderName")
        return spec.Condition(field=field, values=tuple(str(v) for v in values),
                              header_name=header)

    def _actions(self, logical_id: str, path: str, values: Any,
                 target_groups: dict[str, spec.TargetGroup]) -> tuple[spec.Action, ...]:
        if not isinstance(values, list) or not values:
            self.fail(logical_id, path, "needs at least one action")
            return ()
        actions = []
        for i, item in self.mappings(logical_id, path, values):
            where = f"{path}[{i}]"
            kind = item.get("Type")
            if kind == "forward":
                groups = self._forward_groups(logical_id, where, item, target_groups)
                actions.append(spec.Action(type="forward", target_groups=groups))
            elif kind == "fixed-response":
                config = item.get("FixedResponseConfig") or {}
                self.integer(logical_id, f"{where}.FixedResponseConfig.StatusCode",
                             config.get("StatusCode"), 200, 599)
                actions.append(spec.Action(type="fixed-response", fixed_response={
                    k: str(v) for k, v in config.items()}))
            else:
                self.fail(logical_id, f"{where}.Type",
                          f"{kind!r}: this playground runs forward and fixed-response actions")
        return tuple(actions)

    def _forward_groups(self, logical_id: str, where: str, item: dict[str, Any],
                        target_groups: dict[str, spec.TargetGroup]) -> tuple[tuple[str, int], ...]:
        if "TargetGroupArn" in item:
            group = self.ref(logical_id, f"{where}.TargetGroupArn", item["TargetGroupArn"],
                             TARGET_GROUP)
            return ((group, 1),) if group else ()
        weighted = ((item.get("ForwardConfig") or {}).get("TargetGroups")) or []
        if not weighted:
            self.fail(logical_id, where, "a forward action needs TargetGroupArn or "
                                         "ForwardConfig.TargetGroups")
        if len(weighted) > 5:
            self.fail(logical_id, f"{where}.ForwardConfig.TargetGroups",
                      "a forward action can use at most 5 target groups")
        groups = []
        for j, entry in self.mappings(logical_id, f"{where}.ForwardConfig.TargetGroups",
                                      weighted):
            group = self.ref(logical_id, f"{where}.ForwardConfig.TargetGroups[{j}].TargetGroupArn",
                             entry.get("TargetGroupArn"), TARGET_GROUP)
            weight = self.integer(logical_id, f"{where}.ForwardConfig.TargetGroups[{j}].Weight",
                                  entry.get("Weight"), 0, 999, 1)
            if group:
                groups.append((group, weight))
        return tuple(groups)

    def _traffic(self) -> spec.Traffic:
        metadata = self.document.get("Metadata") or {}
        traffic = (metadata.get("Playground") or {}).get("Traffic") or {}
        where = "Metadata.Playground.Traffic"
        paths = traffic.get("Paths") or ["/"]
        if not isinstance(paths, list) or not all(
                isinstance(p, str) and p.startswith("/") for p in paths):
            self.fail("Template", f"{where}.Paths", "must be a list of paths starting with /")
            paths = ["/"]
        rps = traffic.get("RequestsPerSecond", 10)
        if not isinstance(rps, int | float) or isinstance(rps, bool) or not 0 < rps <= 10_000:
            self.fail("Template", f"{where}.RequestsPerSecond", "must be a number from 0 to 10000")
            rps = 10
        return spec.Traffic(
            rps=float(rps),
            clients=self.integer("Template", f"{where}.Clients", traffic.get("Clients"), 1, 200, 6),
            paths=tuple(paths), host=traffic.get("Host"))
