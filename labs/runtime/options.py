"""What a run is asked to do: how long, how fast, and which traffic."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptedRequest:
    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    client_ip: str | None = None
    client: str | None = None
    lb: str | None = None
    wait: float = 0.0  # lab-clock seconds to wait before sending


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    duration: float = 600.0  # wall-clock seconds
    clock_speed: float = 10.0  # lab seconds per wall second
    rps: float | None = None  # None: the topology's Traffic.rps
    requests: tuple[ScriptedRequest, ...] | None = None  # replaces generated traffic
    hold: bool = False  # after the scripted requests, run on until stopped (lab run --script)
    seed: int | None = None
    max_rps: float = 200.0  # the highest rate a traffic command may set
    extra: dict[str, Any] = field(default_factory=dict)
