"""Starters the runtime can run today, run headless: the requests land where the rules say.

Each run replays scripted requests (``lab run --requests``) and ends once they are all
answered, so nothing here waits on a timer of its own.
"""

import json
from pathlib import Path

import pytest

from labs.cfn import load_topology, runnable
from tests.commands import json_lines, manage

ROOT = Path(__file__).resolve().parents[2]
STARTERS_DIR = ROOT / "labs" / "starters"
pytestmark = pytest.mark.timeout(90)


def run_starter(name: str, requests: list[dict], tmp_path: Path, *extra: str) -> list[dict]:
    """The request events of a headless run of ``name`` that replays ``requests``."""
    script = tmp_path / "requests.jsonl"
    script.write_text("\n".join(json.dumps(r) for r in requests))
    # --skip-checks: a starter run needs no URL or admin configuration to be importable.
    result = manage(
        "lab",
        "--skip-checks",
        "run",
        str(STARTERS_DIR / name),
        "--requests",
        str(script),
        "--json",
        *extra,
        timeout=80,
    )
    assert result.returncode == 0, result.stderr
    events = json_lines(result)
    assert events[-1]["state"] == "finished" and events[-1]["reason"] == "requests-answered"
    return events


def routed(events: list[dict]) -> list[tuple]:
    """(path?query, rule, target group, status) of each request, in the order sent."""
    return [
        (
            e["path"] + (f"?{e['query']}" if e["query"] else ""),
            e["rule"],
            e["target_group"],
            e["elb_status_code"],
        )
        for e in events
        if e["type"] == "request"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "path-routing.yaml",
        "host-routing.yaml",
        "query-header-routing.yaml",
        "security-group-from-lb.yaml",
        "containers-dynamic-ports.yaml",
        "weighted-blue-green.yaml",
        "sticky-sessions.yaml",
    ],
)
def test_the_runtime_accepts_the_starter(name):
    assert runnable(load_topology((STARTERS_DIR / name).read_text(encoding="utf-8"))) is None


def test_path_routing_sends_users_and_posts_to_their_own_target_groups(tmp_path):
    events = run_starter(
        "path-routing.yaml",
        [
            {"url": "http://lb.example.com/users"},
            {"url": "http://lb.example.com/users/42"},
            {"url": "http://lb.example.com/posts"},
            {"url": "http://lb.example.com/posts/7?draft=true"},
            {"url": "http://lb.example.com/USERS"},  # path patterns are case-sensitive
            {"url": "http://lb.example.com/"},
        ],
        tmp_path,
    )
    assert routed(events) == [
        ("/users", 10, "UsersTargets", 200),
        ("/users/42", 10, "UsersTargets", 200),
        ("/posts", 20, "PostsTargets", 200),
        ("/posts/7?draft=true", 20, "PostsTargets", 200),
        ("/USERS", "default", None, 404),
        ("/", "default", None, 404),
    ]
    requests = [e for e in events if e["type"] == "request"]
    assert {e["target"] for e in requests[:2]} <= {"10.0.1.10:80", "10.0.2.10:80"}
    assert {e["target"] for e in requests[2:4]} <= {"10.0.1.20:80", "10.0.2.20:80"}


def test_host_routing_sends_each_site_to_its_own_target_group(tmp_path):
    events = run_starter(
        "host-routing.yaml",
        [
            {"url": "http://one.example.com/"},
            {"url": "http://other.example.com/users"},
            # Host names match case-insensitively, and the ALB forwards them lower-cased.
            {"url": "http://lb.example.com/posts", "headers": {"Host": "ONE.Example.COM:80"}},
            {"url": "http://third.example.com/"},
        ],
        tmp_path,
    )
    requests = [e for e in events if e["type"] == "request"]
    assert [(e["rule"], e["target_group"], e["elb_status_code"]) for e in requests] == [
        (10, "OneTargets", 200),
        (20, "OtherTargets", 200),
        (10, "OneTargets", 200),
        ("default", None, 404),
    ]
    assert requests[2]["headers_sent"]["Host"] == "one.example.com"


