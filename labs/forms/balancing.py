"""Builder forms for load balancing: load balancers, listeners, rules and target groups."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from labs import editing
from labs.validation import health_checks
from labs.validation import listeners as listener_rules
from labs.validation import target_groups as group_rules

from .actions import ActionForm, ConditionRowForm, read_condition, write_condition
from .base import (
    Document,
    KeyValueField,
    ResourceForm,
    RowForm,
    RowSet,
    Section,
    choices_of,
    key_value_lines,
    key_values,
    row_formset,
    set_choices,
    set_or_drop,
)
from .compute import elb_permissions

# What validation accepts, in its order: target-group protocols, and health-check
# protocols of any target-group family.
PROTOCOLS = list(group_rules._PROTOCOLS)
HEALTH_CHECK_PROTOCOLS = list(
    dict.fromkeys(p for family in health_checks.FAMILIES.values() for p in family.protocols)
)
LB_TYPE_NAMES = {
    "application": _("Application Load Balancer"),
    "network": _("Network Load Balancer"),
    "gateway": _("Gateway Load Balancer"),
}
# Security policies for HTTPS and TLS listeners (ELB's predefined ones; empty: AWS's default).
SSL_POLICIES = (
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
)
ALPN_POLICIES = ("HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred", "None")


def _protocols() -> list[tuple[str, str]]:
    return [(protocol, protocol) for protocol in PROTOCOLS]


def _listener_protocols() -> list[Any]:
    """Listener protocols grouped by the load balancer type that takes them."""
    return [
        ("", _("None (Gateway Load Balancer)")),
        *(
            (LB_TYPE_NAMES[kind], [(p, p) for p in protocols])
            for kind, protocols in listener_rules.PROTOCOLS.items()
        ),
    ]


def _parameters_of(document: Document, type_: str) -> list[str]:
    """The document's parameters of ``type_``, in order."""
    declared = document.get("Parameters") if isinstance(document, dict) else None
    if not isinstance(declared, dict):
        return []
    return [
        name
        for name, parameter in declared.items()
        if isinstance(parameter, dict) and parameter.get("Type") == type_
    ]


def lb_type_of(document: Document, name: str | None) -> str | None:
    """The Type of an ELBv2 load balancer of the document (application when unset)."""
    resource = editing.resources(document).get(name or "")
    if not isinstance(resource, dict) or resource.get("Type") != editing.LOAD_BALANCER:
        return None
    return str((resource.get("Properties") or {}).get("Type") or "application")


