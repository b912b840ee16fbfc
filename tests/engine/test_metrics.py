import pytest

from labs.engine.metrics import MetricsWindow

TARGET = "10.0.1.10:80"


def one_request(**request) -> dict:
    window = MetricsWindow()
    window.record(
        **{
            "lb": "Alb",
            "target_group": "WebTargets",
            "target": TARGET,
            "target_seconds": None,
            **request,
        }
    )
    return window.close(1.0, {}, emitted=0.0).wire()


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param(
            {"elb_status": 200, "target_status": 200},
            {"RequestCount": 1, "HTTPCode_Target_2XX_Count": 1},
            id="forwarded 200",
        ),
        pytest.param(
            {"elb_status": 404, "target_status": 404},
            {"RequestCount": 1, "HTTPCode_Target_4XX_Count": 1},
            id="target's 404",
        ),
        pytest.param(
            {"elb_status": 500, "target_status": 500},
            {"RequestCount": 1, "HTTPCode_Target_5XX_Count": 1},
            id="target's 500",
        ),
        pytest.param(
            {"target": None, "elb_status": 503, "target_status": None},
            {"HTTPCode_ELB_5XX_Count": 1, "HTTPCode_ELB_503_Count": 1},
            id="no registered targets",
        ),
        pytest.param(
            {"elb_status": 502, "target_status": None},
            {"RequestCount": 1, "HTTPCode_ELB_5XX_Count": 1, "HTTPCode_ELB_502_Count": 1},
            id="target chosen, connection refused",
        ),
        pytest.param(
            {"elb_status": 504, "target_status": None},
            {"RequestCount": 1, "HTTPCode_ELB_5XX_Count": 1, "HTTPCode_ELB_504_Count": 1},
            id="target chosen, timed out",
        ),
        pytest.param(
            {"target": None, "target_group": None, "elb_status": 400, "target_status": None},
            {"HTTPCode_ELB_4XX_Count": 1},
            id="malformed request",
        ),
        pytest.param(
            {"target": None, "target_group": None, "elb_status": 301, "target_status": None},
            {"HTTPCode_ELB_3XX_Count": 1},
            id="redirect action",
        ),
        pytest.param(
            {"target": None, "target_group": None, "elb_status": 460, "target_status": None},
            {"HTTPCode_ELB_4XX_Count": 1},
            id="client closed early",
        ),
    ],
)
def test_load_balancer_counts_request_count_only_when_a_target_was_chosen(request_, expected):
    assert one_request(**request_)["load_balancers"] == {"Alb": expected}


def test_a_target_answer_is_counted_for_its_target_group_with_its_response_time():
    metrics = one_request(elb_status=200, target_status=200, target_seconds=0.05)

    assert metrics["target_groups"] == {
        "WebTargets": {
            "RequestCount": 1,
            "HTTPCode_Target_2XX_Count": 1,
            "TargetResponseTime": 0.05,
            "TargetResponseTime.p50": 0.05,
            "TargetResponseTime.p95": 0.05,
            "TargetResponseTime.p99": 0.05,
        }
    }


def test_a_request_no_target_answered_adds_nothing_to_the_target_group():
    metrics = one_request(target=None, elb_status=503, target_status=None)

    assert metrics["target_groups"] == {}


def test_target_response_time_is_the_windows_mean():
    window = MetricsWindow()
    for seconds in (0.01, 0.02, 0.06):
        window.record(
            lb="Alb",
            target_group="WebTargets",
            target=TARGET,
            elb_status=200,
            target_status=200,
            target_seconds=seconds,
        )

    metrics = window.close(1.0, {}, emitted=0.0).wire()

    assert metrics["target_groups"]["WebTargets"]["TargetResponseTime"] == 0.03
    assert metrics["load_balancers"]["Alb"]["RequestCount"] == 3


def test_closing_a_window_reports_healthy_and_unhealthy_hosts_per_target_group():
    metrics = (
        MetricsWindow()
        .close(12.34567, {"WebTargets": (2, 1), "ApiTargets": (0, 0)}, emitted=1.5e9)
        .wire()
    )

    assert metrics == {
        "type": "metrics",
        "t": 12.346,
        "emitted": 1.5e9,
        "load_balancers": {},
        "target_groups": {
            "WebTargets": {"HealthyHostCount": 2, "UnHealthyHostCount": 1},
            "ApiTargets": {"HealthyHostCount": 0, "UnHealthyHostCount": 0},
        },
    }


