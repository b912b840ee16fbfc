"""The rule editor's parts: conditions, and the action a listener or a rule takes.

CloudFormation spellings (``PathPatternConfig``, ``ForwardConfig``...) live here and in
the other form modules only; the fields speak the console's words.
"""

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
)

# Condition field → its CloudFormation config key (ListenerRule RuleCondition).
CONDITION_CONFIGS = {
    "path-pattern": "PathPatternConfig",
    "host-header": "HostHeaderConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}
CONDITION_CHOICES = [
    ("path-pattern", _("Path")),
    ("host-header", _("Host header")),
    ("http-header", _("HTTP header")),
    ("http-request-method", _("HTTP request method")),
    ("query-string", _("Query string")),
    ("source-ip", _("Source IP")),
]
ACTION_CHOICES = [
    ("forward", _("Forward to target groups")),
    ("redirect", _("Redirect to URL")),
    ("fixed-response", _("Return fixed response")),
]
CONTENT_TYPES = [
    "text/plain",
    "text/css",
    "text/html",
    "application/javascript",
    "application/json",
]


class ConditionRowForm(RowForm):
    key_fields = ("values",)
    field = forms.ChoiceField(label=_("Condition"), choices=CONDITION_CHOICES, required=False)
    values = forms.CharField(
        label=_("Values"),
        required=False,
        help_text=_("Separate values with commas. Query string: key=value, or =value for any key."),
    )
    header_name = forms.CharField(
        label=_("Header name"), required=False, help_text=_("For an HTTP header condition.")
    )


def read_condition(condition: dict[str, Any]) -> dict[str, Any]:
    field = str(condition.get("Field", ""))
    config = condition.get(CONDITION_CONFIGS.get(field, "")) or {}
    values = config.get("Values") or condition.get("Values") or []
    if field == "query-string":
        values = [
            f"{pair.get('Key')}={pair.get('Value', '')}"
            if pair.get("Key")
            else f"={pair.get('Value', '')}"
            for pair in values
            if isinstance(pair, dict)
        ]
    return {
        "field": field,
        "values": ", ".join(str(value) for value in values),
        "header_name": config.get("HttpHeaderName", ""),
    }


def write_condition(row: dict[str, Any]) -> dict[str, Any]:
    field = row["field"] or "path-pattern"
    values: list[Any] = [value.strip() for value in row["values"].split(",") if value.strip()]
    if field == "query-string":
        pairs = []
        for value in values:
            key, sep, rest = value.partition("=")
            pairs.append({"Key": key, "Value": rest} if sep and key else {"Value": rest or key})
        values = pairs
    config: dict[str, Any] = {"Values": values}
    if field == "http-header":
        config = {"HttpHeaderName": row["header_name"].strip(), **config}
    return {"Field": field, CONDITION_CONFIGS[field]: config}


class WeightedGroupRowForm(RowForm):
    key_fields = ("target_group",)
    target_group = forms.ChoiceField(label=_("Target group"), required=False)
    weight = forms.IntegerField(
        label=_("Weight"),
        required=False,
        min_value=0,
        max_value=999,
        help_text=_("0–999; empty with a single group."),
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        set_choices(self, "target_group", choices_of(document, editing.TARGET_GROUP, blank=True))


class ActionForm(ResourceForm):
    """A resource with one action: a listener's default action, or a rule's action."""

    actions_path: str  # "Properties.DefaultActions" or "Properties.Actions"

    action_type = forms.ChoiceField(label=_("Action"), choices=ACTION_CHOICES, initial="forward")
    stickiness_enabled = forms.BooleanField(label=_("Target group stickiness"), required=False)
    stickiness_duration = forms.IntegerField(
        label=_("Stickiness duration (seconds)"), required=False, min_value=1, max_value=604800
    )
    redirect_protocol = forms.CharField(label=_("Protocol"), required=False, max_length=16)
    redirect_host = forms.CharField(label=_("Host"), required=False, max_length=128)
    redirect_port = forms.CharField(label=_("Port"), required=False, max_length=16)
    redirect_path = forms.CharField(label=_("Path"), required=False, max_length=128)
    redirect_query = forms.CharField(label=_("Query"), required=False, max_length=128)
    redirect_status = forms.ChoiceField(
        label=_("Status code"),
        choices=[("HTTP_301", _("301 – permanently moved")), ("HTTP_302", _("302 – found"))],
        initial="HTTP_301",
    )
    fixed_status = forms.IntegerField(
        label=_("Response code"), initial=200, min_value=200, max_value=599, required=False
    )
    fixed_content_type = forms.ChoiceField(
        label=_("Content type"),
        choices=[(c, c) for c in CONTENT_TYPES],
        required=False,
        initial="text/plain",
    )
    fixed_body = forms.CharField(
        label=_("Response body"),
        required=False,
        max_length=1024,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    REDIRECT_KEYS = (
        ("redirect_protocol", "Protocol", "#{protocol}"),
        ("redirect_host", "Host", "#{host}"),
        ("redirect_port", "Port", "#{port}"),
        ("redirect_path", "Path", "/#{path}"),
        ("redirect_query", "Query", "#{query}"),
    )

    def __init__(self, *args: Any, document: Document, **kwargs: Any) -> None:
        super().__init__(*args, document=document, **kwargs)
        for field, _key, placeholder in self.REDIRECT_KEYS:
            self.fields[field].widget.attrs["placeholder"] = placeholder

    @classmethod
    def action_sections(cls) -> tuple[Section, ...]:
        return (
            Section(_("Action"), ("action_type",)),
            Section(
                _("Forward to"),
                ("@forward", "stickiness_enabled", "stickiness_duration"),
                show_when=("action_type", "forward"),
            ),
            Section(
                _("Redirect to"),
                (*(f for f, _k, _p in cls.REDIRECT_KEYS), "redirect_status"),
                show_when=("action_type", "redirect"),
            ),
            Section(
                _("Fixed response"),
                ("fixed_status", "fixed_content_type", "fixed_body"),
                show_when=("action_type", "fixed-response"),
            ),
        )

    @classmethod
    def action_row_sets(cls, path: str) -> dict[str, RowSet]:
        return {
            "forward": RowSet(
                row_formset(WeightedGroupRowForm, extra=2, max_num=5),
                f"{path}[0].ForwardConfig.TargetGroups",
                _("Target group %(number)s"),
            )
        }

    @classmethod
    def action_paths(cls, path: str) -> dict[str, str]:
        action = f"{path}[0]"
        return {
            path: "action_type",
            f"{action}.TargetGroupArn": "action_type",
            f"{action}.ForwardConfig.TargetGroupStickinessConfig": "stickiness_duration",
            **{f"{action}.RedirectConfig.{key}": field for field, key, _p in cls.REDIRECT_KEYS},
            f"{action}.RedirectConfig.StatusCode": "redirect_status",
            f"{action}.RedirectConfig": "redirect_host",
            f"{action}.FixedResponseConfig.StatusCode": "fixed_status",
            f"{action}.FixedResponseConfig.ContentType": "fixed_content_type",
            f"{action}.FixedResponseConfig.MessageBody": "fixed_body",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        forward = data.get("action_type") == "forward" and self.rows["forward"].is_valid()
        if forward and not self.filled_rows("forward"):
            self.add_error("action_type", _("Choose at least one target group to forward to."))
        return data

    # read / write --------------------------------------------------------------------------------
    def read_action(self, actions: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        action = actions[0] if isinstance(actions, list) and actions else {}
        if not isinstance(action, dict):
            return {}, []
        kind = action.get("Type", "forward")
        initial: dict[str, Any] = {"action_type": kind}
        rows: list[dict[str, Any]] = []
        if "TargetGroupArn" in action:
            rows = [{"target_group": editing.ref_name(action["TargetGroupArn"]) or ""}]
        forward = action.get("ForwardConfig") or {}
        for entry in forward.get("TargetGroups") or []:
            rows.append(
                {
                    "target_group": editing.ref_name(entry.get("TargetGroupArn")) or "",
                    "weight": entry.get("Weight"),
                }
            )
        stickiness = forward.get("TargetGroupStickinessConfig") or {}
        initial["stickiness_enabled"] = str(stickiness.get("Enabled", "")).lower() == "true"
        initial["stickiness_duration"] = stickiness.get("DurationSeconds")
        redirect = action.get("RedirectConfig") or {}
        for field, key, _placeholder in self.REDIRECT_KEYS:
            initial[field] = redirect.get(key, "")
        initial["redirect_status"] = redirect.get("StatusCode", "HTTP_301")
        fixed = action.get("FixedResponseConfig") or {}
        initial["fixed_status"] = fixed.get("StatusCode")
        initial["fixed_content_type"] = fixed.get("ContentType", "text/plain")
        initial["fixed_body"] = fixed.get("MessageBody", "")
        return initial, rows

    def write_action(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        kind = data["action_type"]
        if kind == "redirect":
            config = {
                key: data[field].strip()
                for field, key, _p in self.REDIRECT_KEYS
                if data[field].strip()
            }
            return [
                {
                    "Type": "redirect",
                    "RedirectConfig": {**config, "StatusCode": data["redirect_status"]},
                }
            ]
        if kind == "fixed-response":
            config = {"StatusCode": str(data["fixed_status"] or 200)}
            if data["fixed_content_type"]:
                config["ContentType"] = data["fixed_content_type"]
            if data["fixed_body"]:
                config["MessageBody"] = data["fixed_body"]
            return [{"Type": "fixed-response", "FixedResponseConfig": config}]
        return [self._forward()]

    def _forward(self) -> dict[str, Any]:
        data = self.cleaned_data
        groups = self.write_rows(
            "forward",
            lambda row: {
                "TargetGroupArn": editing.ref(row["target_group"]),
                "Weight": row["weight"] if row["weight"] is not None else 1,
            },
        )
        plain = len(groups) == 1 and self.filled_rows("forward")[0][1]["weight"] is None
        if plain and not data["stickiness_enabled"]:
            return {"Type": "forward", "TargetGroupArn": groups[0]["TargetGroupArn"]}
        config: dict[str, Any] = {"TargetGroups": groups}
        if data["stickiness_enabled"]:
            config["TargetGroupStickinessConfig"] = {
                "Enabled": True,
                "DurationSeconds": data["stickiness_duration"] or 3600,
            }
        return {"Type": "forward", "ForwardConfig": config}
