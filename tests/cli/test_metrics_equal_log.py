"""Per-second CloudWatch metrics add up exactly to the access-log lines of the same
seconds, on a run with faults (spec §4.5): the same requests, counted two ways."""

from collections import Counter

import pytest

from .test_lab_script import BASIC, events_of, run

pytestmark = pytest.mark.timeout(90)


def counted(lines: list[str]) -> Counter:
    """CloudWatch's per-LB counts, read back from ALB access-log lines."""
    out: Counter = Counter()
    for line in lines:
        fields = line.split(" ")
        target, elb_status, target_status = fields[4], fields[8], fields[9]
        if target != "-":
            out["RequestCount"] += 1
        if elb_status.startswith("5") and (target_status == "-" or elb_status != target_status):
            out["HTTPCode_ELB_5XX_Count"] += 1
        if target_status != "-":
            out[f"HTTPCode_Target_{target_status[0]}XX_Count"] += 1
    return out


def test_each_seconds_metrics_equal_that_seconds_access_log_lines(tmp_path):
    lines = [
        {"at": 5, "do": "fault", "target": "Web1", "fault": "5xx"},
        {"at": 15, "do": "fault", "target": "Web2", "fault": "reset"},
        {"at": 90, "do": "stop"},
    ]
    events = events_of(run(BASIC, lines, tmp_path, "--rps", "40"))
    names = ("RequestCount", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_2XX_Count")
    names += ("HTTPCode_Target_5XX_Count",)
    windows: list[tuple[Counter, Counter]] = []
    pending: list[str] = []
    for event in events:
        if event["type"] == "request":
            pending.append(event["log"])
        elif event["type"] == "metrics":
            sums = event["load_balancers"].get("LoadBalancer", {})
            windows.append((Counter({n: int(sums.get(n, 0)) for n in names}), +counted(pending)))
            pending = []
    assert not pending or not any(counted(pending).values())
    for metric, log in windows:
        assert +metric == log
    total = sum((log for _, log in windows), Counter())
    print(f"metrics = log over {len(windows)} windows: {dict(total)}")
    assert total["HTTPCode_Target_5XX_Count"] > 0 and total["HTTPCode_ELB_5XX_Count"] > 0
