"""What a person sees on the panel's glass, given the RGB565 picture it shows.

One function, used by both `pendant preview` and the simulator's panel model,
so "the preview equals the screen" is a statement about one code path.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw

SIZE = 240

# Panels whose glass is a circle inscribed in the 240x240 RAM.
ROUND_PANELS = frozenset({"gc9a01"})


def rgb565_to_image(data: bytes, width: int = SIZE, height: int = SIZE) -> Image.Image:
    """Expand big-endian RGB565 pixels to an RGB image the way the panel does.

    Each channel is widened by bit replication (r5 -> r5<<3 | r5>>2), which is
    what the panel's 18-bit drive does with 16-bit input.
    """
    if len(data) != width * height * 2:
        raise ValueError("expected %d bytes of RGB565, got %d" % (width * height * 2, len(data)))
    # Pillow's "BGR;16" raw mode reads little-endian 5-6-5 with red in the
    # high bits; byte-swap our big-endian words first.
    swapped = bytearray(data)
    swapped[0::2], swapped[1::2] = data[1::2], data[0::2]
    return Image.frombuffer("RGB", (width, height), bytes(swapped), "raw", "BGR;16", 0, 1)


def circle_mask(size: int = SIZE) -> Image.Image:
    """The visible area of a round panel: the circle inscribed in its RAM."""
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size - 1, size - 1), fill=255)
    return mask


def view(image: Image.Image, panel: str, brightness: float = 1.0) -> Image.Image:
    """Apply the glass: round panels hide the corners; the backlight scales light."""
    out = image.convert("RGB")
    if brightness < 1.0:
        level = max(0, min(255, round(255 * brightness)))
        out = ImageChops.multiply(out, Image.new("RGB", out.size, (level, level, level)))
    if panel in ROUND_PANELS:
        black = Image.new("RGB", out.size, (0, 0, 0))
        out = Image.composite(out, black, circle_mask(out.size[0]))
    return out


def preview(rgb565: bytes, panel: str) -> Image.Image:
    """The picture a person sees when the panel shows these RGB565 pixels."""
    return view(rgb565_to_image(rgb565), panel)
