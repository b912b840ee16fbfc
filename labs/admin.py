from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from . import services
from .models import LabRun, Topology, TopologyRevision


class RevisionInline(admin.TabularInline):
    """History is written by labs.services.save_document only: read-only here."""

    model = TopologyRevision
    fields = ["number", "change", "subject", "note", "author", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TopologyForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        document = self.fields["document"]
        if isinstance(document, forms.CharField):
            # Kept byte for byte: a stripped newline would be a revision nobody made.
            document.strip = False

    def clean_document(self) -> str:
        document: str = self.cleaned_data["document"]
        services.check_document(document)  # each problem becomes an error on the field
        return document


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    form = TopologyForm
    list_display = ["slug", "title_en", "title_ko", "owner", "updated_at"]
    list_filter = [("owner", admin.EmptyFieldListFilter)]
    search_fields = ["slug", "title_en", "title_ko"]
    raw_id_fields = ["owner", "forked_from"]
    inlines = [RevisionInline]

    def save_model(self, request: HttpRequest, obj: Topology, form: Any, change: bool) -> None:
        services.save_topology(request.user, obj)  # type: ignore[arg-type]


@admin.register(TopologyRevision)
class TopologyRevisionAdmin(admin.ModelAdmin):
    """History is written by the topology services only: an added revision would be a lie."""

    list_display = ["topology", "number", "change", "subject", "author", "created_at"]
    list_filter = ["change"]
    search_fields = ["topology__slug", "subject", "note"]
    readonly_fields = [
        "topology",
        "number",
        "document",
        "author",
        "change",
        "subject",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LabRun)
class LabRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "topology", "owner", "state", "reason", "created_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["owner__username", "topology__slug"]
    raw_id_fields = ["owner", "topology"]
    # The worker owns these; editing them by hand would confuse a live run.
    readonly_fields = ["control_channel", "heartbeat_at", "started_at", "ended_at", "summary"]
