"""ENC_PRED (firmware/predcodec.py, encoding 1: the host no longer writes it,
pendants still show the photos they hold in it): golden bytes, round trips
through the firmware's FrameReader, the error bound of the near-lossless
modes, and bad data. ENC_RICE, what the host writes: test_frames_rice.py."""

import io
import random
import struct
from pathlib import Path

import painter  # firmware/painter.py (on sys.path: see pyproject.toml)
import pytest

from pendant import frames
from pendant.firmware import frame
from pendant.photo import RenderOptions, render

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"

# The firmware imports its frame.py as a top-level module, a different module
# object (and FrameError class) from pendant.firmware.frame.
ReaderError = painter.frame.FrameError


def vector(name):
    return bytes.fromhex((VECTORS / name).read_text().strip())


def reader_pixels(data, width, height):
    """The rows the pendant's FrameReader produces for a frame file."""
    r = painter.FrameReader(width, height)
    f = io.BytesIO(data)
    r.open(f)
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

ROW0 = bytes(10) + b"\xff\xff"  # five black pixels, then white
GOLDEN_6X2 = ROW0 + b"\xf8\x00" + bytes(10)


def test_pred_golden_lossless_bytes():
    # Row 0 coded: 27 zero bits (k = 2, 2, 1, 1, 0, 0 ... as N overtakes A), the
    # escape for green 63 (m = 126): 14 ones + 1111110, then red and blue exact.
    bits = "0" * 27 + "1" * 14 + "1111110" + "0" + "0"
    bits += "0" * (-len(bits) % 8)
    row0 = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert row0 == bytes.fromhex("0000001ffffe00")
    pixels = b"\x00\x00\x00\x00" + struct.pack("<H", len(row0)) + row0 + b"\x02\x00\xf8\x00"
    spans = [(0, 6), (0, 1)]
    assert frames.pred_pixels(GOLDEN_6X2, spans, 0, 6) == pixels
    assert frame.pack(6, 2, 0, spans, pixels, frame.ENC_PRED) == vector("frame_pred_6x2.hex")


def test_pred_golden_near_lossless_bytes():
    # near 1 (step 3): pixel 0 G q=3 "1010" (v 9), R p=0+(9>>1)=4, q=-1 "001" (v 1),
    # B p=4 q=0 "000"; pixel 1 G p=9 ctx 2 "000", R p=1 q=+1 "010" (v 4), B "000".
    bits = "1010" "001" "000" "000" "010" "000" + "00000"
    row = int(bits, 2).to_bytes(3, "big")
    pixels = b"\x01\x01\x01\x00" + b"\x03\x00" + row
    src = bytes.fromhex("09242124")
    assert frames.pred_pixels(src, [(0, 2)], 0, 2, (1, 1, 1)) == pixels
    assert frame.pack(2, 1, 0, [(0, 2)], pixels, frame.ENC_PRED) == vector(
        "frame_pred_near1_2x1.hex")


@pytest.mark.parametrize("name,w,h,expect", [
    ("frame_pred_6x2.hex", 6, 2, GOLDEN_6X2),
    ("frame_pred_near1_2x1.hex", 2, 1, bytes.fromhex("09242124")),
])
def test_pred_golden_decodes_on_host_and_firmware(name, w, h, expect):
    data = vector(name)
    assert frame.parse_header(data[:32])[0] == frame.ENC_PRED
    assert frames.decode(data) == (w, h, expect)
    assert reader_pixels(data, w, h) == expect


def test_spans_frame_still_reads():
    data = vector("frame_4x2.hex")
    assert reader_pixels(data, 4, 2) == bytes.fromhex("0000f800f8000000" + "0000" * 4)


# -- round trips -------------------------------------------------------------------


