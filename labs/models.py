"""A topology (a CloudFormation document) and the runs learners make of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class Localized:
    """Reads ``<name>_<lang>`` for the active language, falling back to English.

    Content is stored in both languages on one row (STYLE.md §7); it never goes through
    gettext, so this is the one place that picks a language for it.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: models.Model | None, owner: type) -> str:
        if instance is None:
            return self  # type: ignore[return-value]
        language = (get_language() or "en").split("-")[0]
        value = getattr(instance, f"{self.name}_{language}", "")
        return value or getattr(instance, f"{self.name}_en")


class TopologyQuerySet(models.QuerySet["Topology"]):
    def visible_to(self, user: User) -> TopologyQuerySet:
        """Starters (no owner) are everyone's; the rest belong to their owner."""
        return self.filter(Q(owner__isnull=True) | Q(owner=user))


class Topology(models.Model):
    slug = models.SlugField(_("name"), max_length=80)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_ko = models.TextField(_("description (Korean)"), blank=True)
    document = models.TextField(
        _("CloudFormation template"), help_text=_("YAML or JSON, as you would give AWS.")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="topologies",
        help_text=_("Empty for a starter topology that every learner can open."),
    )
    forked_from = models.ForeignKey(
        "self",
        verbose_name=_("forked from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="forks",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    title = Localized("title")
    description = Localized("description")

    objects = TopologyQuerySet.as_manager()

    class Meta:
        verbose_name = _("topology")
        verbose_name_plural = _("topologies")
        ordering = ["slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=Q(owner__isnull=True), name="unique_starter_slug"
            ),
            models.UniqueConstraint(fields=["owner", "slug"], name="unique_slug_per_owner"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def is_starter(self) -> bool:
        return self.owner_id is None


class TopologyRevision(models.Model):
    """One saved version of a topology's document; ``Topology.document`` is the newest.

    ``change`` is a code (CHANGES), not a sentence, so the revision list reads in the
    viewer's language; ``subject`` is what it concerns: a logical id, or for a restore
    the number of the revision restored. ``note`` is the learner's own words.
    """

    class Change(models.TextChoices):
        CREATE = "create", _("created")
        FORK = "fork", _("forked")
        IMPORT = "import", _("imported")
        TEMPLATE = "template", _("template edited")
        ADD = "add", _("resource added")
        EDIT = "edit", _("resource edited")
        DELETE = "delete", _("resource deleted")
        RESTORE = "restore", _("revision restored")

    topology = models.ForeignKey(
        Topology, verbose_name=_("topology"), on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField(_("number"))
    document = models.TextField(_("CloudFormation template"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topology_revisions",
    )
    change = models.CharField(_("change"), max_length=16, choices=Change.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("topology revision")
        verbose_name_plural = _("topology revisions")
        ordering = ["topology", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.topology} r{self.number}"

    @property
    def summary(self) -> str:
        """What the revision did, in the viewer's language."""
        return str(CHANGE_SUMMARIES.get(self.change, self.change)) % {"subject": self.subject}


CHANGE_SUMMARIES: dict[str, StrOrPromise] = {
    TopologyRevision.Change.CREATE: _("Created"),
    TopologyRevision.Change.FORK: _("Forked from %(subject)s"),
    TopologyRevision.Change.IMPORT: _("Imported"),
    TopologyRevision.Change.TEMPLATE: _("Edited the template"),
    TopologyRevision.Change.ADD: _("Added %(subject)s"),
    TopologyRevision.Change.EDIT: _("Edited %(subject)s"),
    TopologyRevision.Change.DELETE: _("Deleted %(subject)s"),
    TopologyRevision.Change.RESTORE: _("Restored revision %(subject)s"),
}


# Who else may watch (see, stop, change) a learner's runs: each rule maps a user to the
# learners they supervise (a QuerySet of users). Site-wide apps register here from their
# AppConfig.ready() (an instructor: the learners of their classes); labs never imports them.
run_watchers: list[Callable[[User], models.QuerySet[Any]]] = []


class LabRunQuerySet(models.QuerySet["LabRun"]):
    def visible_to(self, user: User | AnonymousUser) -> LabRunQuerySet:
        """A learner sees their own runs, their instructors their learners'; staff all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        mine = Q(owner=user)
        for watched in run_watchers:
            mine |= Q(owner__in=watched(user))
        return self.filter(mine)


class LabRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        STARTING = "starting", _("starting")
        RUNNING = "running", _("running")
        STOPPING = "stopping", _("stopping")
        FINISHED = "finished", _("finished")
        FAILED = "failed", _("failed")

    # A worker owns the run in these states and must keep beating.
    WORKER_STATES = (State.STARTING, State.RUNNING, State.STOPPING)
    ACTIVE_STATES = (State.QUEUED, *WORKER_STATES)
    FINAL_STATES = (State.FINISHED, State.FAILED)

    topology = models.ForeignKey(
        Topology, verbose_name=_("topology"), on_delete=models.CASCADE, related_name="runs"
    )
    # The template exactly as the run started it: the worker, the run page, control
    # commands and the access log read this, so editing the topology afterwards never
    # changes what a live or finished run is.
    document = models.TextField(_("CloudFormation template"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="lab_runs",
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    # A code, not a sentence (stopped, time-limit, worker-lost, ...): labs.messages
    # translates it for whoever is looking.
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    clock_speed = models.FloatField(_("lab clock speed"), default=10.0)
    rps = models.FloatField(
        _("requests per second"),
        null=True,
        blank=True,
        help_text=_("Empty: the topology's own rate."),
    )
    duration_limit = models.PositiveIntegerField(_("time limit (seconds)"), default=600)
    control_channel = models.CharField(_("control channel"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # Set by a stop request; the worker's heartbeat reads it, so a run stops even when
    # the control channel's message never arrives (a Redis outage, say).
    stop_requested_at = models.DateTimeField(_("stop requested"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # lab.summary() of labs.runtime.orchestrator.LabRuntime, saved when the run ends:
    # {"requests": {"<target ip:port>": n, ...}, "status_codes": {"200": n, ...}, ...}
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    # A finished run's read-only link (labs.services.stories.share_run): unguessable, and
    # null while the run is not shared, so revoking it is clearing it.
    share_token = models.CharField(
        _("share token"), max_length=64, null=True, blank=True, unique=True, editable=False
    )

    objects = LabRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("lab run")
        verbose_name_plural = _("lab runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="labrun_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.topology} #{self.pk}"

    @property
    def group_name(self) -> str:
        """The channel-layer group that carries this run's events (DESIGN.md)."""
        return f"run.{self.pk}"

    @staticmethod
    def summary_group(owner_id: int) -> str:
        """The group that carries the summary of every run of one learner: ``run.status``,
        ``metrics`` (once a second) and ``fault`` events, never ``request`` or ``flow``.
        Messages: ``{"type": "runs.summary", "run": <pk>, "owner": <id>, "events": [...]}``.
        A class's dashboard listens here: it follows a whole class without every request.
        """
        return f"runs.owner.{owner_id}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    def lab_seconds(self, now: datetime | None = None) -> float:
        """Lab-clock seconds since the run started (until it ended): a status event's ``t``."""
        if self.started_at is None:
            return 0.0
        # An ended run's clock stopped when it ended, however long ago that was.
        end = self.ended_at or now or timezone.now()
        elapsed = (end - self.started_at).total_seconds()
        return round(max(elapsed, 0.0) * self.clock_speed, 3)


class RunAccessLog(models.Model):
    """A run's ALB access log (one line per request, AWS's format), gzipped: the download.

    A table of its own rather than a column of LabRun: a log runs to megabytes, and run
    lists, status checks and heartbeats read LabRun rows all the time.
    """

    run = models.OneToOneField(
        LabRun,
        verbose_name=_("lab run"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="access_log",
    )
    # As AWS names its log files (see labs.services.runs.access_log_file_name).
    file_name = models.CharField(_("file name"), max_length=255)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    data = models.BinaryField(_("log (gzip)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("access log")
        verbose_name_plural = _("access logs")

    def __str__(self) -> str:
        return self.file_name


class RunRecording(models.Model):
    """A run's story: the events it streamed (labs.engine.recording), gzipped JSON lines.

    Written once by the worker as the run ends, beside the access log and for the same
    reasons a table of its own: it runs to megabytes and is read only by the replay.
    ``events`` is how many it keeps; past LAB_RUN_RECORDED_EVENTS the request and flow
    events are counted in ``omitted_requests`` and ``omitted_flows`` instead.
    """

    run = models.OneToOneField(
        LabRun,
        verbose_name=_("lab run"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="recording",
    )
    events = models.PositiveIntegerField(_("events"), default=0)
    omitted_requests = models.PositiveIntegerField(_("request events left out"), default=0)
    omitted_flows = models.PositiveIntegerField(_("flow events left out"), default=0)
    data = models.BinaryField(_("events (gzip)"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("run recording")
        verbose_name_plural = _("run recordings")

    def __str__(self) -> str:
        return f"{self.run}: {self.events} events"
