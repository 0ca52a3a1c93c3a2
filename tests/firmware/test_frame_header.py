"""firmware/frame.py's header at its limits: what the pendant accepts and
refuses, checked against headers built here by hand from the layout in
docs/frame-format.md (not by frame.pack), and pack()'s own refusals."""

from __future__ import annotations

import struct
import zlib

import frame
import pytest


def header(magic=b"PHRT", version=1, encoding=0, width=4, height=2, bg=0x1234, flags=0,
           count=2, body=12, body_crc=0xDEADBEEF, reserved=0, crc=None):
    """32 bytes as docs/frame-format.md lays them out; crc: the header CRC, or right."""
    head = struct.pack("<4sBBHHHHIIIH", magic, version, encoding, width, height, bg, flags,
                       count, body, body_crc, reserved)
    return head + struct.pack("<I", zlib.crc32(head) if crc is None else crc)


def refused(buf, text):
    with pytest.raises(frame.FrameError) as e:
        frame.parse_header(buf)
    assert str(e.value) == text


def test_a_good_header_gives_its_fields_in_order():
    assert frame.parse_header(header()) == (0, 4, 2, 0x1234, 2, 12, 0xDEADBEEF)
    assert frame.parse_header(header() + b"more") == (0, 4, 2, 0x1234, 2, 12, 0xDEADBEEF)
    assert frame.file_size(frame.parse_header(header(body=1000))) == 32 + 1000


def test_a_short_header_is_refused():
    refused(header()[:31], "short header")
    refused(b"", "short header")


def test_magic_version_and_crc_are_checked_in_that_order():
    refused(header(magic=b"PHRU"), "not a frame file")
    refused(header(magic=b"PHRU", crc=0), "not a frame file")
    refused(header(version=2), "frame version 2 not supported")
    refused(header(version=0, crc=0), "frame version 0 not supported")
    refused(header(crc=1), "header CRC mismatch")
    refused(header(reserved=1, crc=zlib.crc32(header()[:28])), "header CRC mismatch")


def test_every_header_byte_is_covered_by_its_crc():
    good = header()
    for i in range(28):
        bad = bytearray(good)
        bad[i] ^= 0x01
        with pytest.raises(frame.FrameError):
            frame.parse_header(bytes(bad))


def test_known_encodings_only():
    # docs/frame-format.md: 0 plain spans, 1 predicted and Rice-coded.
    assert frame.parse_header(header(encoding=0))[0] == frame.ENC_SPANS == 0
    assert frame.parse_header(header(encoding=1))[0] == frame.ENC_PRED == 1
    refused(header(encoding=7), "unknown encoding 7")
    refused(header(encoding=255), "unknown encoding 255")


@pytest.mark.parametrize("width, height, ok", [
    (1, 1, True), (480, 480, True), (240, 240, True),
    (0, 2, False), (4, 0, False), (481, 2, False), (4, 481, False),
])
def test_geometry_limits(width, height, ok):
    buf = header(width=width, height=height, body=height * 4)
    if ok:
        assert frame.parse_header(buf)[1:3] == (width, height)
    else:
        refused(buf, "bad geometry")


def test_flags_must_be_zero():
    refused(header(flags=1), "bad geometry")
    refused(header(flags=0x8000), "bad geometry")


def test_the_body_holds_at_least_the_span_table():
    assert frame.parse_header(header(height=2, body=8))[5] == 8
    refused(header(height=2, body=7), "body too small")
    refused(header(height=480, body=480 * 4 - 1), "body too small")


def test_pack_writes_the_layout_byte_for_byte():
    spans = [(1, 3), (0, 0), (2, 4)]
    pixels = bytes(range(8))
    got = frame.pack(4, 3, 0xABCD, spans, pixels)
    table = struct.pack("<HHHHHH", 1, 3, 0, 0, 2, 4)
    body_crc = zlib.crc32(table + pixels)
    assert got == header(width=4, height=3, bg=0xABCD, count=4, body=len(table) + 8,
                         body_crc=body_crc) + table + pixels


def test_pack_takes_pred_pixels_of_any_length():
    got = frame.pack(4, 1, 0, [(0, 4)], b"\x01\x02\x03", encoding=frame.ENC_PRED)
    assert frame.parse_header(got)[0] == frame.ENC_PRED and got[-3:] == b"\x01\x02\x03"


@pytest.mark.parametrize("spans, text", [
    ([(0, 4)], "need one span per row"),
    ([(0, 4)] * 3, "need one span per row"),
    ([(0, 4), (3, 2)], "bad span on row 1"),
    ([(0, 5), (0, 4)], "bad span on row 0"),
    ([(-1, 3), (0, 4)], "bad span on row 0"),
])
def test_pack_refuses_bad_spans(spans, text):
    with pytest.raises(frame.FrameError) as e:
        frame.pack(4, 2, 0, spans, bytes(16))
    assert str(e.value) == text


def test_pack_takes_spans_at_the_edges():
    data = frame.pack(4, 2, 0, [(0, 4), (4, 4)], bytes(8))
    assert frame.parse_header(data)[4] == 4


def test_pack_refuses_pixels_that_do_not_match_the_spans_and_unknown_encodings():
    with pytest.raises(frame.FrameError) as e:
        frame.pack(4, 1, 0, [(0, 4)], bytes(7))
    assert str(e.value) == "pixel data does not match spans"
    with pytest.raises(frame.FrameError) as e:
        frame.pack(4, 1, 0, [(0, 4)], bytes(9))
    assert str(e.value) == "pixel data does not match spans"
    with pytest.raises(frame.FrameError) as e:
        frame.pack(4, 1, 0, [(0, 4)], bytes(8), encoding=9)
    assert str(e.value) == "unknown encoding 9"