def test_a_fixed_response_200_adds_no_elb_status_class_metric():
    metrics = one_request(target=None, target_group=None, elb_status=200, target_status=None)

    assert metrics["load_balancers"] == {}


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param(
            {"action": "redirect", "elb_status": 301, "target_status": None, "target": None},
            {"HTTP_Redirect_Count": 1, "HTTPCode_ELB_3XX_Count": 1},
            id="redirect carried out",
        ),
        pytest.param(
            {
                "action": "redirect",
                "error": "RedirectUrlLimitExceeded",
                "elb_status": 500,
                "target_status": None,
                "target": None,
            },
            {
                "HTTP_Redirect_Url_Limit_Exceeded_Count": 1,
                "HTTPCode_ELB_5XX_Count": 1,
                "HTTPCode_ELB_500_Count": 1,
            },
            id="redirect too long",
        ),
        pytest.param(
            {"action": "fixed-response", "elb_status": 200, "target_status": None, "target": None},
            {"HTTP_Fixed_Response_Count": 1},
            id="fixed response",
        ),
        pytest.param(
            {"non_sticky": True, "elb_status": 200, "target_status": 200},
            {"RequestCount": 1, "NonStickyRequestCount": 1, "HTTPCode_Target_2XX_Count": 1},
            id="stickiness could not be used",
        ),
    ],
)
def test_action_and_stickiness_counts_per_load_balancer(request_, expected):
    assert one_request(**request_)["load_balancers"] == {"Alb": expected}


def test_a_request_that_failed_open_counts_in_its_groups_unhealthy_routing_count():
    metrics = one_request(fail_open=True, elb_status=200, target_status=200)

    assert metrics["target_groups"]["WebTargets"]["UnhealthyRoutingRequestCount"] == 1


def test_target_response_time_has_cloudwatchs_percentiles_by_nearest_rank():
    window = MetricsWindow()
    for ms in range(1, 101):  # 1 ms .. 100 ms
        window.record(
            lb="Alb",
            target_group="Web",
            target="10.0.1.10:80",
            elb_status=200,
            target_status=200,
            target_seconds=ms / 1000,
        )
    web = window.close(1.0, {}, emitted=0.0).target_groups["Web"]
    assert (web["TargetResponseTime.p50"], web["TargetResponseTime.p95"]) == (0.05, 0.095)
    assert web["TargetResponseTime.p99"] == 0.099


def _flow(**fields):
    from labs.engine.events import Flow

    base = {
        "t": 1.0,
        "emitted": 0.0,
        "client_ip": "198.51.100.10",
        "client_port": 40000,
        "protocol": "TCP",
        "lb": "Nlb",
        "node_az": "us-east-1a",
        "target": TARGET,
        "hash": "TCP 198.51.100.10:40000 → 10.0.1.5:80",
        "bytes": 0,
        "reason": "flow_hash:own_zone",
        "state": "open",
        "node_ip": "10.0.1.5",
        "listener": 80,
        "target_group": "TcpTargets",
        "hash_value": "0" * 16,
        "candidates": [TARGET],
        "source_seen_by_target": None,
        "proxy_protocol": False,
        "bytes_from_client": 0,
        "bytes_from_target": 0,
    }
    return Flow(**{**base, **fields})


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        pytest.param({}, {"NewFlowCount": 1, "NewFlowCount_TCP": 1}, id="new TCP flow"),
        pytest.param(
            {"protocol": "UDP"}, {"NewFlowCount": 1, "NewFlowCount_UDP": 1}, id="new UDP flow"
        ),
        pytest.param(
            {"tls": {"server_name": None}},
            {"NewFlowCount": 1, "NewFlowCount_TLS": 1},
            id="new TLS flow",
        ),
        pytest.param(
            {"reason": "fail_open"},
            {"NewFlowCount": 1, "NewFlowCount_TCP": 1, "UnhealthyRoutingFlowCount": 1},
            id="failed open",
        ),
        pytest.param(
            {"state": "reset", "closed_by": "client"},
            {"TCP_Client_Reset_Count": 1},
            id="client RST",
        ),
        pytest.param(
            {"state": "reset", "closed_by": "target"},
            {"TCP_Target_Reset_Count": 1},
            id="target RST",
        ),
        pytest.param(
            {"state": "reset", "closed_by": "idle_timeout"},
            {"TCP_ELB_Reset_Count": 1},
            id="idle timeout",
        ),
        pytest.param(
            {"state": "reset", "closed_by": None, "target": None},
            {"TCP_ELB_Reset_Count": 1},
            id="no target",
        ),
        pytest.param({"state": "closed", "closed_by": "client"}, {}, id="a clean close"),
    ],
)
def test_nlb_flow_events_count_under_cloudwatchs_names(flow, expected):
    window = MetricsWindow()
    window.flow(_flow(**flow))
    assert window.close(1.0, {}, emitted=0.0).wire()["load_balancers"].get("Nlb", {}) == expected


def test_nlb_gauges_are_active_flows_now_and_bytes_in_the_window():
    window = MetricsWindow()
    window.flows("Nlb", active=3, processed_bytes=1200)
    window.flows("Nlb", active=2, processed_bytes=300)  # a second call: the latest gauge
    assert window.close(1.0, {}, emitted=0.0).wire()["load_balancers"]["Nlb"] == {
        "ActiveFlowCount": 2,
        "ProcessedBytes": 1500,
    }
