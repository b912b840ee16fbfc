import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from labs import cfn
from labs.models import Topology
from tests.factories import DEMO_TEMPLATE, STARTERS, make_topology

BROKEN = DEMO_TEMPLATE.replace("Port: 80\n      DefaultActions", "Port: 0\n      DefaultActions")


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "topology", *args],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_exits_0_for_a_valid_template():
    result = _manage("validate", str(STARTERS / "basic-alb.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(": valid\n")


def test_validate_exits_2_with_one_line_per_problem(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    result = _manage("validate", str(broken))
    assert result.returncode == 2
    with pytest.raises(cfn.TemplateError) as raised:
        cfn.load_topology(BROKEN)
    assert result.stdout.splitlines() == [str(problem) for problem in raised.value.problems]
    assert result.stdout.startswith("HttpListener.Properties.Port: ")


def test_import_makes_the_owners_topology_with_a_first_revision(learner, tmp_path: Path):
    out = io.StringIO()
    call_command(
        "topology", "import", str(STARTERS / "basic-alb.yaml"), "--owner", "learner", stdout=out
    )
    topology = Topology.objects.get(owner=learner, slug="basic-alb")
    assert topology.title_ko == "두 가용 영역의 기본 ALB"
    assert topology.revisions.get().change == "import"
    call_command(
        "topology",
        "import",
        str(STARTERS / "basic-alb.yaml"),
        "--owner",
        "learner",
        "--name",
        "demo",
        stdout=out,
    )
    assert Topology.objects.filter(owner=learner, slug="demo").exists()


def test_importing_again_adds_a_revision(learner):
    path = str(STARTERS / "basic-alb.yaml")
    call_command("topology", "import", path, "--owner", "learner", stdout=io.StringIO())
    call_command("topology", "import", path, "--owner", "learner", stdout=io.StringIO())
    assert Topology.objects.get(owner=learner).revisions.count() == 2


def test_an_invalid_import_saves_nothing(learner, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("topology", "import", str(broken), "--owner", "learner", stdout=out)
    assert raised.value.returncode == 2
    assert "HttpListener.Properties.Port: " in out.getvalue()
    assert not Topology.objects.exists()


def test_import_needs_a_real_owner(db):
    with pytest.raises(CommandError, match="no user called nobody"):
        call_command("topology", "import", str(STARTERS / "basic-alb.yaml"), "--owner", "nobody")


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_prints_the_template_in_either_format(db, fmt):
    make_topology(slug="basic-alb")
    out = io.StringIO()
    call_command("topology", "export", "basic-alb", "--format", fmt, stdout=out)
    assert cfn.parse_document(out.getvalue()) == cfn.parse_document(DEMO_TEMPLATE)
    assert out.getvalue().lstrip().startswith("{") == (fmt == "json")


def test_export_of_a_learners_topology_names_the_owner(learner):
    make_topology(owner=learner, slug="mine")
    out = io.StringIO()
    call_command("topology", "export", "mine", "--owner", "learner", stdout=out)
    assert "AWS::ElasticLoadBalancingV2::Listener" in out.getvalue()
    with pytest.raises(CommandError, match="no starter topology called mine"):
        call_command("topology", "export", "mine")
