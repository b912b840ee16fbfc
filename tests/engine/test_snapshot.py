from labs.engine import events
from labs.engine.snapshot import TLS_ERRORS, RunView


def _request(t, target="10.0.1.10:80", group="Web", status=200):
    return {
        "type": "request",
        "t": t,
        "target": target,
        "target_group": group,
        "elb_status_code": status,
    }


def _health(t, target, state):
    return {"type": "health", "t": t, "target_group": "Web", "target": target, "state": state}


def test_batches_are_numbered_and_their_requests_counted_per_group_and_target():
    view = RunView(requests=2, checks=2)
    assert view.fold([_request(1.0), _request(1.1, status=503, target=None)]) == 1
    assert view.fold([_request(2.0), {"type": "metrics", "t": 2.0}]) == 2
    snapshot = view.snapshot(2.5, emitted=9.0)
    events.validate(snapshot.wire())
    assert snapshot.counts == {
        "requests": 3,
        "status:200": 2,
        "status:503": 1,
        "target:Web/10.0.1.10:80": 2,
    }
    assert [r["t"] for r in snapshot.requests] == [1.1, 2.0]  # the newest two
    assert snapshot.series == {"metrics": [{"type": "metrics", "t": 2.0}]}


def test_it_keeps_each_targets_last_checks():
    view = RunView(checks=2)
    view.fold([_health(t, "10.0.1.10:80", "healthy") for t in (1.0, 2.0, 3.0)])
    view.fold([_health(1.5, "10.0.1.11:80", "unhealthy")])
    health = view.snapshot(3.0, emitted=0.0).health
    assert [(h["target"], h["t"]) for h in health] == [
        ("10.0.1.10:80", 2.0),
        ("10.0.1.10:80", 3.0),
        ("10.0.1.11:80", 1.5),
    ]


def test_it_keeps_the_faults_log():
    view = RunView()
    fault = {"type": "fault", "t": 4.0, "action": "deregister", "target": "10.0.1.10:80"}
    view.fold([_request(3.0), fault])
    snapshot = view.snapshot(4.0, emitted=0.0)
    assert snapshot.faults == [fault]
    assert snapshot.wire()["faults"] == [fault]


def test_a_console_answer_keeps_its_request_for_the_trace_whichever_comes_first():
    view = RunView(requests=2)
    early = {**_request(1.0), "trace_id": "Root=1-a;Self=1"}
    view.fold([early, {"type": "console", "t": 1.1, "id": "c-1", "trace_root": "Root=1-a"}])
    view.fold([{"type": "console", "t": 2.0, "id": "c-2", "trace_root": "Root=1-b"}])
    late = {**_request(2.1), "trace_id": "Root=1-b"}
    view.fold([late, _request(3.0), _request(3.1)])  # both pushed out of the newest two
    snapshot = view.snapshot(3.2, emitted=0.0)
    assert early not in snapshot.requests and late not in snapshot.requests
    assert snapshot.console_requests == [early, late]
    events.validate(snapshot.wire())


def _tls_error(t, host="wrong.example.com"):
    return {
        "type": "tls.error",
        "t": t,
        "emitted": 0.0,
        "lb": "Alb",
        "listener": 443,
        "client_ip": "198.51.100.7",
        "host": host,
        "reason": "Hostname mismatch, certificate is not valid for 'wrong.example.com'.",
    }


def test_it_keeps_the_newest_tls_handshake_failures_and_counts_every_one():
    view = RunView()
    failures = [_tls_error(float(n)) for n in range(TLS_ERRORS + 3)]
    view.fold([_request(0.5), *failures[:5]])
    view.fold(failures[5:])
    snapshot = view.snapshot(20.0, emitted=0.0)
    events.validate(snapshot.wire())
    assert snapshot.tls_errors == failures[-TLS_ERRORS:]
    assert snapshot.counts["tls_errors"] == len(failures)
    assert snapshot.counts["requests"] == 1  # a failed handshake sent no request


def test_a_run_without_tls_failures_says_so():
    view = RunView()
    view.fold([_request(1.0)])
    snapshot = view.snapshot(1.0, emitted=0.0)
    assert snapshot.tls_errors == []
    assert "tls_errors" not in snapshot.counts


def _activity(t, activity, target):
    return {
        "type": "autoscaling",
        "t": t,
        "group": "WebGroup",
        "activity": activity,
        "cause": "...",
        "instance": "WebGroup-3",
        "target": target,
    }


def test_launched_instances_are_listed_until_auto_scaling_terminates_them():
    view = RunView()
    launched = _activity(5.0, "Launched", "10.0.1.11")
    view.fold([launched, _health(6.0, "10.0.1.11:80", "healthy")])
    view.fold([_health(6.0, "10.0.1.10:80", "healthy")])
    during = view.snapshot(7.0, emitted=0.0)
    assert {h["target"] for h in during.health} == {"10.0.1.10:80", "10.0.1.11:80"}
    assert during.faults == [launched]  # the Faults log says so, for a page joining late
    gone = _activity(9.0, "Terminated", "10.0.1.11")
    view.fold([gone, _health(9.1, "10.0.1.11:80", "unused")])  # its last check, after
    after = view.snapshot(10.0, emitted=0.0)
    events.validate(after.wire())
    assert {h["target"] for h in after.health} == {"10.0.1.10:80"}
    assert after.faults == [launched, gone]
