"""The question bank, the sets built from it, and what learners answered.

Content (prompts, choices, explanations, topic names, set titles) is stored in English and
Korean on the same row and read through ``Localized``, which picks the viewer's language
and falls back to English (STYLE.md §7). English is required; Korean may be blank only
while a question is a draft (``Question.missing_korean``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from labs.models import LabRun, Localized

from .triggers import TRIGGER_CHOICES


class Topic(models.Model):
    """A tag tied to a section of the seed notes (what LBs do, health checks, NLB, …)."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_ko = models.CharField(_("name (Korean)"), max_length=100, blank=True)
    section = models.CharField(
        _("seed notes section"),
        max_length=100,
        blank=True,
        help_text=_("Where the topic is taught in the course notes."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    name = Localized("name")

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.name_en


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("single response")
        MULTIPLE = "multiple", _("multiple response")

    class Difficulty(models.IntegerChoices):
        EASY = 1, _("easy")
        MEDIUM = 2, _("medium")
        HARD = 3, _("hard")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    # Stable across databases: import and export match questions by it.
    key = models.SlugField(_("key"), max_length=80, unique=True)
    prompt_en = models.TextField(_("prompt (English)"))
    prompt_ko = models.TextField(_("prompt (Korean)"), blank=True)
    explanation_en = models.TextField(_("explanation (English)"))
    explanation_ko = models.TextField(_("explanation (Korean)"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SINGLE)
    choose = models.PositiveSmallIntegerField(
        _("choices to pick"),
        default=1,
        help_text=_("How many choices a learner must pick: 1 for single response."),
    )
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), related_name="questions")
    difficulty = models.PositiveSmallIntegerField(
        _("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    reference_url = models.URLField(_("reference"), max_length=300, blank=True)
    lab_trigger = models.CharField(
        _("ask in the lab when"),
        max_length=40,
        choices=TRIGGER_CHOICES,
        blank=True,
        help_text=_("Preferred when this lab event happens; otherwise its topics decide."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    prompt = Localized("prompt")
    explanation = Localized("explanation")

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["key"]
        indexes = [models.Index(fields=["status"], name="question_status")]

    def __str__(self) -> str:
        return self.key

    @property
    def is_multiple(self) -> bool:
        return self.kind == self.Kind.MULTIPLE

    def missing_korean(self, choices: list[Choice] | None = None) -> bool:
        """True when any learner-facing text has no Korean yet."""
        choices = list(self.choices.all()) if choices is None else choices
        if not (self.prompt_ko.strip() and self.explanation_ko.strip()):
            return True
        return any(not (c.text_ko.strip() and c.explanation_ko.strip()) for c in choices)


class Choice(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    text_en = models.TextField(_("choice (English)"))
    text_ko = models.TextField(_("choice (Korean)"), blank=True)
    explanation_en = models.TextField(_("why (English)"))
    explanation_ko = models.TextField(_("why (Korean)"), blank=True)
    is_correct = models.BooleanField(_("correct"), default=False)

    text = Localized("text")
    explanation = Localized("explanation")

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="unique_choice_position")
        ]

    def __str__(self) -> str:
        return f"{self.question.key} #{self.position}"

    @property
    def letter(self) -> str:
        return "ABCDEFGH"[self.position - 1] if 0 < self.position <= 8 else str(self.position)


class QuestionSet(models.Model):
    """Practice by topic, or a timed exam drawn from the bank by topic weights."""

    class Kind(models.TextChoices):
        PRACTICE = "practice", _("practice")
        EXAM = "exam", _("exam")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    topics = models.ManyToManyField(
        Topic,
        verbose_name=_("topics"),
        blank=True,
        related_name="question_sets",
        help_text=_("Practice: the topics to practise. Empty means every topic."),
    )
    question_count = models.PositiveSmallIntegerField(_("number of questions"), default=10)
    time_limit_minutes = models.PositiveSmallIntegerField(_("time limit (minutes)"), default=15)
    passing_percent = models.PositiveSmallIntegerField(_("passing score (%)"), default=72)
    # Exams: {"<topic slug>": weight, ...}; a topic's share of questions is its weight over
    # the sum. Empty: every topic weighs the same.
    topic_weights = models.JSONField(_("topic weights"), default=dict, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    title = Localized("title")
    description = Localized("description")

    class Meta:
        verbose_name = _("question set")
        verbose_name_plural = _("question sets")
        ordering = ["kind", "order", "slug"]

    def __str__(self) -> str:
        return self.slug


class Answer(models.Model):
    """One submitted answer, wherever it was given: the statistics read these."""

    class Source(models.TextChoices):
        PRACTICE = "practice", _("practice")
        EXAM = "exam", _("exam")
        LAB = "lab", _("lab")
        LIVE = "live", _("live class quiz")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="quiz_answers",
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="answers"
    )
    choices = models.ManyToManyField(Choice, verbose_name=_("choices"), related_name="answers")
    is_correct = models.BooleanField(_("correct"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("answered"), auto_now_add=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.question}"


class ExamAttempt(models.Model):
    """One sitting of an exam. The deadline is fixed at the start, on the server."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        SUBMITTED = "submitted", _("submitted")
        EXPIRED = "expired", _("time ran out")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="exam_attempts",
    )
    question_set = models.ForeignKey(
        QuestionSet, verbose_name=_("exam"), on_delete=models.CASCADE, related_name="attempts"
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("started"))
    deadline = models.DateTimeField(_("deadline"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    passing_percent = models.PositiveSmallIntegerField(_("passing score (%)"))
    correct_count = models.PositiveSmallIntegerField(_("correct"), default=0)
    score_percent = models.PositiveSmallIntegerField(_("score (%)"), default=0)
    passed = models.BooleanField(_("passed"), default=False)
    # {"<topic slug>": {"correct": n, "total": m}, ...}, written when the attempt ends.
    breakdown = models.JSONField(_("per-topic breakdown"), default=dict, blank=True)

    class Meta:
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")
        ordering = ["-started_at"]
        constraints = [
            # A reload or a second tab resumes the sitting; it never starts a new clock.
            models.UniqueConstraint(
                fields=["user", "question_set"],
                condition=Q(state="in_progress"),
                name="one_open_attempt_per_exam",
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_set} · {self.user} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.IN_PROGRESS


class AttemptQuestion(models.Model):
    attempt = models.ForeignKey(
        ExamAttempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="items"
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    selected = models.ManyToManyField(
        Choice, verbose_name=_("selected"), blank=True, related_name="+"
    )
    flagged = models.BooleanField(_("flagged for review"), default=False)
    is_correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("exam question")
        verbose_name_plural = _("exam questions")
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="unique_item_position")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} #{self.position}"


class LabQuestion(models.Model):
    """A question pushed into a lab run's page because a trigger fired."""

    run = models.ForeignKey(
        LabRun, verbose_name=_("lab run"), on_delete=models.CASCADE, related_name="quiz_questions"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="lab_questions",
    )
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(_("trigger"), max_length=40, choices=TRIGGER_CHOICES)
    t = models.FloatField(_("lab time (s)"))
    asked_at = models.DateTimeField(_("asked"), auto_now_add=True)
    answer = models.OneToOneField(
        Answer,
        verbose_name=_("answer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lab_question",
    )

    class Meta:
        verbose_name = _("in-lab question")
        verbose_name_plural = _("in-lab questions")
        ordering = ["run", "t"]
        constraints = [
            # No question repeats within a run.
            models.UniqueConstraint(
                fields=["run", "user", "question"], name="unique_lab_question_per_run"
            )
        ]

    def __str__(self) -> str:
        return f"{self.run_id} · {self.trigger} · {self.question_id}"
