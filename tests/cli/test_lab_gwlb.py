"""``manage.py lab run`` on the GWLB starter: real packets through real appliances."""

from collections import Counter

import pytest

from labs.engine import events as contract
from tests.commands import json_lines

from .test_lab_command import ROOT, lab

pytestmark = pytest.mark.timeout(60)


def test_the_gwlb_starter_runs_and_prints_a_flow_event_per_inspected_packet():
    result = lab(str(ROOT / "labs/starters/gwlb-appliances.yaml"), "--duration", "3", "--json")
    assert result.returncode == 0, result.stderr
    events = json_lines(result)
    for event in events:
        contract.validate(event)
    flows = [e for e in events if e["type"] == "flow"]
    assert flows
    assert Counter(e["state"] for e in flows) == {"delivered": len(flows)}
    assert {e["verdict"] for e in flows} == {"allow"}
    assert {e["target"] for e in flows} <= {"10.0.1.10:6081", "10.0.1.11:6081", "10.0.2.10:6081"}
    zones = {"10.0.1.10:6081": "us-east-1a", "10.0.1.11:6081": "us-east-1a"}
    assert all(zones.get(e["target"], "us-east-1b") == e["node_az"] for e in flows)  # own zone
    (finished,) = [e for e in events if e["type"] == "run.status" and e["state"] == "finished"]
    assert finished["summary"]["packets"] == {"delivered": len(flows)}
