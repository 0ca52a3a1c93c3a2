"""Which part of the photo fills the mask: crop to the mask's box, not the square."""

from __future__ import annotations

from PIL import Image, ImageFilter, ImageOps

Box = tuple[float, float, float, float]


def crop_box(
    width: int, height: int, target: tuple[int, int], focus: tuple[float, float], zoom: float
) -> Box:
    """The region of a width x height photo shown in a target-sized box.

    At zoom 1 it is the largest region with the target's aspect ratio (the
    photo covers the whole box, nothing is stretched); zoom > 1 narrows it.
    It is centred on `focus` (fractions of the photo) and then slid back inside
    the photo. At zoom < 1 it may be larger than the photo; then it is centred
    on the photo along that axis and the rest shows the background.
    """
    tw, th = target
    aspect = tw / th
    if width / height > aspect:
        ch = float(height)
        cw = ch * aspect
    else:
        cw = float(width)
        ch = cw / aspect
    cw, ch = cw / zoom, ch / zoom
    x0 = _place(focus[0] * width - cw / 2, cw, width)
    y0 = _place(focus[1] * height - ch / 2, ch, height)
    return (x0, y0, x0 + cw, y0 + ch)


def _place(start: float, length: float, limit: int) -> float:
    if length >= limit:
        return (limit - length) / 2
    return min(max(start, 0.0), limit - length)


def scale_box(box: Box, factor_x: float, factor_y: float) -> Box:
    x0, y0, x1, y1 = box
    return (x0 * factor_x, y0 * factor_y, x1 * factor_x, y1 * factor_y)


# Detail is measured on a thumbnail this size: enough to find a subject,
# cheap enough to cost nothing next to the decode.
_PROBE = 48


def auto_focus(image: Image.Image) -> tuple[float, float]:
    """Guess where the subject is: the centroid of local detail, pulled to the centre.

    Photos put the subject where the focus is sharp and the colours vary,
    while skies, walls and blurred backgrounds are smooth. Weighting by
    edge strength (squared, so the sharpest region dominates) and by a
    centre prior (photographers frame near the middle) gives a robust guess
    that never lurches to a single noisy corner.
    """
    small = image.convert("L")
    small.thumbnail((_PROBE, _PROBE), Image.Resampling.BOX)
    w, h = small.size
    if w < 3 or h < 3:
        return (0.5, 0.5)
    edges = ImageOps.autocontrast(small.filter(ImageFilter.FIND_EDGES))
    values = edges.tobytes()
    total = sx = sy = 0.0
    for j in range(1, h - 1):  # FIND_EDGES leaves a border row/column
        fy = (j + 0.5) / h
        row = j * w
        for i in range(1, w - 1):
            fx = (i + 0.5) / w
            prior = 1.0 - 1.6 * ((fx - 0.5) ** 2 + (fy - 0.5) ** 2)
            weight = values[row + i] ** 2 * prior
            total += weight
            sx += weight * fx
            sy += weight * fy
    if total <= 0:
        return (0.5, 0.5)
    # Trust the detail only halfway: the centre is a good default on its own.
    return (0.5 + (sx / total - 0.5) * 0.7, 0.5 + (sy / total - 0.5) * 0.7)
