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


CLASSIC_TRACE = {"rules": [], "load_balancer_type": "classic", "target": {}}


def classic_request(**fields):
    return request(**{"trace": CLASSIC_TRACE, "reason": "least_outstanding_requests", **fields})


def nlb_flow(**fields):
    """A closed NLB TCP flow as labs.runtime.proxy_tcp reports it (client IP kept)."""
    return {
        "type": "flow",
        "t": 1.0,
        "state": "closed",
        "client_ip": "203.0.113.7",
        "client_port": 40000,
        "protocol": "TCP",
        "lb": "NetworkLoadBalancer",
        "node_az": "us-east-1a",
        "node_ip": "10.0.1.5",
        "listener": 80,
        "target_group": "WebTargets",
        "target": "10.0.1.10:80",
        "hash": "TCP 203.0.113.7:40000 -> 10.0.1.5:80",
        "hash_value": "00000000deadbeef",
        "reason": "flow_hash",
        "candidates": ["10.0.1.10:80", "10.0.2.10:80"],
        "source_seen_by_target": "203.0.113.7:40000",
        "proxy_protocol": False,
        "tls": None,
        "inner": None,
        "verdict": None,
        **fields,
    }


def gwlb_packet(**fields):
    """One inner packet through a GWLB (labs.runtime.gateway): it carries ``inner``."""
    packet = {
        "lb": "GatewayLoadBalancer",
        "protocol": "GENEVE",
        "state": "delivered",
        "inner": {"protocol": "TCP", "source": "10.0.1.20:5000", "destination": "198.51.100.1:443"},
        "verdict": "allow",
    }
    return nlb_flow(**{**packet, **fields})


def classic_tcp_flow(**fields):
    """A Classic TCP listener's flow (labs.runtime.proxy_classic): no flow hash."""
    classic = {
        "lb": "LoadBalancer",
        "hash": "-",
        "hash_value": "",
        "reason": "round_robin",
        "source_seen_by_target": "10.0.1.5",
    }
    return nlb_flow(**{**classic, **fields})


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
    # The ALB's triggers stay quiet on a Classic Load Balancer's look-alike events: their
    # questions are about the ALB (fail-open, AWSALB), which the CLB does not do.
    (
        "lb_503",
        request(elb_status_code=503, target_status_code=None, target=None),
        classic_request(elb_status_code=503, target_status_code=None, target=None),
    ),
    ("sticky", request(reason="sticky:AWSALB"), classic_request(reason="sticky:AWSELB")),
    ("nlb_flow_hash", nlb_flow(), nlb_flow(reason="existing_flow")),
    ("nlb_flow_hash", nlb_flow(reason="flow_hash:own_zone"), gwlb_packet(reason="flow_hash")),
    ("nlb_client_ip_preserved", nlb_flow(), nlb_flow(source_seen_by_target="10.0.1.5:61000")),
    ("nlb_client_ip_preserved", nlb_flow(), classic_tcp_flow(client_ip="10.0.1.5")),
    (
        "nlb_client_ip_not_preserved",
        nlb_flow(source_seen_by_target="10.0.1.5:61000"),
        nlb_flow(),
    ),
    (
        "nlb_client_ip_not_preserved",
        nlb_flow(source_seen_by_target="10.0.1.5:61000"),
        classic_tcp_flow(),
    ),
    ("nlb_cross_zone_off", nlb_flow(reason="flow_hash:own_zone"), nlb_flow()),
    (
        "nlb_cross_zone_off",
        nlb_flow(reason="flow_hash:own_zone"),
        gwlb_packet(reason="flow_hash:own_zone"),
    ),
    ("nlb_fail_open", nlb_flow(reason="fail_open"), request(reason="fail_open")),
    ("nlb_fail_open", nlb_flow(reason="fail_open"), nlb_flow(reason="no_target", target=None)),
    (
        "nlb_tls",
        nlb_flow(protocol="TLS", tls={"server_name": "nlb.example.com", "to_target": False}),
        nlb_flow(),
    ),
    ("gwlb_drop", gwlb_packet(verdict="drop", state="dropped"), gwlb_packet()),
    (
        "gwlb_drop",
        gwlb_packet(verdict="drop", state="dropped"),
        gwlb_packet(verdict=None, reason="no_healthy_targets", state="dropped"),
    ),
    ("gwlb_sticky", gwlb_packet(reason="existing_flow"), gwlb_packet()),
    ("gwlb_sticky", gwlb_packet(reason="existing_flow"), nlb_flow(reason="existing_flow")),
    (
        "gwlb_no_fail_open",
        gwlb_packet(reason="no_healthy_targets", verdict=None, state="dropped"),
        nlb_flow(reason="fail_open"),
    ),
    (
        "clb_503",
        classic_request(elb_status_code=503, target_status_code=None, target=None),
        request(elb_status_code=503, target_status_code=None, target=None),
    ),
    (
        "clb_503",
        classic_request(elb_status_code=503, target_status_code=None, target=None),
        classic_request(elb_status_code=503, target_status_code=503),
    ),
    ("clb_sticky", classic_request(reason="sticky:AWSELB"), request(reason="sticky:AWSALB")),
    (
        "clb_draining",
        health(
            state="InService",
            reason="N/A",
            description="Instance deregistration currently in progress.",
        ),
        health(state="draining", reason="Target.DeregistrationInProgress"),
    ),
    (
        "clb_out_of_service",
        health(
            state="OutOfService",
            previous="InService",
            reason="Instance",
            description=(
                "Instance has failed at least the UnhealthyThreshold number of health "
                "checks consecutively."
            ),
        ),
        health(
            state="OutOfService",
            reason="ELB",
            description="Instance registration is still in progress.",
        ),
    ),
]


@pytest.mark.parametrize(("code", "fires", "does_not_fire"), CASES)
def test_a_trigger_fires_on_its_event_and_not_on_a_near_miss(code, fires, does_not_fire):
    rule = BY_CODE[code]
    assert rule.matches(fires, Watch())
    assert not rule.matches(does_not_fire, Watch())


def test_every_trigger_names_topics_and_a_label():
    assert len(TRIGGERS) == 22
    assert len(BY_CODE) == len(TRIGGERS)
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
