"""Django's ORM from an event loop (a run's loop, a consumer's), typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar, cast

from channels.db import database_sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def in_db_thread(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """``database_sync_to_async`` (a thread, stale connections closed) with the type that
    channels, shipping no stubs, leaves out."""
    return cast(Callable[P, Awaitable[R]], database_sync_to_async(function))
