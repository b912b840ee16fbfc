"""Inner IP packets: what a client hands a GWLB endpoint, built and read as bytes.

A Gateway Load Balancer works at layer 3: it takes whole IP packets (§7.1). The lab's
clients build real IPv4 packets (a 20-byte header, then a UDP header, a bare TCP header
or an ICMP echo) so the GWLB node, the appliances and the destination all read the same
bytes a real one would. Checksums are computed (RFC 791, RFC 768, RFC 793 with the
pseudo-header), so a capture of the lab's traffic reads as valid packets.

``parse`` returns the packet's ``Summary`` (protocol, addresses, ports, length): the
facts the GWLB hashes and the appliances' rules match on.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

ICMP, TCP, UDP = 1, 6, 17
NAMES = {ICMP: "ICMP", TCP: "TCP", UDP: "UDP"}
NUMBERS = {name: number for number, name in NAMES.items()}
_IP = struct.Struct("!BBHHHBBH4s4s")
_UDP = struct.Struct("!HHHH")
_TCP = struct.Struct("!HHIIBBHHH")
_ICMP = struct.Struct("!BBHHH")
_SYN, _ACK, _PSH = 0x02, 0x10, 0x08


class PacketError(ValueError):
    """Not an IPv4 packet the lab can read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    protocol: str  # TCP, UDP, ICMP or the protocol number
    source_ip: str
    source_port: int | None  # None for protocols without ports
    destination_ip: str
    destination_port: int | None
    length: int  # the whole IP packet, bytes

    def wire(self) -> dict[str, str | int | None]:
        return {
            "protocol": self.protocol,
            "source": _address(self.source_ip, self.source_port),
            "destination": _address(self.destination_ip, self.destination_port),
            "bytes": self.length,
        }


def _address(ip: str, port: int | None) -> str:
    return ip if port is None else f"{ip}:{port}"


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build(
    *,
    protocol: str,
    source: tuple[str, int],
    destination: tuple[str, int],
    payload: bytes = b"",
    ident: int = 0,
    ttl: int = 64,
) -> bytes:
    """An IPv4 packet: UDP, a TCP segment (PSH|ACK) or an ICMP echo request.

    For ICMP the ports are ignored (the identifier is ``source``'s port).
    """
    src = ipaddress.IPv4Address(source[0]).packed
    dst = ipaddress.IPv4Address(destination[0]).packed
    number = NUMBERS[protocol]
    if number == UDP:
        segment = _UDP.pack(source[1], destination[1], _UDP.size + len(payload), 0) + payload
    elif number == TCP:
        flags = _PSH | _ACK if payload else _SYN
        segment = _TCP.pack(source[1], destination[1], 1, 0, 5 << 4, flags, 65535, 0, 0) + payload
    else:
        segment = _ICMP.pack(8, 0, 0, source[1], 1) + payload
    segment = _with_checksum(number, src, dst, segment)
    total = _IP.size + len(segment)
    header = _IP.pack(0x45, 0, total, ident & 0xFFFF, 0x4000, ttl, number, 0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + segment


def _with_checksum(number: int, src: bytes, dst: bytes, segment: bytes) -> bytes:
    if number == ICMP:
        at, covered = 2, segment
    else:
        at = 6 if number == UDP else 16
        covered = src + dst + struct.pack("!BBH", 0, number, len(segment)) + segment
    value = checksum(covered)
    if number == UDP and value == 0:
        value = 0xFFFF  # RFC 768: a computed zero is sent as all ones
    return segment[:at] + struct.pack("!H", value) + segment[at + 2 :]


def parse(packet: bytes) -> Summary:
    """The facts of an IPv4 packet.

    Raises:
        PacketError: too short, not IPv4, or its length field disagrees with the bytes.
    """
    if len(packet) < _IP.size:
        raise PacketError("shorter than an IPv4 header")
    first, _, total, _, _, _, number, _, src, dst = _IP.unpack_from(packet)
    header = (first & 0x0F) * 4
    if first >> 4 != 4 or header < _IP.size:
        raise PacketError("not IPv4")
    if total != len(packet):
        raise PacketError(f"length field says {total}, packet has {len(packet)} bytes")
    ports: tuple[int | None, int | None] = (None, None)
    if number in (TCP, UDP) and total >= header + 4:
        ports = struct.unpack_from("!HH", packet, header)
    return Summary(
        protocol=NAMES.get(number, str(number)),
        source_ip=str(ipaddress.IPv4Address(src)),
        source_port=ports[0],
        destination_ip=str(ipaddress.IPv4Address(dst)),
        destination_port=ports[1],
        length=total,
    )
