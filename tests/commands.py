"""``manage.py`` in a process of its own, as graders and scripts run it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py args`` with its output captured as text and ``env`` added to this
    process's environment; a failure is the caller's to look at."""
    return subprocess.run(  # noqa: S603 - our own manage.py with the caller's arguments
        [sys.executable, str(ROOT / "manage.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **env},
        check=False,
    )


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict]:
    """What a ``--json`` run printed: one event a line."""
    return [json.loads(line) for line in result.stdout.splitlines()]
