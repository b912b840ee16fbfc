"""The admin's question bank: both languages side by side, a learner's-eye preview in each,
filters (language completeness included), bulk publish, statistics, import and export."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .bank import BankError, export_csv, export_json, import_text, moodle
from .models import (
    Answer,
    Choice,
    ExamAttempt,
    LabQuestion,
    Question,
    QuestionSet,
    Topic,
)
from .services.questions import ChoiceDraft, QuestionDraft, question_problems, validate_question

TEXTAREA = forms.Textarea(attrs={"rows": 3, "cols": 48})


class ChoiceFormSet(BaseInlineFormSet[Choice, Question, "forms.ModelForm[Choice]"]):
    """The question being saved, with these choices, checked against the rules."""

    def clean(self) -> None:
        super().clean()
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        rows.sort(key=lambda row: row.get("position") or 0)
        choices = [
            ChoiceDraft(
                text_en=row.get("text_en", ""),
                text_ko=row.get("text_ko", ""),
                explanation_en=row.get("explanation_en", ""),
                explanation_ko=row.get("explanation_ko", ""),
                correct=bool(row.get("is_correct")),
            )
            for row in rows
        ]
        topics = self._posted_topics()
        # The question form has already copied its fields onto the instance.
        validate_question(QuestionDraft.of(self.instance, topics=topics, choices=choices), topics)

    def _posted_topics(self) -> list[str]:
        """The topics the question form is saving (a formset cannot see that form's data)."""
        picked = self.data.getlist("topics") if isinstance(self.data, QueryDict) else []
        ids = [value for value in picked if str(value).isdigit()]
        return list(Topic.objects.filter(pk__in=ids).values_list("slug", flat=True))


class ChoiceInline(admin.TabularInline[Choice, Question]):
    model = Choice
    formset = ChoiceFormSet
    fields = ["position", "is_correct", "text_en", "text_ko", "explanation_en", "explanation_ko"]
    extra = 0
    min_num = 2
    formfield_overrides = {models.TextField: {"widget": TEXTAREA}}


class LanguageFilter(admin.SimpleListFilter):
    title = gettext_lazy("languages")
    parameter_name = "languages"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("complete", gettext_lazy("English and Korean")),
            ("missing-ko", gettext_lazy("Korean missing")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Question]) -> QuerySet[Question]:
        missing = (
            Q(prompt_ko="")
            | Q(explanation_ko="")
            | Q(choices__text_ko="")
            | Q(choices__explanation_ko="")
        )
        incomplete = Question.objects.filter(missing).values("pk")
        if self.value() == "complete":
            return queryset.exclude(pk__in=incomplete)
        if self.value() == "missing-ko":
            return queryset.filter(pk__in=incomplete)
        return queryset


class Statistics(TypedDict):
    times_answered: int
    times_correct: int
    top_wrong: int | None  # the position of the wrong choice picked most, if any was
    top_wrong_picks: int | None


if TYPE_CHECKING:  # WithAnnotations takes its second argument in annotations only
    from django_stubs_ext import WithAnnotations

    QuestionWithStatistics = WithAnnotations[Question, Statistics]


