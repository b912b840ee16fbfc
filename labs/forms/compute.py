"""Builder forms for what answers requests besides instances: Lambda functions (with the
permission that lets Elastic Load Balancing invoke them) and auto scaling groups (with the
launch template their instances start from).

The companion resources are written by ``write_companions``: a learner edits the function
or the group, and the permission or launch template follows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from labs import editing
from labs.validation.compute import HANDLERS

from .base import Document, ResourceForm, Section, choices_of, set_choices, set_or_drop
from .network import (
    APP_FIELD_PATHS,
    APP_SECTION,
    DEFAULT_IMAGE_ID,
    DEFAULT_INSTANCE_TYPE,
    InstanceForm,
    read_app,
    write_app,
)

ELB_PRINCIPAL = "elasticloadbalancing.amazonaws.com"
INVOKE = "lambda:InvokeFunction"
DEFAULT_ROLE = "arn:aws:iam::123456789012:role/playground-lambda-role"
# The handlers run Python: only Python runtimes make the code below work on AWS too.
RUNTIMES = ("python3.13", "python3.12", "python3.11")
# What each built-in handler does, as code AWS would run (the playground runs its own).
HANDLER_CODE = {
    "echo": """import json


def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
""",
    "hello": """def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain"},
            "body": "Hello from Lambda!\\n"}
""",
    "fail": """def handler(event, context):
    raise RuntimeError("the fail handler always raises")
