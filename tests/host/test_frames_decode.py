"""frames.decode (the host's preview and checks of a frame file) on small
frames built field by field: the edges of the pixel data, and each way it
can be wrong, with the one-line error it gives (docs/frame-format.md)."""

import struct
import zlib

import pytest

from pendant import frames
from pendant.firmware import frame

BG = bytes.fromhex("1234")


def one_pixel(pixels, enc):
    """A 1x1 frame (span x = 0..1) of encoding enc with this pixel data."""
    return frame.pack(1, 1, 0x1234, [(0, 1)], pixels, enc)


@pytest.mark.parametrize("enc,params", [(frame.ENC_RICE, 16), (frame.ENC_PRED, 4)])
def test_a_frame_of_empty_rows_decodes_to_its_background(enc, params):
    data = frame.pack(3, 2, 0x1234, [(0, 0), (2, 2)], bytes(params), enc)
    assert frames.decode(data) == (3, 2, BG * 6)


@pytest.mark.parametrize("enc,params", [
    (frame.ENC_RICE, bytes(16)),
    (frame.ENC_RICE, bytes((3, 3, 3, 0)) + bytes((7,)) * 12),  # every limit
    (frame.ENC_PRED, bytes(4)),
    (frame.ENC_PRED, bytes((3, 3, 3, 0))),
])
def test_a_plain_row_decodes_to_its_bytes(enc, params):
    data = one_pixel(params + b"\x02\x00" + b"\xab\xcd", enc)
    assert frames.decode(data) == (1, 1, b"\xab\xcd")


@pytest.mark.parametrize("enc,pixels,message", [
    (frame.ENC_RICE, bytes(15), "truncated pixel data"),  # the parameters cut short
    (frame.ENC_PRED, bytes(3), "truncated pixel data"),
    (frame.ENC_RICE, bytes(16) + b"\x02", "truncated pixel data"),  # half a row length
    (frame.ENC_RICE, bytes(16) + b"\x00\x00", "corrupt pixel data on row 0"),  # L = 0
    (frame.ENC_PRED, bytes(4) + b"\x00\x00", "corrupt pixel data on row 0"),
    (frame.ENC_RICE, bytes(16) + b"\x03\x00" + bytes(3), "bad row length on row 0"),
    (frame.ENC_RICE, bytes(16) + b"\x01\x00", "bad row length on row 0"),  # past the end
    (frame.ENC_RICE, bytes(16) + b"\x02\x00\xab\xcd\x00", "does not match the span table"),
    (frame.ENC_RICE, bytes((4,)) + bytes(15) + b"\x02\x00\xab\xcd", "bad codec parameters"),
    (frame.ENC_RICE, bytes(15) + b"\x08\x02\x00\xab\xcd", "bad codec parameters"),
    (frame.ENC_PRED, bytes((0, 0, 4, 0)) + b"\x02\x00\xab\xcd", "bad codec parameters"),
    (frame.ENC_PRED, bytes((0, 4, 0, 0)) + b"\x02\x00\xab\xcd", "bad codec parameters"),
    (frame.ENC_PRED, bytes((4, 0, 0, 0)) + b"\x02\x00\xab\xcd", "bad codec parameters"),
    (frame.ENC_PRED, bytes((0, 0, 0, 1)) + b"\x02\x00\xab\xcd", "bad codec parameters"),
])
def test_bad_pixel_data_is_refused_in_one_line(enc, pixels, message):
    with pytest.raises(frame.FrameError, match=message):
        frames.decode(one_pixel(pixels, enc))


def test_a_spans_frame_with_a_pixel_left_over_is_refused():
    data = bytearray(frame.pack(2, 1, 0x1234, [(0, 1)], b"\xab\xcd"))
    assert frames.decode(bytes(data)) == (2, 1, b"\xab\xcd" + BG)
    # the header and its CRC rewritten by hand for a body one pixel longer
    good = frame.pack(2, 1, 0x1234, [(0, 2)], b"\xab\xcd\xab\xcd")
    bad = good[:32] + b"\x00\x00\x01\x00" + good[36:]  # span table says x 0..1
    bad = rewrite_body_crc(bad)
    with pytest.raises(frame.FrameError, match="does not match the span table"):
        frames.decode(bad)


def rewrite_body_crc(data):
    head = bytearray(data[:28])
    struct.pack_into("<I", head, 22, zlib.crc32(data[32:]))
    return bytes(head) + struct.pack("<I", zlib.crc32(bytes(head))) + data[32:]


def test_a_bad_span_is_refused():
    good = frame.pack(2, 1, 0x1234, [(0, 2)], b"\xab\xcd\xab\xcd")
    for span in (b"\x01\x00\x00\x00", b"\x00\x00\x03\x00"):  # x0 > x1, x1 past the width
        with pytest.raises(frame.FrameError, match="bad span table"):
            frames.decode(rewrite_body_crc(good[:32] + span + good[36:]))


def test_a_body_of_the_wrong_size_or_crc_is_refused():
    data = one_pixel(bytes(16) + b"\x02\x00\xab\xcd", frame.ENC_RICE)  # body: 4 + 20 bytes
    with pytest.raises(frame.FrameError, match="frame body is 25 bytes, header says 24"):
        frames.decode(data + b"\x00")
    with pytest.raises(frame.FrameError, match="CRC"):
        frames.decode(data[:-1] + b"\xce")


def test_a_row_length_above_255_is_read_whole():
    # 200 plain pixels: L = 400 = 0x0190, both bytes count
    px = bytes(range(200)) * 2
    data = frame.pack(200, 1, 0, [(0, 200)], bytes(16) + b"\x90\x01" + px, frame.ENC_RICE)
    assert frames.decode(data) == (200, 1, px)