def synthetic(kind, seed=1):
    """240x240 RGB565 test pictures: noise (incompressible), gradient, blocks."""
    rnd = random.Random(seed)
    out = bytearray()
    for y in range(240):
        for x in range(240):
            if kind == "noise":
                v = rnd.getrandbits(16)
            elif kind == "gradient":
                v = (x * 31 // 239) << 11 | (y * 63 // 239) << 5 | ((x + y) * 31 // 478)
            else:
                v = 0xFFFF if (x // 17 + y // 13) % 2 else 0x07E0
            out += struct.pack(">H", v)
    return bytes(out)


def heart_coverage(seed=0):
    """Spans that start at 0, end at 240, skip rows and leave holes."""
    cov = bytearray(240 * 240)
    for y in range(240):
        if y % 37 == 5:
            continue
        x0 = 0 if y < 20 else abs(120 - y) // 2
        x1 = 240 if y > 220 else 240 - abs(100 - y) // 3
        cov[y * 240 + x0 : y * 240 + x1] = b"\xff" * (x1 - x0)
    return bytes(cov)


@pytest.fixture(scope="module")
def photos():
    return [render(ROOT / "host" / "pendant" / "samples" / n, RenderOptions())
            for n in ("astronaut.jpg", "chelsea.jpg")]


def test_compression_meets_the_40_photo_budget(photos):
    for r in photos:
        ff = frames.from_render(r)  # default: auto
        assert len(ff) <= frames.AUTO_BUDGET
        plain = frames.encode(r.rgb565, r.coverage, r.background, 240, 240, "lossless")
        assert len(plain) < 0.55 * len(frames.encode_spans(
            r.rgb565, frames.spans_from_coverage(r.coverage, 240, 240), 0, 240, 240))


@pytest.mark.parametrize("kind", ["noise", "gradient", "blocks"])
@pytest.mark.parametrize("near", [(0, 0, 0), (1, 1, 1), (3, 2, 1)])
def test_synthetic_round_trip(kind, near):
    rgb = synthetic(kind)
    cov = heart_coverage()
    bg = 0x1234
    spans = frames.spans_from_coverage(cov, 240, 240)
    # Outside the spans the frame holds the background: compare on that picture.
    want = bytearray(struct.pack(">H", bg) * (240 * 240))
    for y, (x0, x1) in enumerate(spans):
        want[y * 480 + x0 * 2 : y * 480 + x1 * 2] = rgb[y * 480 + x0 * 2 : y * 480 + x1 * 2]
    data = frame.pack(240, 240, bg, spans, frames.pred_pixels(rgb, spans, bg, 240, near),
                      frame.ENC_PRED)
    _, _, host = frames.decode(data)
    assert reader_pixels(data, 240, 240) == host
    assert channel_error(host, bytes(want)) <= max(near)
    if near == (0, 0, 0):
        assert host == bytes(want)


def test_noise_falls_back_to_plain_rows():
    rgb = synthetic("noise")
    cov = b"\xff" * (240 * 240)
    ff = frames.encode(rgb, cov, 0, 240, 240, "lossless")
    assert ff.encoding == frame.ENC_SPANS  # coding cannot win: stored plain
    assert frames.decode(ff.data)[2] == rgb


# -- bad data ------------------------------------------------------------------------


def small_pred_frame():
    rgb = synthetic("gradient")[: 24 * 48 * 2]  # 24 rows of a 48-wide picture
    spans = [(y % 5, 48 - y % 7) for y in range(24)]
    return frame.pack(48, 24, 0, spans, frames.pred_pixels(rgb, spans, 0, 48, (1, 0, 1)),
                      frame.ENC_PRED)


def read_all_or_frame_error(data, w, h):
    try:
        reader_pixels(data, w, h)
    except ReaderError:
        return "error"
    return "ok"


def test_truncated_pred_frame_raises_frame_error():
    data = small_pred_frame()
    for n in range(len(data) - 1, 0, -1):
        with pytest.raises(ReaderError):
            reader_pixels(data[:n], 48, 24)


def test_corrupt_pred_data_never_crashes():
    data = small_pred_frame()
    rnd = random.Random(7)
    errors = 0
    body = 32 + 24 * 4
    for _ in range(400):
        bad = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            bad[rnd.randrange(body, len(bad))] ^= 1 << rnd.randrange(8)
        # Either FrameError or a picture (a flipped bit may still decode); never
        # another exception, never a hang. frames.decode checks the CRC too.
        errors += read_all_or_frame_error(bytes(bad), 48, 24) == "error"
        with pytest.raises(frame.FrameError):
            frames.decode(bytes(bad))
    assert errors > 200


def test_bad_codec_parameters_and_row_lengths():
    data = bytearray(vector("frame_pred_6x2.hex"))
    params = 32 + 2 * 4
    for off, value in ((params, 4), (params + 3, 1), (params + 4, 13)):
        bad = bytearray(data)
        bad[off] = value
        with pytest.raises(ReaderError):
            reader_pixels(bytes(bad), 6, 2)


# -- frozen vectors that reach every branch (tests/vectors/make_pred_branches.py) --

BRANCHES = ("frame_pred_branches_lossless_24x12.hex", "frame_pred_branches_near213_24x12.hex")


def picture_24x12():
    return vector("picture_branches_24x12.hex")


def test_branch_vectors_decode_to_their_picture():
    want = picture_24x12()
    lossless = vector(BRANCHES[0])
    assert reader_pixels(lossless, 24, 12) == want  # the source picture, made without the codec
    assert frames.decode(lossless)[2] == want
    # rows stored plain, coded rows, an empty row and spans past x = 0 are all there
    spans = [struct.unpack_from("<HH", lossless, 32 + 4 * y) for y in range(12)]
    pos, kinds = 32 + 48 + 4, set()
    for x0, x1 in spans:
        if x1 == x0:
            kinds.add("empty")
            continue
        n = lossless[pos] | lossless[pos + 1] << 8
        kinds.add("plain" if n == 2 * (x1 - x0) else "coded")
        pos += 2 + n
    assert pos == len(lossless)
    assert kinds == {"empty", "plain", "coded"} and any(x0 > 0 for x0, _ in spans)
    near = vector(BRANCHES[1])
    got = reader_pixels(near, 24, 12)
    assert got != want and got == frames.decode(near)[2]
    for i in range(0, len(want), 2):  # within (near_r, near_g, near_b) = (2, 1, 3) levels
        p = want[i] << 8 | want[i + 1]
        q = got[i] << 8 | got[i + 1]
        assert abs((p >> 11) - (q >> 11)) <= 2
        assert abs((p >> 5 & 63) - (q >> 5 & 63)) <= 1
        assert abs((p & 31) - (q & 31)) <= 3


def test_branch_vectors_reach_every_line_of_the_decoder(monkeypatch):
    """Every line of predcodec.decode_row runs on the frozen vectors, but the
    error returns (the corrupt-data tests reach those)."""
    import sys

    import predcodec  # the firmware's, as the reader uses it

    monkeypatch.setattr(painter, "decode_row", predcodec.decode_row)
    code = predcodec.decode_row.__code__
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
    src = Path(predcodec.__file__).read_text().splitlines()
    lines = {line for _, _, line in code.co_lines() if line and line > code.co_firstlineno}
    wanted = {n for n in lines if "return ERR_" not in src[n - 1]}
    assert wanted - hit == set()


@pytest.mark.parametrize("name", ["LIMIT", "ESC_BITS", "RESET", "A_INIT", "CTX_T1", "CTX_T2",
                                  "CTX_T3"])
@pytest.mark.parametrize("delta", [-1, 1])
def test_a_changed_format_constant_breaks_the_frozen_vector(monkeypatch, name, delta):
    import predcodec

    monkeypatch.setattr(painter, "decode_row", predcodec.decode_row)
    monkeypatch.setattr(predcodec, name, getattr(predcodec, name) + delta)
    try:
        got = reader_pixels(vector(BRANCHES[0]), 24, 12)
    except ReaderError:
        return  # the changed decoder rejects the frame: pinned
    assert got != picture_24x12()