""",
}
HANDLER_CHOICES = [
    ("echo", _("echo: answers with the event the load balancer sent")),
    ("hello", _("hello: answers “Hello from Lambda!”")),
    ("fail", _("fail: always raises an error")),
]
assert [name for name, _label in HANDLER_CHOICES] == list(HANDLERS)  # noqa: S101


def elb_permissions(document: Document, function: str) -> list[str]:
    """The permissions that let Elastic Load Balancing invoke ``function``."""
    found = editing.resources(document)
    names = []
    for name in editing.of_type(document, editing.LAMBDA_PERMISSION):
        properties = found[name].get("Properties") or {}
        if (
            editing.ref_name(properties.get("FunctionName")) == function
            and properties.get("Principal") == ELB_PRINCIPAL
        ):
            names.append(name)
    return names


class LambdaFunctionForm(ResourceForm):
    kind = "lambda-function"
    resource_type = editing.LAMBDA_FUNCTION
    title = _("Lambda function")
    add_label = _("Add a Lambda function")
    handler = forms.ChoiceField(
        label=_("Built-in handler"),
        choices=HANDLER_CHOICES,
        initial="echo",
        help_text=_(
            "The playground runs one of its own handlers; it never runs code from a template."
        ),
    )
    allow_elb = forms.BooleanField(
        label=_("Let Elastic Load Balancing invoke it"),
        required=False,
        initial=True,
        help_text=_(
            "Adds an AWS::Lambda::Permission for elasticloadbalancing.amazonaws.com: "
            "a target group can only hold the function with it."
        ),
    )
    runtime = forms.ChoiceField(
        label=_("Runtime"), choices=[(r, r) for r in RUNTIMES], initial="python3.12"
    )
    code_handler = forms.CharField(
        label=_("Handler"),
        initial="index.handler",
        max_length=128,
        help_text=_("file.function in the deployment package, as AWS calls it."),
    )
    role = forms.CharField(
        label=_("Execution role ARN"),
        initial=DEFAULT_ROLE,
        max_length=2048,
        help_text=_("An IAM role ARN; the playground does not model IAM."),
    )
    timeout = forms.IntegerField(
        label=_("Timeout (seconds)"),
        required=False,
        min_value=1,
        max_value=900,
        help_text=_("1–900; empty: 3."),
    )
    memory = forms.IntegerField(
        label=_("Memory (MB)"),
        required=False,
        min_value=128,
        max_value=10240,
        help_text=_("128–10240; empty: 128."),
    )
    sections = (
        Section(_("Lambda function"), ("logical_id", "handler", "allow_elb")),
        Section(
            _("What CloudFormation needs"), ("runtime", "code_handler", "role", "timeout", "memory")
        ),
    )
    field_paths = {
        "Metadata.Playground.Handler": "handler",
        "Properties.Runtime": "runtime",
        "Properties.Handler": "code_handler",
        "Properties.Code": "code_handler",
        "Properties.Role": "role",
        "Properties.Timeout": "timeout",
        "Properties.MemorySize": "memory",
    }

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        handler = ((resource.get("Metadata") or {}).get("Playground") or {}).get("Handler")
        return {
            "handler": handler or "echo",
            "allow_elb": bool(
                self.original_id and elb_permissions(self.document, self.original_id)
            ),
            "runtime": properties.get("Runtime", "python3.12"),
            "code_handler": properties.get("Handler", ""),
            "role": properties.get("Role", ""),
            "timeout": properties.get("Timeout"),
            "memory": properties.get("MemorySize"),
        }

    def clean_role(self) -> str:
        role: str = self.cleaned_data["role"].strip()
        if not role.startswith("arn:aws:iam::"):
            raise forms.ValidationError(
                _("An execution role is an IAM role ARN, e.g. %(example)s."),
                code="role",
                params={"example": DEFAULT_ROLE},
            )
        return role

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        old_handler = ((resource.get("Metadata") or {}).get("Playground") or {}).get("Handler")
        metadata = resource.setdefault("Metadata", {})
        metadata.setdefault("Playground", {})["Handler"] = data["handler"]
        properties["Runtime"] = data["runtime"]
        properties["Handler"] = data["code_handler"].strip()
        properties["Role"] = data["role"]
        code = properties.get("Code")
        ours = not isinstance(code, dict) or code.get("ZipFile") == HANDLER_CODE.get(
            str(old_handler)
        )
        if ours:  # the learner's own code stays; ours follows the handler
            properties["Code"] = {"ZipFile": HANDLER_CODE[data["handler"]]}
        set_or_drop(properties, "Timeout", data["timeout"])
        set_or_drop(properties, "MemorySize", data["memory"])

    def write_companions(self, document: Document) -> Document:
        name = self.cleaned_data["logical_id"]
        existing = elb_permissions(document, name)
        if self.cleaned_data["allow_elb"] and not existing:
            permission = {
                "Type": editing.LAMBDA_PERMISSION,
                "Properties": {
                    "Action": INVOKE,
                    "FunctionName": {"Fn::GetAtt": [name, "Arn"]},
                    "Principal": ELB_PRINCIPAL,
                },
            }
            return editing.insert_after(
                document, name, editing.free_name(document, f"{name}Permission"), permission
            )
        if not self.cleaned_data["allow_elb"]:
            for stale in existing:
                document = editing.delete_resource(document, stale)
        return document


class AutoScalingGroupForm(ResourceForm):
    kind = "auto-scaling-group"
    resource_type = editing.AUTO_SCALING_GROUP
    title = _("Auto Scaling group")
    add_label = _("Add an Auto Scaling group")
    min_size = forms.IntegerField(
        label=_("Minimum capacity"), min_value=0, max_value=100, initial=1
    )
    max_size = forms.IntegerField(
        label=_("Maximum capacity"), min_value=0, max_value=100, initial=4
    )
    desired_capacity = forms.IntegerField(
        label=_("Desired capacity"),
        min_value=0,
        max_value=100,
        initial=2,
        required=False,
        help_text=_(
            "Between the minimum and the maximum; empty: the minimum. The run "
            "launches this many instances."
        ),
    )
    subnets = forms.MultipleChoiceField(
        label=_("Subnets"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Instances are launched round robin over these (VPCZoneIdentifier)."),
    )
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each instance is registered in these; they need target type instance."),
    )
    security_groups = forms.MultipleChoiceField(
        label=_("Security groups"), required=False, widget=forms.CheckboxSelectMultiple
    )
    instance_type = forms.CharField(
        label=_("Instance type"), initial=DEFAULT_INSTANCE_TYPE, max_length=32
    )
    app_status = InstanceForm.base_fields["app_status"]
    app_body = InstanceForm.base_fields["app_body"]
    app_latency_ms = InstanceForm.base_fields["app_latency_ms"]
    app_health_status = InstanceForm.base_fields["app_health_status"]
    sections = (
        Section(
            _("Auto Scaling group"), ("logical_id", "min_size", "max_size", "desired_capacity")
        ),
        Section(_("Network"), ("subnets", "target_groups")),
        Section(_("Launch template"), ("instance_type", "security_groups")),
        APP_SECTION,
    )
    field_paths = {
        "Properties.MinSize": "min_size",
        "Properties.MaxSize": "max_size",
        "Properties.DesiredCapacity": "desired_capacity",
        "Properties.VPCZoneIdentifier": "subnets",
        "Properties.TargetGroupARNs": "target_groups",
        "Properties.LaunchTemplate": "instance_type",
        **APP_FIELD_PATHS,
    }

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "subnets", choices_of(document, editing.SUBNET))
        set_choices(self, "target_groups", choices_of(document, editing.TARGET_GROUP))
        set_choices(self, "security_groups", choices_of(document, editing.SECURITY_GROUP))

    def _template_name(self, properties: dict[str, Any]) -> str | None:
        template = properties.get("LaunchTemplate")
        name = (
            editing.ref_name(template.get("LaunchTemplateId"))
            if isinstance(template, dict)
            else None
        )
        return name if name in editing.of_type(self.document, editing.LAUNCH_TEMPLATE) else None

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        template = self._template_name(properties)
        data: dict[str, Any] = {}
        if template:
            found = editing.resources(self.document)[template].get("Properties") or {}
            data = found.get("LaunchTemplateData") or {}
        return {
            "min_size": _number(properties.get("MinSize")),
            "max_size": _number(properties.get("MaxSize")),
            "desired_capacity": _number(properties.get("DesiredCapacity")),
            "subnets": _names(properties.get("VPCZoneIdentifier")),
            "target_groups": _names(properties.get("TargetGroupARNs")),
            "security_groups": _names(data.get("SecurityGroupIds")),
            "instance_type": data.get("InstanceType", DEFAULT_INSTANCE_TYPE),
            **read_app(resource),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_size"), data.get("max_size")
        desired = data.get("desired_capacity")
        if low is not None and high is not None:
            if low > high:
                self.add_error("max_size", _("The maximum is at least the minimum."))
            elif desired is not None and not low <= desired <= high:
                self.add_error(
                    "desired_capacity",
                    _(
                        "The desired capacity is between the minimum (%(low)s) and the maximum "
                        "(%(high)s)."
                    )
                    % {"low": low, "high": high},
                )
        return data

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        name = data["logical_id"]
        # CloudFormation's schema types the sizes as strings.
        properties["MinSize"] = str(data["min_size"])
        properties["MaxSize"] = str(data["max_size"])
        desired = data["desired_capacity"]
        set_or_drop(properties, "DesiredCapacity", None if desired is None else str(desired))
        self.template = self._template_name(properties) or editing.free_name(
            self.document, f"{name}LaunchTemplate", {name}
        )
        properties["LaunchTemplate"] = {
            "LaunchTemplateId": editing.ref(self.template),
            "Version": {"Fn::GetAtt": [self.template, "LatestVersionNumber"]},
        }
        properties["VPCZoneIdentifier"] = [editing.ref(s) for s in data["subnets"]]
        set_or_drop(
            properties, "TargetGroupARNs", [editing.ref(group) for group in data["target_groups"]]
        )
        write_app(resource, data)

    def write_companions(self, document: Document) -> Document:
        existing = editing.resources(document).get(self.template)
        template: dict[str, Any] = (
            existing
            if isinstance(existing, dict)
            else {"Type": editing.LAUNCH_TEMPLATE, "Properties": {}}
        )
        properties = template.setdefault("Properties", {})
        data = properties.get("LaunchTemplateData")
        if not isinstance(data, dict):
            data = properties["LaunchTemplateData"] = {}
        data.setdefault("ImageId", DEFAULT_IMAGE_ID)
        data["InstanceType"] = self.cleaned_data["instance_type"].strip()
        set_or_drop(
            data,
            "SecurityGroupIds",
            [editing.ref(group) for group in self.cleaned_data["security_groups"]],
        )
        # Before the group in the document, where a reader looks for it first.
        return editing.insert_before(
            document, self.cleaned_data["logical_id"], self.template, template
        )


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _names(values: Any) -> list[str]:
    names = [editing.ref_name(v) for v in values] if isinstance(values, list) else []
    return [name for name in names if name]
