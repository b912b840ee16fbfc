"""``manage.py quiz export --format json|csv`` (to stdout) and ``quiz import FILE``.

An import with any bad row prints every problem with its line to stderr, imports
nothing and exits with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from playground.quizzes.bank import BankError, export_csv, export_json, import_text


class Command(BaseCommand):
    help = "Export the quiz bank to stdout, or import a bank file (JSON or CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Write the bank to stdout.")
        export.add_argument("--format", choices=["json", "csv"], default="json")
        load = actions.add_parser("import", help="Import a bank file: all or nothing.")
        load.add_argument("file", help="A .json or .csv file; - reads stdin.")
        load.add_argument("--format", choices=["json", "csv"], default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            text = export_json() if options["format"] == "json" else export_csv()
            self.stdout.write(text, ending="")
            return
        self._import(options["file"], options["format"])

    def _import(self, name: str, fmt: str | None) -> None:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {name}: {error}", returncode=2) from error
        try:
            report = import_text(text, fmt, name=name)
        except BankError as error:
            for line, message in error.problems:
                self.stderr.write(f"{name}:{line}: {message}")
            raise CommandError(
                f"{len(error.problems)} problem(s) in {name}; nothing was imported.",
                returncode=2,
            ) from error
        self.stdout.write(
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged."
        )
