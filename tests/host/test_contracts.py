"""The frame format and the wire protocol against the golden vectors, on CPython."""

import zlib
from pathlib import Path

import pytest

from pendant import frames
from pendant.firmware import frame, proto

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def vector(name):
    return bytes.fromhex((VECTORS / name).read_text().strip())


def test_frame_pack_matches_golden_bytes():
    data = frame.pack(4, 2, 0x0000, [(1, 3), (0, 0)], bytes.fromhex("f800f800"))
    assert data == vector("frame_4x2.hex")


def test_golden_frame_parses_and_decodes():
    data = vector("frame_4x2.hex")
    enc, w, h, bg, count, size, _ = frame.parse_header(data[:32])
    assert (enc, w, h, bg, count, size) == (frame.ENC_SPANS, 4, 2, 0, 2, 12)
    width, height, rgb = frames.decode(data)
    # Row 0: background, red, red, background; row 1: background.
    assert rgb == bytes.fromhex("0000f800f8000000" + "0000" * 4)


def test_rgb565_is_high_byte_first():
    # Pure red 0xF800 is sent as F8 00, the order the panel's RAMWR expects.
    cov = bytes([255] * 4 + [0] * 4)
    rgb = bytes.fromhex("f800" * 4 + "0000" * 4)
    ff = frames.encode(rgb, cov, 0, 4, 2)
    assert ff.data[-8:] == bytes.fromhex("f800" * 4)


@pytest.mark.parametrize("offset", [0, 4, 5, 10, 28, 33])
def test_any_flipped_header_byte_is_detected(offset):
    data = bytearray(vector("frame_4x2.hex"))
    data[offset] ^= 0x40
    if offset < 32:
        with pytest.raises(frame.FrameError):
            frame.parse_header(bytes(data[:32]))
    else:
        with pytest.raises(frame.FrameError):
            frames.decode(bytes(data))


def test_packet_matches_golden_bytes():
    assert proto.packet(proto.HELLO, 7, b"\x01") == vector("packet_hello.hex")


def test_packet_crc_check():
    pkt = vector("packet_hello.hex")
    assert proto.check(pkt[:6], pkt[6:7], pkt[7:])
    assert not proto.check(pkt[:6], b"\x02", pkt[7:])


def test_open_bytes_cannot_interrupt_the_repl():
    assert 0x03 not in proto.OPEN


@pytest.mark.parametrize("name,ok", [
    ("0123456789abcdef", True), ("0123456789ABCDEF", False), ("../main.py", False),
    ("0123456789abcde", False), ("0123456789abcdef0", False), ("0123456789abcde/", False),
])
def test_photo_ids(name, ok):
    assert proto.valid_id(name) is ok


def test_spans_from_coverage_keeps_inner_background():
    cov = bytes([0, 9, 0, 9, 0] + [0] * 5)
    assert frames.spans_from_coverage(cov, 5, 2) == [(1, 4), (0, 0)]


def test_hello_packet_is_refused_when_it_carries_ctrl_c():
    # An independent scan: every (seq, nonce) pair whose packet, CRC included,
    # holds 0x03 must be refused, every other one given back byte for byte.
    refused = 0
    for seq in range(0, 256, 7):
        for nonce in (0, 3, 0x0300, 0x12345678, 0xFFFFFFFF, 0x03030303, seq * 977):
            raw = bytes((0xA5, 0x5A, proto.HELLO, seq, 5, 0, proto.VERSION)) + \
                nonce.to_bytes(4, "little")
            crc = zlib.crc32(raw[2:]).to_bytes(4, "little")
            pkt = proto.hello(seq, nonce)
            if 0x03 in raw + crc:
                assert pkt is None
                refused += 1
            else:
                assert pkt == raw + crc
    assert refused > 0


def test_hello_nonce_round_trip():
    pkt = proto.hello(9, 0xDEADBEEF) or proto.hello(10, 0xDEADBEEF)
    assert proto.hello_nonce(pkt[6:-4]) == 0xDEADBEEF
    assert proto.hello_nonce(bytes((1,))) == 0  # a protocol-1 host sent none


def test_photo_id_is_the_start_of_the_frames_sha256():
    import hashlib

    data = b"any frame file bytes"
    want = hashlib.sha256(data).hexdigest()[:16]  # docs/protocol.md: 16 hex digits
    assert frames.FrameFile(data).id == want
    assert proto.photo_id(hashlib.sha256(data).digest()) == want
