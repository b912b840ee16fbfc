from django.contrib import admin

from .models import Assignment, Classroom, Hint, Membership


class MembershipInline(admin.TabularInline[Membership, Classroom]):
    model = Membership
    extra = 0
    raw_id_fields = ["learner"]


class AssignmentInline(admin.TabularInline[Assignment, Classroom]):
    model = Assignment
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin[Classroom]):
    list_display = ["name", "instructor", "join_code", "created_at", "archived_at"]
    search_fields = ["name", "join_code", "instructor__username"]
    readonly_fields = ["join_code"]
    inlines = [MembershipInline, AssignmentInline]


@admin.register(Hint)
class HintAdmin(admin.ModelAdmin[Hint]):
    list_display = ["classroom", "learner", "sent_at", "read_at"]
    readonly_fields = ["classroom", "learner", "text", "sent_at", "read_at"]
