"""Proxy protocol v2 header bytes (spec §6.4; haproxy proxy-protocol.txt §2.2)."""

from labs.engine.proxy_protocol import header, local_header, parse


def test_a_tcp_over_ipv4_header_is_laid_out_byte_for_byte():
    assert header(("198.51.100.7", 40000), ("10.0.1.5", 80)) == bytes.fromhex(
        "0d0a0d0a000d0a515549540a"  # signature
        "21"  # version 2, PROXY
        "11"  # INET, STREAM
        "000c"  # 12 bytes follow
        "c6336407"  # 198.51.100.7
        "0a000105"  # 10.0.1.5
        "9c40"  # 40000
        "0050"  # 80
    )


def test_a_health_check_header_is_local_without_addresses():
    assert local_header() == bytes.fromhex("0d0a0d0a000d0a515549540a20000000")


def test_parse_reads_back_what_header_wrote_and_where_the_payload_starts():
    data = header(("203.0.113.9", 1234), ("10.0.2.5", 443)) + b"GET / HTTP/1.1\r\n"
    assert parse(data) == (("203.0.113.9", 1234), ("10.0.2.5", 443), 28)
    assert parse(local_header() + b"x") == (None, None, 16)
    assert parse(b"GET / HTTP/1.1\r\n") is None
    assert parse(data[:20]) is None  # incomplete
