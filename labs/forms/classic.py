"""The builder form for a Classic Load Balancer (``AWS::ElasticLoadBalancing::
LoadBalancer``): its listeners map a load-balancer port to an instance port, it registers
instances itself and runs one health check (labs/validation/classic.py)."""

from __future__ import annotations

import re
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

PROTOCOLS = [("HTTP", "HTTP"), ("HTTPS", "HTTPS"), ("TCP", "TCP"), ("SSL", "SSL")]
# A front-end protocol and the back-end protocols of its layer (§8).
LAYER = {
    "HTTP": ("HTTP", "HTTPS"),
    "HTTPS": ("HTTP", "HTTPS"),
    "TCP": ("TCP", "SSL"),
    "SSL": ("TCP", "SSL"),
}
_TARGET = re.compile(r"(TCP|SSL):(\d+)()|(HTTPS?):(\d+)(/.*)")


class ClassicListenerRowForm(RowForm):
    key_fields = ("port",)
    protocol = forms.ChoiceField(
        label=_("Protocol"), choices=PROTOCOLS, initial="HTTP", required=False
    )
    port = forms.IntegerField(
        label=_("Load balancer port"), required=False, min_value=1, max_value=65535
    )
    instance_protocol = forms.ChoiceField(
        label=_("Instance protocol"),
        required=False,
        choices=[("", _("Same as the listener")), *PROTOCOLS],
    )
    instance_port = forms.IntegerField(
        label=_("Instance port"), required=False, min_value=1, max_value=65535
    )
    certificate = forms.ChoiceField(
        label=_("Certificate"), required=False, help_text=_("For HTTPS and SSL listeners.")
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "certificate", choices_of(document, editing.CERTIFICATE, blank=True))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        protocol = data.get("protocol") or "HTTP"
        back = data.get("instance_protocol")
        if back and back not in LAYER[protocol]:
            self.add_error(
                "instance_protocol",
                _("%(protocol)s listeners forward to %(allowed)s instances.")
                % {"protocol": protocol, "allowed": " / ".join(LAYER[protocol])},
            )
        if protocol in ("HTTPS", "SSL") and not data.get("certificate"):
            self.add_error(
                "certificate",
                _("An %(protocol)s listener needs a certificate.") % {"protocol": protocol},
            )
        if data.get("instance_port") is None:
            self.add_error("instance_port", _("Give the port the instances listen on."))
        return data


