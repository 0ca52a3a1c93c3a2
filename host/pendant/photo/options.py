"""What the user can choose about how a photo becomes a frame."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import PhotoError

PANELS = ("gc9a01", "st7789")
MASKS = ("heart", "circle", "full")
DITHERS = ("fs", "blue", "none")


@dataclass(frozen=True)
class RenderOptions:
    """Options for render(); checked when built so a bad value fails before any decoding.

    heart_scale: size of the heart as a fraction of the largest one that fits the
        visible area (1.0 = as big as fits; the edge never leaves the panel's glass).
    heart_y: move the heart down (+) or up (-) by this fraction of the panel
        height from where it fits best; it shrinks if it would leave the glass.
    outline: RGB565 colour of a thin ring around the mask's edge, or None.
    focus: (x, y) in 0..1 of the photo to put at the mask's visual centre (for
        the heart, the middle of its roundest part, below the cleft), or None to
        find the subject (faces, else sharp detail) and keep it inside the mask.
    zoom: >= 1 crops tighter around the focus; < 1 shows more of the photo,
        padding with the background colour where the photo ends. Without a
        focus, the default 1.0 lets auto-framing zoom between 0.8 and 2 (faces)
        or 1 and 1.6 (detail) to keep the subject whole; any other value is kept.
    faces: look for faces when framing (needs the `faces` extra, OpenCV).
    rotate: degrees counter-clockwise, applied after the EXIF orientation.
    dither: "fs" (Floyd-Steinberg error diffusion), "blue" (blue-noise
        threshold), "none" (round to nearest RGB565).
    frame: which frame of an animated image (GIF, WebP, APNG) to show.
    """

    panel: str = "gc9a01"
    mask: str = "heart"
    background: int = 0x0000
    heart_scale: float = 0.97
    heart_y: float = 0.0
    outline: int | None = None
    focus: tuple[float, float] | None = None
    zoom: float = 1.0
    faces: bool = True
    rotate: float = 0
    dither: str = "fs"
    frame: int = 0

    def __post_init__(self) -> None:
        def bad(why: str) -> PhotoError:
            return PhotoError("bad option: " + why)

        if self.panel not in PANELS:
            raise bad("panel %r is not one of %s" % (self.panel, ", ".join(PANELS)))
        if self.mask not in MASKS:
            raise bad("mask %r is not one of %s" % (self.mask, ", ".join(MASKS)))
        if self.dither not in DITHERS:
            raise bad("dither %r is not one of %s" % (self.dither, ", ".join(DITHERS)))
        for name in ("background", "outline"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int) and 0 <= value <= 0xFFFF):
                raise bad("%s must be an RGB565 value 0..0xFFFF" % name)
        if not (_finite(self.heart_scale) and 0.1 <= self.heart_scale <= 1.0):
            raise bad("heart_scale must be between 0.1 and 1")
        if not (_finite(self.heart_y) and -0.5 <= self.heart_y <= 0.5):
            raise bad("heart_y must be between -0.5 and 0.5")
        if self.focus is not None:
            if len(self.focus) != 2 or not all(_finite(v) and 0 <= v <= 1 for v in self.focus):
                raise bad("focus must be two numbers in 0..1")
        if not (_finite(self.zoom) and 0.1 <= self.zoom <= 20):
            raise bad("zoom must be between 0.1 and 20")
        if not _finite(self.rotate):
            raise bad("rotate must be a number of degrees")
        if not (isinstance(self.frame, int) and self.frame >= 0):
            raise bad("frame must be a frame index >= 0")


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
