"""Replay: the run page's view at any event of a recording, as checkpoints of RunView.

A page steps, scrubs and replays a recorded run by drawing the checkpoint at or before the
event it wants (as a ``snapshot``) and then the events after it, through the same code that
draws live events. Checkpoints are the engine's own ``RunView`` folded over the recording,
every ``EVERY`` events, so the view at event *n* is exactly what a page that connected
right after it would have been sent; no second definition of the view lives in the page.

A checkpoint names events by their index in the recording instead of copying them::

    {"at": n,            # the view after events[0:n]
     "t": 12.5,          # lab seconds of events[n-1] (0 for the first checkpoint)
     "counts": {...},    # RunView.counts
     "requests": [i, ...], "health": [i, ...], "flows": [i, ...], "faults": [i, ...],
     "consoles": [i, ...], "tls_errors": [i, ...],
     "metrics": k}       # the charts' series: the last k `metrics` events before n
"""

from __future__ import annotations

from typing import Any

from .events import Wire
from .snapshot import RunView

EVERY = 100  # events between checkpoints: a step back draws at most this many


def checkpoints(events: list[Wire], every: int = EVERY) -> list[dict[str, Any]]:
    """A checkpoint before the first event and after every ``every``-th one."""
    if every < 1:
        raise ValueError("checkpoints need at least one event between them")
    index = {id(event): n for n, event in enumerate(events)}
    view = RunView()
    found = [_checkpoint(view, 0, 0.0, index)]
    for n, event in enumerate(events, 1):
        view.fold([event])
        if n % every == 0:
            found.append(_checkpoint(view, n, float(event.get("t", 0.0)), index))
    return found


def _checkpoint(view: RunView, at: int, t: float, index: dict[int, int]) -> dict[str, Any]:
    snapshot = view.snapshot(t, 0.0)

    def where(kept: list[Wire] | None) -> list[int]:
        return [index[id(event)] for event in kept or ()]

    return {
        "at": at,
        "t": round(t, 3),
        "counts": snapshot.counts,
        "requests": where(snapshot.requests),
        "health": where(snapshot.health),
        "flows": where(snapshot.flows),
        "faults": where(snapshot.faults),
        "consoles": where(snapshot.consoles),
        "tls_errors": where(snapshot.tls_errors),
        "metrics": len(snapshot.series["metrics"]),
    }
