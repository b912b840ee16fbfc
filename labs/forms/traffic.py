"""The traffic a run sends: ``Metadata.Playground.Traffic`` at the template's top level."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from labs import editing

from .base import Document, EditorForm, Section

WHERE = "Metadata.Playground.Traffic"


class TrafficForm(EditorForm):
    kind = "traffic"
    title = _("Traffic")
    requests_per_second = forms.FloatField(
        label=_("Requests per second"), min_value=0.1, max_value=10_000, initial=10
    )
    clients = forms.IntegerField(
        label=_("Clients"),
        min_value=1,
        max_value=200,
        initial=6,
        help_text=_("Simulated clients, each with its own public IP address."),
    )
    paths = forms.CharField(
        label=_("Paths"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="/",
        help_text=_("One path per line, each starting with /; clients ask for them in turn."),
    )
    host = forms.CharField(
        label=_("Host header"),
        required=False,
        max_length=253,
        help_text=_("Empty: the load balancer's DNS name."),
    )
    sections = (Section(_("Traffic"), ("requests_per_second", "clients", "paths", "host")),)
    field_paths = {
        f"{WHERE}.RequestsPerSecond": "requests_per_second",
        f"{WHERE}.Clients": "clients",
        f"{WHERE}.Paths": "paths",
        f"{WHERE}.Host": "host",
    }

    def __init__(self, data: Any = None, *, document: Document, **_ignored: Any) -> None:
        playground = (document.get("Metadata") or {}).get("Playground") or {}
        traffic = playground.get("Traffic") or {}
        initial = {
            "requests_per_second": traffic.get("RequestsPerSecond", 10),
            "clients": traffic.get("Clients", 6),
            "paths": "\n".join(str(path) for path in traffic.get("Paths") or ["/"]),
            "host": traffic.get("Host", ""),
        }
        super().__init__(data, document=document, initial=initial)

    def clean_paths(self) -> list[str]:
        paths = [line.strip() for line in self.cleaned_data["paths"].splitlines() if line.strip()]
        wrong = [path for path in paths if not path.startswith("/")]
        if wrong:
            raise forms.ValidationError(
                _("Each path starts with /: %(path)s"), code="path", params={"path": wrong[0]}
            )
        return paths

    def updated_document(self) -> Document:
        document = copy.deepcopy(self.document)
        traffic = editing.playground_metadata(document).setdefault("Traffic", {})
        data = self.cleaned_data
        rps = data["requests_per_second"]
        traffic["RequestsPerSecond"] = int(rps) if rps == int(rps) else rps
        traffic["Clients"] = data["clients"]
        traffic["Paths"] = data["paths"]
        if data["host"].strip():
            traffic["Host"] = data["host"].strip()
        else:
            traffic.pop("Host", None)
        return document
