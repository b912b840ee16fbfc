"""A checkpoint is RunView folded up to its event, naming the events it holds by index."""

import pytest

from labs.engine import replay
from labs.engine.snapshot import RunView


def _story(n):
    events = []
    for i in range(n):
        t = i / 10
        if i % 10 == 9:
            events.append({"type": "metrics", "t": t, "load_balancers": {}, "target_groups": {}})
        elif i % 13 == 6:
            events.append({"type": "fault", "t": t, "action": "fault", "mode": "reset"})
        elif i % 17 == 8:
            events.append({"type": "console", "t": t, "id": f"console-{i}", "status": 200})
        elif i % 19 == 10:
            events.append(
                {"type": "tls.error", "t": t, "lb": "Alb", "listener": 443, "host": "a.test"}
            )
        elif i % 11 == 4:
            events.append({"type": "flow", "t": t, "state": "open", "target": "10.0.1.10:80"})
        elif i % 7 == 3:
            events.append(
                {"type": "health", "t": t, "target_group": "Web", "target": "10.0.1.10:80"}
            )
        else:
            status = 503 if i % 5 == 0 else 200
            events.append(
                {
                    "type": "request",
                    "t": t,
                    "target_group": "Web",
                    "target": "10.0.1.10:80",
                    "elb_status_code": status,
                }
            )
    return events


def _resolved(checkpoint, events):
    """The snapshot a page draws for a checkpoint (what run_replay.js builds)."""
    metrics = [e for e in events[: checkpoint["at"]] if e["type"] == "metrics"]
    return {
        "counts": checkpoint["counts"],
        "requests": [events[i] for i in checkpoint["requests"]],
        "health": [events[i] for i in checkpoint["health"]],
        "flows": [events[i] for i in checkpoint["flows"]],
        "faults": [events[i] for i in checkpoint["faults"]],
        "consoles": [events[i] for i in checkpoint["consoles"]],
        "tls_errors": [events[i] for i in checkpoint["tls_errors"]],
        "metrics": metrics[len(metrics) - checkpoint["metrics"] :],
    }


def test_each_checkpoint_is_the_view_a_page_would_get_at_that_event():
    events = _story(250)
    found = replay.checkpoints(events, every=100)
    assert [c["at"] for c in found] == [0, 100, 200]
    for checkpoint in found:
        view = RunView()
        for event in events[: checkpoint["at"]]:
            view.fold([event])
        expected = view.snapshot(0.0, 0.0)
        shown = _resolved(checkpoint, events)
        assert shown["counts"] == expected.counts
        assert shown["requests"] == expected.requests
        assert shown["health"] == expected.health
        assert shown["metrics"] == expected.series["metrics"]
        assert shown["flows"] == expected.flows
        assert shown["faults"] == expected.faults
        assert shown["consoles"] == expected.consoles
        assert shown["tls_errors"] == expected.tls_errors
    assert found[0]["counts"] == {}
    assert found[1]["t"] == events[99]["t"]
    assert found[2]["counts"]["requests"] == sum(e["type"] == "request" for e in events[:200])
    assert found[2]["counts"]["flows"] == sum(e["type"] == "flow" for e in events[:200])
    assert found[2]["faults"] and found[2]["flows"] and found[2]["consoles"]
    assert found[2]["counts"]["tls_errors"] == sum(e["type"] == "tls.error" for e in events[:200])
    assert found[2]["tls_errors"]


def test_checkpoints_need_a_positive_spacing():
    with pytest.raises(ValueError):
        replay.checkpoints([], every=0)


def test_a_replay_shows_a_launched_instance_appear_and_go():
    def activity(t, name):
        return {
            "type": "autoscaling",
            "t": t,
            "group": "G",
            "activity": name,
            "cause": "",
            "instance": "G-3",
            "target": "10.0.1.11",
        }

    def check(t, target):
        return {"type": "health", "t": t, "target_group": "Web", "target": target}

    story = [
        check(0.0, "10.0.1.10:80"),
        activity(1.0, "Launched"),
        check(2.0, "10.0.1.11:80"),
        activity(3.0, "Terminated"),
        check(4.0, "10.0.1.10:80"),
    ]
    shown = []
    for point in replay.checkpoints(story, every=1):
        targets = {story[i]["target"] for i in point["health"] if story[i]["type"] == "health"}
        shown.append("10.0.1.11:80" in targets)
    # Before the launch, after its first check, after its termination.
    assert shown == [False, False, False, True, False, False]
