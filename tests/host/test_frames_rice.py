"""ENC_RICE (firmware/ricecodec.py), what the host writes: golden bytes worked
out by hand, round trips through the firmware's FrameReader, the error bound
of the near-lossless modes, bad data, and frozen vectors that reach every
branch of the decoder."""

import io
import random
import struct
import sys
from pathlib import Path

import painter  # firmware/painter.py (on sys.path: see pyproject.toml)
import pytest

from pendant import frames
from pendant.firmware import frame
from pendant.photo import RenderOptions, render

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
ReaderError = painter.frame.FrameError
BRANCHES = ("frame_rice_branches_lossless_24x12.hex", "frame_rice_branches_near213_24x12.hex")


def vector(name):
    return bytes.fromhex((VECTORS / name).read_text().strip())


def reader_pixels(data, width, height):
    """The rows the pendant's FrameReader produces for a frame file."""
    r = painter.FrameReader(width, height)
    r.open(io.BytesIO(data))
    out = bytearray(width * height * 2)
    for y in range(height):
        r.row_into(out, y * width * 2)
    return bytes(out)


def channel_error(a, b):
    worst = 0
    for i in range(0, len(a), 2):
        p = a[i] << 8 | a[i + 1]
        q = b[i] << 8 | b[i + 1]
        worst = max(worst, abs((p >> 11) - (q >> 11)), abs((p >> 5 & 63) - (q >> 5 & 63)),
                    abs((p & 31) - (q & 31)))
    return worst


# -- golden bytes (hand-derived, see tests/vectors/README.md) --------------------

GOLDEN_6X2 = bytes(10) + b"\xff\xff" + b"\xf8\x00" + bytes(10)


def test_golden_lossless_bytes():
    # Every residual but two is 0, all in context 0: k = 0 everywhere. Row 0:
    # G 0 0 0 0 0 then 63 (m = 126: an escape, 8 ones + 1111110), R and B all
    # exact (R and B of the white pixel are predicted 0 + 63 >> 1, clamped to 31).
    bits = "0" * 5 + "1" * 8 + "1111110" + "0" * 6 + "0" * 6
    row0 = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert row0 == bytes.fromhex("07ffe000")
    # Row 1 (red): G "0", R m = 62 (escape, 15 bits), B "0": 3 bytes, not less
    # than the 2 of the plain pixel, so it is stored plain.
    pixels = bytes(16) + struct.pack("<H", 4) + row0 + b"\x02\x00\xf8\x00"
    spans = [(0, 6), (0, 1)]
    assert frames.rice_pixels(GOLDEN_6X2, spans, 0, 6) == pixels
    assert frames.rice_pixels_reference(GOLDEN_6X2, spans, 0, 6) == pixels
    assert frame.pack(6, 2, 0, spans, pixels, frame.ENC_RICE) == vector("frame_rice_6x2.hex")


def test_golden_decodes_on_host_and_firmware():
    data = vector("frame_rice_6x2.hex")
    assert frame.parse_header(data[:32])[0] == frame.ENC_RICE
    assert frames.decode(data) == (6, 2, GOLDEN_6X2)
    assert reader_pixels(data, 6, 2) == GOLDEN_6X2


# -- round trips -------------------------------------------------------------------


@pytest.fixture(scope="module")
def photos():
    return [render(ROOT / "host" / "pendant" / "samples" / n, RenderOptions())
            for n in ("astronaut.jpg", "chelsea.jpg")]


@pytest.mark.parametrize("quality,bound", [("lossless", 0), ("visual", 1), ("strong", 2)])
def test_photo_round_trip_and_error_bound(photos, quality, bound):
    for r in photos:
        ff = frames.from_render(r, quality)
        assert ff.encoding == frame.ENC_RICE
        _, _, host = frames.decode(ff.data)
        assert reader_pixels(ff.data, 240, 240) == host  # preview == panel
        assert channel_error(host, r.rgb565) == bound
        if quality == "lossless":
            assert host == r.rgb565


def test_smaller_than_encoding_1(photos):
    for r in photos:
        spans = frames.spans_from_coverage(r.coverage, 240, 240)
        for near in ((0, 0, 0), (1, 1, 1)):
            rice = frames.rice_pixels(r.rgb565, spans, r.background, 240, near)
            pred = frames.pred_pixels(r.rgb565, spans, r.background, 240, near)
            assert len(rice) < len(pred)


