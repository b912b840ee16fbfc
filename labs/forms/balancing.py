"""Builder forms for load balancing: load balancers, listeners, rules and target groups."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from labs import editing

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
    set_or_drop,
)

PROTOCOLS = ["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"]


def _protocols() -> list[tuple[str, str]]:
    return [(protocol, protocol) for protocol in PROTOCOLS]


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
        label=_("Subnets"), widget=forms.CheckboxSelectMultiple,
        help_text=_("One per Availability Zone: each gets a load balancer node."),
    )
    security_groups = forms.MultipleChoiceField(
        label=_("Security groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    attributes = KeyValueField(
        label=_("Attributes"), required=False,
        help_text=_("One key=value per line, e.g. idle_timeout.timeout_seconds=60"),
    )
    sections = (
        Section(_("Load balancer"), ("logical_id", "lb_type", "scheme")),
        Section(_("Network mapping"), ("subnets", "security_groups")),
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
        self.fields["subnets"].choices = choices_of(document, editing.SUBNET)
        self.fields["security_groups"].choices = choices_of(document, editing.SECURITY_GROUP)

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        subnets = properties.get("Subnets") or [
            mapping.get("SubnetId") for mapping in properties.get("SubnetMappings") or []
            if isinstance(mapping, dict)
        ]
        return {
            "lb_type": properties.get("Type", "application"),
            "scheme": properties.get("Scheme", "internet-facing"),
            "subnets": [editing.ref_name(subnet) for subnet in subnets],
            "security_groups": [
                editing.ref_name(group) for group in properties.get("SecurityGroups") or []
            ],
            "attributes": key_value_lines(properties.get("LoadBalancerAttributes")),
        }

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["Type"] = data["lb_type"]
        properties["Scheme"] = data["scheme"]
        if "SubnetMappings" in properties:
            # Mappings carry Elastic IPs (NLB): keep each chosen subnet's own mapping.
            kept = {editing.ref_name(m.get("SubnetId")): m for m in properties["SubnetMappings"]}
            properties["SubnetMappings"] = [
                kept.get(name, {"SubnetId": editing.ref(name)}) for name in data["subnets"]
            ]
        else:
            properties["Subnets"] = [editing.ref(name) for name in data["subnets"]]
        groups = [editing.ref(name) for name in data["security_groups"]]
        set_or_drop(properties, "SecurityGroups", groups)
        set_or_drop(properties, "LoadBalancerAttributes", key_values(data["attributes"]))


class ListenerForm(ActionForm):
    kind = "listener"
    resource_type = editing.LISTENER
    title = _("Listener")
    add_label = _("Add a listener")
    actions_path = "Properties.DefaultActions"
    load_balancer = forms.ChoiceField(label=_("Load balancer"))
    protocol = forms.ChoiceField(label=_("Protocol"), choices=_protocols, initial="HTTP")
    port = forms.IntegerField(label=_("Port"), initial=80, min_value=1, max_value=65535)
    certificate = forms.ChoiceField(
        label=_("Certificate"), required=False, help_text=_("For HTTPS and TLS listeners.")
    )
    sections = (
        Section(_("Listener"), ("logical_id", "load_balancer", "protocol", "port", "certificate")),
        *ActionForm.action_sections(),
    )
    row_sets = ActionForm.action_row_sets(actions_path)
    field_paths = {
        "Properties.LoadBalancerArn": "load_balancer",
        "Properties.Protocol": "protocol",
        "Properties.Port": "port",
        "Properties.Certificates": "certificate",
        **ActionForm.action_paths(actions_path),
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        self.fields["load_balancer"].choices = choices_of(document, editing.LOAD_BALANCER)
        self.fields["certificate"].choices = choices_of(document, editing.CERTIFICATE, blank=True)

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        certificates = properties.get("Certificates") or [{}]
        initial, self._forward_rows = self.read_action(properties.get("DefaultActions"))
        return {
            "load_balancer": editing.ref_name(properties.get("LoadBalancerArn")),
            "protocol": properties.get("Protocol", "HTTP"),
            "port": properties.get("Port"),
            "certificate": editing.ref_name(certificates[0].get("CertificateArn")) or "",
            **initial,
        }

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {"forward": self._forward_rows}

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["LoadBalancerArn"] = editing.ref(data["load_balancer"])
        properties["Protocol"] = data["protocol"]
        properties["Port"] = data["port"]
        certificate = data["certificate"]
        set_or_drop(properties, "Certificates",
                    [{"CertificateArn": editing.ref(certificate)}] if certificate else None)
        properties["DefaultActions"] = self.write_action()


class ListenerRuleForm(ActionForm):
    kind = "listener-rule"
    resource_type = editing.LISTENER_RULE
    title = _("Listener rule")
    add_label = _("Add a listener rule")
    actions_path = "Properties.Actions"
    listener = forms.ChoiceField(label=_("Listener"))
    priority = forms.IntegerField(
        label=_("Priority"), min_value=1, max_value=50000,
        help_text=_("1–50000, unique on the listener; lower numbers are evaluated first."),
    )
    sections = (
        Section(_("Rule"), ("logical_id", "listener", "priority")),
        Section(_("Conditions (all must match)"), ("@conditions",)),
        *ActionForm.action_sections(),
    )
    row_sets = {
        "conditions": RowSet(row_formset(ConditionRowForm, extra=1, max_num=5),
                             "Properties.Conditions", _("Condition %(number)s")),
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
        self.fields["listener"].choices = choices_of(document, editing.LISTENER)

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
        label=_("Port"), required=False, min_value=1, max_value=65535,
        help_text=_("Empty: the target group's port."),
    )
    availability_zone = forms.CharField(label=_("Availability Zone"), required=False)

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        self.fields["resource"].choices = choices_of(
            document, editing.INSTANCE, editing.LAMBDA_FUNCTION, editing.LOAD_BALANCER, blank=True
        )


def _read_target(target: dict[str, Any]) -> dict[str, Any]:
    name = editing.ref_name(target.get("Id"))
    return {
        "resource": name or "",
        "ip": "" if name else str(target.get("Id", "")),
        "port": target.get("Port"),
        "availability_zone": target.get("AvailabilityZone", ""),
    }


def _write_target(row: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = {"Id": editing.ref(row["resource"]) if row["resource"] else row["ip"]}
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
        choices=[("instance", _("Instances")), ("ip", _("IP addresses")),
                 ("lambda", _("Lambda function")), ("alb", _("Application Load Balancer"))],
        initial="instance",
    )
    protocol = forms.ChoiceField(label=_("Protocol"), choices=_protocols, initial="HTTP",
                                 required=False)
    port = forms.IntegerField(label=_("Port"), initial=80, min_value=1, max_value=65535,
                              required=False)
    vpc = forms.ChoiceField(label=_("VPC"), required=False)
    hc_protocol = forms.ChoiceField(label=_("Health check protocol"), choices=_protocols,
                                    required=False)
    hc_path = forms.CharField(label=_("Health check path"), required=False, initial="/")
    hc_port = forms.CharField(label=_("Health check port"), required=False,
                              help_text=_("Empty: traffic-port, the port each target receives."))
    hc_interval = forms.IntegerField(label=_("Interval (seconds)"), required=False)
    hc_timeout = forms.IntegerField(label=_("Timeout (seconds)"), required=False)
    hc_healthy = forms.IntegerField(label=_("Healthy threshold"), required=False)
    hc_unhealthy = forms.IntegerField(label=_("Unhealthy threshold"), required=False)
    hc_matcher = forms.CharField(label=_("Success codes"), required=False,
                                 help_text=_("e.g. 200, 200,202 or 200-299"))
    attributes = KeyValueField(
        label=_("Attributes"), required=False,
        help_text=_("One key=value per line, e.g. stickiness.enabled=true"),
    )
    # Form field → TargetGroup property, for the properties that are plain values.
    PLAIN = (
        ("protocol", "Protocol"), ("port", "Port"), ("hc_protocol", "HealthCheckProtocol"),
        ("hc_path", "HealthCheckPath"), ("hc_port", "HealthCheckPort"),
        ("hc_interval", "HealthCheckIntervalSeconds"), ("hc_timeout", "HealthCheckTimeoutSeconds"),
        ("hc_healthy", "HealthyThresholdCount"), ("hc_unhealthy", "UnhealthyThresholdCount"),
    )
    sections = (
        Section(_("Target group"), ("logical_id", "target_type", "protocol", "port", "vpc")),
        Section(_("Targets"), ("@targets",)),
        Section(_("Health checks"), ("hc_protocol", "hc_path", "hc_port", "hc_interval",
                                     "hc_timeout", "hc_healthy", "hc_unhealthy", "hc_matcher")),
        Section(_("Attributes"), ("attributes",)),
    )
    row_sets = {"targets": RowSet(row_formset(TargetRowForm, extra=2), "Properties.Targets",
                                  _("Target %(number)s"))}
    field_paths = {
        "Properties.TargetType": "target_type",
        "Properties.VpcId": "vpc",
        "Properties.Matcher": "hc_matcher",
        "Properties.TargetGroupAttributes": "attributes",
        **{f"Properties.{key}": field for field, key in PLAIN},
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        self.fields["vpc"].choices = choices_of(document, editing.VPC, blank=True)
        self.fields["hc_protocol"].choices = [("", "—"), *_protocols()]

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

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["TargetType"] = data["target_type"]
        set_or_drop(properties, "VpcId", editing.ref(data["vpc"]) if data["vpc"] else None)
        for field, key in self.PLAIN:
            value = data[field]
            set_or_drop(properties, key, value.strip() if isinstance(value, str) else value)
        matcher = data["hc_matcher"].replace(" ", "")
        set_or_drop(properties, "Matcher", {"HttpCode": matcher} if matcher else None)
        set_or_drop(properties, "TargetGroupAttributes", key_values(data["attributes"]))
        set_or_drop(properties, "Targets", self.write_rows("targets", _write_target))
