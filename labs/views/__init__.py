"""Pages of the lab, by area; the writes live in labs.services."""

from .builder import builder, builder_delete, builder_save, builder_template
from .revisions import revision_diff, revision_list, revision_restore
from .runs import (
    run_access_log,
    run_control,
    run_detail,
    run_start,
    run_stop,
    topology_detail,
    topology_list,
    topology_parameters,
)
from .stories import run_recording, run_share, run_unshare, shared_run_detail, shared_run_recording
from .topologies import topology_fork, topology_new

__all__ = [
    "builder",
    "builder_delete",
    "builder_save",
    "builder_template",
    "revision_diff",
    "revision_list",
    "revision_restore",
    "run_access_log",
    "run_control",
    "run_detail",
    "run_recording",
    "run_share",
    "run_start",
    "run_stop",
    "run_unshare",
    "shared_run_detail",
    "shared_run_recording",
    "topology_detail",
    "topology_fork",
    "topology_list",
    "topology_new",
    "topology_parameters",
]
