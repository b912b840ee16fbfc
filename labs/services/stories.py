"""A run's story once it has ended: its recording, the replay built from it, and the
read-only link its owner may share.

The worker records every batch it streams (labs.engine.recording) and saves the recording
here as the run ends; the run page and the shared page read it back through ``story``,
which adds the replay's checkpoints (labs.engine.replay). Sharing is one token on the
run: ``share_run`` sets it, ``unshare_run`` clears it, and nothing else writes it.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from labs.engine import recording, replay
from labs.engine.recording import Recorder
from labs.models import LabRun, RunRecording

TOKEN_BYTES = 32  # secrets.token_urlsafe: 43 characters, 256 bits


def save_recording(run: LabRun, recorder: Recorder) -> RunRecording:
    """Keep the run's recording; the worker calls it as the run ends (before its state)."""
    saved, _created = RunRecording.objects.update_or_create(
        run=run,
        defaults={
            "events": recorder.events,
            "omitted_requests": recorder.omitted["request"],
            "omitted_flows": recorder.omitted["flow"],
            "data": recorder.data(),
        },
    )
    return saved


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
    if event.get("type") == "fault" and "by" in event:
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
