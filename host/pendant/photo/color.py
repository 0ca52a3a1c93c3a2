"""Resampling in linear light, and each panel's tone correction.

Averaging sRGB values darkens fine bright detail (hair, leaves, stars) and
shifts colours at edges; averaging light itself does not. Pixels go to
linear float per channel through a 256-entry table, are resampled there, and
come back through the sRGB curve with the panel's tone correction folded in.
"""

from __future__ import annotations

import functools
import math

import numpy
from PIL import Image, ImageMath

# Resample from at least this many source pixels per output pixel: enough for
# a proper low-pass, the rest of the reduction is done cheaply beforehand
# (JPEG draft or reduce(), both exact box averages). 1.5 rather than 2 lets a
# 12 MP JPEG decode at 1/8 scale, several times faster than at 1/4.
HEADROOM = 1.5

# Per-panel response correction, applied to the photo (never to the chosen
# background or outline colours, which are sent exactly):
#   gamma: exponent applied in linear light (>1 darkens mid-tones),
#   gain: scale of linear light (<1 dims).
# The GC9A01 IPS glass is the reference. The ST7789 entry is identity until it
# is measured on real modules: the table is where that measurement goes.
PANEL_TONE = {
    "gc9a01": {"gamma": 1.0, "gain": 1.0},
    "st7789": {"gamma": 1.0, "gain": 1.0},
}


def srgb_to_linear(v: float) -> float:
    """IEC 61966-2-1 decoding, v in 0..1."""
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


@functools.lru_cache(maxsize=1)
def _to_linear_lut() -> tuple[float, ...]:
    return tuple(srgb_to_linear(i / 255) for i in range(256))


def _tone_curve(light: Image.Image, panel: str) -> Image.Image:
    """Linear light ("F", 0..1) -> 8-bit sRGB ("L"), through the panel's tone curve.

    The definition, in whole-image float operations (float32, as Pillow
    computes them). Photos go through _to_srgb8, a table made from this.
    """
    tone = PANEL_TONE[panel]
    gamma, gain = tone["gamma"], tone["gain"]

    def curve(a):
        x = a["min"](a["max"](a["x"], 0.0), 1.0)  # Lanczos overshoots a little
        if gamma != 1.0:
            x = x**gamma
        if gain != 1.0:
            x = x * gain
        toe = a["float"](x <= 0.0031308)  # sRGB's linear segment near black
        srgb = toe * (x * 12.92) + (1.0 - toe) * (1.055 * x ** (1 / 2.4) - 0.055)
        return srgb * 255.0 + 0.5  # F -> L conversion truncates

    return ImageMath.lambda_eval(curve, x=light).convert("L")


# Linear light is looked up at this many steps: near black, where the sRGB
# curve is steepest (12.92 x 255 levels per unit), a step moves the output by
# 0.05 of a level, so the table is within one level of the formula everywhere
# and equal to it on all but a fraction of a percent of pixels.
_LIGHT_STEPS = 1 << 16


@functools.lru_cache(maxsize=len(PANEL_TONE))
def _srgb8_lut(panel: str) -> numpy.ndarray:
    """_tone_curve at every step of linear light (uint8), for one panel."""
    light = numpy.linspace(0.0, 1.0, _LIGHT_STEPS, dtype=numpy.float32).reshape(1, -1)
    table = numpy.asarray(_tone_curve(Image.fromarray(light), panel)).reshape(-1).copy()
    table.setflags(write=False)  # cached: shared by every call
    return table


def _to_srgb8(light: Image.Image, panel: str) -> Image.Image:
    """Linear light ("F") -> 8-bit sRGB ("L"): _tone_curve, by table.

    Pillow's point() cannot map floats through a table, and evaluating the
    curve with whole-image float operations cost over 1 ms a photo.
    """
    x = numpy.asarray(light)
    steps = numpy.clip(x, 0.0, 1.0) * (_LIGHT_STEPS - 1) + 0.5  # Lanczos overshoots a little
    return Image.fromarray(_srgb8_lut(panel)[steps.astype(numpy.intp)])


def resize_linear(
    image: Image.Image,
    box: tuple[float, float, float, float],
    size: tuple[int, int],
    panel: str,
    background: tuple[int, int, int],
) -> Image.Image:
    """The `box` region of an RGB image, resampled to `size` in linear light."""
    image, box = _prepare(image, box, size, background)
    to_linear = _to_linear_lut()
    bands = []
    for band in image.split():
        light = band.point(to_linear, "F")
        light = light.resize(size, Image.Resampling.LANCZOS, box=box)
        bands.append(_to_srgb8(light, panel))
    return Image.merge("RGB", bands)


def _prepare(image, box, size, background):
    """Cut the work down to the box (padded for the filter), reduced cheaply to ~HEADROOM x.

    Returns the smaller image and the box in its coordinates.
    """
    x0, y0, x1, y1 = box
    w, h = image.size
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        # Zoomed out past the photo's edges: the rest is background.
        px0, py0 = math.floor(min(x0, 0)), math.floor(min(y0, 0))
        px1, py1 = math.ceil(max(x1, w)), math.ceil(max(y1, h))
        canvas = Image.new("RGB", (px1 - px0, py1 - py0), background)
        canvas.paste(image, (-px0, -py0))
        image, w, h = canvas, canvas.size[0], canvas.size[1]
        x0, y0, x1, y1 = x0 - px0, y0 - py0, x1 - px0, y1 - py0
    factor = int(min((x1 - x0) / size[0], (y1 - y0) / size[1]) / HEADROOM)
    # Lanczos-3 reaches 3 output pixels beyond the box: keep that much context.
    pad = 3 * max((x1 - x0) / size[0], 1.0)
    ix0, iy0 = max(0, math.floor(x0 - pad)), max(0, math.floor(y0 - pad))
    ix1, iy1 = min(w, math.ceil(x1 + pad)), min(h, math.ceil(y1 + pad))
    if factor >= 2:
        small = image.reduce(factor, box=(ix0, iy0, ix1, iy1))
        f = float(factor)
    else:
        small = image.crop((ix0, iy0, ix1, iy1))
        f = 1.0
    return small, ((x0 - ix0) / f, (y0 - iy0) / f, (x1 - ix0) / f, (y1 - iy0) / f)
