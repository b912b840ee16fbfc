"""The values a template asks for (its parameters, its ``Fn::ImportValue`` names), as a form
built from the template's own declarations (``labs.intrinsics.inputs``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from labs.intrinsics import Input

# What each stand-in is, in the learner's language (labs.intrinsics says it in English).
STAND_INS = {
    "vpc": _("the playground's VPC"),
    "subnet": _("a playground subnet"),
    "subnets": _("two playground subnets in two Availability Zones"),
    "security-group": _("a playground security group open to all traffic"),
    "security-groups": _("a playground security group open to all traffic"),
    "certificate": _("a certificate issued by the run's own certificate authority"),
    "key-pair": _("a key pair name (not used: nobody logs in to a dummy target)"),
    "image": _("a dummy target's image"),
    "zone": _("an Availability Zone of the playground's Region"),
    "zones": _("two Availability Zones of the playground's Region"),
    "hosted-zone": _("a hosted zone name (Route 53 is not simulated)"),
}
MAX_VALUE = 4096  # characters: CloudFormation allows 4 KB per parameter value


class ParametersForm(forms.Form):
    """One field per input, named ``p0``, ``p1``… (parameter names are the labels: an
    import name may hold characters a field name cannot)."""

    def __init__(self, inputs: list[Input], values: dict[str, Any], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.inputs = inputs
        for n, item in enumerate(inputs):
            current = values.get(item.name)
            shown = None if item.stand_in and isinstance(current, dict | list) else current
            # form_fields.html renders help text as HTML: the template's words are escaped.
            help_parts: list[str] = [escape(item.description)] if item.description else []
            if item.stand_in:
                help_parts.append(
                    str(_("Leave empty and the playground supplies %(what)s."))
                    % {"what": STAND_INS.get(item.stand_in, item.stand_in)}
                )
            elif item.default is not None:
                help_parts.append(str(_("Default: %(value)s")) % {"value": escape(item.default)})
            common: dict[str, Any] = {
                "label": item.name,
                "required": False,
                "help_text": "<br>".join(help_parts),  # each part escaped or ours
                "initial": _text(shown),
            }
            if item.allowed_values:
                choices = [("", _("(default)") if item.default is not None else "—")]
                choices += [(v, v) for v in item.allowed_values]
                self.fields[f"p{n}"] = forms.ChoiceField(choices=choices, **common)
            else:
                widget = (
                    forms.PasswordInput(render_value=False) if item.no_echo else forms.TextInput()
                )
                self.fields[f"p{n}"] = forms.CharField(
                    max_length=MAX_VALUE, strip=True, widget=widget, **common
                )

    def values(self) -> dict[str, str]:
        """Parameter name → the value given ("" clears a stored one; a NoEcho field left
        empty keeps what is stored)."""
        given = {}
        for n, item in enumerate(self.inputs):
            value = self.cleaned_data.get(f"p{n}", "")
            if item.no_echo and value == "":
                continue
            given[item.name] = value
        return given


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
