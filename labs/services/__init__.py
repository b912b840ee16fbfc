"""Every write goes through here: topologies and their revisions, and lab runs.

Views, tasks, consumers, commands and tests call the same functions (STYLE.md §5).
"""

from .runs import (
    MAX_CLOCK_SPEED,
    MIN_CLOCK_SPEED,
    beat,
    claim_run,
    fail_stale_runs,
    finish_run,
    publish,
    set_state,
    start_run,
    status_event,
    stop_run,
)
from .topologies import (
    Change,
    DocumentError,
    create_topology,
    fork_topology,
    free_slug,
    restore_revision,
    save_document,
)

__all__ = [
    "MAX_CLOCK_SPEED",
    "MIN_CLOCK_SPEED",
    "Change",
    "DocumentError",
    "beat",
    "claim_run",
    "create_topology",
    "fail_stale_runs",
    "finish_run",
    "fork_topology",
    "free_slug",
    "publish",
    "restore_revision",
    "save_document",
    "set_state",
    "start_run",
    "status_event",
    "stop_run",
]
