"""GENEVE (RFC 8926) as a Gateway Load Balancer speaks it: bytes in, values out (spec §7.2).

Everything about the tunnel's wire format lives in this file. Layout, network byte order::

    0                   1                   2                   3
    |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
    |        Virtual Network Identifier (VNI)       |    Reserved   |
    |                    Variable-Length Options                    |

    option: | Option Class (16) | Type (8) |R|R|R| Length (5) | data (Length × 4 bytes) |

- Ver is 0; Opt Len counts the options in 4-byte words (not the 8-byte base header).
- GWLB carries the inner **IP packet** itself, with no Ethernet header, so Protocol Type
  is an EtherType: 0x0800 for IPv4, 0x86DD for IPv6 (not 0x6558, Transparent Ethernet
  Bridging, which would mean an inner Ethernet frame).
- GWLB puts three options of class 0x0108 (AWS's) on every packet, always these three:
  type 1, the GWLB endpoint's id (64 bits); type 2, the attachment id (64 bits); type 3,
  the flow cookie (32 bits). Opt Len is therefore 8 (32 bytes) and the whole overhead
  with the outer IPv4 and UDP headers is 20 + 8 + 8 + 32 = 68 bytes.
- An appliance returns the packet with the GENEVE header unchanged (§7.3), so a node
  recognises its own flow by the cookie.

``encode`` and ``decode`` are exact inverses; ``decode`` raises ``GeneveError`` with a
code saying what was wrong, and never reads past the datagram.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PORT = 6081  # IANA's GENEVE port; GWLB uses no other (§2.1)
IPV4, IPV6 = 0x0800, 0x86DD  # Protocol Type: the inner packet's EtherType
AWS_CLASS = 0x0108
ENDPOINT_ID, ATTACHMENT_ID, FLOW_COOKIE = 1, 2, 3  # AWS's option types
BASE_LENGTH = 8
OVERHEAD = 20 + 8 + BASE_LENGTH + 32  # outer IPv4 + UDP + GENEVE with AWS's options (§7.2)

_BASE = struct.Struct("!BBHI")  # ver|optlen, O|C|rsvd, protocol type, VNI << 8 | reserved
_OPTION = struct.Struct("!HBB")  # class, type, rrr|length
_AWS = ((ENDPOINT_ID, 8), (ATTACHMENT_ID, 8), (FLOW_COOKIE, 4))  # type, data bytes


class GeneveError(ValueError):
    """Not a GENEVE packet GWLB would send or accept; ``code`` says why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code  # truncated, version, option_length, not_from_gwlb, ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    cls: int  # 16 bits
    type: int  # 8 bits (the top bit is the "critical" bit)
    data: bytes  # a multiple of 4 bytes, at most 124

    def __post_init__(self) -> None:
        if not 0 <= self.cls <= 0xFFFF or not 0 <= self.type <= 0xFF:
            raise ValueError("option class is 16 bits and type 8 bits")
        if len(self.data) % 4 or len(self.data) > 124:
            raise ValueError("option data is a multiple of 4 bytes, at most 124")


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    protocol: int = IPV4  # the inner packet's EtherType
    vni: int = 0  # playground: 0 (§7.2, unverified; sample parsers ignore it)
    options: tuple[Option, ...] = ()
    oam: bool = False  # O: a control packet
    critical: bool = False  # C: some option has its critical bit set

    def __post_init__(self) -> None:
        if not 0 <= self.vni < 1 << 24:
            raise ValueError("the VNI is 24 bits")


@dataclass(frozen=True, slots=True, kw_only=True)
class AwsTags:
    """What GWLB's three options say about a packet."""

    endpoint_id: int  # the GWLB endpoint (VPC endpoint) it came through, 64 bits
    attachment_id: int  # 64 bits
    flow_cookie: int  # 32 bits: the flow, as the GWLB node knows it

    def header(self, protocol: int = IPV4) -> Header:
        values = (self.endpoint_id, self.attachment_id, self.flow_cookie)
        return Header(
            protocol=protocol,
            options=tuple(
                Option(cls=AWS_CLASS, type=kind, data=value.to_bytes(size, "big"))
                for (kind, size), value in zip(_AWS, values, strict=True)
            ),
        )


def encode(header: Header, inner: bytes) -> bytes:
    """The UDP payload carrying ``inner`` behind ``header``."""
    options = b"".join(
        _OPTION.pack(o.cls, o.type, len(o.data) // 4) + o.data for o in header.options
    )
    words = len(options) // 4
    if words > 0x3F:
        raise ValueError("options exceed 252 bytes")
    flags = (header.oam << 7) | (header.critical << 6)
    return _BASE.pack(words, flags, header.protocol, header.vni << 8) + options + inner


def decode(datagram: bytes) -> tuple[Header, bytes]:
    """The header and the inner packet of a GENEVE UDP payload.

    Raises:
        GeneveError: ``truncated``, ``version`` (not 0) or ``option_length`` (an option
            runs past the options area).
    """
    if len(datagram) < BASE_LENGTH:
        raise GeneveError("truncated", f"{len(datagram)} bytes")
    first, flags, protocol, vni = _BASE.unpack_from(datagram)
    if first >> 6:
        raise GeneveError("version", str(first >> 6))
    end = BASE_LENGTH + (first & 0x3F) * 4
    if len(datagram) < end:
        raise GeneveError("truncated", "options")
    options, at = [], BASE_LENGTH
    while at < end:
        if at + _OPTION.size > end:
            raise GeneveError("option_length", f"at byte {at}")
        cls, kind, length = _OPTION.unpack_from(datagram, at)
        start, at = at + _OPTION.size, at + _OPTION.size + (length & 0x1F) * 4
        if at > end:
            raise GeneveError("option_length", f"option {cls:#06x}/{kind} at byte {start}")
        options.append(Option(cls=cls, type=kind, data=datagram[start:at]))
    header = Header(
        protocol=protocol,
        vni=vni >> 8,
        options=tuple(options),
        oam=bool(flags & 0x80),
        critical=bool(flags & 0x40),
    )
    return header, datagram[end:]


def aws_tags(header: Header) -> AwsTags:
    """GWLB's three options; a packet lacking one is not from a GWLB (§7.3).

    Raises:
        GeneveError: ``not_from_gwlb``.
    """
    found = {o.type: o.data for o in header.options if o.cls == AWS_CLASS}
    values = []
    for kind, size in _AWS:
        data = found.get(kind)
        if data is None or len(data) != size:
            raise GeneveError("not_from_gwlb", f"option {AWS_CLASS:#06x}/{kind} missing")
        values.append(int.from_bytes(data, "big"))
    endpoint, attachment, cookie = values
    return AwsTags(endpoint_id=endpoint, attachment_id=attachment, flow_cookie=cookie)
