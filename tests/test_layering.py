"""Which way imports flow (STYLE.md §1), checked by walking the source with ``ast``.

``labs.engine`` is pure: the standard library and itself, no I/O, no clock, no global
randomness. ``labs.runtime`` wraps it in asyncio and never reaches into Django, Channels,
Celery or the Django side of ``labs``. A violation names the file, the line and the import.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Standard-library modules the engine still may not use: I/O and event loops.
ENGINE_FORBIDDEN_STDLIB = {"asyncio", "socket", "selectors", "ssl", "subprocess", "threading"}
# Clock reads: time is an argument (lab-clock seconds), never read inside the engine.
CLOCK_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}
RUNTIME_FORBIDDEN = (
    "django",
    "channels",
    "celery",
    "daphne",
    "labs.models",
    "labs.services",
    "labs.tasks",
    "labs.consumers",
    "labs.views",
    "labs.forms",
    "labs.admin",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> str:
    module = _module_name(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(tree: ast.AST, package: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, absolute module, imported names) for every import, relative ones resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module, tuple(alias.name for alias in node.names)))
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def engine_violations(source: str, path: str, package: str) -> list[str]:
    tree = ast.parse(source, filename=path)
    problems = []
    for line, module, names in _imports(tree, package):
        top = module.split(".")[0]
        where = f"{path}:{line}: imports {module}"
        if _within(module, "labs.engine") or top == "__future__":
            continue
        if top not in sys.stdlib_module_names or top in ENGINE_FORBIDDEN_STDLIB:
            problems.append(f"{where} (the engine imports the standard library and itself only)")
        elif top == "random" and set(names) - {"Random"}:
            problems.append(
                f"{where} {', '.join(names)} (module-level random: take a random.Random argument)"
            )
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        owner, attribute = node.value.id, node.attr
        if owner == "random" and attribute != "Random":
            problems.append(
                f"{path}:{node.lineno}: uses random.{attribute} (module-level "
                "random: take a random.Random argument)"
            )
        if (owner, attribute) in CLOCK_CALLS:
            problems.append(
                f"{path}:{node.lineno}: reads the clock with {owner}.{attribute} "
                "(time is an argument)"
            )
    return problems


def runtime_violations(source: str, path: str, package: str) -> list[str]:
    tree = ast.parse(source, filename=path)
    problems = []
    for line, module, names in _imports(tree, package):
        # `from labs import models` names the module among the imported names.
        candidates = [module, *(f"{module}.{name}" for name in names)]
        if any(_within(c, forbidden) for c in candidates for forbidden in RUNTIME_FORBIDDEN):
            problems.append(
                f"{path}:{line}: imports {module} (the runtime never imports "
                "Django, Channels, Celery or the Django side of labs)"
            )
    return problems


def _check(directory: str, check) -> list[str]:
    problems = []
    files = sorted((ROOT / directory).rglob("*.py"))
    assert files, f"no Python files under {directory}"
    for path in files:
        problems += check(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), _package(path)
        )
    return problems


def test_the_engine_imports_only_the_standard_library_and_itself():
    assert _check("labs/engine", engine_violations) == []


def test_the_runtime_never_imports_django_channels_celery_or_the_django_side_of_labs():
    assert _check("labs/runtime", runtime_violations) == []


# The checks themselves: each must catch what it exists to catch.
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import django", "x.py:1: imports django"),
        ("from django.db import models", "x.py:1: imports django.db"),
        ("import asyncio", "x.py:1: imports asyncio"),
        ("import socket", "x.py:1: imports socket"),
        ("import yaml", "x.py:1: imports yaml"),
        ("from labs.runtime import clock", "x.py:1: imports labs.runtime"),
        ("from ..runtime.clock import LabClock", "x.py:1: imports labs.runtime.clock"),
        ("from labs import cfn", "x.py:1: imports labs"),
        ("def f():\n    import channels", "x.py:2: imports channels"),
        ("import time\nt = time.time()", "x.py:2: reads the clock with time.time"),
        ("from datetime import datetime\nt = datetime.now()", "x.py:2: reads the clock with"),
        ("import random\nx = random.choice([1])", "x.py:2: uses random.choice"),
        ("from random import choice", "x.py:1: imports random choice"),
    ],
)
def test_the_engine_check_names_the_file_and_the_forbidden_import(source, expected):
    problems = engine_violations(source, "x.py", "labs.engine")

    assert len(problems) == 1
    assert problems[0].startswith(expected)


@pytest.mark.parametrize(
    "source",
    [
        "import ipaddress\nfrom dataclasses import dataclass",
        "from .spec import Target\nfrom . import health",
        "from labs.engine.spec import Target",
        "from __future__ import annotations",
        "import random\ndef f(rng: random.Random) -> None: ...",
        "from random import Random",
        "from datetime import UTC, datetime\nx = datetime.fromtimestamp(0, UTC)",
    ],
)
def test_the_engine_check_lets_the_standard_library_and_the_engine_through(source):
    assert engine_violations(source, "x.py", "labs.engine") == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import django.conf", "x.py:1: imports django.conf"),
        ("from channels.layers import get_channel_layer", "x.py:1: imports channels.layers"),
        ("import celery", "x.py:1: imports celery"),
        ("from labs.models import LabRun", "x.py:1: imports labs.models"),
        ("from labs import services", "x.py:1: imports labs"),
        ("from ..tasks import run_lab", "x.py:1: imports labs.tasks"),
    ],
)
def test_the_runtime_check_names_the_file_and_the_forbidden_import(source, expected):
    problems = runtime_violations(source, "x.py", "labs.runtime")

    assert len(problems) == 1
    assert problems[0].startswith(expected)


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio\nimport httptools",
        "from labs.engine import health",
        "from .clock import LabClock",
        "import time\nt = time.time()",
    ],
)
def test_the_runtime_check_lets_asyncio_and_the_engine_through(source):
    assert runtime_violations(source, "x.py", "labs.runtime") == []


def test_labs_never_imports_the_site_wide_apps():
    """DESIGN.md's layout: playground's apps (accounts, quizzes) build on labs, not back.
    ``labs/bench`` is no part of the app: its site benchmarks start the whole site
    (playground.devserver) from outside, as ``make run`` does."""
    problems = []
    bench = ROOT / "labs" / "bench"
    for path in sorted((ROOT / "labs").rglob("*.py")):
        if bench in path.parents:
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            problems += [
                f"{path.relative_to(ROOT)}:{node.lineno}: imports {name}"
                for name in names
                if name.startswith("playground.") and name != "playground.settings"
            ]
    assert problems == []
