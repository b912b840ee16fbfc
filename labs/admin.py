from django.contrib import admin

from .models import LabRun, Topology


@admin.register(Topology)
class TopologyAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_en", "title_ko", "owner", "updated_at"]
    list_filter = [("owner", admin.EmptyFieldListFilter)]
    search_fields = ["slug", "title_en", "title_ko"]
    raw_id_fields = ["owner"]


@admin.register(LabRun)
class LabRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "topology", "owner", "state", "reason", "created_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["owner__username", "topology__slug"]
    raw_id_fields = ["owner", "topology"]
    # The worker owns these; editing them by hand would confuse a live run.
    readonly_fields = ["control_channel", "heartbeat_at", "started_at", "ended_at", "summary"]
