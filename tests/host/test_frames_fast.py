"""The numpy lossless ENC_RICE encoder (pendant/fastpred.py) against the
value-by-value reference (frames.rice_pixels_reference): the same bytes on
photos, noise, flat pictures and odd spans, and frames.decode gives the
source back."""

import random
import struct
from pathlib import Path

import numpy as np
import pytest

from pendant import fastpred, frames
from pendant.firmware import frame
from pendant.firmware import ricecodec as rc
from pendant.photo import RenderOptions, render

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "host" / "pendant" / "samples"
LOSSLESS = (0, 0, 0)


def rgb565(values):
    return b"".join(struct.pack(">H", v) for v in values)


def expected_picture(rgb, spans, background, width):
    """What a decoder shows: the source inside the spans, the background outside."""
    out = bytearray(struct.pack(">H", background) * (width * len(spans)))
    for y, (x0, x1) in enumerate(spans):
        a, b = (y * width + x0) * 2, (y * width + x1) * 2
        out[a:b] = rgb[a:b]
    return bytes(out)


def row_kinds(pixels, spans):
    """Per non-empty row, "plain" or "coded", read from the ENC_RICE stream."""
    pos = rc.PARAMS_SIZE
    kinds = []
    for x0, x1 in spans:
        if x1 == x0:
            continue
        n = pixels[pos] | pixels[pos + 1] << 8
        pos += 2 + n
        kinds.append("plain" if n == 2 * (x1 - x0) else "coded")
    assert pos == len(pixels)
    return kinds


def escapes(rgb, spans, background, width):
    """How many escape codes a picture holds (k as the encoder picks them)."""
    m, grp = fastpred._symbols(rgb, spans, background, width, len(spans))
    hist = np.bincount(grp.astype(np.int64) * 128 + m, minlength=12 * 128).reshape(12, 128)
    k = np.array(fastpred.choose_k(hist))[grp]
    return int(np.count_nonzero((m >> k) >= rc.LIMIT))


def check(rgb, spans, background, width):
    """Fast == reference, byte for byte; the frame decodes to the source."""
    fast = frames.rice_pixels(rgb, spans, background, width, LOSSLESS)
    assert fast == fastpred.rice_pixels_lossless(rgb, spans, background, width)
    ref = frames.rice_pixels_reference(rgb, spans, background, width, LOSSLESS)
    assert fast == ref
    data = frame.pack(width, len(spans), background, spans, fast, frame.ENC_RICE)
    assert frames.decode(data) == (width, len(spans),
                                   expected_picture(rgb, spans, background, width))
    return fast


# -- photos ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["astronaut.jpg", "chelsea.jpg"])
@pytest.mark.parametrize("panel", ["gc9a01", "st7789"])
@pytest.mark.parametrize("mask", ["heart", "circle", "full"])
def test_rendered_photos(name, panel, mask):
    r = render(SAMPLES / name, RenderOptions(panel=panel, mask=mask))
    spans = frames.spans_from_coverage(r.coverage, r.width, r.height)
    check(r.rgb565, spans, r.background, r.width)


def test_encode_uses_the_fast_encoder_for_lossless(monkeypatch):
    r = render(SAMPLES / "chelsea.jpg", RenderOptions())
    want = frames.from_render(r, "lossless").data

    def refuse(*args, **kwargs):
        raise AssertionError("lossless must not use the reference encoder")

    monkeypatch.setattr(frames, "rice_pixels_reference", refuse)
    assert frames.from_render(r, "lossless").data == want
    assert frames.decode(want)[2] == r.rgb565


# -- noise, escapes, plain rows -------------------------------------------------------


def noise(width, height, seed):
    rnd = random.Random(seed)
    return bytes(rnd.getrandbits(8) for _ in range(2 * width * height))


@pytest.mark.parametrize("seed", [1, 2])
def test_noise_has_plain_rows(seed):
    spans = [(0, 240)] * 200 + [(100, 101), (0, 1), (239, 240)] + [(50, 60)] * 37
    rgb = noise(240, 240, seed)
    kinds = row_kinds(check(rgb, spans, 0x1234, 240), spans)
    assert kinds.count("plain") > 150


def test_flat_with_spikes_has_escapes():
    # On black the encoder picks k = 0; a white pixel then costs m = 126 for
    # green, far past LIMIT ones: an escape. No row goes plain.
    width, height = 64, 40
    values = [0] * (width * height)
    for y, x in ((3, 20), (10, 0), (17, 63), (25, 31), (39, 5)):
        values[y * width + x] = 0xFFFF
    rgb = rgb565(values)
    spans = [(0, width)] * height
    kinds = row_kinds(check(rgb, spans, 0, width), spans)
    assert kinds.count("plain") == 0
    assert escapes(rgb, spans, 0, width) >= 5


