"""Ending tasks for certain: a run's tasks must never outlive the run.

Cancelling a task once is not enough on Python 3.11: ``asyncio.wait_for`` (which
redis-py uses around every command) can swallow a cancellation that arrives as the
awaited call completes, and the task carries on as if nothing happened. So a task is
cancelled again and again until it is done, up to a deadline; what still runs after the
deadline is handed back, for the owner to log and to tear its loop down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

RECANCEL_SECONDS = 0.05  # how long a cancelled task gets before it is cancelled again


async def cancel_until_done(
    tasks: Iterable[asyncio.Task[Any]], within: float
) -> set[asyncio.Task[Any]]:
    """Cancel ``tasks`` until each is done, for at most ``within`` seconds.

    Returns:
        The tasks still running at the deadline (empty when all ended). Exceptions of the
        ended ones are retrieved here, so nothing is reported as "never retrieved".
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    pending = {task for task in tasks if task is not asyncio.current_task()}
    while True:
        pending = {task for task in pending if not _settled(task)}
        if not pending or loop.time() >= deadline:
            return pending
        for task in pending:
            task.cancel()
        timeout = min(RECANCEL_SECONDS, max(deadline - loop.time(), 0))
        await asyncio.wait(pending, timeout=timeout)


def _settled(task: asyncio.Task[Any]) -> bool:
    if not task.done():
        return False
    if not task.cancelled():
        task.exception()  # marks it retrieved; the owner logs what matters itself
    return True
