"""A chunk that repeats the last whole request (client side) or the last whole answer
(target side) byte for byte is not parsed again: what comes out must be what parsing it
would give, and anything else still goes through the parser."""

import shlex
from typing import Any

import pytest

from labs.bench.inprocess import FakeTransport, serve_in_process

pytestmark = pytest.mark.timeout(30)

GET = b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-app: one\r\n\r\nhello"


class Wire(FakeTransport):
    """Keeps what the proxy wrote, to read it back."""

    def __init__(self, peer: tuple[str, int]) -> None:
        super().__init__(peer, reply=ANSWER)
        self.sent: list[bytes] = []

    def write(self, data: Any) -> None:
        self.sent.append(bytes(data))
        super().write(data)


def _node():
    target, wire = Wire(("127.0.0.1", 1)), Wire(("127.0.0.1", 40000))
    (client,), sink = serve_in_process(("127.0.0.1", 1), target, [wire])
    return client, wire, target, sink


async def test_repeated_requests_reach_the_target_as_parsed_ones_with_their_own_trace_ids():
    client, wire, target, sink = _node()
    for _ in range(3):
        client.data_received(GET)
    other = b"POST /api/v3/x HTTP/1.1\r\nHost: example.org\r\nContent-Length: 0\r\n\r\n"
    client.data_received(other)
    client.data_received(GET)

    heads = [sent.split(b"X-Amzn-Trace-Id: ") for sent in target.sent]
    assert len({head for head, _ in heads}) == 2  # GET alike each time; the POST its own
    assert heads[0][0] == heads[1][0] == heads[2][0] == heads[4][0]
    assert heads[3][0].startswith(b"POST /api/v3/x HTTP/1.1\r\n")
    assert heads[3][1].endswith(b"\r\nContent-Length: 0\r\n\r\n")
    assert len({trace for _, trace in heads}) == 5  # a fresh trace id per request
    assert wire.sent == [wire.sent[0]] * 5  # the same answer each time
    assert wire.sent[0].endswith(b"\r\nContent-Length: 5\r\n\r\nhello")
    sink.drain()
    rules = [shlex.split(line)[20] for line in sink.access_log]  # matched_rule_priority
    assert rules == ["0", "0", "0", "3", "0"]


async def test_a_chunk_with_two_requests_or_half_a_request_is_parsed():
    client, _wire, target, sink = _node()
    client.data_received(GET)
    client.data_received(GET + GET)  # pipelined: two answers, not one
    client.data_received(GET[:10])
    client.data_received(GET[10:])
    client.data_received(GET)
    assert len(target.sent) == 5
    sink.drain()
    assert len(sink.access_log) == 5


async def test_a_head_request_after_a_repeated_answer_gets_no_body():
    client, wire, target, _sink = _node()
    client.data_received(GET)
    client.data_received(GET)
    client.data_received(b"HEAD / HTTP/1.1\r\nHost: example.org\r\n\r\n")
    assert wire.sent[0] == wire.sent[1]
    assert wire.sent[2].endswith(b"\r\nContent-Length: 5\r\n\r\n")  # the length, no body
    target.reply = ANSWER.replace(b"one", b"two")
    client.data_received(GET)
    assert b"x-app: two" in wire.sent[3]


async def test_a_repeated_head_keeps_what_was_derived_from_it():
    client, _wire, _target, sink = _node()
    for _ in range(4):
        client.data_received(GET)
    sink.drain()  # the access log's fields are read then
    assert client._memo is not None
    head = client._memo[1]
    assert head.admission is not None and head.facts is not None
    assert head.plan is not None and head.to_target is not None and head.logged is not None
