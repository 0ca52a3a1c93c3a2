"""docs/protocol.md and firmware/proto.py say the same thing: the message
types, error codes and sizes the prose gives are the ones the code uses (the
numbers are read from the document, not from the code under test), and the
helpers hold at their edges."""

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import proto
import pytest

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()


def test_every_message_type_in_the_table_is_the_codes():
    rows = re.findall(r"^\| 0x([0-9A-F]{2}) \| ([A-Z_]+) \|", DOC, re.M)
    assert len(rows) == 14
    for code, name in rows:
        assert getattr(proto, name) == int(code, 16), name
    assert "0x" + format(proto.OK, "02X") in DOC


def test_the_error_codes_are_the_documented_ones():
    text = DOC[DOC.index("Error codes:"):]
    text = " ".join(text[: text.index("##")].split())
    for code, name, words in ((1, "BAD_PACKET", "bad packet"), (2, "UNKNOWN", "unknown type"),
                              (3, "BAD_ARG", "bad argument"), (4, "NO_SPACE", "no space"),
                              (5, "NOT_FOUND", "not found"), (6, "BAD_DATA", "bad data"),
                              (7, "STORE_FULL", "store full"), (8, "INTERNAL", "internal")):
        assert f"{code} {words}" in text, words
        assert getattr(proto, "E_" + name) == code, name


def test_the_sizes_in_the_prose():
    assert f"The host sends the {len(proto.OPEN)} bytes `{proto.OPEN.decode().strip()}\\n`" in DOC
    assert b"\x03" not in proto.OPEN
    assert "| 0 | 1 | `0xA5` |" in DOC and proto.SYNC0 == 0xA5
    assert "| 1 | 1 | `0x5A` |" in DOC and proto.SYNC1 == 0x5A
    assert "at most 4,100" in DOC and proto.MAX_PAYLOAD == 4100
    assert "and 16,384 in a reply" in DOC and proto.MAX_REPLY == 16384
    # A filler is skipped this many bytes a read: no more than OPEN, which
    # always follows it, so a read never waits past OPEN.
    assert "`FILL_READ` (13)" in DOC and proto.FILL_READ == 13 == len(proto.OPEN)
    assert "up to 4,096 bytes" in DOC and proto.CHUNK == 4096
    assert "multiples of 64 bytes" in DOC and proto.PIECE == 64
    assert "`FILLER_LEN` (4,110)" in DOC and proto.FILLER_LEN == 4110
    assert "up to 4 DATA packets" in DOC and proto.WINDOW == 4
    assert "first 16 hex digits" in DOC and proto.ID_LEN == 16
    assert proto.HEAD_SIZE == 6 and proto.CRC_SIZE == 4  # "| 6 | n | payload |"
    assert "| 6 | n | payload |" in DOC


def test_a_packet_byte_for_byte():
    got = proto.packet(proto.LIST, 0x107, b"ab")  # the sequence number wraps at a byte
    body = bytes((0x02, 0x07, 2, 0)) + b"ab"
    assert got == b"\xa5\x5a" + body + struct.pack("<I", zlib.crc32(body))
    assert proto.check(got[:6], got[6:8], got[8:])
    assert not proto.check(got[:6], b"ac", got[8:])
    bad = bytearray(got[:6])
    bad[3] ^= 1
    assert not proto.check(bytes(bad), got[6:8], got[8:])


def test_the_longest_payload_and_one_more():
    assert len(proto.packet(proto.DATA, 1, bytes(4100))) == 4110
    with pytest.raises(ValueError):
        proto.packet(proto.DATA, 1, bytes(4101))


@pytest.mark.parametrize("name,ok", [
    ("0123456789abcdef", True), (b"fedcba9876543210", True),
    ("0123456789abcde", False), ("0123456789abcdef0", False), ("0123456789ABCDEF", False),
    ("0123456789abcdeg", False), ("g123456789abcdef", False), ("", False),
    ("../../main.py\x00\x00\x00", False),
])
def test_valid_ids(name, ok):
    assert proto.valid_id(name) is ok


def test_put_payload_round_trip_and_malformed():
    p = proto.put_payload("0123456789abcdef", 70_000, 0xDEADBEEF)
    assert p == b"0123456789abcdef" + struct.pack("<II", 70_000, 0xDEADBEEF)
    assert proto.parse_put(memoryview(p)) == (b"0123456789abcdef", 70_000, 0xDEADBEEF)
    assert proto.parse_put(p[:-1]) is None and proto.parse_put(p + b"\x00") is None
    assert proto.parse_put(b"0123456789abcdeX" + p[16:]) is None


def test_hello_after_open_never_carries_ctrl_c():
    """Until OPEN is read, rp2's USB stack turns 0x03 into Ctrl-C as it
    arrives: a HELLO whose packet holds one (CRC included) is refused."""
    refused = 0
    for seq in range(256):
        for nonce in (0, 3, 0x0303, 0x12345678):
            pkt = proto.hello(seq, nonce)
            raw = proto.packet(proto.HELLO, seq, struct.pack("<BI", proto.VERSION, nonce))
            if b"\x03" in raw:
                assert pkt is None
                refused += 1
            else:
                assert pkt == raw
    assert proto.hello(3, 0x11111111) is None  # the sequence number byte itself is 0x03
    assert refused


def test_error_payload():
    assert proto.error_payload(6, "bad é") == b"\x06bad \xc3\xa9"


def test_the_documented_protocol_version():
    assert f"protocol version {proto.VERSION} " in " ".join(DOC.split())
    assert proto.VERSION == 2


def test_the_host_imports_proto_without_micropython():
    """On the host there is no `micropython` module: proto.py brings its own
    const() (the tests' fake micropython module is not on this path)."""
    path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if "fakes" not in p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    code = ("import sys; assert 'micropython' not in sys.modules\n"
            "from pendant.firmware import proto\n"
            "print(proto.VERSION, proto.const(7), 'micropython' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(proto.VERSION), "7", "False"]


def test_the_hello_nonce_is_a_little_endian_u32_after_the_version():
    """docs/protocol.md: HELLO's payload is u8 host protocol version, u32
    nonce; a payload too short to hold one has none (0)."""
    assert proto.hello_nonce(bytes((2, 0x78, 0x56, 0x34, 0x12))) == 0x12345678
    assert proto.hello_nonce(bytes((2, 0x78, 0x56, 0x34))) == 0
    assert proto.hello_nonce(b"\x02") == 0
