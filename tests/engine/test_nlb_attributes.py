"""NLB target-group and listener attributes with AWS's defaults (spec §6.2–6.4, §9)."""

import pytest

from labs.engine.attributes import (
    nlb_cross_zone,
    preserve_client_ip,
    proxy_protocol_v2,
    tcp_idle_timeout,
)

ON = {"preserve_client_ip.enabled": "true"}
OFF = {"preserve_client_ip.enabled": "false"}


@pytest.mark.parametrize(
    ("attributes", "target_type", "protocol", "preserved"),
    [
        ({}, "instance", "TCP", True),
        ({}, "ip", "TCP", False),
        ({}, "ip", "TLS", False),
        ({}, "ip", "UDP", True),
        (OFF, "ip", "UDP", True),  # cannot be turned off for UDP
        (OFF, "instance", "TCP_UDP", True),
        (OFF, "instance", "TCP", False),
        (ON, "ip", "TCP", True),
    ],
)
def test_client_ip_preservation_defaults(attributes, target_type, protocol, preserved):
    assert preserve_client_ip(attributes, target_type, protocol) is preserved


def test_proxy_protocol_v2_is_off_unless_set():
    assert not proxy_protocol_v2({})
    assert proxy_protocol_v2({"proxy_protocol_v2.enabled": "true"})


@pytest.mark.parametrize(
    ("group", "lb", "enabled"),
    [
        ({}, {}, False),  # NLB default: off
        ({}, {"load_balancing.cross_zone.enabled": "true"}, True),
        ({"load_balancing.cross_zone.enabled": "use_load_balancer_configuration"}, {}, False),
        ({"load_balancing.cross_zone.enabled": "true"}, {}, True),  # the group wins
        (
            {"load_balancing.cross_zone.enabled": "false"},
            {"load_balancing.cross_zone.enabled": "true"},
            False,
        ),
    ],
)
def test_cross_zone_is_off_by_default_and_the_group_wins(group, lb, enabled):
    assert nlb_cross_zone(group, lb) is enabled


def test_tcp_idle_timeout_defaults_to_350_seconds():
    assert tcp_idle_timeout({}) == 350
    assert tcp_idle_timeout({"tcp.idle_timeout.seconds": "60"}) == 60
