"""The host's encoders still write the frozen vectors, byte for byte.

tests/vectors/*_branches_*.hex were written once from picture_branches_24x12.hex
(a picture made without either codec) and are checked independently of the
encoders (they decode to that picture, or within their bound of it:
test_frames_codec.py, test_frames_rice.py). An encoder that writes other bytes
for that picture has changed the format, or broken a branch the vectors reach
(plain rows, coded rows, an empty row, every context, escapes)."""

import struct
from pathlib import Path

import pytest

from pendant import fastpred, frames

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
W, H = 24, 12


def vector(name):
    return bytes.fromhex((VECTORS / name).read_text().strip())


def split(data):
    """A frame file's background, spans and pixel data, by docs/frame-format.md's
    offsets (header 32 bytes, background at 10, then 4 bytes a row)."""
    background = struct.unpack_from("<H", data, 10)[0]
    spans = [struct.unpack_from("<HH", data, 32 + 4 * y) for y in range(H)]
    return background, spans, data[32 + 4 * H :]


PICTURE = vector("picture_branches_24x12.hex")


@pytest.mark.parametrize("name,near", [
    ("frame_rice_branches_lossless_24x12.hex", (0, 0, 0)),
    ("frame_rice_branches_near213_24x12.hex", (2, 1, 3)),
])
def test_rice_reference_encoder_writes_the_frozen_vectors(name, near):
    background, spans, pixels = split(vector(name))
    assert frames.rice_pixels_reference(PICTURE, spans, background, W, near) == pixels
    assert frames.rice_pixels(PICTURE, spans, background, W, near) == pixels


def test_fast_encoder_writes_the_frozen_lossless_vector():
    background, spans, pixels = split(vector("frame_rice_branches_lossless_24x12.hex"))
    assert fastpred.rice_pixels_lossless(PICTURE, spans, background, W) == pixels


@pytest.mark.parametrize("name,near", [
    ("frame_pred_branches_lossless_24x12.hex", (0, 0, 0)),
    ("frame_pred_branches_near213_24x12.hex", (2, 1, 3)),
])
def test_pred_encoder_writes_the_frozen_vectors(name, near):
    background, spans, pixels = split(vector(name))
    assert frames.pred_pixels(PICTURE, spans, background, W, near) == pixels


def test_the_pred_reference_encoder_is_lossless_by_default():
    # tests/mpy make their encoding-1 frames with the reference's default near
    background, spans, pixels = split(vector("frame_pred_branches_lossless_24x12.hex"))
    assert frames.pred_pixels_reference(PICTURE, spans, background, W) == pixels


def coverage(spans):
    cov = bytearray(W * H)
    for y, (x0, x1) in enumerate(spans):
        cov[y * W + x0 : y * W + x1] = b"\xff" * (x1 - x0)
    return bytes(cov)


@pytest.mark.parametrize("quality,name", [
    ("lossless", "frame_rice_branches_lossless_24x12.hex"),
    ("auto", "frame_rice_branches_lossless_24x12.hex"),  # far under the budget: lossless
])
def test_encode_writes_the_frozen_frame(quality, name):
    data = vector(name)
    background, spans, _ = split(data)
    ff = frames.encode(PICTURE, coverage(spans), background, W, H, quality)
    assert ff.data == data
    assert ff.encoding == 2 and len(ff) == len(data)


def test_the_auto_budget_is_the_documented_one():
    # docs/photo-pipeline.md: 1,408 KiB / 40 - 4 KiB = 31,948 bytes
    assert frames.AUTO_BUDGET == 31_948


# -- choices the encoders make, worked out by hand ------------------------------------


def test_code_lengths():
    # u = m >> k one-bits, a zero, k bits; from u = LIMIT (8) on, 8 + ESC_BITS (7)
    want = {(0, 0): 1, (7, 0): 8, (8, 0): 15, (127, 0): 15, (15, 1): 9, (16, 1): 15,
            (127, 6): 8, (127, 7): 8, (3, 2): 3, (64, 3): 15, (63, 3): 11}
    for (m, k), n in want.items():
        assert fastpred.CODE_LEN[m, k] == n, (m, k)


def test_choose_k_takes_the_fewest_bits_and_the_smallest_of_equals():
    hist = [[0] * 128 for _ in range(12)]
    hist[0][1] = 1  # k 0: 2 bits, k 1: 2 bits -> 0
    hist[1][3] = 1  # 4, 3, 3, 4, ... -> 1
    hist[4][127] = 1  # 15, 15, 15, 15, 12, 9, 8, 8 -> 6
    hist[5][0], hist[5][40] = 9, 1  # k 0: 9 + 15 = 24; k 3: 36 + 9 = 45 -> 0
    hist[11][20], hist[11][21] = 5, 5  # k 2: 10 x 8; k 3: 10 x 6; k 4: 10 x 6 -> 3
    assert fastpred.choose_k(hist) == [0, 1, 0, 0, 6, 0, 0, 0, 0, 0, 0, 3]