def _statistics(queryset: QuerySet[Question]) -> QuerySet[Question]:
    wrong = (
        Choice.objects.filter(question=OuterRef("pk"), is_correct=False)
        .annotate(picks=Count("answers"))
        .filter(picks__gt=0)
        .order_by("-picks", "position")
    )
    return queryset.annotate(
        times_answered=Count("answers", distinct=True),
        times_correct=Count("answers", filter=Q(answers__is_correct=True), distinct=True),
        top_wrong=Subquery(wrong.values("position")[:1]),
        top_wrong_picks=Subquery(wrong.values("picks")[:1]),
    )


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    change_list_template = "admin/quizzes/question/change_list.html"
    list_display = [
        "key",
        "short_prompt",
        "status",
        "kind",
        "difficulty",
        "topic_list",
        "korean",
        "answered",
        "percent_correct",
        "most_chosen_wrong",
    ]
    list_filter = ["status", "topics", "difficulty", "kind", LanguageFilter, "lab_trigger"]
    search_fields = ["key", "prompt_en", "prompt_ko", "choices__text_en", "choices__text_ko"]
    filter_horizontal = ["topics"]
    inlines = [ChoiceInline]
    actions = ["publish", "unpublish", "export_json", "export_csv"]
    readonly_fields = ["preview", "statistics"]
    formfield_overrides = {
        models.TextField: {"widget": TEXTAREA},
        models.URLField: {"assume_scheme": "https"},
    }
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("key", "status"),
                    ("kind", "choose", "difficulty"),
                    "topics",
                    ("reference_url", "lab_trigger"),
                ]
            },
        ),
        (
            gettext_lazy("English and Korean, side by side"),
            {
                "classes": ["side-by-side"],
                "fields": [("prompt_en", "prompt_ko"), ("explanation_en", "explanation_ko")],
            },
        ),
        (gettext_lazy("Preview, as a learner sees it"), {"fields": ["preview"]}),
        (gettext_lazy("Statistics"), {"fields": ["statistics"]}),
    ]

    class Media:
        css = {"all": ["quizzes/css/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return _statistics(super().get_queryset(request).prefetch_related("topics", "choices"))

    @admin.display(description=gettext_lazy("prompt"))
    def short_prompt(self, question: Question) -> str:
        text = question.prompt_en
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description=gettext_lazy("topics"))
    def topic_list(self, question: Question) -> str:
        return ", ".join(t.slug for t in question.topics.all())

    @admin.display(description=gettext_lazy("Korean"), boolean=True)
    def korean(self, question: Question) -> bool:
        return not question.missing_korean(list(question.choices.all()))

    @admin.display(description=gettext_lazy("answered"), ordering="times_answered")
    def answered(self, question: QuestionWithStatistics) -> int:
        return question.times_answered

    @admin.display(description=gettext_lazy("percent correct"))
    def percent_correct(self, question: QuestionWithStatistics) -> str:
        answered = question.times_answered
        if not answered:
            return "—"
        return f"{round(100 * question.times_correct / answered)}%"

    @admin.display(description=gettext_lazy("most chosen wrong choice"))
    def most_chosen_wrong(self, question: QuestionWithStatistics) -> str:
        position = question.top_wrong
        if position is None:
            return "—"
        letter = "ABCDEFGH"[position - 1] if position <= 8 else str(position)
        return f"{letter} (×{question.top_wrong_picks})"

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, question: Question) -> SafeString | str:
        if question.pk is None:
            return _("Save the question to preview it.")
        choices = list(question.choices.order_by("position"))
        panes = []
        for code, name in (("en", "English"), ("ko", "한국어")):
            with translation.override(code):
                panes.append(
                    render_to_string(
                        "quizzes/_admin_preview.html",
                        {
                            "question": question,
                            "choices": choices,
                            "language": code,
                            "name": name,
                        },
                    )
                )
        return format_html('<div class="quiz-preview">{}{}</div>', *panes)

    @admin.display(description=gettext_lazy("statistics"))
    def statistics(self, question: Question) -> SafeString | str:
        if question.pk is None:
            return "—"
        rows = Choice.objects.filter(question=question).annotate(picks=Count("answers"))
        answered = question.answers.count()
        correct = question.answers.filter(is_correct=True).count()
        return format_html(
            "{}",
            render_to_string(
                "quizzes/_admin_statistics.html",
                {
                    "answered": answered,
                    "correct": correct,
                    "percent": round(100 * correct / answered) if answered else None,
                    "rows": rows.order_by("position"),
                },
            ),
        )

    @admin.action(description=gettext_lazy("Publish the selected questions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        topics = set(Topic.objects.values_list("slug", flat=True))
        ready: list[int] = []
        refused: list[tuple[str, list[str]]] = []
        for question in queryset.prefetch_related("choices", "topics"):
            draft = QuestionDraft.of(question)
            draft.status = Question.Status.PUBLISHED
            problems = question_problems(draft, topics)
            if problems:
                refused.append((question.key, problems))
            else:
                ready.append(question.pk)
        published = (
            Question.objects.filter(pk__in=ready)
            .exclude(status=Question.Status.PUBLISHED)
            .update(status=Question.Status.PUBLISHED)
        )
        self.message_user(
            request,
            ngettext("%(count)s question published.", "%(count)s questions published.", published)
            % {"count": published},
            messages.SUCCESS,
        )
        for key, problems in refused:
            self.message_user(
                request,
                _("%(key)s was not published: %(problems)s")
                % {"key": key, "problems": " ".join(problems)},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Unpublish the selected questions (back to draft)"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        count = queryset.filter(status=Question.Status.PUBLISHED).update(
            status=Question.Status.DRAFT
        )
        self.message_user(
            request,
            ngettext("%(count)s question unpublished.", "%(count)s questions unpublished.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Export the selected questions as JSON"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[Question]) -> HttpResponse:
        return _download(export_json(queryset, everything=False), "json")

    @admin.action(description=gettext_lazy("Export the selected questions as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Question]) -> HttpResponse:
        return _download(export_csv(queryset), "csv")

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="quizzes_question_import",
            ),
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="quizzes_question_export",
            ),
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if not self.has_view_permission(request) or fmt not in EXPORTS:
            return redirect("admin:quizzes_question_changelist")
        return _download(EXPORTS[fmt](), fmt)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:quizzes_question_changelist")
        form = ImportForm(request.POST or None, request.FILES or None)
        problems: list[tuple[int, str]] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8-sig")
                report = import_text(text, None, name=upload.name)
            except UnicodeDecodeError:
                problems = [(1, _("the file is not UTF-8 text."))]
            except BankError as error:
                problems = error.problems
            else:
                self.message_user(
                    request,
                    _(
                        "Imported: %(created)s created, %(updated)s updated, "
                        "%(unchanged)s unchanged."
                    )
                    % vars(report),
                    messages.SUCCESS,
                )
                return redirect("admin:quizzes_question_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
            "title": _("Import questions"),
            "changelist_url": reverse("admin:quizzes_question_changelist"),
        }
        return TemplateResponse(request, "admin/quizzes/question/import.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bank file"),
        help_text=gettext_lazy(
            "JSON, CSV, Moodle GIFT or Moodle XML, as exported here. Any bad row stops the import: "
            "nothing is changed until every row is right."
        ),
    )


EXPORTS = {
    "json": export_json,
    "csv": export_csv,
    "gift": moodle.export_gift,
    "xml": moodle.export_moodle_xml,
}
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "gift": "text/plain",
    "xml": "application/xml",
}


def _download(text: str, fmt: str) -> HttpResponse:
    content_type = CONTENT_TYPES[fmt]
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="quiz-bank.{fmt}"'
    return response


class Published(TypedDict):
    published: int  # how many of the topic's questions are published


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    list_display = ["slug", "name_en", "name_ko", "section", "order", "question_count"]
    list_editable = ["order"]
    fields = [("slug", "order"), ("name_en", "name_ko"), "section"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        published = Q(questions__status=Question.Status.PUBLISHED)
        topics: QuerySet[Topic] = super().get_queryset(request)
        return topics.annotate(published=Count("questions", filter=published))

    @admin.display(description=gettext_lazy("published questions"), ordering="published")
    def question_count(self, topic: WithAnnotations[Topic, Published]) -> int:
        return topic.published


@admin.register(QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin[QuestionSet]):
    list_display = [
        "slug",
        "kind",
        "title_en",
        "title_ko",
        "question_count",
        "time_limit_minutes",
        "passing_percent",
        "is_published",
    ]
    list_filter = ["kind", "is_published"]
    filter_horizontal = ["topics"]
    fieldsets = [
        (None, {"fields": [("slug", "kind", "is_published", "order")]}),
        (
            gettext_lazy("English and Korean, side by side"),
            {
                "classes": ["side-by-side"],
                "fields": [("title_en", "title_ko"), ("description_en", "description_ko")],
            },
        ),
        (
            gettext_lazy("Questions"),
            {
                "fields": [
                    "topics",
                    ("question_count", "time_limit_minutes", "passing_percent"),
                    "topic_weights",
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["quizzes/css/admin.css"]}


_Row = TypeVar("_Row", bound=models.Model)


class ReadOnlyAdmin(admin.ModelAdmin[_Row]):
    """Learners write these by answering; the admin only looks."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin[Answer]):
    list_display = ["question", "user", "source", "is_correct", "created_at"]
    list_filter = ["source", "is_correct"]
    search_fields = ["question__key", "user__username"]


@admin.register(ExamAttempt)
class ExamAttemptAdmin(ReadOnlyAdmin[ExamAttempt]):
    list_display = ["question_set", "user", "state", "score_percent", "passed", "started_at"]
    list_filter = ["state", "passed", "question_set"]
    search_fields = ["user__username"]


@admin.register(LabQuestion)
class LabQuestionAdmin(ReadOnlyAdmin[LabQuestion]):
    list_display = ["run", "user", "trigger", "question", "t", "answer"]
    list_filter = ["trigger"]
