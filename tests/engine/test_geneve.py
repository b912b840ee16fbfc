"""GENEVE as GWLB sends it (RFC 8926, spec §7.2): one table drives encode and decode."""

import pytest

from labs.engine import geneve
from labs.engine.geneve import AwsTags, GeneveError, Header, Option, aws_tags, decode, encode

TAGS = AwsTags(
    endpoint_id=0x0123456789ABCDEF, attachment_id=0x1122334455667788, flow_cookie=0xDEADBEEF
)
INNER = bytes.fromhex("4500001c")  # the first bytes of an inner IPv4 packet

# (header, inner, the bytes on the wire)
CASES = [
    (
        TAGS.header(),
        INNER,
        "08 00 0800 000000 00"  # Ver 0, Opt Len 8 words, O=C=0, IPv4, VNI 0
        " 0108 01 02 0123456789abcdef"  # class 0x0108 type 1 (endpoint), 2 words
        " 0108 02 02 1122334455667788"  # type 2 (attachment), 2 words
        " 0108 03 01 deadbeef"  # type 3 (flow cookie), 1 word
        " 4500001c",
    ),
    (Header(), b"", "00 00 0800 000000 00"),
    (
        Header(protocol=geneve.IPV6, vni=0xABCDEF, oam=True, critical=True),
        b"\x60",
        "00 c0 86dd abcdef 00 60",
    ),
    (
        Header(options=(Option(cls=0xFFFF, type=0x80, data=b""),)),
        b"",
        "01 00 0800 000000 00 ffff 80 00",
    ),
]


@pytest.mark.parametrize(("header", "inner", "wire"), CASES)
def test_encode_writes_rfc_8926_bytes(header, inner, wire):
    assert encode(header, inner) == bytes.fromhex(wire)


@pytest.mark.parametrize(("header", "inner", "wire"), CASES)
def test_decode_reads_them_back(header, inner, wire):
    assert decode(bytes.fromhex(wire)) == (header, inner)


def test_gwlbs_header_is_40_bytes_and_its_overhead_68():
    assert len(encode(TAGS.header(), b"")) == 40
    assert geneve.OVERHEAD == 68


def test_the_three_aws_options_are_read_back():
    header, _ = decode(encode(TAGS.header(), INNER))
    assert aws_tags(header) == TAGS


@pytest.mark.parametrize("missing", [geneve.ENDPOINT_ID, geneve.ATTACHMENT_ID, geneve.FLOW_COOKIE])
def test_a_packet_lacking_an_aws_option_is_not_from_gwlb(missing):
    header = TAGS.header()
    kept = tuple(o for o in header.options if o.type != missing)
    with pytest.raises(GeneveError) as error:
        aws_tags(Header(options=kept))
    assert error.value.code == "not_from_gwlb"


def test_an_aws_option_of_the_wrong_size_is_not_from_gwlb():
    wrong = Option(cls=geneve.AWS_CLASS, type=geneve.FLOW_COOKIE, data=b"\0" * 8)
    header = TAGS.header()
    options = (*header.options[:2], wrong)
    with pytest.raises(GeneveError) as error:
        aws_tags(Header(options=options))
    assert error.value.code == "not_from_gwlb"


@pytest.mark.parametrize(
    ("wire", "code"),
    [
        ("08 00 0800", "truncated"),
        ("40 00 0800 000000 00", "version"),
        ("02 00 0800 000000 00 0108 03 01", "truncated"),  # options promised, not there
        ("01 00 0800 000000 00 0108 03 01", "option_length"),  # runs past Opt Len
        ("01 00 0800 000000 00 0108", "truncated"),  # half an option header
    ],
)
def test_decode_refuses_malformed_packets_with_a_code(wire, code):
    with pytest.raises(GeneveError) as error:
        decode(bytes.fromhex(wire))
    assert error.value.code == code


def test_options_are_whole_words():
    with pytest.raises(ValueError):
        Option(cls=1, type=1, data=b"abc")
    with pytest.raises(ValueError):
        Header(vni=1 << 24)
