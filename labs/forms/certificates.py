"""The builder form for ACM certificates: the names one covers. A run issues each one from
its own certificate authority, so there is nothing to validate by DNS or email here; the
method is kept for the export to AWS."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from labs import editing
from labs.validation.certificates import _DOMAIN

from .base import ResourceForm, Section, set_or_drop


def _check_domain(value: str) -> None:
    if len(value) > 253 or not _DOMAIN.fullmatch(value):
        raise forms.ValidationError(
            _(
                "%(name)s is not a fully qualified domain name (e.g. www.example.com or "
                "*.example.com)."
            ),
            code="domain",
            params={"name": value},
        )


class CertificateForm(ResourceForm):
    kind = "certificate"
    resource_type = editing.CERTIFICATE
    title = _("Certificate")
    add_label = _("Add a certificate")
    domain_name = forms.CharField(
        label=_("Domain name"),
        max_length=253,
        initial="www.example.com",
        help_text=_("The name clients ask for, e.g. www.example.com or *.example.com."),
    )
    alternative_names = forms.CharField(
        label=_("Other names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Subject alternative names: one per line, at most 100."),
    )
    validation_method = forms.ChoiceField(
        label=_("Validation method"),
        choices=[("DNS", "DNS"), ("EMAIL", _("Email"))],
        initial="DNS",
        help_text=_(
            "How AWS would check that you own the names; a run issues the certificate itself."
        ),
    )
    sections = (
        Section(
            _("Certificate"),
            ("logical_id", "domain_name", "alternative_names", "validation_method"),
        ),
    )
    field_paths = {
        "Properties.DomainName": "domain_name",
        "Properties.SubjectAlternativeNames": "alternative_names",
        "Properties.ValidationMethod": "validation_method",
    }

    def read(self, properties: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        names = properties.get("SubjectAlternativeNames")
        return {
            "domain_name": properties.get("DomainName", ""),
            "alternative_names": "\n".join(str(n) for n in names)
            if isinstance(names, list)
            else "",
            "validation_method": properties.get("ValidationMethod", "DNS"),
        }

    def clean_domain_name(self) -> str:
        value: str = self.cleaned_data["domain_name"].strip()
        _check_domain(value)
        return value

    def clean_alternative_names(self) -> list[str]:
        names = [n for n in re.split(r"[\s,]+", self.cleaned_data["alternative_names"]) if n]
        if len(names) > 100:
            raise forms.ValidationError(
                _("A certificate has at most 100 other names."), code="too_many"
            )
        for name in names:
            _check_domain(name)
        return names

    def write(self, properties: dict[str, Any], resource: dict[str, Any]) -> None:
        data = self.cleaned_data
        properties["DomainName"] = data["domain_name"]
        set_or_drop(properties, "SubjectAlternativeNames", data["alternative_names"])
        properties["ValidationMethod"] = data["validation_method"]
