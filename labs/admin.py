from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from . import services
from .models import LabRun, Topology, TopologyRevision

REVISION_COLUMNS = ("number", "change", "subject", "note", "author", "created_at")


class RevisionInline(admin.TabularInline[TopologyRevision, Topology]):
    """History is written by labs.services only: read-only here."""

    model = TopologyRevision
    fields = REVISION_COLUMNS
    readonly_fields = REVISION_COLUMNS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TopologyForm(forms.ModelForm[Topology]):
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
class TopologyAdmin(admin.ModelAdmin[Topology]):
    form = TopologyForm
    list_display = ["slug", "title_en", "title_ko", "owner", "updated_at"]
    list_filter = [("owner", admin.EmptyFieldListFilter)]
    search_fields = ["slug", "title_en", "title_ko"]
    raw_id_fields = ["owner", "forked_from"]
    inlines = [RevisionInline]

    def save_model(self, request: HttpRequest, obj: Topology, form: Any, change: bool) -> None:
        # Only a logged-in staff user reaches an admin view.
        services.save_topology(cast(User, request.user), obj)


@admin.register(TopologyRevision)
class TopologyRevisionAdmin(admin.ModelAdmin[TopologyRevision]):
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
class LabRunAdmin(admin.ModelAdmin[LabRun]):
    list_display = ["pk", "topology", "owner", "state", "reason", "created_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["owner__username", "topology__slug"]
    raw_id_fields = ["owner", "topology"]
    # The worker owns these; editing them by hand would confuse a live run.
    readonly_fields = ["control_channel", "heartbeat_at", "started_at", "ended_at", "summary"]
