"""Demo accounts and the starter topologies, for the local default only (DEMO_CONTENT)."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

import labs
from labs import services
from labs.cfn import template_metadata
from labs.models import Topology
from playground.accounts import roles

STARTERS_DIR = Path(labs.__file__).resolve().parent / "starters"

# Fixed on purpose: the README and `make run` print them, and they only exist when
# DEMO_CONTENT is on (DEBUG), never on a production settings path.
DEMO_ACCOUNTS = (
    # username, password, role, is_staff/superuser
    ("admin", "admin-demo-pass", None, True),
    ("instructor", "instructor-demo-pass", roles.INSTRUCTOR, False),
    ("learner", "learner-demo-pass", roles.LEARNER, False),
)


class Command(BaseCommand):
    help = "Create the demo accounts and load labs/starters/*.yaml (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_CONTENT:
            raise CommandError("Demo content is off (DEMO_CONTENT is False); nothing created.")
        with transaction.atomic():
            for username, password, role, is_admin in DEMO_ACCOUNTS:
                self._ensure_account(username, password, role, is_admin)
            for path in sorted(STARTERS_DIR.glob("*.yaml")):
                self._ensure_starter(path)

    def _ensure_account(
        self, username: str, password: str, role: str | None, is_admin: bool
    ) -> None:
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.is_staff = user.is_superuser = is_admin
            user.save()
        if role:
            roles.add_role(user, role)
        if created:
            self.stdout.write(f"account {username} / password {password} (created)")
        else:
            self.stdout.write(f"account {username} exists (password unchanged; demo: {password})")

    def _ensure_starter(self, path: Path) -> None:
        document = path.read_text(encoding="utf-8")
        fields = {"document": document, **_metadata_fields(document, path.stem)}
        starter = Topology.objects.filter(owner=None, slug=path.stem).first()
        created = starter is None
        starter = starter or Topology(owner=None, slug=path.stem)
        for name, value in fields.items():
            setattr(starter, name, value)
        try:
            services.save_topology(None, starter, change=services.Change.IMPORT, subject=path.name)
        except services.DocumentError as error:
            problems = "\n".join(error.messages)
            raise CommandError(f"{path.name} is not a valid topology:\n{problems}") from None
        self.stdout.write(f"topology {path.stem} ({'created' if created else 'updated'})")


def _metadata_fields(document: str, fallback_title: str) -> dict[str, str]:
    """Bilingual title and description from Metadata.Playground, else the file name."""
    metadata = template_metadata(document)
    title = metadata.get("Title") or {}
    description = metadata.get("Description") or {}
    return {
        "title_en": title.get("en") or fallback_title,
        "title_ko": title.get("ko", ""),
        "description_en": description.get("en", ""),
        "description_ko": description.get("ko", ""),
    }
