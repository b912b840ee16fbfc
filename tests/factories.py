"""Keyword-override factories: each makes a valid row; tests say only what matters."""

from itertools import count
from pathlib import Path

from django.contrib.auth import get_user_model

from labs.models import LabRun, Topology
from playground.accounts import roles

STARTERS = Path(__file__).resolve().parent.parent / "labs" / "starters"
DEMO_TEMPLATE = (STARTERS / "basic-alb.yaml").read_text(encoding="utf-8")
PASSWORD = "a-test-pass-123"

_numbers = count(1)


def make_user(username: str | None = None, *, role: str | None = None, **fields):
    username = username or f"user-{next(_numbers)}"
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    if role:
        roles.add_role(user, role)
    return user


def make_topology(**fields) -> Topology:
    number = next(_numbers)
    defaults = {
        "slug": f"topology-{number}",
        "title_en": f"Topology {number}",
        "title_ko": f"토폴로지 {number}",
        "description_en": "Three targets behind an ALB.",
        "description_ko": "ALB 뒤의 대상 세 개.",
        "document": DEMO_TEMPLATE,
    }
    return Topology.objects.create(**{**defaults, **fields})


def make_run(**fields) -> LabRun:
    if "topology" not in fields:
        fields["topology"] = make_topology()
    if "owner" not in fields:
        fields["owner"] = make_user(role=roles.LEARNER)
    fields.setdefault("document", fields["topology"].document)  # as start_run copies it
    return LabRun.objects.create(**fields)
