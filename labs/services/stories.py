"""A run's story once it has ended: its recording, the replay built from it, and the
read-only link its owner may share.

The worker records every batch it streams (labs.engine.recording) and saves the recording
here as the run ends; the run page and the shared page read it back through ``story``,
which adds the replay's checkpoints (labs.engine.replay). Sharing is one token on the
run: ``share_run`` sets it, ``unshare_run`` clears it, and nothing else writes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from labs.engine import recording, replay
from labs.engine.recording import Recorder
from labs.models import LabRun, RunRecording

TOKEN_BYTES = 32  # secrets.token_urlsafe: 43 characters, 256 bits


def save_recording(run: LabRun, recording: Recording, *, so_far: bool = False) -> None:
    """Keep the run's recording: the whole of it as the run ends (before its final state),
    or (``so_far``) what it has while it runs, so a worker that dies leaves that much.

    A save of what a run had so far never replaces a later or a final one: saves run in
    the worker's database threads, and one may land after the next.
    """
    fields = {
        "events": recording.events,
        "omitted_requests": recording.omitted.get("request", 0),
        "omitted_flows": recording.omitted.get("flow", 0),
        "data": recording.data,
    }
    if not so_far:
        RunRecording.objects.update_or_create(run=run, defaults=fields)
        return
    with transaction.atomic():
        if RunRecording.objects.filter(run=run, events__lt=recording.events).update(**fields):
            return
        if not RunRecording.objects.filter(run=run).exists():
            RunRecording.objects.create(run=run, **fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A recorder's bytes and counts, read on the run's loop (the recorder is not shared
    with the database threads)."""

    data: bytes
    events: int
    omitted: dict[str, int]

    @classmethod
    def of(cls, recorder: Recorder, *, so_far: bool = False) -> Recording:
        data = recorder.so_far() if so_far else recorder.data()
        return cls(data=data, events=recorder.events, omitted=dict(recorder.omitted))


def story(run: LabRun, *, shared: bool = False) -> dict[str, Any] | None:
    """The replay of an ended run, or None when it has no recording.

    ``{"events": [...], "checkpoints": [...], "omitted": {"request": n, "flow": n},
    "clockSpeed": 10.0}``: events as they were streamed, checkpoints as labs.engine.replay
    shapes them. ``shared``: for the read-only link, so it names no one (a fault's ``by``).
    """
    saved = RunRecording.objects.filter(run=run).first()
    if saved is None:
        return None
    events = recording.read(bytes(saved.data))
    if shared:
        events = [anonymous(event) for event in events]
    return {
        "events": events,
        "checkpoints": replay.checkpoints(events),
        "omitted": {"request": saved.omitted_requests, "flow": saved.omitted_flows},
        "clockSpeed": run.clock_speed,
    }


def anonymous(event: dict[str, Any]) -> dict[str, Any]:
    """An event without who caused it: a shared page shows what happened, not who did."""
    if event.get("type") in ("fault", "console") and "by" in event:
        return {key: value for key, value in event.items() if key != "by"}
    return event


def share_run(user: User, run: LabRun) -> str:
    """Give an ended run a read-only link (the same one if it has one); returns its token.

    Raises:
        PermissionDenied: not the run's owner.
        ValidationError: the run has not ended yet.
    """
    _check_owner(user, run)
    run.refresh_from_db(fields=["state", "share_token"])
    if run.state not in LabRun.FINAL_STATES:
        raise ValidationError(_("Only a run that has ended can be shared."), code="not-ended")
    if run.share_token:
        return run.share_token
    token = secrets.token_urlsafe(TOKEN_BYTES)
    LabRun.objects.filter(pk=run.pk, share_token__isnull=True).update(share_token=token)
    run.refresh_from_db(fields=["share_token"])
    return str(run.share_token)


def unshare_run(user: User, run: LabRun) -> None:
    """Revoke the run's read-only link: whoever has it gets a 404 from now on."""
    _check_owner(user, run)
    LabRun.objects.filter(pk=run.pk).update(share_token=None)
    run.share_token = None


def shared_run(token: str) -> LabRun | None:
    """The ended run this link shares, or None (an unknown or revoked link)."""
    if not token:
        return None
    return (
        LabRun.objects.select_related("topology")
        .filter(share_token=token, state__in=LabRun.FINAL_STATES)
        .first()
    )


def _check_owner(user: User, run: LabRun) -> None:
    if run.owner_id != user.pk:
        raise PermissionDenied(_("Only the run's owner can share it or stop sharing it."))
