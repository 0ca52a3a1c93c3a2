"""The photo pipeline's shortcuts give what the plain computations give.

Each fast path (integer edge filtering, dithering only the rows that
hold the shape) is checked against the straightforward way of computing the same
thing with Pillow or by hand, and gives exactly the same; the tone curve's
table is within one 8-bit level of its formula.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy
import pytest
from PIL import Image, ImageChops, ImageFilter

from pendant.photo import RenderOptions, bluenoise, color, dither, framing, render

SIZE = 240


def curve_by_image_math(values: numpy.ndarray, panel: str) -> numpy.ndarray:
    row = Image.fromarray(numpy.ascontiguousarray(values, dtype=numpy.float32).reshape(1, -1))
    return numpy.asarray(color._tone_curve(row, panel)).reshape(-1)


def curve_by_table(values: numpy.ndarray, panel: str) -> numpy.ndarray:
    row = Image.fromarray(numpy.ascontiguousarray(values, dtype=numpy.float32).reshape(1, -1))
    return numpy.asarray(color._to_srgb8(row, panel)).reshape(-1)


def dense_sample() -> numpy.ndarray:
    """Floats over 0..1 (every 997th of the 2^30 there, dense near black), and beyond."""
    spread = numpy.arange(0, 0x3F800001, 997, dtype=numpy.uint32).view(numpy.float32)
    even = numpy.linspace(0, 1, 200_001, dtype=numpy.float32)
    extra = numpy.array([-1.0, -1e-30, -0.0, 0.0, 1e-45, 1.0, 1.0000001, 1.5, 1e30],
                        dtype=numpy.float32)
    return numpy.concatenate([spread, even, extra])


def assert_close_to_the_curve(panel: str) -> None:
    values = dense_sample()
    by_table = curve_by_table(values, panel).astype(int)
    exact = curve_by_image_math(values, panel).astype(int)
    assert numpy.abs(by_table - exact).max() <= 1
    # Off by one only where the formula lands within a step of a level's edge.
    even = slice(len(values) - 200_010, len(values) - 9)
    assert (by_table[even] != exact[even]).mean() < 0.002


@pytest.mark.parametrize("panel", sorted(color.PANEL_TONE))
def test_tone_table_is_the_curve_within_a_level(panel):
    assert_close_to_the_curve(panel)


def test_tone_table_round_trips_every_srgb_level():
    # The identity tone: 8-bit sRGB to linear (by the IEC formula) and back is the same level.
    light = numpy.array([color.srgb_to_linear(i / 255) for i in range(256)], dtype=numpy.float32)
    assert list(curve_by_table(light, "gc9a01")) == list(range(256))


def test_tone_table_follows_a_changed_curve(monkeypatch):
    # A darker, dimmer panel: the table is built for it.
    monkeypatch.setitem(color.PANEL_TONE, "st7789", {"gamma": 2.6, "gain": 0.8})
    color._srgb8_lut.cache_clear()
    try:
        assert_close_to_the_curve("st7789")
        assert curve_by_table(numpy.array([1.0]), "st7789")[0] < 255  # the gain dims white
        assert curve_by_table(numpy.array([0.5]), "st7789")[0] < curve_by_table(
            numpy.array([0.5]), "gc9a01")[0]  # the gamma darkens mid-tones
    finally:
        color._srgb8_lut.cache_clear()


def test_find_edges_is_pillows_filter():
    rng = numpy.random.default_rng(1)
    for shape in ((96, 128, 3), (5, 9, 3), (128, 40, 3)):
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=numpy.uint8))
        bands = image.filter(ImageFilter.FIND_EDGES).split()
        expected = ImageChops.lighter(ImageChops.lighter(bands[0], bands[1]), bands[2])
        assert numpy.array_equal(framing._find_edges(image), numpy.asarray(expected))


def test_means_are_means():
    rng = numpy.random.default_rng(2)
    arrays = [rng.random((94, 126), dtype=numpy.float32) * 1000 for _ in range(3)]
    for got, array in zip(framing._means(*arrays), arrays, strict=True):
        assert math.isclose(got, float(array.astype(numpy.float64).mean()), rel_tol=1e-6)


def floyd_steinberg_whole(rgb: numpy.ndarray) -> list[numpy.ndarray]:
    """Every channel dithered from the first row, nothing left out."""
    return [dither._floyd_steinberg(rgb[:, :, i], levels) for i, levels in
            enumerate((dither.RED_LEVELS, dither.GREEN_LEVELS, dither.BLUE_LEVELS))]


def test_blue_noise_threshold_is_its_formula():
    rng = numpy.random.default_rng(3)
    channel = rng.integers(0, 256, (70, 130), dtype=numpy.uint8)
    texture = list(bluenoise.thresholds())
    side = bluenoise.SIDE
    for levels in (32, 64):
        got = dither._threshold(channel, levels)
        for y in range(0, 70, 7):
            for x in range(0, 130, 3):
                t = Fraction(texture[(y % side) * side + x % side] * 16 + 8, 4096)
                expected = math.floor(Fraction(int(channel[y, x]) * (levels - 1), 255) + t)
                assert got[y, x] == expected


def test_words_pack_levels_big_endian():
    red, green, blue = (numpy.array([[v]], dtype=numpy.uint8) for v in (0x1F, 0x2A, 0x05))
    assert dither.to_bytes(dither.words(red, green, blue)) == bytes.fromhex("FD45")


def dither_whole_frame(canvas: Image.Image, coverage: bytes, opts: RenderOptions) -> bytes:
    """The frame with every row dithered, then the uncovered pixels set to the background."""
    if opts.dither == "fs":
        red, green, blue = floyd_steinberg_whole(numpy.asarray(canvas))
    else:
        red, green, blue = dither.quantize(numpy.asarray(canvas), opts.dither)
    values = dither.words(red, green, blue)
    uncovered = numpy.frombuffer(coverage, dtype=numpy.uint8).reshape(SIZE, SIZE) == 0
    values[uncovered] = opts.background
    return dither.to_bytes(values)


@pytest.mark.parametrize("dither_method", ["fs", "blue", "none"])
@pytest.mark.parametrize("background", [0x39E7, 0x0000, 0xFFFF])
def test_leaving_out_rows_below_the_shape_changes_nothing(monkeypatch, dither_method, background):
    original = dither.frame
    caught = []

    def spy(canvas, coverage, method, background):
        caught.append((canvas.copy(), coverage.tobytes()))
        return original(canvas, coverage, method, background)

    monkeypatch.setattr(dither, "frame", spy)
    opts = RenderOptions(dither=dither_method, heart_scale=0.6, background=background,
                         outline=0xF800, focus=(0.5, 0.5))
    r = render(Image.effect_noise((300, 200), 80).convert("RGB"), opts)
    canvas, coverage = caught[0]
    covered = numpy.frombuffer(coverage, dtype=numpy.uint8).reshape(SIZE, SIZE) != 0
    assert numpy.flatnonzero(covered.any(axis=1))[-1] < SIZE - 30  # rows to leave out
    assert dither_whole_frame(canvas, coverage, opts) == r.rgb565
