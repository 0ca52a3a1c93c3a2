"""Where the photo shows: heart, circle or full panel, with anti-aliased coverage.

Coverage is drawn at SUPERSAMPLE x resolution and averaged down, so each edge
pixel's 0..255 value is the fraction of it the shape covers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from PIL import Image, ImageDraw

SIZE = 240
SUPERSAMPLE = 8
OUTLINE_PX = 3.0
# Room left between the shape's edge and the glass's edge, in pixels: the
# anti-aliased edge pixel must itself be on the glass.
MARGIN_PX = 1.0
ROUND_PANELS = frozenset({"gc9a01"})


@dataclass(frozen=True)
class Shape:
    coverage: Image.Image  # "L", 0..255, the photo's share of each pixel
    outline: Image.Image | None  # "L", the outline ring's share, or None
    box: tuple[int, int, int, int]  # the photo fills this (x0, y0, x1, y1)
    # Where the eye puts the shape's middle, in panel pixels: for the heart the
    # centre of the largest circle inside it (below the cleft), not its box's
    # centre. Framing puts the subject here.
    centre: tuple[float, float] = (SIZE / 2, SIZE / 2)


@functools.lru_cache(maxsize=1)
def heart_outline(samples: int = 720) -> tuple[tuple[float, float], ...]:
    """The classic heart curve, pointy end down, in its own units (y grows downwards).

    x = 16 sin^3 t, y = -(13 cos t - 5 cos 2t - 2 cos 3t - cos 4t): smooth
    lobes, a cleft at the top and a sharp tip at the bottom; each row across
    it is one run of pixels except in the cleft.
    """
    pts = []
    for i in range(samples):
        t = 2 * math.pi * i / samples
        x = 16 * math.sin(t) ** 3
        y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
        pts.append((x, y))
    # Centre the bounding box on the origin so scale and placement are simple.
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    return tuple((x - cx, y - cy) for x, y in pts)


def _fits(points, scale: float, dy: float, round_panel: bool, margin: float) -> bool:
    half = SIZE / 2
    if round_panel:
        limit = (half - margin) ** 2
        return all((scale * x) ** 2 + (dy + scale * y) ** 2 <= limit for x, y in points)
    lo, hi = -half + margin, half - margin
    return all(lo <= scale * x <= hi and lo <= dy + scale * y <= hi for x, y in points)


def _dy_range(points, scale: float, round_panel: bool, margin: float):
    """Vertical offsets (from the panel centre) at which the shape at `scale` fits."""
    half = SIZE / 2 - margin
    lo, hi = -math.inf, math.inf
    for x, y in points:
        if round_panel:
            room = half * half - (scale * x) ** 2
            if room < 0:
                return None
            reach = math.sqrt(room)
        else:
            if abs(scale * x) > half:
                return None
            reach = half
        lo, hi = max(lo, -scale * y - reach), min(hi, -scale * y + reach)
    return (lo, hi) if lo <= hi else None


@functools.lru_cache(maxsize=32)
def heart_placement(panel: str, heart_scale: float, heart_y: float, margin: float):
    """(scale, dy): the heart's size in pixels per unit and its offset from centre.

    First the largest heart that fits the glass and where it fits best; then the
    user's scale and shift, shrinking it again if the shift would push it off
    the glass.
    """
    points = heart_outline()[::4]  # every 2 degrees is plenty to test a fit
    round_panel = panel in ROUND_PANELS
    lo, hi = 0.0, float(SIZE)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _dy_range(points, mid, round_panel, margin) else (lo, mid)
    best = _dy_range(points, lo, round_panel, margin)
    assert best is not None
    dy = (best[0] + best[1]) / 2 + heart_y * SIZE
    scale = lo * heart_scale
    while scale > 0.5 and not _fits(points, scale, dy, round_panel, margin):
        scale *= 0.99
    return scale, dy


@functools.lru_cache(maxsize=16)
def shape(panel: str, mask: str, heart_scale: float, heart_y: float, outline: bool) -> Shape:
    margin = MARGIN_PX + (OUTLINE_PX / 2 if outline else 0)
    if mask == "full":
        full = Image.new("L", (SIZE, SIZE), 255)
        return Shape(full, _ring(_rect_points(), outline), (0, 0, SIZE, SIZE))
    centre = (SIZE / 2, SIZE / 2)
    if mask == "circle":
        radius = SIZE / 2 - margin
        pts = [
            (SIZE / 2 + radius * math.cos(a), SIZE / 2 + radius * math.sin(a))
            for a in (2 * math.pi * i / 720 for i in range(720))
        ]
    else:
        scale, dy = heart_placement(panel, heart_scale, heart_y, margin)
        pts = [(SIZE / 2 + scale * x, SIZE / 2 + dy + scale * y) for x, y in heart_outline()]
        centre = inscribed_centre(pts)
    coverage = _fill(pts)
    box = coverage.getbbox() or (0, 0, SIZE, SIZE)
    return Shape(coverage, _ring(pts, outline), box, centre)


def inscribed_centre(points) -> tuple[float, float]:
    """Centre of the largest circle inside a left-right symmetric outline.

    The centre lies on the axis of symmetry; search it coarse to fine for
    the height whose distance to the nearest outline point is largest. For
    the heart that is below the cleft, between the lobes and the tip: the
    roomiest place, and where the eye finds the heart's middle.
    """
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    axis = (min(xs) + max(xs)) / 2
    coarse = points[::3]

    def room(y: float) -> float:
        return min((px - axis) ** 2 + (py - y) ** 2 for px, py in coarse)

    lo, hi = min(ys), max(ys)
    step = (hi - lo) / 48
    best = max((lo + i * step for i in range(1, 48)), key=room)
    fine = step / 16
    best = max((best + i * fine for i in range(-16, 17)), key=room)
    return (axis, best)


def _rect_points():
    inset = OUTLINE_PX / 2
    return [(inset, inset), (SIZE - inset, inset), (SIZE - inset, SIZE - inset),
            (inset, SIZE - inset)]


def _scaled(points):
    # Pixel (i, j) covers [i, i+1) x [j, j+1); ImageDraw fills sample centres,
    # so shift by half a sample to sample each pixel's SUPERSAMPLE^2 centres.
    s = SUPERSAMPLE
    return [(x * s - 0.5, y * s - 0.5) for x, y in points]


def _fill(points) -> Image.Image:
    big = Image.new("L", (SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), 0)
    ImageDraw.Draw(big).polygon(_scaled(points), fill=255)
    return big.reduce(SUPERSAMPLE)


def _ring(points, enabled: bool) -> Image.Image | None:
    if not enabled:
        return None
    big = Image.new("L", (SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), 0)
    pts = _scaled(points)
    ImageDraw.Draw(big).line(
        pts + pts[:1], fill=255, width=round(OUTLINE_PX * SUPERSAMPLE), joint="curve"
    )
    return big.reduce(SUPERSAMPLE)
