"""``manage.py lab run --script``: requests and control steps at lab times, headless.

Every step goes through the run page's command path (services.checked_command, then the
run's Controller); its ``fault`` event says which line it came from (``by: script:N``).
"""

import json
from pathlib import Path

import pytest

from labs.cfn import load_topology, parse_document
from labs.engine import autoscaling
from labs.engine.events import validate
from tests.commands import json_lines, manage

ROOT = Path(__file__).resolve().parents[2]
STARTERS = ROOT / "labs" / "starters"
ASG = STARTERS / "asg-replaces-failed-instance.yaml"
BASIC = STARTERS / "basic-alb.yaml"
pytestmark = pytest.mark.timeout(90)


def run(template: Path, lines: list[dict], tmp_path: Path, *extra: str):
    script = tmp_path / "script.jsonl"
    script.write_text("\n".join(json.dumps(line) for line in lines))
    return manage(
        "lab",
        "--skip-checks",
        "run",
        str(template),
        "--script",
        str(script),
        "--clock",
        "30",
        "--json",
        *extra,
        timeout=80,
    )


def events_of(result) -> list[dict]:
    assert result.returncode == 0, result.stderr
    events = json_lines(result)
    for event in events:
        validate(event)
    return events


def with_check_type(tmp_path: Path, check_type: str) -> Path:
    document = parse_document(ASG.read_text())
    document["Resources"]["WebGroup"]["Properties"]["HealthCheckType"] = check_type
    path = tmp_path / f"asg-{check_type}.json"
    path.write_text(json.dumps(document))
    return path


def ip_of(template: Path, name: str) -> str:
    topology = load_topology(template.read_text())
    return next(i.ip for i in topology.instances if i.name == name)


def test_an_elb_type_group_replaces_the_instance_a_scripted_fault_broke(tmp_path):
    lines = [
        {"at": 35, "do": "fault", "target": "WebGroup-1", "fault": "unhealthy"},
        {"at": 150, "do": "stop"},
    ]
    events = events_of(run(ASG, lines, tmp_path))
    fault = next(e for e in events if e["type"] == "fault")
    assert (fault["by"], fault["mode"]) == ("script:1", "unhealthy")
    web1 = f"{ip_of(ASG, 'WebGroup-1')}:80"
    unhealthy = next(e for e in events if e.get("target") == web1 and e.get("state") == "unhealthy")
    activities = [e for e in events if e["type"] == "autoscaling"]
    assert [a["activity"] for a in activities] == [
        "Terminating",
        "Terminated",
        "Launching",
        "Launched",
    ]
    assert activities[0]["cause"] == autoscaling.ELB_FAILURE
    replacement = f"{activities[3]['target']}:80"
    healthy = next(
        e
        for e in events
        if e["type"] == "health" and e["target"] == replacement and e["state"] == "healthy"
    )
    assert activities[0]["t"] >= unhealthy["t"] > fault["t"]
    assert events[-1]["reason"] == "script-stopped"
    print(f"failure→replacement healthy: {healthy['t'] - unhealthy['t']:.1f} lab s")


def test_an_ec2_type_group_does_not_replace_it(tmp_path):
    template = with_check_type(tmp_path, "EC2")
    lines = [
        {"at": 35, "do": "fault", "target": "WebGroup-1", "fault": "unhealthy"},
        {"at": 150, "do": "stop"},
    ]
    events = events_of(run(template, lines, tmp_path))
    web1 = f"{ip_of(template, 'WebGroup-1')}:80"
    assert any(e.get("target") == web1 and e.get("state") == "unhealthy" for e in events)
    assert not [e for e in events if e["type"] == "autoscaling"]


def test_losing_an_az_moves_every_request_to_the_other_zones_targets(tmp_path):
    lines = [
        {"url": "http://x/"},
        {"at": 5, "do": "az-loss", "az": "us-east-1a"},
        {"url": "http://x/", "wait": 120},
        *[{"url": "http://x/"} for _ in range(6)],
    ]
    events = events_of(run(BASIC, lines, tmp_path))
    fault = next(e for e in events if e["type"] == "fault")
    assert (fault["az"], fault["mode"], fault["by"]) == ("us-east-1a", "stopped", "script:2")
    after = [e for e in events if e["type"] == "request" and e["t"] > 100]
    assert len(after) == 7
    assert {e["target"] for e in after} == {"10.0.2.10:80"}
    assert {e["elb_status_code"] for e in after} == {200}
    assert events[-1]["reason"] == "requests-answered"


