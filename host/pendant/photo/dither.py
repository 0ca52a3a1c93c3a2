"""8-bit RGB -> RGB565 levels, with error diffusion, blue noise or plain rounding.

Each channel is quantised on its own to its 32 or 64 levels. A level's
value is its bit-replicated 8-bit expansion (r5 -> r5<<3 | r5>>2), which is
what the panel's 18-bit drive shows, so the dither aims at what is seen.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageChops, ImageMath

from . import bluenoise

RED_LEVELS, GREEN_LEVELS, BLUE_LEVELS = 32, 64, 32


def expand(level: int, bits: int) -> int:
    """The 8-bit value the panel shows for a `bits`-bit level (bit replication)."""
    return (level << (8 - bits)) | (level >> (2 * bits - 8))


def rgb565_to_rgb888(value: int) -> tuple[int, int, int]:
    return expand(value >> 11, 5), expand((value >> 5) & 63, 6), expand(value & 31, 5)


def rgb565_levels(value: int) -> tuple[int, int, int]:
    return value >> 11, (value >> 5) & 63, value & 31


def _bits(levels: int) -> int:
    return levels.bit_length() - 1


@functools.lru_cache(maxsize=4)
def _nearest_lut(levels: int) -> tuple[int, ...]:
    bits = _bits(levels)
    values = [expand(i, bits) for i in range(levels)]
    return tuple(min(range(levels), key=lambda i: abs(values[i] - v)) for v in range(256))


@functools.lru_cache(maxsize=4)
def _grey_palette(levels: int) -> Image.Image:
    bits = _bits(levels)
    flat = []
    for i in range(levels):
        flat += [expand(i, bits)] * 3
    pal = Image.new("P", (1, 1))
    pal.putpalette(flat)
    return pal


def _error_diffusion(channel: Image.Image, levels: int) -> Image.Image:
    """Floyd-Steinberg to `levels` grey levels, done by Pillow's C quantiser.

    Pillow diffuses error only against a palette, so the channel is shown to
    it as a grey RGB image and the palette holds just this channel's levels;
    the palette index that comes back is the level.
    """
    grey = Image.merge("RGB", (channel, channel, channel))
    q = grey.quantize(palette=_grey_palette(levels), dither=Image.Dither.FLOYDSTEINBERG)
    index = Image.frombytes("L", q.size, q.tobytes())
    # Indices past the palette's levels cannot occur, but clamp to be safe.
    return index.point([min(i, levels - 1) for i in range(256)])


def _threshold(channel: Image.Image, levels: int) -> Image.Image:
    """Ordered dither with a tiled blue-noise threshold: level = floor(v*(n-1)/255 + t).

    Done in integers scaled by 4096 so the 64x64 texture's 4096 thresholds all
    count, even for 5-bit channels.
    """
    texture = bluenoise.tiled(channel.size)  # "I", 0..4095, each value t*4096
    value = channel.convert("I")
    out = ImageMath.lambda_eval(
        lambda a: (a["v"] * ((levels - 1) * 4096) + a["t"] * 255) / (255 * 4096),
        v=value,
        t=texture,
    )
    return out.convert("L")


def quantize(image: Image.Image, method: str) -> tuple[Image.Image, Image.Image, Image.Image]:
    """RGB image -> (red 0..31, green 0..63, blue 0..31) level images, mode "L"."""
    out = []
    for channel, levels in zip(image.split(), (RED_LEVELS, GREEN_LEVELS, BLUE_LEVELS), strict=True):
        if method == "fs":
            out.append(_error_diffusion(channel, levels))
        elif method == "blue":
            out.append(_threshold(channel, levels))
        else:
            out.append(channel.point(list(_nearest_lut(levels))))
    return out[0], out[1], out[2]


def pack(red: Image.Image, green: Image.Image, blue: Image.Image) -> bytes:
    """Level images -> big-endian RGB565 bytes, row-major (the panel's byte order)."""
    high = ImageChops.add(red.point(lambda i: (i << 3) & 0xFF), green.point(lambda i: i >> 3))
    low = ImageChops.add(green.point(lambda i: ((i & 7) << 5) & 0xFF), blue)
    return Image.merge("LA", (high, low)).tobytes()