def test_a_row_whose_code_would_not_save_a_byte_is_stored_plain():
    # Row 0: six black pixels, every residual 0. Row 1: one pixel, R = 6 (p = 0,
    # m = 12), G and B exact. k for R context 0 (six 0s and a 12): k 0 would
    # make the 12 an escape (6 + 15 bits), k 1 costs 12 + 8, k 2 18 + 6: 1;
    # every other group holds only 0s: 0. Row 0: G 6 bits, R 12, B 6: 3
    # bytes. Row 1: G "0", R "1111110" + "0", B "0": 10 bits, 2 bytes, no
    # fewer than the plain pixel's 2, so it is stored plain.
    rgb = bytes(12) + bytes.fromhex("3000") + bytes(10)
    spans = [(0, 6), (0, 1)]
    ks = bytes((0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0))
    want = bytes(4) + ks + b"\x03\x00" + bytes(3) + b"\x02\x00" + b"\x30\x00"
    assert frames.rice_pixels_reference(rgb, spans, 0, 6) == want
    assert fastpred.rice_pixels_lossless(rgb, spans, 0, 6) == want


def test_lossless_keeps_plain_spans_when_coding_ties_with_them():
    # 12 black pixels over 1 (background black): every residual 0, every k 0,
    # 3 one-bit codes a pixel. Encoding 2's pixel data: 16 parameter bytes, row
    # 0 L + 36 bits (5 bytes), row 1 L + 3 bits (1 byte): 26 bytes, as many as
    # the 13 plain pixels of encoding 0. docs/photo-pipeline.md: lossless falls
    # back to plain spans if coding would not help; it does not here.
    rgb = bytes(2 * 12 * 2)
    cov = b"\xff" * 12 + b"\xff" + bytes(11)
    ff = frames.encode(rgb, cov, 0, 12, 2, "lossless")
    assert ff.encoding == 0 and len(ff) == 32 + 2 * 4 + 26
    assert ff.data[32 + 2 * 4 :] == bytes(26)


def test_auto_keeps_lossless_at_exactly_the_budget():
    # 200x79 of noise: coding cannot help, so lossless is plain spans: 32 header
    # bytes, 4 a row of span table, 2 a pixel: 32 + 316 + 31,600 = 31,948, the
    # budget itself, which fits (docs/photo-pipeline.md)
    w, h = 200, 79
    rgb = noisy(w, h, 11)
    cov = b"\xff" * (w * h)
    lossless = frames.encode(rgb, cov, 0, w, h, "lossless")
    assert len(lossless) == 31_948 and lossless.encoding == 0
    assert frames.encode(rgb, cov, 0, w, h).data == lossless.data


