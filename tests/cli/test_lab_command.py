"""``manage.py lab run``: the headless run graders and scripts use."""

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from labs.cfn import parse_document
from tests.commands import json_lines, manage

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "labs" / "starters" / "basic-alb.yaml"
pytestmark = pytest.mark.timeout(60)


def lab(*args: str) -> subprocess.CompletedProcess[str]:
    return manage("lab", "run", *args)


def test_it_prints_json_lines_with_requests_spread_over_all_three_targets():
    # 5 s: a target whose first check was slow on a busy machine is in service by its
    # second (3 s in, at 10x), with time left to get requests.
    result = lab(str(STARTER), "--duration", "5", "--rps", "30", "--json")
    assert result.returncode == 0, result.stderr
    events = json_lines(result)
    assert {e["type"] for e in events} >= {"run.status", "request", "health", "metrics"}
    assert all("t" in e for e in events)
    per_target = Counter(e["target"] for e in events if e["type"] == "request")
    assert set(per_target) == {"10.0.1.10:80", "10.0.1.11:80", "10.0.2.10:80"}
    states = [e["state"] for e in events if e["type"] == "run.status"]
    assert states == ["starting", "running", "stopping", "finished"]


def test_it_sends_exactly_the_given_requests_and_ends_when_they_are_answered(tmp_path):
    script = tmp_path / "requests.jsonl"
    script.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "url": "http://one.example.com/users?id=1",
                    "client": "a",
                    "client_ip": "203.0.113.9",
                },
                {
                    "url": "http://other.example.com/posts",
                    "method": "POST",
                    "body": "hi",
                    "client": "a",
                },
                {
                    "url": "http://one.example.com/",
                    "headers": {"Host": "given.example.com"},
                    "wait": 2,
                },
            ]
        )
    )
    result = lab(str(STARTER), "--requests", str(script), "--json", "--clock", "20")
    assert result.returncode == 0, result.stderr
    requests = [e for e in json_lines(result) if e["type"] == "request"]
    assert [(r["method"], r["host"], r["path"], r["query"]) for r in requests] == [
        ("GET", "one.example.com", "/users", "id=1"),
        ("POST", "other.example.com", "/posts", ""),
        ("GET", "given.example.com", "/", ""),
    ]
    assert requests[0]["client_ip"] == requests[1]["client_ip"] == "203.0.113.9"
    assert requests[2]["t"] - requests[1]["t"] >= 2  # "wait" is in lab-clock seconds
    finished = json_lines(result)[-1]
    assert finished["state"] == "finished" and finished["reason"] == "requests-answered"


def test_a_bad_template_exits_2_naming_the_resource_and_the_property(tmp_path):
    document = parse_document(STARTER.read_text())
    document["Resources"]["WebTargets"]["Properties"]["HealthCheckIntervalSeconds"] = 4
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    result = lab(str(bad), "--json")
    assert result.returncode == 2
    assert (
        "WebTargets.Properties.HealthCheckIntervalSeconds: ValidationError: 4 is out of "
        "range; must be from 5 to 300"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_requests_line_exits_2_naming_the_line(tmp_path):
    script = tmp_path / "requests.jsonl"
    script.write_text('{"url": "http://a.example.com/"}\n{"uri": "oops"}\n')
    result = lab(str(STARTER), "--requests", str(script), "--json")
    assert result.returncode == 2
    assert f"{script}:2:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_template_exits_2():
    result = lab("no-such-file.yaml")
    assert result.returncode == 2
    assert "no-such-file.yaml" in result.stderr


def test_the_nlb_in_front_of_alb_starter_runs_end_to_end_with_2xx_answers():
    starter = ROOT / "labs" / "starters" / "nlb-in-front-of-alb.yaml"
    result = lab(str(starter), "--duration", "3", "--json")
    assert result.returncode == 0, result.stderr
    events = json_lines(result)
    answered = [e for e in events if e["type"] == "request" and e["path"] != "/health"]
    assert answered and all(200 <= e["elb_status_code"] < 300 for e in answered)
    assert {e["lb"] for e in answered} == {"ApplicationLoadBalancer"}
    assert any(e["type"] == "flow" and e["lb"] == "NetworkLoadBalancer" for e in events)
    summary = events[-1]["summary"]
    assert summary["flows"] > 0 and summary["requests"] > 0


def test_a_scripted_request_whose_tls_handshake_fails_is_reported_with_its_reason(tmp_path):
    script = tmp_path / "requests.jsonl"
    # The https-redirect starter's certificate covers www.example.com only.
    script.write_text(json.dumps({"url": "https://shop.example.net/", "client_ip": "203.0.113.5"}))
    https = ROOT / "labs" / "starters" / "https-redirect.yaml"
    result = lab(str(https), "--requests", str(script), "--json", "--clock", "20")
    assert result.returncode == 1, result.stderr
    assert "request 1 (https://shop.example.net/): TLS handshake with shop.example.net failed " in (
        result.stderr
    )
    assert "(hostname-mismatch)" in result.stderr
    events = json_lines(result)
    (failed,) = [e for e in events if e["type"] == "tls.error"]
    assert (failed["host"], failed["client_ip"], failed["code"]) == (
        "shop.example.net",
        "203.0.113.5",
        "hostname-mismatch",
    )
    finished = events[-1]
    assert finished["reason"] == "requests-failed"
    (error,) = finished["summary"]["script"]["errors"]
    assert error["tls_error"] == failed
    assert finished["summary"]["tls_errors"] == 1
