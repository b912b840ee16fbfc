"""Proxy protocol v2 headers, as an NLB prepends them to a TCP stream (spec §6.4).

Layout (haproxy's proxy-protocol.txt §2.2): the 12-byte signature; version 2 in the high
nibble and the command in the low one (0x1 PROXY, 0x0 LOCAL); the address family in the
high nibble and the transport in the low one (0x11 TCP over IPv4, 0x12 UDP over IPv4);
a big-endian length of what follows; then source address, destination address, source
port, destination port. A health check's header is LOCAL with no addresses (§3.2).
"""

import ipaddress
import struct

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PROXY = 0x21  # version 2, command PROXY
LOCAL = 0x20  # version 2, command LOCAL
TCP_OVER_IPV4 = 0x11
UDP_OVER_IPV4 = 0x12
UNSPECIFIED = 0x00


def header(
    source: tuple[str, int], destination: tuple[str, int], *, transport: int = TCP_OVER_IPV4
) -> bytes:
    """The PROXY header for a flow from ``source`` to ``destination`` (IPv4 ip, port)."""
    addresses = (
        ipaddress.IPv4Address(source[0]).packed
        + ipaddress.IPv4Address(destination[0]).packed
        + struct.pack("!HH", source[1], destination[1])
    )
    return SIGNATURE + struct.pack("!BBH", PROXY, transport, len(addresses)) + addresses


def local_header() -> bytes:
    """The header of a health-check connection: no client behind it."""
    return SIGNATURE + struct.pack("!BBH", LOCAL, UNSPECIFIED, 0)


def parse(data: bytes) -> tuple[tuple[str, int] | None, tuple[str, int] | None, int] | None:
    """(source, destination, header length) of a v2 header at the start of ``data``;
    addresses are None for LOCAL or non-IPv4 headers. None: no complete header there."""
    if not data.startswith(SIGNATURE) or len(data) < 16:
        return None
    command, family, length = struct.unpack("!BBH", data[12:16])
    end = 16 + length
    if len(data) < end:
        return None
    if command != PROXY or family >> 4 != 0x1 or length < 12:
        return None, None, end
    src, dst = data[16:20], data[20:24]
    sport, dport = struct.unpack("!HH", data[24:28])
    return (
        (str(ipaddress.IPv4Address(src)), sport),
        (str(ipaddress.IPv4Address(dst)), dport),
        end,
    )
