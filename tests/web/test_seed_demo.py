import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from labs.models import Topology, TopologyRevision
from playground.accounts import roles
from playground.accounts.management.commands import seed_demo
from tests.factories import DEMO_TEMPLATE


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_accounts_and_prints_their_passwords(db, settings):
    settings.DEMO_CONTENT = True
    output = _seed()
    admin = authenticate(username="admin", password="admin-demo-pass")
    instructor = authenticate(username="instructor", password="instructor-demo-pass")
    learner = authenticate(username="learner", password="learner-demo-pass")
    assert admin.is_superuser and admin.is_staff
    assert roles.has_role(instructor, roles.INSTRUCTOR)
    assert roles.has_role(learner, roles.LEARNER) and not learner.is_staff
    for password in ("admin-demo-pass", "instructor-demo-pass", "learner-demo-pass"):
        assert password in output


def test_it_loads_every_starter_with_its_bilingual_title(db, settings):
    settings.DEMO_CONTENT = True
    _seed()
    demo = Topology.objects.get(slug="basic-alb", owner=None)
    assert demo.title_en == "Basic ALB in two Availability Zones"
    assert demo.title_ko == "두 가용 영역의 기본 ALB"
    assert "AWS::ElasticLoadBalancingV2::LoadBalancer" in demo.document


def test_running_it_twice_changes_nothing(db, settings):
    settings.DEMO_CONTENT = True
    _seed()
    _seed()
    assert Topology.objects.filter(slug="basic-alb").count() == 1
    assert Topology.objects.get(slug="basic-alb").revisions.count() == 1


@pytest.fixture
def starters_dir(db, tmp_path, monkeypatch, settings):
    """A starters directory of the test's own, so it can change a starter between seeds."""
    settings.DEMO_CONTENT = True
    monkeypatch.setattr(seed_demo, "STARTERS_DIR", tmp_path)
    return tmp_path


def test_each_starter_starts_its_history_at_revision_1(starters_dir):
    (starters_dir / "demo.yaml").write_text(DEMO_TEMPLATE, encoding="utf-8")
    _seed()
    revision = Topology.objects.get(slug="demo", owner=None).revisions.get()
    assert (revision.number, revision.change, revision.document) == (1, "create", DEMO_TEMPLATE)


def test_a_changed_starter_file_becomes_the_next_revision(starters_dir):
    starter = starters_dir / "demo.yaml"
    starter.write_text(DEMO_TEMPLATE, encoding="utf-8")
    _seed()
    changed = DEMO_TEMPLATE.replace("HealthCheckPath: /health", "HealthCheckPath: /ping")
    starter.write_text(changed, encoding="utf-8")
    _seed()
    demo = Topology.objects.get(slug="demo", owner=None)
    latest = demo.revisions.first()
    assert demo.document == changed
    assert (latest.number, latest.change, latest.subject) == (2, "import", "demo.yaml")


def test_an_invalid_starter_stops_the_seed_naming_the_problem_and_saves_nothing(starters_dir):
    broken = DEMO_TEMPLATE.replace(
        "Port: 80\n      DefaultActions", "Port: 0\n      DefaultActions"
    )
    (starters_dir / "demo.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        _seed()
    assert "demo.yaml is not a valid topology" in str(raised.value)
    assert "HttpListener.Properties.Port: " in str(raised.value)
    assert not Topology.objects.exists() and not TopologyRevision.objects.exists()


def test_it_refuses_outside_the_local_default(db, settings):
    settings.DEMO_CONTENT = False
    with pytest.raises(CommandError):
        _seed()
    assert not Topology.objects.exists()