def gradient_noise(w, h, seed):
    rnd = random.Random(seed)
    return b"".join(struct.pack(">H", (x * 31 // w) << 11 | (y * 63 // h) << 5 | rnd.getrandbits(3))
                    for y in range(h) for x in range(w))


@pytest.mark.parametrize("near", [(0, 0, 0), (1, 1, 1), (3, 2, 1), (0, 3, 0)])
def test_synthetic_round_trip(near):
    w, h, bg = 40, 30, 0x1234
    rgb = gradient_noise(w, h, 3)
    spans = [(y % 7, w - y % 5) if y % 9 else (5, 5) for y in range(h)]
    want = bytearray(struct.pack(">H", bg) * (w * h))
    for y, (x0, x1) in enumerate(spans):
        want[(y * w + x0) * 2 : (y * w + x1) * 2] = rgb[(y * w + x0) * 2 : (y * w + x1) * 2]
    data = frame.pack(w, h, bg, spans, frames.rice_pixels(rgb, spans, bg, w, near),
                      frame.ENC_RICE)
    _, _, host = frames.decode(data)
    assert reader_pixels(data, w, h) == host
    assert channel_error(host, bytes(want)) <= max(near)
    if near == (0, 0, 0):
        assert host == bytes(want)


# -- bad data ------------------------------------------------------------------------


def small_frame():
    rgb = gradient_noise(48, 24, 5)
    spans = [(y % 5, 48 - y % 7) for y in range(24)]
    return frame.pack(48, 24, 0, spans, frames.rice_pixels(rgb, spans, 0, 48, (1, 0, 1)),
                      frame.ENC_RICE)


def test_truncated_frame_raises_frame_error():
    data = small_frame()
    for n in range(len(data) - 1, 0, -7):
        with pytest.raises(ReaderError):
            reader_pixels(data[:n], 48, 24)


def test_corrupt_data_never_crashes():
    data = small_frame()
    rnd = random.Random(7)
    errors = 0
    body = 32 + 24 * 4
    for _ in range(300):
        bad = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            bad[rnd.randrange(body, len(bad))] ^= 1 << rnd.randrange(8)
        try:  # FrameError or a picture (a flipped bit may still decode), nothing else
            reader_pixels(bytes(bad), 48, 24)
        except ReaderError:
            errors += 1
        with pytest.raises(frame.FrameError):
            frames.decode(bytes(bad))  # the CRC
    assert errors > 150


def test_bad_codec_parameters():
    data = vector("frame_rice_6x2.hex")
    params = 32 + 2 * 4
    for off, value in ((params, 4), (params + 3, 1), (params + 4, 8), (params + 15, 9)):
        bad = bytearray(data)
        bad[off] = value
        with pytest.raises(ReaderError, match="bad codec parameters"):
            reader_pixels(bytes(bad), 6, 2)


def test_a_row_longer_than_its_span_is_refused():
    data = bytearray(vector("frame_rice_6x2.hex"))
    row1 = 32 + 8 + 16 + 2 + 4
    data[row1] = 3  # 3 bytes for a 1-pixel span
    with pytest.raises(ReaderError):
        reader_pixels(bytes(data), 6, 2)


# -- frozen vectors that reach every branch (tests/vectors/make_rice_branches.py) --


def test_branch_vectors_decode_to_their_picture():
    want = vector("picture_branches_24x12.hex")
    lossless = vector(BRANCHES[0])
    assert reader_pixels(lossless, 24, 12) == want  # the source picture, made without the codec
    assert frames.decode(lossless)[2] == want
    near = vector(BRANCHES[1])
    got = reader_pixels(near, 24, 12)
    assert got != want and got == frames.decode(near)[2]
    for i in range(0, len(want), 2):  # within (near_r, near_g, near_b) = (2, 1, 3) levels
        p = want[i] << 8 | want[i + 1]
        q = got[i] << 8 | got[i + 1]
        assert abs((p >> 11) - (q >> 11)) <= 2
        assert abs((p >> 5 & 63) - (q >> 5 & 63)) <= 1
        assert abs((p & 31) - (q & 31)) <= 3
    # rows stored plain, coded rows, an empty row, escapes are all there
    spans = [struct.unpack_from("<HH", lossless, 32 + 4 * y) for y in range(12)]
    pos, kinds = 32 + 48 + 16, set()
    for x0, x1 in spans:
        if x1 == x0:
            kinds.add("empty")
            continue
        n = lossless[pos] | lossless[pos + 1] << 8
        kinds.add("plain" if n == 2 * (x1 - x0) else "coded")
        pos += 2 + n
    assert pos == len(lossless)
    assert kinds == {"empty", "plain", "coded"} and any(x0 > 0 for x0, _ in spans)


def test_branch_vectors_reach_every_line_of_the_decoder():
    """Every line of ricecodec.decode_row runs on the frozen vectors, but the
    error returns (the corrupt-data tests reach those)."""
    import ricecodec  # the firmware's, as the reader uses it

    code = ricecodec.decode_row.__code__
    hit = set()

    def trace(frame_, event, arg):
        if frame_.f_code is code:
            if event == "line":
                hit.add(frame_.f_lineno)
            return trace
        return None

    for name in BRANCHES:
        sys.settrace(trace)
        try:
            reader_pixels(vector(name), 24, 12)
        finally:
            sys.settrace(None)
    src = Path(ricecodec.__file__).read_text().splitlines()
    lines = {line for _, _, line in code.co_lines() if line and line > code.co_firstlineno}
    wanted = {n for n in lines if "return ERR_" not in src[n - 1]}
    assert wanted - hit == set()


@pytest.mark.parametrize("name", ["LIMIT", "ESC_BITS", "CTX_T1", "CTX_T2", "CTX_T3"])
@pytest.mark.parametrize("delta", [-1, 1])
def test_a_changed_format_constant_breaks_the_frozen_vector(monkeypatch, name, delta):
    import ricecodec

    monkeypatch.setattr(ricecodec, name, getattr(ricecodec, name) + delta)
    try:
        got = reader_pixels(vector(BRANCHES[0]), 24, 12)
    except ReaderError:
        return  # the changed decoder rejects the frame: pinned
    assert got != vector("picture_branches_24x12.hex")
