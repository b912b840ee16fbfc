import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from labs.models import Topology
from playground.accounts import roles


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


def test_it_refuses_outside_the_local_default(db, settings):
    settings.DEMO_CONTENT = False
    with pytest.raises(CommandError):
        _seed()
    assert not Topology.objects.exists()