@pytest.mark.parametrize(("interval", "threshold"), [(10, 2), (30, 2), (10, 5)])
def test_a_faults_health_events_come_in_order_within_one_interval(tmp_path, interval, threshold):
    document = parse_document(BASIC.read_text())
    props = document["Resources"]["WebTargets"]["Properties"]
    props.update(
        HealthCheckIntervalSeconds=interval,
        HealthCheckTimeoutSeconds=5,
        UnhealthyThresholdCount=threshold,
    )
    template = tmp_path / "basic.json"
    template.write_text(json.dumps(document))
    end = 20 + interval * (threshold + 2)
    lines = [
        {"at": 20, "do": "fault", "target": "Web1", "fault": "unhealthy"},
        {"at": end, "do": "stop"},
    ]
    events = events_of(run(template, lines, tmp_path))
    fault = next(e for e in events if e["type"] == "fault")
    web1 = [
        e
        for e in events
        if e["type"] == "health" and e["target"] == "10.0.1.10:80" and e["t"] >= fault["t"]
    ]
    states = [e["state"] for e in web1]
    first = states.index("unhealthy")
    assert set(states[:first]) <= {"healthy"} and set(states[first:]) == {"unhealthy"}
    took = web1[first]["t"] - fault["t"]
    # The first failed check comes within one interval of the fault, then threshold - 1 more.
    # It may be one already in flight when the fault landed (sent before it, answered during
    # it), so it can have started up to one timeout before the fault.
    timeout = props["HealthCheckTimeoutSeconds"]
    assert interval * (threshold - 1) - timeout <= took <= interval * threshold + 1
    print(f"interval {interval} x threshold {threshold}: fault→unhealthy {took:.1f} lab s")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ({"at": 5, "do": "explode"}, '"do" must be one of'),
        ({"at": -1, "do": "stop"}, '"at" must be a number'),
        ({"at": 5, "do": "fault", "target": "Nope", "fault": "hang"}, "'Nope' is not an instance"),
        ({"at": 5, "do": "fault", "target": "Web1", "fault": "melt"}, "Choose a fault mode"),
        ({"at": 5, "do": "scale", "group": "WebGroup", "desired": 9}, "must be between"),
        (
            {
                "at": 5,
                "do": "sg",
                "security_group": "LoadBalancerSecurityGroup",
                "change": "revoke",
            },
            "Choose a security group of this run's instances: WebSecurityGroup",
        ),
        ({"at": 5, "do": "sg", "security_group": "WebSecurityGroup"}, "Say revoke or authorize"),
    ],
)
def test_a_bad_line_is_named_and_nothing_runs(tmp_path, line, problem):
    template = ASG if line.get("do") == "scale" else BASIC
    result = run(template, [{"url": "http://x/"}, line], tmp_path)
    assert result.returncode == 2
    assert "script.jsonl:2:" in result.stderr and problem in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_launched_instance_is_faulted_by_its_id_and_replaced(tmp_path):
    lines = [
        {"at": 5, "do": "scale", "group": "WebGroup", "desired": 3},
        {"at": 45, "do": "fault", "target": "WebGroup-3", "fault": "stopped"},
        {"at": 120, "do": "stop"},
    ]
    events = events_of(run(ASG, lines, tmp_path))
    launched = next(e for e in events if e["type"] == "autoscaling" and e["activity"] == "Launched")
    assert launched["instance"] == "WebGroup-3"
    fault = next(e for e in events if e["type"] == "fault" and e["action"] == "fault")
    assert (fault["by"], fault["instance"], fault["mode"]) == ("script:2", "WebGroup-3", "stopped")
    assert fault["target"] == f"{launched['target']}:80"
    stopped = next(
        e
        for e in events
        if e["type"] == "health" and e["target"] == fault["target"] and e["state"] == "unused"
    )
    assert stopped["reason"] == "Target.InvalidState"
    terminating = next(
        e
        for e in events
        if e["type"] == "autoscaling"
        and e["activity"] == "Terminating"
        and e["instance"] == "WebGroup-3"
    )
    assert terminating["cause"] == autoscaling.EC2_FAILURE
    assert terminating["t"] >= fault["t"]
