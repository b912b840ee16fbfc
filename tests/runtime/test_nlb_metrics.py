"""NLB metrics in the per-second ``metrics`` event and the run summary (spec §6.5)."""

import pytest

from labs.runtime.orchestrator import ScriptedRequest

from .helpers import of_type, run_script, run_until, starter

pytestmark = pytest.mark.timeout(60)


def _nlb_metrics(events, lb="LoadBalancer"):
    return [e["load_balancers"].get(lb, {}) for e in of_type(events, "metrics")]


async def test_new_flows_and_processed_bytes_add_up_to_the_flows_and_the_summary_counts_them():
    events, lab = await run_script(
        starter("nlb-static-ips.yaml"),
        ScriptedRequest(url="http://nlb.example.com/", client_ip="203.0.113.7"),
        ScriptedRequest(url="http://nlb.example.com/", client_ip="203.0.113.8"),
    )
    windows = _nlb_metrics(events)
    assert sum(w.get("NewFlowCount", 0) for w in windows) == 2
    assert sum(w.get("NewFlowCount_TCP", 0) for w in windows) == 2
    ended = [f for f in of_type(events, "flow") if f["state"] != "open"]
    assert sum(w.get("ProcessedBytes", 0) for w in windows) == sum(f["bytes"] for f in ended)
    summary = lab.summary()
    assert (summary["flows"], summary["requests"]) == (2, 0)
    assert sum(summary["flows_by_target"].values()) == 2
    groups = of_type(events, "metrics")[-1]["target_groups"]
    assert groups["TcpTargets"] == {"HealthyHostCount": 2, "UnHealthyHostCount": 0}


def _active(events):
    return any(w.get("ActiveFlowCount", 0) > 0 for w in _nlb_metrics(events))


async def test_keep_alive_clients_show_as_active_flows():
    events, _ = await run_until(starter("nlb-static-ips.yaml"), _active, rps=20)
    assert _active(events)
