"""Builder forms for the network: the VPC, subnets, security groups and instances."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from labs import editing

from .base import (
    Document,
    ResourceForm,
    RowForm,
    RowSet,
    Section,
    choices_of,
    row_formset,
    set_choices,
    set_or_drop,
)

# Any AMI id will do: the playground's instances run its dummy app, and cfn-lint wants one.
DEFAULT_IMAGE_ID = "ami-0abcdef1234567890"
DEFAULT_INSTANCE_TYPE = "t3.micro"


class VpcForm(ResourceForm):
    kind = "vpc"
    resource_type = editing.VPC
    title = _("VPC")
    add_label = _("Add a VPC")
    cidr_block = forms.CharField(
        label=_("IPv4 CIDR block"), initial="10.0.0.0/16", help_text=_("A private range.")
    )
    sections = (Section(_("VPC"), ("logical_id", "cidr_block")),)
    field_paths = {"Properties.CidrBlock": "cidr_block"}

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        return {"cidr_block": properties.get("CidrBlock", "")}

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        properties["CidrBlock"] = self.cleaned_data["cidr_block"].strip()


class SubnetForm(ResourceForm):
    kind = "subnet"
    resource_type = editing.SUBNET
    title = _("Subnet")
    add_label = _("Add a subnet")
    vpc = forms.ChoiceField(label=_("VPC"))
    cidr_block = forms.CharField(label=_("IPv4 CIDR block"), help_text=_("Inside the VPC's range."))
    availability_zone = forms.CharField(
        label=_("Availability Zone"), initial="us-east-1a", max_length=32
    )
    sections = (Section(_("Subnet"), ("logical_id", "vpc", "availability_zone", "cidr_block")),)
    field_paths = {
        "Properties.VpcId": "vpc",
        "Properties.CidrBlock": "cidr_block",
        "Properties.AvailabilityZone": "availability_zone",
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "vpc", choices_of(document, editing.VPC))

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        return {
            "vpc": editing.ref_name(properties.get("VpcId")),
            "cidr_block": properties.get("CidrBlock", ""),
            "availability_zone": properties.get("AvailabilityZone", ""),
        }

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["VpcId"] = editing.ref(data["vpc"])
        properties["CidrBlock"] = data["cidr_block"].strip()
        properties["AvailabilityZone"] = data["availability_zone"].strip()


class IngressRowForm(RowForm):
    key_fields = ("cidr", "source_group")
    protocol = forms.ChoiceField(
        label=_("Protocol"),
        choices=[("tcp", "TCP"), ("udp", "UDP"), ("-1", _("All traffic"))],
        required=False,
    )
    from_port = forms.IntegerField(label=_("From port"), required=False, min_value=-1)
    to_port = forms.IntegerField(label=_("To port"), required=False, min_value=-1)
    cidr = forms.CharField(label=_("Source CIDR"), required=False)
    source_group = forms.ChoiceField(label=_("or source security group"), required=False)

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        groups = choices_of(document, editing.SECURITY_GROUP, blank=True)
        set_choices(self, "source_group", groups)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("cidr") and data.get("source_group") and not data.get("DELETE"):
            raise forms.ValidationError(
                _("Give a source CIDR or a source security group, not both."), code="source"
            )
        return data


class SecurityGroupForm(ResourceForm):
    kind = "security-group"
    resource_type = editing.SECURITY_GROUP
    title = _("Security group")
    add_label = _("Add a security group")
    description = forms.CharField(
        label=_("Description"),
        max_length=255,
        initial="Allows HTTP",
        help_text=_("GroupDescription"),
    )
    vpc = forms.ChoiceField(label=_("VPC"), required=False)
    sections = (
        Section(_("Security group"), ("logical_id", "description", "vpc")),
        Section(_("Inbound rules"), ("@ingress",)),
    )
    row_sets = {
        "ingress": RowSet(
            row_formset(IngressRowForm, extra=1),
            "Properties.SecurityGroupIngress",
            _("Inbound rule %(number)s"),
        )
    }
    field_paths = {"Properties.GroupDescription": "description", "Properties.VpcId": "vpc"}

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "vpc", choices_of(document, editing.VPC, blank=True))

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        return {
            "description": properties.get("GroupDescription", ""),
            "vpc": editing.ref_name(properties.get("VpcId")) or "",
        }

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        rules = properties.get("SecurityGroupIngress")
        rows = [
            {
                "protocol": str(rule.get("IpProtocol", "tcp")),
                "from_port": rule.get("FromPort"),
                "to_port": rule.get("ToPort"),
                "cidr": rule.get("CidrIp", ""),
                "source_group": editing.ref_name(rule.get("SourceSecurityGroupId")) or "",
            }
            for rule in (rules if isinstance(rules, list) else [])
            if isinstance(rule, dict)
        ]
        return {"ingress": rows}

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["GroupDescription"] = data["description"]
        set_or_drop(properties, "VpcId", editing.ref(data["vpc"]) if data["vpc"] else None)
        set_or_drop(properties, "SecurityGroupIngress", self.write_rows("ingress", _ingress_rule))


def _ingress_rule(row: dict[str, Any]) -> dict[str, Any]:
    protocol = row["protocol"] or "tcp"
    rule: dict[str, Any] = {"IpProtocol": protocol}
    if protocol != "-1":
        low = row["from_port"] if row["from_port"] is not None else 0
        rule["FromPort"] = low
        rule["ToPort"] = row["to_port"] if row["to_port"] is not None else low
    if row["source_group"]:
        rule["SourceSecurityGroupId"] = editing.ref(row["source_group"])
    else:
        rule["CidrIp"] = row["cidr"].strip()
    return rule


# What the Playground app on an instance answers, set alike on an instance and on an Auto
# Scaling group's launches: each form field and its key in ``Metadata.Playground.App``.
APP_KEYS = (
    ("app_status", "Status"),
    ("app_body", "Body"),
    ("app_latency_ms", "LatencyMs"),
    ("app_health_status", "HealthStatus"),
)
APP_SECTION = Section(_("Playground app behaviour"), tuple(field for field, _key in APP_KEYS))
APP_FIELD_PATHS = {f"Metadata.Playground.App.{key}": field for field, key in APP_KEYS}


def read_app(resource: dict[str, Any]) -> dict[str, Any]:
    """The app fields' initial values, from the resource's ``Metadata.Playground.App``."""
    app = ((resource.get("Metadata") or {}).get("Playground") or {}).get("App") or {}
    return {field: app.get(key) for field, key in APP_KEYS}


def write_app(resource: dict[str, Any], data: dict[str, Any]) -> None:
    """The resource's ``Metadata.Playground.App`` with the form's fields; other keys
    (SetCookie, Mode, ErrorRate, written in the Template tab) stay, and what is left empty
    goes."""
    metadata = resource.setdefault("Metadata", {})
    playground = metadata.setdefault("Playground", {})
    app = playground.get("App")
    written = dict(app) if isinstance(app, dict) else {}
    for field, key in APP_KEYS:
        set_or_drop(written, key, data[field])
    set_or_drop(playground, "App", written)
    set_or_drop(metadata, "Playground", playground)
    set_or_drop(resource, "Metadata", metadata)


class InstanceForm(ResourceForm):
    kind = "instance"
    resource_type = editing.INSTANCE
    title = _("Instance")
    add_label = _("Add an instance")
    subnet = forms.ChoiceField(label=_("Subnet"))
    private_ip = forms.GenericIPAddressField(
        label=_("Private IPv4 address"),
        protocol="IPv4",
        required=False,
        help_text=_("Empty: the next free address from .10 in the subnet."),
    )
    security_groups = forms.MultipleChoiceField(
        label=_("Security groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    app_status = forms.IntegerField(
        label=_("Response status"),
        required=False,
        min_value=100,
        max_value=599,
        help_text=_("What the Playground app answers; empty: 200."),
    )
    app_body = forms.CharField(
        label=_("Response body"),
        required=False,
        max_length=2000,
        help_text=_("Empty: the app echoes the request it received."),
    )
    app_latency_ms = forms.IntegerField(
        label=_("Latency (ms)"), required=False, min_value=0, max_value=600_000
    )
    app_health_status = forms.IntegerField(
        label=_("Health check status"),
        required=False,
        min_value=100,
        max_value=599,
        help_text=_("What the app answers on its health-check path; empty: 200."),
    )
    sections = (
        Section(_("Instance"), ("logical_id", "subnet", "private_ip", "security_groups")),
        APP_SECTION,
    )
    field_paths = {
        "Properties.SubnetId": "subnet",
        "Properties.PrivateIpAddress": "private_ip",
        "Properties.SecurityGroupIds": "security_groups",
        **APP_FIELD_PATHS,
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "subnet", choices_of(document, editing.SUBNET))
        set_choices(self, "security_groups", choices_of(document, editing.SECURITY_GROUP))

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        groups = properties.get("SecurityGroupIds")
        return {
            "subnet": editing.ref_name(properties.get("SubnetId")),
            "private_ip": properties.get("PrivateIpAddress", ""),
            "security_groups": [
                editing.ref_name(group) for group in (groups if isinstance(groups, list) else [])
            ],
            **read_app(resource),
        }

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties.setdefault("ImageId", DEFAULT_IMAGE_ID)
        properties.setdefault("InstanceType", DEFAULT_INSTANCE_TYPE)
        properties["SubnetId"] = editing.ref(data["subnet"])
        set_or_drop(properties, "PrivateIpAddress", data["private_ip"])
        groups = [editing.ref(group) for group in data["security_groups"]]
        set_or_drop(properties, "SecurityGroupIds", groups)
        write_app(resource, data)
