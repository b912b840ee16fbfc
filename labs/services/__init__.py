"""Every write goes through here: topologies and their revisions, and lab runs.

Views, tasks, consumers, commands and tests call the same functions (STYLE.md §5).
"""

from .runs import (
    ACCESS_LOG_MAX_LINES,
    MAX_CLOCK_SPEED,
    MIN_CLOCK_SPEED,
    Beat,
    access_log_file_name,
    beat,
    checked_command,
    claim_run,
    control_run,
    fail_stale_runs,
    finish_run,
    publish,
    queue_position,
    save_access_log,
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
    "ACCESS_LOG_MAX_LINES",
    "MAX_CLOCK_SPEED",
    "MIN_CLOCK_SPEED",
    "Beat",
    "Change",
    "DocumentError",
    "access_log_file_name",
    "beat",
    "checked_command",
    "claim_run",
    "control_run",
    "create_topology",
    "fail_stale_runs",
    "finish_run",
    "fork_topology",
    "free_slug",
    "publish",
    "queue_position",
    "restore_revision",
    "save_access_log",
    "save_document",
    "set_state",
    "start_run",
    "status_event",
    "stop_run",
]
