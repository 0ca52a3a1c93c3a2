"""8-bit RGB -> RGB565 levels, with error diffusion, blue noise or plain rounding.

Each channel is quantised on its own to its 32 or 64 levels. A level's
value is its bit-replicated 8-bit expansion (r5 -> r5<<3 | r5>>2), which is
what the panel's 18-bit drive shows, so the dither aims at what is seen.
"""

from __future__ import annotations

import functools

import numpy
from PIL import Image

from . import bluenoise

RED_LEVELS, GREEN_LEVELS, BLUE_LEVELS = 32, 64, 32


def expand(level: int, bits: int) -> int:
    """The 8-bit value the panel shows for a `bits`-bit level (bit replication)."""
    return (level << (8 - bits)) | (level >> (2 * bits - 8))


def rgb565_to_rgb888(value: int) -> tuple[int, int, int]:
    return expand(value >> 11, 5), expand((value >> 5) & 63, 6), expand(value & 31, 5)


def _bits(levels: int) -> int:
    return levels.bit_length() - 1


@functools.lru_cache(maxsize=4)
def _nearest_lut(levels: int) -> numpy.ndarray:
    bits = _bits(levels)
    values = [expand(i, bits) for i in range(levels)]
    nearest = [min(range(levels), key=lambda i: abs(values[i] - v)) for v in range(256)]
    table = numpy.array(nearest, dtype=numpy.uint8)
    table.setflags(write=False)  # cached: shared by every call
    return table


@functools.lru_cache(maxsize=4)
def _grey_palette(levels: int) -> Image.Image:
    bits = _bits(levels)
    flat = []
    for i in range(levels):
        flat += [expand(i, bits)] * 3
    pal = Image.new("P", (1, 1))
    pal.putpalette(flat)
    return pal


def _floyd_steinberg(channel: numpy.ndarray, levels: int) -> numpy.ndarray:
    """Floyd-Steinberg to `levels` grey levels, done by Pillow's C quantiser.

    Pillow diffuses error only against a palette, so the channel is shown to
    it as a grey RGB image and the palette holds just this channel's levels;
    the palette index that comes back is the level.
    """
    grey = Image.fromarray(numpy.ascontiguousarray(channel)).convert("RGB")
    q = grey.quantize(palette=_grey_palette(levels), dither=Image.Dither.FLOYDSTEINBERG)
    # Indices past the palette's levels cannot occur, but clamp to be safe.
    return numpy.minimum(numpy.asarray(q), levels - 1)


# Frames are this size or smaller: one tiling serves them all.
_TEXTURE = 240


def _threshold(channel: numpy.ndarray, levels: int) -> numpy.ndarray:
    """Ordered dither with a tiled blue-noise threshold: level = floor(v*(n-1)/255 + t).

    Done in integers scaled by 4096 so the 64x64 texture's 4096 thresholds all
    count, even for 5-bit channels.
    """
    h, w = channel.shape
    texture = _texture()[:h, :w] if h <= _TEXTURE and w <= _TEXTURE else _tiled(h, w)
    value = channel.astype(numpy.int32)
    return ((value * ((levels - 1) * 4096) + texture * 255) // (255 * 4096)).astype(numpy.uint8)


@functools.lru_cache(maxsize=1)
def _texture() -> numpy.ndarray:
    texture = _tiled(_TEXTURE, _TEXTURE)
    texture.setflags(write=False)  # cached: shared by every call
    return texture


def _tiled(h: int, w: int) -> numpy.ndarray:
    """The blue-noise texture tiled from the top-left corner: "I" values, t*4096."""
    return numpy.asarray(bluenoise.tiled((w, h)), dtype=numpy.int32)


def quantize(
    rgb: numpy.ndarray, method: str
) -> tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """RGB pixels (rows x columns x 3) -> (red 0..31, green 0..63, blue 0..31) levels, uint8."""
    out = []
    for i, levels in enumerate((RED_LEVELS, GREEN_LEVELS, BLUE_LEVELS)):
        channel = rgb[:, :, i]
        if method == "fs":
            out.append(_floyd_steinberg(channel, levels))
        elif method == "blue":
            out.append(_threshold(channel, levels))
        else:
            out.append(_nearest_lut(levels)[channel])
    return out[0], out[1], out[2]


def words(red: numpy.ndarray, green: numpy.ndarray, blue: numpy.ndarray) -> numpy.ndarray:
    """Levels -> RGB565 values (uint16)."""
    r, g, b = (channel.astype(numpy.uint16) for channel in (red, green, blue))
    return (r << 11) | (g << 5) | b


def to_bytes(values: numpy.ndarray) -> bytes:
    """RGB565 values -> big-endian bytes, row-major (the panel's byte order)."""
    return values.astype(">u2").tobytes()


def frame(canvas: Image.Image, coverage: Image.Image, method: str, background: int) -> bytes:
    """An RGB canvas as the panel's RGB565 bytes; where coverage is 0, exactly `background`."""
    covered = numpy.asarray(coverage) != 0
    out = numpy.full(covered.shape, background, dtype=numpy.uint16)
    rows = numpy.flatnonzero(covered.any(axis=1))
    if len(rows):
        # No dither looks ahead (error diffusion carries error only onwards,
        # blue noise is tiled from the top-left, rounding is per pixel), so the
        # background rows below the shape cannot change it: leave them out.
        bottom = int(rows[-1]) + 1
        levels = quantize(numpy.asarray(canvas)[:bottom], method)
        # Dithering may nudge background pixels next to the edge; outside the
        # mask the pixels must be the background exactly (the frame does not
        # store them).
        out[:bottom] = numpy.where(covered[:bottom], words(*levels), background)
    return to_bytes(out)
