"""Classes: an instructor's group of learners, what they are asked to do, and what
the instructor tells them.

A learner belongs to a class through a Membership; an instructor sees a learner's runs,
answers and errors only through a class of theirs that is not archived (access.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from labs.models import Topology
from playground.quizzes.models import QuestionSet

# No 0/O or 1/I/L: a code read aloud in class or copied from a projector must not be misread.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return get_random_string(JOIN_CODE_LENGTH, JOIN_CODE_ALPHABET)


class Classroom(models.Model):
    name = models.CharField(_("name"), max_length=120)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("instructor"),
        on_delete=models.CASCADE,
        related_name="classrooms_taught",
    )
    join_code = models.CharField(_("join code"), max_length=16, unique=True, default=new_join_code)
    # A learner who has made no progress for this long is shown as stuck on the dashboard.
    stuck_minutes = models.PositiveSmallIntegerField(_("stuck after (minutes)"), default=10)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def group_name(self) -> str:
        """The channel-layer group of the class's dashboards."""
        return f"classroom.{self.pk}"


class Membership(models.Model):
    classroom = models.ForeignKey(
        Classroom, verbose_name=_("class"), on_delete=models.CASCADE, related_name="memberships"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="class_memberships",
    )
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["learner__username"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "learner"], name="membership_once")
        ]

    def __str__(self) -> str:
        return f"{self.learner} @ {self.classroom}"


class Assignment(models.Model):
    """A starter lab or a quiz set the class is to do, by a date."""

    classroom = models.ForeignKey(
        Classroom, verbose_name=_("class"), on_delete=models.CASCADE, related_name="assignments"
    )
    topology = models.ForeignKey(
        Topology,
        verbose_name=_("starter lab"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    question_set = models.ForeignKey(
        QuestionSet,
        verbose_name=_("quiz set"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(topology__isnull=False, question_set__isnull=True)
                | models.Q(topology__isnull=True, question_set__isnull=False),
                name="assignment_is_a_lab_or_a_quiz",
            )
        ]

    def __str__(self) -> str:
        return str(self.topology or self.question_set)

    @property
    def is_overdue(self) -> bool:
        return self.due_at <= timezone.now()


class Hint(models.Model):
    """A message from the instructor that appears in the learner's lab."""

    classroom = models.ForeignKey(
        Classroom, verbose_name=_("class"), on_delete=models.CASCADE, related_name="hints"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="hints_received",
    )
    text = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("hint")
        verbose_name_plural = _("hints")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.text[:50]


class ValidationErrorRecord(models.Model):
    """A validation error a learner hit (a run refused, a template with problems)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="validation_errors",
    )
    topology = models.ForeignKey(
        Topology, verbose_name=_("topology"), on_delete=models.CASCADE, null=True, related_name="+"
    )
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("validation error")
        verbose_name_plural = _("validation errors")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["learner", "-created_at"], name="validation_error_recent")]

    def __str__(self) -> str:
        return self.message[:50]


class LiveQuiz(models.Model):
    """An instructor-paced quiz: the instructor pushes one question at a time to the class.

    ``questions`` is the drawn list of Question ids, in order; ``position`` is the
    1-based question now shown (0 in the lobby). Answers are LiveAnswer rows.
    """

    class State(models.TextChoices):
        LOBBY = "lobby", _("waiting to start")
        ASKING = "asking", _("question open")
        REVEALED = "revealed", _("answer shown")
        FINISHED = "finished", _("finished")

    classroom = models.ForeignKey(
        Classroom, verbose_name=_("class"), on_delete=models.CASCADE, related_name="live_quizzes"
    )
    question_set = models.ForeignKey(
        QuestionSet, verbose_name=_("quiz set"), on_delete=models.CASCADE, related_name="+"
    )
    questions = models.JSONField(_("questions"), default=list)
    position = models.PositiveSmallIntegerField(_("question"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.LOBBY)
    asked_at = models.DateTimeField(_("question shown"), null=True, blank=True)
    leaderboard = models.BooleanField(_("show a leaderboard"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("live quiz")
        verbose_name_plural = _("live quizzes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.question_set} @ {self.classroom}"

    @property
    def group_name(self) -> str:
        return f"classroom.{self.classroom_id}.live"


class LiveAnswer(models.Model):
    quiz = models.ForeignKey(
        LiveQuiz, verbose_name=_("live quiz"), on_delete=models.CASCADE, related_name="answers"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    answer = models.OneToOneField(
        "quizzes.Answer", verbose_name=_("answer"), on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("question"))
    seconds = models.FloatField(_("seconds to answer"))
    points = models.PositiveIntegerField(_("points"), default=0)

    class Meta:
        verbose_name = _("live answer")
        verbose_name_plural = _("live answers")
        constraints = [
            models.UniqueConstraint(fields=["quiz", "learner", "position"], name="live_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.learner} #{self.position}"
