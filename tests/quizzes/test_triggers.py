"""Each in-lab trigger, fed the events of DESIGN.md's wire contract."""

import pytest

from playground.quizzes.triggers import BY_CODE, CROSS_ZONE_MIN_REQUESTS, TRIGGERS, Watch


def request(**fields):
    return {
        "type": "request",
        "t": 1.0,
        "target": "10.0.1.10:80",
        "elb_status_code": 200,
        "target_status_code": 200,
        "reason": "round_robin",
        "action": "forward",
        **fields,
    }


def health(**fields):
    return {"type": "health", "t": 1.0, "target": "10.0.1.10:80", "state": "healthy", **fields}


CASES = [
    (
        "first_unhealthy",
        health(state="unhealthy", reason="Target.ResponseCodeMismatch"),
        health(state="healthy"),
    ),
    (
        "lb_503",
        request(elb_status_code=503, target_status_code=None, target=None),
        request(elb_status_code=503, target_status_code=503),
    ),
    (
        "lb_503",
        request(elb_status_code=503, target_status_code=None, target=None),
        request(elb_status_code=504, target_status_code=None),
    ),
    (
        "lb_504",
        request(elb_status_code=504, target_status_code=None),
        request(elb_status_code=502, target_status_code=None),
    ),
    (
        "lb_504",
        request(elb_status_code=504, target_status_code=None),
        request(elb_status_code=503, target_status_code=None, target=None),
    ),
    ("sticky", request(reason="sticky:AWSALB"), request(reason="round_robin")),
    (
        "redirect",
        request(action="redirect", elb_status_code=301, target=None),
        request(action="forward"),
    ),
    ("fail_open", request(reason="fail_open"), request(reason="least_outstanding_requests")),
    (
        "draining",
        health(state="draining", reason="Target.DeregistrationInProgress"),
        health(state="unused"),
    ),
    (
        "health_check_blocked",
        health(state="unhealthy", reason="Target.Timeout"),
        health(state="unhealthy", reason="Target.FailedHealthChecks"),
    ),
]


@pytest.mark.parametrize(("code", "fires", "does_not_fire"), CASES)
def test_a_trigger_fires_on_its_event_and_not_on_a_near_miss(code, fires, does_not_fire):
    rule = BY_CODE[code]
    assert rule.matches(fires, Watch())
    assert not rule.matches(does_not_fire, Watch())


def test_every_trigger_names_topics_and_a_label():
    assert len(TRIGGERS) == 9
    for trigger in TRIGGERS:
        assert trigger.topics and str(trigger.label)


def test_a_trigger_fires_once_per_run_and_queues_in_order():
    watch = Watch()
    batch = [
        request(reason="sticky:AWSALB"),
        health(state="unhealthy", reason="Target.Timeout"),
        request(reason="sticky:AWSALB"),
    ]
    assert watch.scan(batch) == ["sticky", "first_unhealthy", "health_check_blocked"]
    assert watch.scan(batch) == []
    assert watch.pending == ["sticky", "first_unhealthy", "health_check_blocked"]


def _zonal_requests(shares):
    """Requests where each target is only ever reached from its own zone's node."""
    events = []
    for n in range(max(count for _, count in shares.values())):  # interleaved, as live
        events += [
            request(target=target, node_az=zone)
            for target, (zone, count) in shares.items()
            if n < count
        ]
    return events


def test_cross_zone_imbalance_fires_when_zones_keep_their_own_uneven_shares():
    watch = Watch()
    events = _zonal_requests(
        {
            "10.0.1.10:80": ("us-east-1a", 20),
            "10.0.1.11:80": ("us-east-1a", 20),
            "10.0.2.10:80": ("us-east-1b", 40),
        }
    )
    assert len(events) >= CROSS_ZONE_MIN_REQUESTS
    assert watch.scan(events) == ["cross_zone_imbalance"]


def test_cross_zone_imbalance_stays_quiet_when_nodes_share_targets():
    watch = Watch()
    events = []
    for n in range(90):  # cross-zone on: every node reaches every target, evenly
        zone = "us-east-1a" if n % 2 else "us-east-1b"
        events.append(request(target=f"10.0.{n % 3}.10:80", node_az=zone))
    assert watch.scan(events) == []


def test_cross_zone_imbalance_stays_quiet_when_zonal_shares_are_even():
    watch = Watch()
    events = _zonal_requests(
        {"10.0.1.10:80": ("us-east-1a", 40), "10.0.2.10:80": ("us-east-1b", 40)}
    )
    assert watch.scan(events) == []
