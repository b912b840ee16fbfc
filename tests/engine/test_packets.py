"""Inner IPv4 packets: built as bytes, read back as the facts a GWLB hashes."""

import pytest

from labs.engine import packets
from labs.engine.packets import PacketError, Summary, build, checksum, parse


def test_a_udp_packet_reads_back_as_its_five_tuple():
    packet = build(
        protocol="UDP", source=("198.51.100.7", 40000), destination=("10.0.3.10", 53), payload=b"q"
    )
    assert len(packet) == 20 + 8 + 1
    assert parse(packet) == Summary(
        protocol="UDP",
        source_ip="198.51.100.7",
        source_port=40000,
        destination_ip="10.0.3.10",
        destination_port=53,
        length=29,
    )


def test_header_and_segment_checksums_verify():
    packet = build(
        protocol="TCP", source=("198.51.100.7", 40000), destination=("10.0.3.10", 80), payload=b"hi"
    )
    assert checksum(packet[:20]) == 0  # a valid IPv4 header sums to zero
    pseudo = packet[12:20] + bytes([0, packets.TCP]) + (len(packet) - 20).to_bytes(2, "big")
    assert checksum(pseudo + packet[20:]) == 0


def test_icmp_has_no_ports():
    summary = parse(
        build(protocol="ICMP", source=("198.51.100.7", 1), destination=("10.0.3.10", 0))
    )
    assert (summary.protocol, summary.source_port, summary.destination_port) == ("ICMP", None, None)
    assert summary.wire() == {
        "protocol": "ICMP",
        "source": "198.51.100.7",
        "destination": "10.0.3.10",
        "bytes": 28,
    }


@pytest.mark.parametrize("data", [b"\x45\x00", b"\x60" + b"\0" * 39])
def test_parse_refuses_what_is_not_ipv4(data):
    with pytest.raises(PacketError):
        parse(data)


def test_parse_refuses_a_length_field_that_disagrees():
    packet = build(protocol="UDP", source=("1.2.3.4", 1), destination=("5.6.7.8", 2))
    with pytest.raises(PacketError):
        parse(packet + b"extra")