class LoadBalancerForm(ResourceForm):
    kind = "load-balancer"
    resource_type = editing.LOAD_BALANCER
    title = _("Load balancer")
    add_label = _("Add a load balancer")
    lb_type = forms.ChoiceField(
        label=_("Type"),
        choices=[("application", "Application"), ("network", "Network"), ("gateway", "Gateway")],
        initial="application",
    )
    scheme = forms.ChoiceField(
        label=_("Scheme"),
        choices=[("internet-facing", _("Internet-facing")), ("internal", _("Internal"))],
        initial="internet-facing",
    )
    subnets = forms.MultipleChoiceField(
        label=_("Subnets"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One per Availability Zone: each gets a load balancer node."),
    )
    elastic_ips = forms.BooleanField(
        label=_("Give each node an Elastic IP"),
        required=False,
        help_text=_(
            "An internet-facing Network Load Balancer only: one AWS::EC2::EIP per "
            "subnet is created (and removed) with it, a static address per zone."
        ),
    )
    security_groups = forms.MultipleChoiceField(
        label=_("Security groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    attributes = KeyValueField(
        label=_("Attributes"),
        required=False,
        help_text=_("One key=value per line, e.g. idle_timeout.timeout_seconds=60"),
    )
    sections = (
        Section(_("Load balancer"), ("logical_id", "lb_type")),
        Section(_("Scheme"), ("scheme",), show_when=("lb_type", "application network")),
        Section(_("Network mapping"), ("subnets",)),
        Section(_("Static addresses"), ("elastic_ips",), show_when=("lb_type", "network")),
        Section(
            _("Security groups"), ("security_groups",), show_when=("lb_type", "application network")
        ),
        Section(_("Attributes"), ("attributes",)),
    )
    field_paths = {
        "Properties.Type": "lb_type",
        "Properties.Scheme": "scheme",
        "Properties.Subnets": "subnets",
        "Properties.SubnetMappings": "subnets",
        "Properties.SecurityGroups": "security_groups",
        "Properties.LoadBalancerAttributes": "attributes",
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        # A template written for any account takes its subnets as parameters: one subnet
        # each (AWS::EC2::Subnet::Id) or the whole list (List<AWS::EC2::Subnet::Id>).
        self.subnet_lists = _parameters_of(document, "List<AWS::EC2::Subnet::Id>")
        set_choices(
            self,
            "subnets",
            choices_of(document, editing.SUBNET)
            + [
                (name, _("%(name)s (parameter)") % {"name": name})
                for name in _parameters_of(document, "AWS::EC2::Subnet::Id")
            ]
            + [
                (name, _("%(name)s (parameter: a list of subnets)") % {"name": name})
                for name in self.subnet_lists
            ],
        )
        set_choices(self, "security_groups", choices_of(document, editing.SECURITY_GROUP))

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        subnets = properties.get("Subnets") or [
            mapping.get("SubnetId")
            for mapping in properties.get("SubnetMappings") or []
            if isinstance(mapping, dict)
        ]
        if not isinstance(subnets, list):  # !Ref PublicSubnets: one parameter, every subnet
            subnets = [subnets]
        return {
            "lb_type": properties.get("Type", "application"),
            "scheme": properties.get("Scheme", "internet-facing"),
            "subnets": [editing.ref_name(subnet) for subnet in subnets],
            "security_groups": [
                editing.ref_name(group) for group in properties.get("SecurityGroups") or []
            ],
            "elastic_ips": any(
                isinstance(m, dict) and "AllocationId" in m
                for m in properties.get("SubnetMappings") or []
            ),
            "attributes": key_value_lines(properties.get("LoadBalancerAttributes")),
        }

    def clean_subnets(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["subnets"]
        if set(chosen) & set(self.subnet_lists) and len(chosen) > 1:
            raise forms.ValidationError(
                _(
                    "A list parameter (%(name)s) stands for all of the load balancer's "
                    "subnets: choose it alone."
                )
                % {"name": next(n for n in chosen if n in self.subnet_lists)}
            )
        return chosen

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        lb_type, scheme = data["lb_type"], data["scheme"]
        properties["Type"] = lb_type
        if lb_type == "gateway":  # §7.1: no scheme, no security groups
            properties.pop("Scheme", None)
            properties.pop("SecurityGroups", None)
        else:
            properties["Scheme"] = scheme
            groups = [editing.ref(name) for name in data["security_groups"]]
            set_or_drop(properties, "SecurityGroups", groups)
        self.new_eips: list[str] = []
        if set(data["subnets"]) & set(self.subnet_lists):
            properties.pop("SubnetMappings", None)
            properties["Subnets"] = editing.ref(data["subnets"][0])
            set_or_drop(properties, "LoadBalancerAttributes", key_values(data["attributes"]))
            return
        mappings = self._mappings(properties, data["subnets"], lb_type, scheme, data["elastic_ips"])
        if any(set(mapping) != {"SubnetId"} for mapping in mappings):
            properties.pop("Subnets", None)
            properties["SubnetMappings"] = mappings
        else:
            properties.pop("SubnetMappings", None)
            properties["Subnets"] = [editing.ref(name) for name in data["subnets"]]
        set_or_drop(properties, "LoadBalancerAttributes", key_values(data["attributes"]))

    def _mappings(
        self,
        properties: dict[str, Any],
        subnets: list[str],
        lb_type: str,
        scheme: str,
        elastic_ips: bool,
    ) -> list[dict[str, Any]]:
        """Each chosen subnet's mapping: its own one kept (Elastic IP, private address)
        where the type and scheme allow it, with a new Elastic IP where one is asked for."""
        old = properties.get("SubnetMappings")
        kept = (
            {editing.ref_name(m.get("SubnetId")): m for m in old or [] if isinstance(m, dict)}
            if isinstance(old, list)
            else {}
        )
        eips = lb_type == "network" and scheme == "internet-facing" and elastic_ips
        mappings = []
        taken = {self.cleaned_data["logical_id"]}
        for name in subnets:
            mapping = dict(kept.get(name) or {"SubnetId": editing.ref(name)})
            if not eips:
                mapping.pop("AllocationId", None)
            elif "AllocationId" not in mapping:
                eip = editing.free_name(
                    self.document, f"{self.cleaned_data['logical_id']}{name}Eip", taken
                )
                taken.add(eip)
                self.new_eips.append(eip)
                mapping["AllocationId"] = {"Fn::GetAtt": [eip, "AllocationId"]}
            if lb_type != "network" or scheme != "internal":
                mapping.pop("PrivateIPv4Address", None)
            mappings.append(mapping)
        return mappings

    def write_companions(self, document: Document) -> Document:
        name = self.cleaned_data["logical_id"]
        for eip in self.new_eips:
            document = editing.insert_before(
                document, name, eip, {"Type": editing.EIP, "Properties": {"Domain": "vpc"}}
            )
        # Elastic IPs this load balancer no longer uses, and nothing else does, go.
        if self.original_id:
            for eip in editing.companions(self.document, self.original_id):
                if not editing.referrers(document, eip):
                    document = editing.delete_resource(document, eip)
        return document


class ListenerForm(ActionForm):
    kind = "listener"
    resource_type = editing.LISTENER
    title = _("Listener")
    add_label = _("Add a listener")
    actions_path = "Properties.DefaultActions"
    load_balancer = forms.ChoiceField(label=_("Load balancer"))
    protocol = forms.ChoiceField(
        label=_("Protocol"),
        choices=_listener_protocols,
        initial="HTTP",
        required=False,
        help_text=_("A Gateway Load Balancer's listener takes every packet: no protocol, no port."),
    )
    port = forms.IntegerField(
        label=_("Port"), initial=80, min_value=1, max_value=65535, required=False
    )
    certificate = forms.ChoiceField(
        label=_("Certificate"), required=False, help_text=_("For HTTPS and TLS listeners.")
    )
    ssl_policy = forms.ChoiceField(label=_("Security policy"), required=False)
    alpn_policy = forms.ChoiceField(
        label=_("ALPN policy"),
        required=False,
        help_text=_("TLS listeners only."),
        choices=[("", "—"), *((p, p) for p in ALPN_POLICIES)],
    )
    sections = (
        Section(_("Listener"), ("logical_id", "load_balancer", "protocol", "port")),
        Section(
            _("Secure listener"),
            ("certificate", "ssl_policy", "alpn_policy"),
            show_when=("protocol", "HTTPS TLS"),
        ),
        *ActionForm.action_sections(),
    )
    row_sets = ActionForm.action_row_sets(actions_path)
    field_paths = {
        "Properties.LoadBalancerArn": "load_balancer",
        "Properties.Protocol": "protocol",
        "Properties.Port": "port",
        "Properties.Certificates": "certificate",
        "Properties.SslPolicy": "ssl_policy",
        "Properties.AlpnPolicy": "alpn_policy",
        **ActionForm.action_paths(actions_path),
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "load_balancer", choices_of(document, editing.LOAD_BALANCER))
        set_choices(self, "certificate", choices_of(document, editing.CERTIFICATE, blank=True))
        policies = list(SSL_POLICIES)
        current = (self.resource or {}).get("Properties", {}).get("SslPolicy")
        if isinstance(current, str) and current not in policies:
            policies.append(current)
        set_choices(self, "ssl_policy", [("", _("AWS's default")), *((p, p) for p in policies)])

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        certificates = properties.get("Certificates") or [{}]
        alpn = properties.get("AlpnPolicy")
        initial, self._forward_rows = self.read_action(properties.get("DefaultActions"))
        return {
            "load_balancer": editing.ref_name(properties.get("LoadBalancerArn")),
            "protocol": properties.get("Protocol", ""),
            "port": properties.get("Port"),
            "certificate": editing.ref_name(certificates[0].get("CertificateArn")) or "",
            "ssl_policy": properties.get("SslPolicy", ""),
            "alpn_policy": alpn[0] if isinstance(alpn, list) and alpn else "",
            **initial,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lb_type = lb_type_of(self.document, data.get("load_balancer"))
        protocol = data.get("protocol")
        if lb_type is None or lb_type == "gateway":
            return data  # a GWLB listener's protocol and port are not written
        allowed = listener_rules.PROTOCOLS.get(lb_type, ())
        if not protocol:
            self.add_error("protocol", _("Choose a protocol."))
        elif protocol not in allowed:
            self.add_error(
                "protocol",
                _("A %(type)s takes listeners on %(protocols)s.")
                % {"type": LB_TYPE_NAMES.get(lb_type, lb_type), "protocols": ", ".join(allowed)},
            )
        if "port" not in self.errors and data.get("port") is None:
            self.add_error("port", _("Give the port the listener listens on."))
        if protocol in ("HTTPS", "TLS") and not data.get("certificate"):
            self.add_error(
                "certificate",
                _(
                    "An %(protocol)s listener needs a certificate: add one with “Add a "
                    "certificate” first."
                )
                % {"protocol": protocol},
            )
        return data

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {"forward": self._forward_rows}

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["LoadBalancerArn"] = editing.ref(data["load_balancer"])
        protocol = data["protocol"]
        if lb_type_of(self.document, data["load_balancer"]) == "gateway":
            protocol = ""
            properties.pop("Protocol", None)
            properties.pop("Port", None)
        else:
            properties["Protocol"] = protocol
            properties["Port"] = data["port"]
        secure = protocol in ("HTTPS", "TLS")
        certificate = data["certificate"] if secure else ""
        set_or_drop(
            properties,
            "Certificates",
            [{"CertificateArn": editing.ref(certificate)}] if certificate else None,
        )
        set_or_drop(properties, "SslPolicy", data["ssl_policy"] if secure else None)
        alpn = data["alpn_policy"] if protocol == "TLS" else ""
        set_or_drop(properties, "AlpnPolicy", [alpn] if alpn else None)
        properties["DefaultActions"] = self.write_action()


class ListenerRuleForm(ActionForm):
    kind = "listener-rule"
    resource_type = editing.LISTENER_RULE
    title = _("Listener rule")
    add_label = _("Add a listener rule")
    actions_path = "Properties.Actions"
    listener = forms.ChoiceField(label=_("Listener"))
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=1,
        max_value=50000,
        help_text=_("1–50000, unique on the listener; lower numbers are evaluated first."),
    )
    sections = (
        Section(_("Rule"), ("logical_id", "listener", "priority")),
        Section(_("Conditions (all must match)"), ("@conditions",)),
        *ActionForm.action_sections(),
    )
    row_sets = {
        "conditions": RowSet(
            row_formset(ConditionRowForm, extra=1, max_num=5),
            "Properties.Conditions",
            _("Condition %(number)s"),
        ),
        **ActionForm.action_row_sets(actions_path),
    }
    field_paths = {
        "Properties.ListenerArn": "listener",
        "Properties.Priority": "priority",
        "Properties.Conditions": "priority",
        **ActionForm.action_paths(actions_path),
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "listener", choices_of(document, editing.LISTENER))

    def defaults(self, document: Document) -> dict[str, Any]:
        return {"priority": _free_priority(document)}

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        initial, self._forward_rows = self.read_action(properties.get("Actions"))
        return {
            "listener": editing.ref_name(properties.get("ListenerArn")),
            "priority": properties.get("Priority"),
            **initial,
        }

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        conditions = properties.get("Conditions")
        return {
            "conditions": [read_condition(c) for c in conditions or [] if isinstance(c, dict)],
            "forward": self._forward_rows,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.rows["conditions"].is_valid() and not self.filled_rows("conditions"):
            raise forms.ValidationError(_("A rule needs at least one condition."))
        return data

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["ListenerArn"] = editing.ref(data["listener"])
        properties["Priority"] = data["priority"]
        properties["Conditions"] = self.write_rows("conditions", write_condition)
        properties["Actions"] = self.write_action()


def _free_priority(document: Document) -> int:
    """The next multiple of 10 above every priority in use: room to insert rules between."""
    used = []
    for name in editing.of_type(document, editing.LISTENER_RULE):
        priority = (editing.resources(document)[name].get("Properties") or {}).get("Priority")
        if isinstance(priority, int):
            used.append(priority)
    return (max(used, default=0) // 10 + 1) * 10


class TargetRowForm(RowForm):
    key_fields = ("resource", "ip")
    resource = forms.ChoiceField(label=_("Target"), required=False)
    ip = forms.GenericIPAddressField(label=_("or IP address"), protocol="IPv4", required=False)
    port = forms.IntegerField(
        label=_("Port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=_("Empty: the target group's port."),
    )
    availability_zone = forms.CharField(label=_("Availability Zone"), required=False)

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        kinds = (editing.INSTANCE, editing.LAMBDA_FUNCTION, editing.LOAD_BALANCER)
        set_choices(self, "resource", choices_of(document, *kinds, blank=True))


def _read_target(target: dict[str, Any]) -> dict[str, Any]:
    name = editing.ref_name(target.get("Id"))
    return {
        "resource": name or "",
        "ip": "" if name else str(target.get("Id", "")),
        "port": target.get("Port"),
        "availability_zone": target.get("AvailabilityZone", ""),
    }


def _write_target(row: dict[str, Any], document: Document) -> dict[str, Any]:
    name = row["resource"]
    function = name in editing.of_type(document, editing.LAMBDA_FUNCTION)
    # A function is named by its ARN (Ref gives its name); the others by Ref.
    reference = {"Fn::GetAtt": [name, "Arn"]} if function else editing.ref(name)
    target: dict[str, Any] = {"Id": reference if name else row["ip"]}
    if row["port"] is not None:
        target["Port"] = row["port"]
    if row["availability_zone"].strip():
        target["AvailabilityZone"] = row["availability_zone"].strip()
    return target


class TargetGroupForm(ResourceForm):
    kind = "target-group"
    resource_type = editing.TARGET_GROUP
    title = _("Target group")
    add_label = _("Add a target group")
    target_type = forms.ChoiceField(
        label=_("Target type"),
        choices=[
            ("instance", _("Instances")),
            ("ip", _("IP addresses")),
            ("lambda", _("Lambda function")),
            ("alb", _("Application Load Balancer")),
        ],
        initial="instance",
    )
    protocol = forms.ChoiceField(
        label=_("Protocol"),
        choices=_protocols,
        initial="HTTP",
        required=False,
        help_text=_(
            "HTTP or HTTPS behind an Application Load Balancer; TCP, TLS, UDP or "
            "TCP_UDP behind a Network Load Balancer; GENEVE behind a Gateway Load "
            "Balancer."
        ),
    )
    port = forms.IntegerField(
        label=_("Port"),
        initial=80,
        min_value=1,
        max_value=65535,
        required=False,
        help_text=_("GENEVE: 6081."),
    )
    vpc = forms.ChoiceField(label=_("VPC"), required=False)
    hc_protocol = forms.ChoiceField(
        label=_("Health check protocol"),
        required=False,
        help_text=_("Empty: HTTP for HTTP and HTTPS groups, TCP for the others."),
    )
    hc_path = forms.CharField(
        label=_("Health check path"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "/"}),
        help_text=_("HTTP and HTTPS health checks only."),
    )
    hc_port = forms.CharField(
        label=_("Health check port"),
        required=False,
        help_text=_("Empty: traffic-port, the port each target receives."),
    )
    hc_interval = forms.IntegerField(label=_("Interval (seconds)"), required=False)
    hc_timeout = forms.IntegerField(label=_("Timeout (seconds)"), required=False)
    hc_healthy = forms.IntegerField(label=_("Healthy threshold"), required=False)
    hc_unhealthy = forms.IntegerField(label=_("Unhealthy threshold"), required=False)
    hc_matcher = forms.CharField(
        label=_("Success codes"), required=False, help_text=_("e.g. 200, 200,202 or 200-299")
    )
    attributes = KeyValueField(
        label=_("Attributes"),
        required=False,
        help_text=_("One key=value per line, e.g. stickiness.enabled=true"),
    )
    # Form field → TargetGroup property, for the properties that are plain values.
    PLAIN = (
        ("protocol", "Protocol"),
        ("port", "Port"),
        ("hc_protocol", "HealthCheckProtocol"),
        ("hc_path", "HealthCheckPath"),
        ("hc_port", "HealthCheckPort"),
        ("hc_interval", "HealthCheckIntervalSeconds"),
        ("hc_timeout", "HealthCheckTimeoutSeconds"),
        ("hc_healthy", "HealthyThresholdCount"),
        ("hc_unhealthy", "UnhealthyThresholdCount"),
    )
    sections = (
        Section(_("Target group"), ("logical_id", "target_type")),
        Section(
            _("Protocol and port"),
            ("protocol", "port", "vpc"),
            show_when=("target_type", "instance ip alb"),
        ),
        Section(_("Targets"), ("@targets",)),
        Section(
            _("Health checks"),
            (
                "hc_protocol",
                "hc_path",
                "hc_port",
                "hc_interval",
                "hc_timeout",
                "hc_healthy",
                "hc_unhealthy",
                "hc_matcher",
            ),
        ),
        Section(_("Attributes"), ("attributes",)),
    )
    row_sets = {
        "targets": RowSet(
            row_formset(TargetRowForm, extra=2), "Properties.Targets", _("Target %(number)s")
        )
    }
    field_paths = {
        "Properties.TargetType": "target_type",
        "Properties.VpcId": "vpc",
        "Properties.Matcher": "hc_matcher",
        "Properties.TargetGroupAttributes": "attributes",
        "Properties.Targets": "target_type",
        "DependsOn": "target_type",
        **{f"Properties.{key}": field for field, key in PLAIN},
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "vpc", choices_of(document, editing.VPC, blank=True))
        set_choices(self, "hc_protocol", [("", "—"), *((p, p) for p in HEALTH_CHECK_PROTOCOLS)])

    def defaults(self, document: Document) -> dict[str, Any]:
        vpcs = editing.of_type(document, editing.VPC)
        return {"vpc": vpcs[0] if vpcs else ""}

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        return {
            "target_type": properties.get("TargetType", "instance"),
            "vpc": editing.ref_name(properties.get("VpcId")) or "",
            "hc_matcher": (properties.get("Matcher") or {}).get("HttpCode", ""),
            "attributes": key_value_lines(properties.get("TargetGroupAttributes")),
            **{field: properties.get(key, "") for field, key in self.PLAIN},
        }

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        targets = properties.get("Targets")
        return {"targets": [_read_target(t) for t in targets or [] if isinstance(t, dict)]}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("target_type") == "lambda":
            return data
        if data.get("protocol") == "GENEVE" and data.get("port") is None:
            data["port"] = 6081  # the only port GENEVE uses
        for name in ("protocol", "port", "vpc"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("A target group of this type needs it."))
        if data.get("protocol") == "GENEVE" and data.get("port") not in (None, 6081):
            self.add_error("port", _("GENEVE target groups use port 6081."))
        health = data.get("hc_protocol") or (
            "HTTP" if data.get("protocol") in ("HTTP", "HTTPS") else "TCP"
        )
        if health == "TCP":
            for name in ("hc_path", "hc_matcher"):
                if (data.get(name) or "").strip():
                    self.add_error(name, _("Only HTTP and HTTPS health checks take this."))
        return data

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        lambda_group = data["target_type"] == "lambda"
        properties["TargetType"] = data["target_type"]
        set_or_drop(
            properties,
            "VpcId",
            editing.ref(data["vpc"]) if data["vpc"] and not lambda_group else None,
        )
        for field, key in self.PLAIN:
            value = data[field]
            if lambda_group and key in ("Protocol", "Port"):
                value = None  # a Lambda target group has neither
            set_or_drop(properties, key, value.strip() if isinstance(value, str) else value)
        matcher = data["hc_matcher"].replace(" ", "")
        set_or_drop(properties, "Matcher", {"HttpCode": matcher} if matcher else None)
        set_or_drop(properties, "TargetGroupAttributes", key_values(data["attributes"]))
        targets = self.write_rows("targets", lambda row: _write_target(row, self.document))
        set_or_drop(properties, "Targets", targets)
        if lambda_group:
            self._depend_on_permissions(resource, targets)

    def _depend_on_permissions(self, resource: dict[str, Any], targets: list[Any]) -> None:
        """AWS registers a function only once ELB may invoke it: wait for the permission."""
        needed = [
            permission
            for target in targets
            for permission in elb_permissions(
                self.document, editing.ref_name(target.get("Id")) or ""
            )
        ]
        if not needed:
            return
        depends = resource.get("DependsOn")
        names = depends if isinstance(depends, list) else [depends] if depends else []
        names = [*names, *(name for name in needed if name not in names)]
        resource["DependsOn"] = names[0] if len(names) == 1 else names
