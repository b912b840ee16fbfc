from django.contrib import admin

from .models import LabRun, Topology, TopologyRevision


class RevisionInline(admin.TabularInline):
    """History is written by labs.services.save_document only: read-only here."""

    model = TopologyRevision
    fields = ["number", "change", "subject", "note", "author", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_en", "title_ko", "owner", "updated_at"]
    list_filter = [("owner", admin.EmptyFieldListFilter)]
    search_fields = ["slug", "title_en", "title_ko"]
    raw_id_fields = ["owner", "forked_from"]
    inlines = [RevisionInline]


@admin.register(TopologyRevision)
class TopologyRevisionAdmin(admin.ModelAdmin):
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


@admin.register(LabRun)
class LabRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "topology", "owner", "state", "reason", "created_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["owner__username", "topology__slug"]
    raw_id_fields = ["owner", "topology"]
    # The worker owns these; editing them by hand would confuse a live run.
    readonly_fields = ["control_channel", "heartbeat_at", "started_at", "ended_at", "summary"]
