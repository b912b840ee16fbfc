"""Fuzzing what reaches the ALB: arbitrary bytes never crash a node or leak an error.

One lab runs in a background thread for the whole module; hypothesis throws requests
at a node through plain sockets. Every example must end with an answer or a close, the
event loop must report no unhandled error, and a well-formed request must still work.
Cases hypothesis once found are kept as explicit examples.
"""

import asyncio
import socket
import threading

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from labs.engine.rules import RequestFacts, route
from labs.runtime.orchestrator import LabRuntime, RunOptions

from .helpers import topology

pytestmark = pytest.mark.timeout(120)
GOOD = b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n"


class BackgroundLab:
    def __init__(self):
        self.errors = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(lambda loop, context: self.errors.append(context))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        self.runtime = LabRuntime(
            topology(), RunOptions(duration=600, clock_speed=1), self._emit, sample_events=False
        )
        asyncio.run_coroutine_threadsafe(self.runtime.__aenter__(), self.loop).result(10)
        self.node = self.runtime.entries()[0].nodes[0]
        return self

    async def _emit(self, batch):
        pass

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(
            self.runtime.__aexit__(None, None, None), self.loop
        ).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def send(self, raw: bytes) -> bytes:
        with socket.create_connection(self.node, timeout=3) as sock:
            try:
                sock.sendall(raw)
                sock.shutdown(socket.SHUT_WR)
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except (TimeoutError, ConnectionResetError, BrokenPipeError):
                return b""
        return b"".join(chunks)


@pytest.fixture(scope="module")
def lab():
    with BackgroundLab() as running:
        running.send(GOOD)  # the first health checks are in by now
        yield running


_methods = st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"G\x00T"])
_tokens = st.binary(min_size=0, max_size=40)
_requests = st.builds(
    lambda method, path, version, headers, body: (
        method
        + b" "
        + path
        + b" "
        + version
        + b"\r\n"
        + b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        + b"\r\n"
        + body
    ),
    _methods,
    st.one_of(st.just(b"/"), _tokens),
    st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/9", b""]),
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    b"Host",
                    b"Content-Length",
                    b"Transfer-Encoding",
                    b"X-Forwarded-For",
                    b"Cookie",
                    b"Expect",
                    b"Upgrade",
                    b"Connection",
                ]
            ),
            _tokens,
        ),
        max_size=6,
    ),
    _tokens,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.one_of(st.binary(max_size=300), _requests))
@example(raw=b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n")
@example(raw=b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
@example(raw=b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
@example(raw=b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
@example(raw=b"GET / HTTP/1.1\r\nCookie: AWSALB=\xff\xfe\r\n\r\n")
def test_no_input_crashes_a_node(lab, raw):
    answer = lab.send(raw)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 ")
    assert lab.errors == []
    assert lab.send(GOOD).startswith(b"HTTP/1.1 200")


@settings(max_examples=300, deadline=None)
@given(
    method=st.text(max_size=10),
    host=st.text(max_size=30),
    path=st.text(max_size=40),
    query=st.text(max_size=40),
    headers=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=20)), max_size=4),
    source=st.ip_addresses(v=4).map(str),
)
def test_rule_matching_never_raises_and_falls_back_to_the_default(
    method, host, path, query, headers, source
):
    listener = topology(_every_condition).load_balancers[0].listeners[0]
    facts = RequestFacts(
        method=method,
        host=host,
        path=path,
        query=query,
        headers=tuple((k.lower(), v) for k, v in headers),
        source_ip=source,
    )
    matched = route(listener, facts)
    assert matched.rule in {10, 20, 30, 40, 50, 60, "default"}


def _every_condition(document):
    rules = [
        ("host-header", {"HostHeaderConfig": {"Values": ["*.example.com"]}}),
        ("path-pattern", {"PathPatternConfig": {"Values": ["/api/*", "/v?/x"]}}),
        ("http-header", {"HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["beta*"]}}),
        ("http-request-method", {"HttpRequestMethodConfig": {"Values": ["POST"]}}),
        (
            "query-string",
            {"QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}, {"Value": "x\\*"}]}},
        ),
        ("source-ip", {"SourceIpConfig": {"Values": ["10.0.0.0/8", "203.0.113.0/24"]}}),
    ]
    for n, (field, config) in enumerate(rules, start=1):
        document["Resources"][f"Rule{n}"] = {
            "Type": "AWS::ElasticLoadBalancingV2::ListenerRule",
            "Properties": {
                "ListenerArn": {"Ref": "HttpListener"},
                "Priority": n * 10,
                "Conditions": [{"Field": field, **config}],
                "Actions": [
                    {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}
                ],
            },
        }
