"""A run's story: the events it streamed, kept for its page once it has ended (replay).

The worker hands every batch to ``Recorder.add`` as it sends it. Events are written as JSON
lines into a gzip stream as they come, so a long run costs the worker the recording's
compressed size, not its dicts; ``data()`` closes the stream once, at the run's end.

A recording is bounded by ``limit`` events. Past it, ``request`` and ``flow`` events are
left out and counted (``omitted``), while every other event is still kept: each second's
``metrics`` (the charts and their exact counts), every ``health`` change and ``fault``.
Those grow with the run's length, not its traffic, so the bound holds the recording to
about ``limit`` events whatever the traffic was.

While the run goes on, ``so_far()`` gives what is recorded yet, readable as it is (a gzip
stream flushed but not ended): the worker saves it now and then, so a worker that dies
mid-run leaves its run's story up to its last save. ``read`` turns either back into
events, in the order they were streamed.
"""

from __future__ import annotations

import json
import zlib
from collections import Counter

from .events import Wire

# What is left out past the limit: the events that grow with traffic.
DROPPABLE = frozenset({"request", "flow"})
_GZIP = 31  # zlib's wbits for a gzip container (gzip.decompress reads it)


class Recorder:
    def __init__(self, *, limit: int) -> None:
        if limit < 0:
            raise ValueError("a recording's limit cannot be negative")
        self.limit = limit
        self.events = 0  # events kept
        self.omitted: Counter[str] = Counter()  # events left out, by type
        self._zip = zlib.compressobj(6, zlib.DEFLATED, _GZIP)
        self._parts: list[bytes] = []
        self._data: bytes | None = None

    def add(self, batch: list[Wire]) -> None:
        """Keep one batch (wire objects, as sent), within the limit."""
        if self._data is not None:
            raise RuntimeError("the recording is closed")
        lines = []
        for event in batch:
            kind = event.get("type", "")
            if self.events >= self.limit and kind in DROPPABLE:
                self.omitted[kind] += 1
                continue
            self.events += 1
            lines.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
        if lines:
            part = self._zip.compress("".join(f"{line}\n" for line in lines).encode("utf-8"))
            if part:
                self._parts.append(part)

    def data(self) -> bytes:
        """The recording as gzip bytes; the recorder takes no more events afterwards."""
        if self._data is None:
            self._parts.append(self._zip.flush())
            self._data = b"".join(self._parts)
            self._parts = []
        return self._data

    def so_far(self) -> bytes:
        """What is recorded so far, for ``read``; the recorder goes on taking events."""
        if self._data is not None:
            return self._data
        self._parts.append(self._zip.flush(zlib.Z_SYNC_FLUSH))
        self._parts = [b"".join(self._parts)]
        return self._parts[0]


def read(data: bytes) -> list[Wire]:
    """The events of a recording (``Recorder.data`` or ``so_far``), in the order added."""
    unzip = zlib.decompressobj(_GZIP)  # unlike gzip.decompress, takes a stream not ended
    text = (unzip.decompress(data) + unzip.flush()).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line]