def test_auto_takes_visual_when_lossless_would_not_fit_the_budget():
    # 200x200 of a gradient with 3 bits of noise per channel: lossless needs
    # ~12 bits a pixel (~60 KB), over the 31,948-byte budget
    import random

    rnd = random.Random(5)
    size = 200
    rgb = b"".join(struct.pack(">H", ((x // 8 + rnd.getrandbits(3)) & 31) << 11
                               | ((y // 4 + rnd.getrandbits(3)) & 63) << 5
                               | rnd.getrandbits(3))
                   for y in range(size) for x in range(size))
    cov = b"\xff" * (size * size)
    lossless = frames.encode(rgb, cov, 0, size, size, "lossless")
    assert len(lossless) > frames.AUTO_BUDGET
    auto = frames.encode(rgb, cov, 0, size, size)
    assert auto.data == frames.encode(rgb, cov, 0, size, size, "visual").data
    assert auto.encoding == 2 and len(auto) < len(lossless)
    assert frames.decode(auto.data)[2] != rgb  # near-lossless, not the source


def test_a_lone_pixel_is_stored_plain_in_encoding_1_and_coded_in_encoding_2():
    # The pixel is the background colour, so every residual is 0 (and its
    # plain bytes are not the all-zero codes). Encoding 1 starts at k = 2:
    # three 3-bit codes, 9 bits, 2 bytes: no fewer than the pixel's 2, so
    # plain. Encoding 2 (k 0): "0" x 3, one byte.
    rgb = bytes.fromhex("1234")
    assert frames.pred_pixels(rgb, [(0, 1)], 0x1234, 1) == bytes(4) + b"\x02\x00" + rgb
    assert frames.rice_pixels_reference(rgb, [(0, 1)], 0x1234, 1) == \
        bytes(16) + b"\x01\x00\x00"


def noisy(width, height, seed, bits=16):
    import random

    rnd = random.Random(seed)
    return b"".join(struct.pack(">H", rnd.getrandbits(bits)) for _ in range(width * height))


def brighter(rgb565):
    """Every channel one level up (at most 31, 63, 31)."""
    out = b""
    for (v,) in struct.iter_unpack(">H", rgb565):
        r, g, b = min(31, (v >> 11) + 1), min(63, (v >> 5 & 63) + 1), min(31, (v & 31) + 1)
        out += struct.pack(">H", r << 11 | g << 5 | b)
    return out


def channel_errors(a, b):
    """The largest difference per channel (R, G, B) between two RGB565 pictures."""
    worst = [0, 0, 0]
    for i in range(0, len(a), 2):
        p, q = a[i] << 8 | a[i + 1], b[i] << 8 | b[i + 1]
        for c, (shift, mask) in enumerate(((11, 31), (5, 63), (0, 31))):
            worst[c] = max(worst[c], abs((p >> shift & mask) - (q >> shift & mask)))
    return worst


@pytest.mark.parametrize("quality,levels", [("visual", 1), ("strong", 2)])
def test_near_lossless_uses_its_bound_on_every_channel(quality, levels):
    # on noise every channel reaches the bound and none goes past it
    rgb = noisy(32, 16, 3)
    ff = frames.encode(rgb, b"\xff" * (32 * 16), 0, 32, 16, quality)
    assert channel_errors(frames.decode(ff.data)[2], rgb) == [levels] * 3


@pytest.mark.parametrize("near", [(-1, 0, 0), (0, -1, 0), (0, 0, 4)])
def test_near_out_of_range_is_refused(near):
    rgb = noisy(4, 2, 1)
    # docs/frame-format.md: each near is 0..3
    with pytest.raises(ValueError, match=r"^near must be 0\.\.3 per channel$"):
        frames.rice_pixels_reference(rgb, [(0, 4)] * 2, 0, 4, near)
    with pytest.raises(ValueError, match=r"^near must be 0\.\.3 per channel$"):
        frames.pred_pixels(rgb, [(0, 4)] * 2, 0, 4, near)


ENCODERS = [  # encoder, encoding, bytes of parameters before the first row
    (frames.rice_pixels_reference, frames.fmt.ENC_RICE, 16),
    (frames.pred_pixels_reference, frames.fmt.ENC_PRED, 4),
]


@pytest.mark.parametrize("encoder,enc,params", ENCODERS)
@pytest.mark.parametrize("near", [(1, 0, 0), (0, 1, 0), (0, 0, 1)])
def test_near_lossless_rows_below_a_plain_row_predict_from_its_source(near, encoder, enc,
                                                                      params):
    # Row 0 is noise (stored plain: its codes would not save a byte), rows 1..3
    # the same one level brighter, coded, predicted from row 0 as the decoder
    # has it: the source, not the encoder's near-lossless values of the row.
    width = 16
    row = noisy(width, 1, 7)
    rgb = row + brighter(row) * 3
    spans = [(0, width)] * 4
    pixels = encoder(rgb, spans, 0, width, near)
    assert pixels[params : params + 2] == struct.pack("<H", 2 * width)  # row 0 plain
    data = frames.fmt.pack(width, 4, 0, spans, pixels, enc)
    got = frames.decode(data)[2]
    assert got[: 2 * width] == rgb[: 2 * width]
    assert all(e <= n for e, n in zip(channel_errors(got, rgb), near, strict=True))


@pytest.mark.parametrize("encoder,enc,params", ENCODERS)
def test_a_picture_cut_in_the_middle_of_a_pixel_is_refused(encoder, enc, params):
    # 3 bytes: one whole pixel and half of the next; not encoded as if whole
    with pytest.raises(ValueError):
        encoder(bytes(3), [(0, 1)], 0, 1)


def test_an_unknown_quality_is_refused_in_one_line():
    with pytest.raises(ValueError, match="^quality must be one of auto, lossless, visual, strong$"):
        frames.encode(bytes(2), b"\xff", 0, 1, 1, "best")


def test_a_frame_file_is_a_value_whose_bytes_stay_its_own():
    # its id is the hash of its bytes: replacing them would leave a stale id
    import dataclasses

    ff = frames.encode(bytes(2), b"\xff", 0, 1, 1, "lossless")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ff.data = b""
    assert {ff: 1}[frames.FrameFile(bytes(ff.data))] == 1  # equal bytes, equal keys