class ClassicLoadBalancerForm(ResourceForm):
    kind = "classic-load-balancer"
    resource_type = editing.CLASSIC_LOAD_BALANCER
    title = _("Classic Load Balancer")
    add_label = _("Add a Classic Load Balancer")
    scheme = forms.ChoiceField(
        label=_("Scheme"),
        choices=[("internet-facing", _("Internet-facing")), ("internal", _("Internal"))],
        initial="internet-facing",
    )
    subnets = forms.MultipleChoiceField(
        label=_("Subnets"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At most one per Availability Zone: each gets a load balancer node."),
    )
    security_groups = forms.MultipleChoiceField(
        label=_("Security groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    cross_zone = forms.BooleanField(
        label=_("Cross-zone load balancing"),
        required=False,
        help_text=_("Off unless chosen, as in CloudFormation."),
    )
    instances = forms.MultipleChoiceField(
        label=_("Instances"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A Classic Load Balancer registers instances itself: no target groups."),
    )
    hc_protocol = forms.ChoiceField(
        label=_("Health check protocol"),
        required=False,
        choices=[("", _("No health check")), *PROTOCOLS],
        initial="HTTP",
    )
    hc_port = forms.IntegerField(
        label=_("Health check port"), required=False, min_value=1, max_value=65535, initial=80
    )
    hc_path = forms.CharField(
        label=_("Health check path"),
        required=False,
        initial="/",
        max_length=1024,
        help_text=_("For HTTP and HTTPS checks."),
    )
    hc_interval = forms.IntegerField(
        label=_("Interval (seconds)"), min_value=5, max_value=300, initial=30, required=False
    )
    hc_timeout = forms.IntegerField(
        label=_("Timeout (seconds)"), min_value=2, max_value=60, initial=5, required=False
    )
    hc_healthy = forms.IntegerField(
        label=_("Healthy threshold"), min_value=2, max_value=10, initial=10, required=False
    )
    hc_unhealthy = forms.IntegerField(
        label=_("Unhealthy threshold"), min_value=2, max_value=10, initial=2, required=False
    )
    sections = (
        Section(_("Classic Load Balancer"), ("logical_id", "scheme", "cross_zone")),
        Section(_("Network mapping"), ("subnets", "security_groups")),
        Section(_("Listeners"), ("@listeners",)),
        Section(_("Instances"), ("instances",)),
        Section(
            _("Health check"),
            (
                "hc_protocol",
                "hc_port",
                "hc_path",
                "hc_interval",
                "hc_timeout",
                "hc_healthy",
                "hc_unhealthy",
            ),
        ),
    )
    row_sets = {
        "listeners": RowSet(
            row_formset(ClassicListenerRowForm, extra=1),
            "Properties.Listeners",
            _("Listener %(number)s"),
        )
    }
    field_paths = {
        "Properties.Scheme": "scheme",
        "Properties.Subnets": "subnets",
        "Properties.SecurityGroups": "security_groups",
        "Properties.CrossZone": "cross_zone",
        "Properties.Instances": "instances",
        "Properties.HealthCheck.Target": "hc_protocol",
        "Properties.HealthCheck.Interval": "hc_interval",
        "Properties.HealthCheck.Timeout": "hc_timeout",
        "Properties.HealthCheck.HealthyThreshold": "hc_healthy",
        "Properties.HealthCheck.UnhealthyThreshold": "hc_unhealthy",
        "Properties.HealthCheck": "hc_protocol",
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "subnets", choices_of(document, editing.SUBNET))
        set_choices(self, "security_groups", choices_of(document, editing.SECURITY_GROUP))
        set_choices(self, "instances", choices_of(document, editing.INSTANCE))

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        check = properties.get("HealthCheck")
        health: dict[str, Any] = {"hc_protocol": ""}
        if isinstance(check, dict):
            match = _TARGET.fullmatch(str(check.get("Target", "")))
            if match:
                health = {
                    "hc_protocol": match.group(1) or match.group(4),
                    "hc_port": match.group(2) or match.group(5),
                    "hc_path": match.group(6) or "",
                }
            health.update(
                {
                    "hc_interval": check.get("Interval"),
                    "hc_timeout": check.get("Timeout"),
                    "hc_healthy": check.get("HealthyThreshold"),
                    "hc_unhealthy": check.get("UnhealthyThreshold"),
                }
            )
        return {
            "scheme": properties.get("Scheme", "internet-facing"),
            "subnets": _names(properties.get("Subnets")),
            "security_groups": _names(properties.get("SecurityGroups")),
            "cross_zone": str(properties.get("CrossZone", "")).lower() == "true",
            "instances": _names(properties.get("Instances")),
            **health,
        }

    def read_rows(self, properties: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        listeners = properties.get("Listeners")
        rows = [
            {
                "protocol": str(item.get("Protocol", "HTTP")).upper(),
                "port": item.get("LoadBalancerPort"),
                "instance_protocol": str(item.get("InstanceProtocol", "")).upper(),
                "instance_port": item.get("InstancePort"),
                "certificate": editing.ref_name(item.get("SSLCertificateId")) or "",
            }
            for item in (listeners if isinstance(listeners, list) else [])
            if isinstance(item, dict)
        ]
        return {"listeners": rows}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.rows["listeners"].is_valid() and not self.filled_rows("listeners"):
            raise forms.ValidationError(_("A Classic Load Balancer needs at least one listener."))
        interval, timeout = data.get("hc_interval"), data.get("hc_timeout")
        if data.get("hc_protocol"):
            for name in ("hc_port", "hc_interval", "hc_timeout", "hc_healthy", "hc_unhealthy"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("A health check needs this value."))
            if interval is not None and timeout is not None and timeout >= interval:
                self.add_error("hc_timeout", _("The timeout is shorter than the interval."))
            if data["hc_protocol"] in ("HTTP", "HTTPS") and not str(
                data.get("hc_path") or "/"
            ).startswith("/"):
                self.add_error("hc_path", _("A health check path starts with /."))
        return data

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["Scheme"] = data["scheme"]
        properties["Subnets"] = [editing.ref(name) for name in data["subnets"]]
        set_or_drop(
            properties, "SecurityGroups", [editing.ref(name) for name in data["security_groups"]]
        )
        set_or_drop(properties, "Instances", [editing.ref(name) for name in data["instances"]])
        if data["cross_zone"]:
            properties["CrossZone"] = True
        else:
            properties.pop("CrossZone", None)
        old = properties.get("Listeners")
        by_port = (
            {
                str(item.get("LoadBalancerPort")): item
                for item in old or []
                if isinstance(item, dict)
            }
            if isinstance(old, list)
            else {}
        )
        properties["Listeners"] = self.write_rows(
            "listeners", lambda row: _write_listener(row, by_port)
        )
        protocol = data["hc_protocol"]
        if not protocol:
            properties.pop("HealthCheck", None)
            return
        target = f"{protocol}:{data['hc_port']}"
        if protocol in ("HTTP", "HTTPS"):
            target += data["hc_path"].strip() or "/"
        # CloudFormation's schema types these as strings, as the starters write them.
        properties["HealthCheck"] = {
            "Target": target,
            "HealthyThreshold": str(data["hc_healthy"]),
            "UnhealthyThreshold": str(data["hc_unhealthy"]),
            "Interval": str(data["hc_interval"]),
            "Timeout": str(data["hc_timeout"]),
        }


def _write_listener(row: dict[str, Any], old: dict[str, dict[str, Any]]) -> dict[str, Any]:
    port = str(row["port"])
    listener = {
        key: value
        for key, value in old.get(port, {}).items()
        if key
        not in (
            "LoadBalancerPort",
            "InstancePort",
            "Protocol",
            "InstanceProtocol",
            "SSLCertificateId",
        )
    }
    protocol = row["protocol"] or "HTTP"
    listener = {
        "LoadBalancerPort": port,
        "InstancePort": str(row["instance_port"]),
        "Protocol": protocol,
        **listener,
    }
    if row["instance_protocol"]:
        listener["InstanceProtocol"] = row["instance_protocol"]
    if protocol in ("HTTPS", "SSL") and row["certificate"]:
        listener["SSLCertificateId"] = editing.ref(row["certificate"])
    return listener


def _names(values: Any) -> list[str]:
    names = [editing.ref_name(v) for v in values] if isinstance(values, list) else []
    return [name for name in names if name]