def test_escapes_and_plain_rows_together():
    # Spiky flat rows (escapes, coded), then noise rows (plain), then smooth
    # rows again (coded, predicted from the plain rows' pixels).
    width = 96
    rnd = random.Random(4)
    values = []
    for y in range(60):
        for x in range(width):
            if 20 <= y < 30:
                values.append(rnd.getrandbits(16))
            elif y < 20 and (x * 7 + y * 3) % 41 == 0:
                values.append(0xFFFF)
            else:
                values.append(0x0841 * ((x + y) // 12 % 8))
    rgb = rgb565(values)
    spans = [(0, width)] * 20 + [(y % 5, width - y % 3) for y in range(20, 60)]
    kinds = row_kinds(check(rgb, spans, 0x8410, width), spans)
    assert "plain" in kinds[20:30]
    assert kinds[:20] == ["coded"] * 20
    assert kinds[30:].count("coded") > 20
    assert escapes(rgb[: 20 * width * 2], spans[:20], 0x8410, width) > 0


def test_alternating_plain_and_coded_rows():
    rnd = random.Random(9)
    rows = []
    for y in range(48):
        if y % 3 == 0:
            rows.append(bytes(rnd.getrandbits(8) for _ in range(128)))
        else:
            rows.append(struct.pack(">H", 0x4208 + y) * 64)
    spans = [(0, 64)] * 48
    kinds = row_kinds(check(b"".join(rows), spans, 0, 64), spans)
    assert "plain" in kinds and "coded" in kinds


# -- flat pictures and odd spans --------------------------------------------------------


@pytest.mark.parametrize("colour,background", [
    (0x0000, 0x0000), (0xFFFF, 0x0000), (0x0000, 0xFFFF), (0x1234, 0x1234), (0xF81F, 0x07E0),
])
def test_flat_pictures(colour, background):
    spans = [(0, 240)] * 240
    check(rgb565([colour]) * (240 * 240), spans, background, 240)
    heart = [(abs(120 - y) // 2, 240 - abs(100 - y) // 3) for y in range(240)]
    check(rgb565([colour]) * (240 * 240), heart, background, 240)


def gradient(width, height):
    return rgb565((x * 31 // max(width - 1, 1)) << 11 | (y * 63 // max(height - 1, 1)) << 5
                  | (x + y) % 32 for y in range(height) for x in range(width))


@pytest.mark.parametrize("spans", [
    [(0, 0)] * 20,  # nothing to code
    [(0, 0)] * 19 + [(3, 4)],  # one pixel, last row
    [(5, 6)] * 20,  # one-pixel column
    [(0, 1)] * 20,  # x0 == 0, one pixel
    [(39, 40)] * 20,  # the last column
    [(0, 40)] * 20,  # full width
    [(0, 0), (0, 40), (0, 0), (0, 0), (10, 30)] * 4,  # empty rows between
    [(y, 40 - y) for y in range(20)],  # shrinking
    [(y % 7, y % 7 + 1 + y % 3) for y in range(20)],  # tiny, wandering
    [(0, 40) if y % 2 else (20, 21) for y in range(20)],
])
def test_odd_spans(spans):
    width = 40
    for rgb in (gradient(width, 20), noise(width, 20, 3), rgb565([0x7BEF]) * (width * 20)):
        check(rgb, spans, 0x2945, width)


@pytest.mark.parametrize("width,height", [(1, 1), (1, 30), (30, 1), (2, 2)])
def test_tiny_pictures(width, height):
    spans = [(0, width)] * height
    for rgb in (gradient(width, height), noise(width, height, 5)):
        for background in (0, 0xFFFF):
            check(rgb, spans, background, width)


def test_random_small_pictures():
    """Rows of mixed kinds (noise, flat, gradient, spikes, low noise) under
    random spans: plain and coded rows in every order."""
    rnd = random.Random(2024)
    seen = set()
    for _ in range(150):
        width = rnd.choice([1, 3, 8, 17, 40])
        height = rnd.choice([1, 4, 12, 30])
        base = rnd.getrandbits(16)
        values = []
        for y in range(height):
            kind = rnd.choice(["noise", "flat", "gradient", "spikes", "low"])
            for x in range(width):
                if kind == "noise":
                    v = rnd.getrandbits(16)
                elif kind == "flat":
                    v = base
                elif kind == "gradient":
                    v = (x * 31 // max(width - 1, 1)) << 11 | (y * 2 % 64) << 5 | (x + y) % 32
                elif kind == "spikes":
                    v = rnd.choice([0, 0xFFFF, 0x07E0]) if rnd.random() < 0.1 else base
                else:
                    v = base ^ rnd.getrandbits(2) << 11 ^ rnd.getrandbits(2) << 5
                    v ^= rnd.getrandbits(2)
                values.append(v)
        spans = []
        for _y in range(height):
            r = rnd.random()
            if r < 0.15:
                x = rnd.randrange(width + 1)
                spans.append((x, x))
            elif r < 0.3:
                x = rnd.randrange(width)
                spans.append((x, x + 1))
            elif r < 0.5:
                spans.append((0, width))
            else:
                x0 = rnd.randrange(width)
                spans.append((x0, rnd.randrange(x0 + 1, width + 1)))
        background = rnd.choice([0, 0xFFFF, rnd.getrandbits(16)])
        pixels = check(rgb565(values), spans, background, width)
        seen.update(row_kinds(pixels, spans))
    assert seen == {"plain", "coded"}


def test_near_lossless_still_uses_the_reference():
    rgb = gradient(40, 20)
    spans = [(y % 5, 40 - y % 7) for y in range(20)]
    for near in ((1, 1, 1), (3, 2, 1), (0, 1, 0)):
        assert frames.rice_pixels(rgb, spans, 0, 40, near) == \
            frames.rice_pixels_reference(rgb, spans, 0, 40, near)
    with pytest.raises(ValueError):
        frames.rice_pixels(rgb, spans, 0, 40, (4, 0, 0))
