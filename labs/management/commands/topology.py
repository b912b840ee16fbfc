"""Topologies from the command line: validate a template, import one, export one.

    manage.py topology validate FILE            exit 0, or 2 with one line per problem
    manage.py topology import FILE --owner USERNAME [--name SLUG]
    manage.py topology export NAME --format yaml|json [--owner USERNAME]

Problems print as ``LogicalId.Properties.Path: Code: message``, the words the web
builder shows. Import and export go through the same services as the builder.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TypedDict

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from labs import cfn, editing, services
from labs.management.commands.lab import parameter
from labs.models import Topology

PROBLEMS_EXIT = 2


class Command(BaseCommand):
    help = "Validate, import or export a topology's CloudFormation template."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        validate = actions.add_parser("validate", help="Check a template; exit 2 on problems.")
        validate.add_argument("file", type=Path)
        validate.add_argument(
            "--parameter",
            action="append",
            default=[],
            type=parameter,
            metavar="KEY=VALUE",
            help="a template parameter's value (repeatable)",
        )
        load = actions.add_parser("import", help="Save a template as a user's topology.")
        load.add_argument("file", type=Path)
        load.add_argument("--owner", required=True, help="username of the new owner")
        load.add_argument("--name", help="the topology's name (slug); default: the file's")
        dump = actions.add_parser("export", help="Print a topology's template.")
        dump.add_argument("name", help="the topology's name (slug)")
        dump.add_argument("--format", choices=("yaml", "json"), default="yaml")
        dump.add_argument("--owner", help="username; default: the starter of that name")

    def handle(self, *args: Any, **options: Any) -> None:
        {"validate": self.validate, "import": self.load, "export": self.dump}[options["action"]](
            options
        )

    def validate(self, options: dict[str, Any]) -> None:
        text = _read(options["file"])
        try:
            cfn.load_topology(text, parameters=dict(options["parameter"]))
        except cfn.TemplateError as error:
            for problem in error.problems:
                self.stdout.write(str(problem))
            raise CommandError(
                f"{options['file']}: {len(error.problems)} problem(s)", returncode=PROBLEMS_EXIT
            ) from None
        self.stdout.write(f"{options['file']}: valid")

    def load(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        text = _read(path)
        owner = _user(options["owner"])
        slug = options["name"] or slugify(path.stem)
        existing = Topology.objects.filter(owner=owner, slug=slug).first()
        try:
            if existing:
                revision = services.save_document(
                    owner, existing, text, change=services.Change.IMPORT, subject=path.name
                )
                self.stdout.write(f"{slug}: revision {revision.number} imported from {path}")
                return
            services.create_topology(
                owner,
                slug=slug,
                document=text,
                change=services.Change.IMPORT,
                **_titles(text, slug),
            )
        except services.DocumentError as error:
            for problem in error.problems:
                self.stdout.write(str(problem))
            raise CommandError(
                f"{path}: {len(error.problems)} problem(s); nothing imported",
                returncode=PROBLEMS_EXIT,
            ) from None
        self.stdout.write(f"{slug}: imported from {path} for {owner.get_username()}")

    def dump(self, options: dict[str, Any]) -> None:
        owner = _user(options["owner"]) if options["owner"] else None
        topology = Topology.objects.filter(owner=owner, slug=options["name"]).first()
        if topology is None:
            whose = f"{options['owner']}'s" if owner else "starter"
            raise CommandError(f"There is no {whose} topology called {options['name']}.")
        document = cfn.parse_document(topology.document)
        writer = editing.dump_json if options["format"] == "json" else editing.dump_yaml
        self.stdout.write(writer(document), ending="")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"There is no user called {username}.")
    return user


class Titles(TypedDict):
    title_en: str
    title_ko: str
    description_en: str
    description_ko: str


def _titles(text: str, slug: str) -> Titles:
    """Bilingual title and description from Metadata.Playground, else the name."""
    try:
        metadata = cfn.template_metadata(text)
    except cfn.TemplateError:
        metadata = {}
    title = metadata.get("Title")
    title = title if isinstance(title, dict) else {}
    description = metadata.get("Description")
    description = description if isinstance(description, dict) else {}
    return {
        "title_en": str(title.get("en") or slug)[:200],
        "title_ko": str(title.get("ko") or "")[:200],
        "description_en": str(description.get("en") or ""),
        "description_ko": str(description.get("ko") or ""),
    }