def test_query_string_and_header_rules_pick_mobile_or_desktop(tmp_path):
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
    events = run_starter(
        "query-header-routing.yaml",
        [
            {"url": "http://lb.example.com/users?id=123&platform=mobile"},
            {"url": "http://lb.example.com/users?id=123&platform=desktop"},
            {"url": "http://lb.example.com/users?id=123", "headers": {"User-Agent": phone}},
            {
                "url": "http://lb.example.com/users?id=123&platform=desktop",
                "headers": {"User-Agent": phone},
            },  # priority 5 beats priority 20
            {"url": "http://lb.example.com/users?id=123&order=false"},
        ],
        tmp_path,
    )
    assert routed(events) == [
        ("/users?id=123&platform=mobile", 10, "MobileTargets", 200),
        ("/users?id=123&platform=desktop", 20, "DesktopTargets", 200),
        ("/users?id=123", 5, "MobileTargets", 200),
        ("/users?id=123&platform=desktop", 5, "MobileTargets", 200),
        ("/users?id=123&order=false", "default", None, 404),
    ]


def test_only_instances_that_admit_the_load_balancer_security_group_get_traffic(tmp_path):
    # One passing check brings a new target in; two timed-out checks (interval 30 s,
    # timeout 5 s) take Locked1 out, so after 60 lab seconds (2 s at 30x) six requests go out.
    requests = [{"url": "http://lb.example.com/", "wait": 60}] + [
        {"url": "http://lb.example.com/"}
    ] * 5
    events = run_starter("security-group-from-lb.yaml", requests, tmp_path, "--clock", "30")
    locked = [e for e in events if e["type"] == "health" and e["target"] == "10.0.2.11:80"]
    assert locked and locked[-1]["state"] == "unhealthy"
    assert locked[-1]["reason"] == "Target.Timeout"
    served = [e for e in events if e["type"] == "request"]
    assert [e["elb_status_code"] for e in served] == [200] * 6
    assert {e["target"] for e in served} == {"10.0.1.10:80", "10.0.2.10:80"}


def test_one_instance_serves_three_containers_on_their_own_ports(tmp_path):
    events = run_starter(
        "containers-dynamic-ports.yaml",
        [{"url": f"http://lb.example.com/users/{n}"} for n in range(6)],
        tmp_path,
    )
    served = [e for e in events if e["type"] == "request"]
    assert [e["elb_status_code"] for e in served] == [200] * 6
    assert {e["target_group"] for e in served} == {"ServiceTargets"}
    assert {e["target"] for e in served} == {
        "10.0.1.10:32768",
        "10.0.1.10:32769",
        "10.0.1.10:32770",
    }


def test_weighted_forward_sends_most_requests_to_blue_and_some_to_green(tmp_path):
    # Each scripted request without a "client" is a new client with no AWSALBTG cookie,
    # so every one is routed by weight (80:20); the seed makes the draw repeatable.
    events = run_starter(
        "weighted-blue-green.yaml",
        [{"url": "http://lb.example.com/"}] * 40,
        tmp_path,
        "--seed",
        "7",
    )
    served = [e for e in events if e["type"] == "request"]
    assert [e["elb_status_code"] for e in served] == [200] * 40
    blue = sum(e["target_group"] == "BlueTargets" for e in served)
    green = sum(e["target_group"] == "GreenTargets" for e in served)
    assert blue + green == 40 and blue > green > 0


def test_duration_based_stickiness_keeps_a_client_on_one_target(tmp_path):
    events = run_starter(
        "sticky-sessions.yaml",
        [{"url": "http://lb.example.com/shop/cart", "client": "alice"}] * 4,
        tmp_path,
    )
    served = [e for e in events if e["type"] == "request"]
    assert [e["target_group"] for e in served] == ["ShopTargets"] * 4
    assert len({e["target"] for e in served}) == 1
    assert [e["reason"] for e in served[1:]] == ["sticky:AWSALB"] * 3


def test_application_cookie_stickiness_keeps_a_client_on_one_target(tmp_path):
    events = run_starter(
        "sticky-sessions.yaml",
        [{"url": "http://lb.example.com/app/profile", "client": "bob"}] * 4,
        tmp_path,
    )
    served = [e for e in events if e["type"] == "request"]
    assert [e["target_group"] for e in served] == ["AppTargets"] * 4
    assert len({e["target"] for e in served}) == 1
    assert [e["reason"] for e in served[1:]] == ["sticky:AWSALBAPP-0"] * 3
