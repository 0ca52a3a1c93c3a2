"""Which part of the photo fills the mask, so that the subject sits inside the heart.

Framing has two steps. First, find the subject: faces (with OpenCV's bundled
Haar cascade, when the optional extra `faces` is installed), else the region
of sharp detail; or the user's --focus point. The subject is an ellipse in
photo fractions. Then choose the crop (zoom and position): the subject goes
to the shape's visual centre (for the heart, the centre of the largest circle
inside it, below the cleft) and the crop is kept inside the photo; if that
leaves the subject cut by the heart's edge (a face near the top of a photo
would sit in the cleft between the lobes), nearby zooms and positions are
tried and the one that keeps the whole subject inside the heart with the least
change wins.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import numpy
from PIL import Image, ImageOps

from .errors import extra_broken, not_installed

Box = tuple[float, float, float, float]

# Auto-framing may change the zoom only within these factors of the user's
# zoom (1.0 = the largest crop that covers the shape). Faces are worth a
# little background showing at the top (zooming out); a detail guess is not.
FACE_ZOOMS = (0.8, 2.0)
DETAIL_ZOOMS = (1.0, 1.6)
# Scores: keeping the subject whole dominates; then as little background, zoom
# change and distance from the visual centre as possible.
W_FIT, W_PAD, W_ZOOM, W_DIST = 4.0, 3.0, 0.6, 0.5
# Points on the subject's ellipse tested against the mask.
_RIM = 40


@dataclass(frozen=True)
class Subject:
    """What must stay in view: an ellipse, centre and semi-axes in fractions of the photo."""

    cx: float
    cy: float
    rx: float = 0.0
    ry: float = 0.0
    kind: str = "focus"  # "face", "detail", "focus" (the user's point) or "centre"


@dataclass(frozen=True)
class Target:
    """Where the crop goes on the panel, from mask.Shape."""

    box: tuple[int, int, int, int]
    centre: tuple[float, float]
    coverage: bytes  # SIZE*SIZE, 0..255
    size: int


def base_size(width: int, height: int, target: tuple[int, int]) -> tuple[float, float]:
    """The largest region with the target's aspect ratio that fits in the photo (zoom 1)."""
    tw, th = target
    aspect = tw / th
    if width / height > aspect:
        return float(height) * aspect, float(height)
    return float(width), width / aspect


def crop_box(
    width: int, height: int, target: tuple[int, int], focus: tuple[float, float], zoom: float,
    anchor: tuple[float, float] = (0.5, 0.5),
) -> Box:
    """The region of a width x height photo shown in a target-sized box.

    At zoom 1 it is the largest region with the target's aspect ratio (the
    photo covers the whole box, nothing is stretched); zoom > 1 narrows it.
    `focus` (fractions of the photo) lands at `anchor` (fractions of the
    box) and the region is then slid back inside the photo. At zoom < 1 it may
    be larger than the photo; then the photo stays wholly inside it.
    """
    bw, bh = base_size(width, height, target)
    cw, ch = bw / zoom, bh / zoom
    x0 = _place(focus[0] * width - anchor[0] * cw, cw, width)
    y0 = _place(focus[1] * height - anchor[1] * ch, ch, height)
    return (x0, y0, x0 + cw, y0 + ch)


def _place(start: float, length: float, limit: int) -> float:
    lo, hi = sorted((0.0, limit - length))
    return min(max(start, lo), hi)


def scale_box(box: Box, factor_x: float, factor_y: float) -> Box:
    x0, y0, x1, y1 = box
    return (x0 * factor_x, y0 * factor_y, x1 * factor_x, y1 * factor_y)


# --- choosing the crop ---------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _area_table(coverage: bytes, size: int) -> tuple[tuple[int, ...], ...]:
    """Summed-area table of the fully covered pixels: (size+1) rows of size+1 sums."""
    rows = [(0,) * (size + 1)]
    for y in range(size):
        above = rows[-1]
        run, row = 0, [0]
        base = y * size
        for x in range(size):
            run += coverage[base + x] == 255
            row.append(above[x + 1] + run)
        rows.append(tuple(row))
    return tuple(rows)


def _inside_area(table, size: int, x0: float, y0: float, x1: float, y1: float) -> int:
    ix0, iy0 = min(max(math.ceil(x0), 0), size), min(max(math.ceil(y0), 0), size)
    ix1, iy1 = min(max(math.floor(x1), 0), size), min(max(math.floor(y1), 0), size)
    if ix1 <= ix0 or iy1 <= iy0:
        return 0
    return table[iy1][ix1] - table[iy0][ix1] - table[iy1][ix0] + table[iy0][ix0]


@functools.lru_cache(maxsize=1)
def _rim() -> tuple[tuple[float, float], ...]:
    return tuple(
        (math.cos(2 * math.pi * i / _RIM), math.sin(2 * math.pi * i / _RIM)) for i in range(_RIM)
    )


def choose_crop(
    width: int, height: int, target: Target, subject: Subject, zoom: float, auto_zoom: bool
) -> Box:
    """The crop (in photo pixels) that shows `subject` best inside the mask."""
    bx0, by0, bx1, by1 = target.box
    tw, th = bx1 - bx0, by1 - by0
    ax, ay = target.centre
    anchor = ((ax - bx0) / tw, (ay - by0) / th)
    focus = (subject.cx, subject.cy)
    first = crop_box(width, height, (tw, th), focus, zoom, anchor)
    if subject.rx <= 0 and subject.ry <= 0:
        return first  # a point: put it at the visual centre, nothing to fit

    size, cov = target.size, target.coverage
    table = _area_table(cov, size)
    total = table[size][size] or 1
    rim = _rim()
    sx, sy = subject.cx * width, subject.cy * height
    rx, ry = subject.rx * width, subject.ry * height
    bw, bh = base_size(width, height, (tw, th))

    def score(z: float, x0: float, y0: float, rim=rim) -> tuple[float, float]:
        k = tw * z / bw  # panel pixels per photo pixel
        fit = 0
        ox, oy = bx0 + (sx - x0) * k, by0 + (sy - y0) * k  # the subject's centre
        ex, ey = rx * k, ry * k
        for c, s in rim:
            px, py = ox + ex * c, oy + ey * s
            if 0 <= px < size and 0 <= py < size and cov[int(py) * size + int(px)] == 255:
                fit += 1
        fit /= len(rim)
        shown = _inside_area(table, size, bx0 - x0 * k, by0 - y0 * k,
                             bx0 + (width - x0) * k, by0 + (height - y0) * k)
        pad = 1 - shown / total
        dist = math.hypot(ox - ax, oy - ay) / tw
        value = W_FIT * fit - W_PAD * pad - W_ZOOM * abs(math.log(z / zoom)) - W_DIST * dist
        return value, fit

    best_value, fit = score(zoom, first[0], first[1])
    inside = first[0] >= 0 and first[1] >= 0 and first[2] <= width and first[3] <= height
    if fit == 1.0 and inside:
        return first  # the usual case: the subject is whole at the visual centre
    if auto_zoom:
        lo, hi = FACE_ZOOMS if subject.kind == "face" else DETAIL_ZOOMS
        zooms = [zoom * lo * (hi / lo) ** (i / 7) for i in range(8)]
    else:
        zooms = [zoom]
    # Background may show where it saves a face, never for a guess from detail.
    slack = 0.25 if subject.kind == "face" else 0.0
    # Coarse: every zoom, a 7 x 7 grid of positions, a few of the rim's points.
    coarse = rim[::3]
    best = (zoom, first[0], first[1])
    steps = {}
    for z in zooms:
        cw, ch = bw / z, bh / z
        xs, dx = _positions(sx - anchor[0] * cw, cw, width, slack)
        ys, dy = _positions(sy - anchor[1] * ch, ch, height, slack)
        steps[z] = (dx, dy)
        for x0 in xs:
            for y0 in ys:
                value, _ = score(z, x0, y0, coarse)
                if value > best_value + 1e-9:
                    best_value, best = value, (z, x0, y0)
    # Fine: around the best, a quarter step each way, with the whole rim.
    z, x0, y0 = best
    best_value, _ = score(z, x0, y0)
    dx, dy = steps.get(z, (0.0, 0.0))
    for fx in (-0.5, -0.25, 0.0, 0.25, 0.5):
        for fy in (-0.5, -0.25, 0.0, 0.25, 0.5):
            cand = (z, x0 + fx * dx, y0 + fy * dy)
            value, _ = score(*cand)
            if value > best_value + 1e-9:
                best_value, best = value, cand
    z, x0, y0 = best
    return (x0, y0, x0 + bw / z, y0 + bh / z)


def _positions(ideal: float, length: float, limit: int, slack: float):
    """Crop starts to try along one axis (the ideal one, clamped, and a spread) and their step."""
    lo, hi = sorted((0.0, limit - length))
    lo, hi = lo - slack * length, hi + slack * length
    steps = 6
    out = {min(max(ideal, lo), hi)}
    out.update(lo + (hi - lo) * i / steps for i in range(steps + 1))
    return sorted(out), (hi - lo) / steps


# --- finding the subject --------------------------------------------------------------


# Detail is measured on a thumbnail this size: enough to find a subject and
# its extent; whole-image operations make it cost ~1 ms.
_PROBE = 128
# Faces are looked for on a grey thumbnail this long, 28 px and up: faces
# down to ~1/7 of a 4:3 photo's short side (portraits, couples, small
# groups; a crowd's tiny faces matter less to framing), in 5-10 ms.
_FACE_PROBE = 256
_FACE_MIN = 28
FACE_CASCADE = "haarcascade_frontalface_default.xml"
NO_FACES = "framing without face detection"


def find_subject(image: Image.Image, faces: bool = True) -> Subject:
    """The subject of an upright RGB photo: its faces, else its sharp detail."""
    if faces and _cascade() is not None:
        boxes = detect_faces(_thumbnail(image, _FACE_PROBE).convert("L"))
        if boxes:
            return face_subject(boxes)
    return detail_subject(_thumbnail(image, _PROBE))


def _thumbnail(image: Image.Image, longest: int) -> Image.Image:
    w, h = image.size
    factor = max(w, h) // longest
    small = image.reduce(factor) if factor >= 2 else image.copy()
    small.thumbnail((longest, longest), Image.Resampling.BOX)
    return small


@functools.lru_cache(maxsize=1)
def _cascade():
    """OpenCV's frontal face cascade, or None (extra not installed, or unusable).

    Imported on first use: OpenCV takes a while to import, and is optional.
    OpenCV 5 moved the cascade classifier out of the main package.
    """
    try:
        import cv2
        import numpy
    except Exception as e:  # noqa: BLE001 - a missing or broken extra means no faces
        if not (isinstance(e, ImportError) and not_installed(e, "cv2")):
            extra_broken("faces", e, NO_FACES)
        return None
    try:
        path = os.path.join(cv2.data.haarcascades, FACE_CASCADE)
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise OSError(f"cannot load {path}")
    except Exception as e:  # noqa: BLE001
        extra_broken("faces", e, NO_FACES)
        return None
    return cascade, numpy


def faces_available() -> bool:
    return _cascade() is not None


def detect_faces(grey: Image.Image) -> list[Box]:
    """Frontal faces in a grey image, as (x0, y0, x1, y1) fractions; [] without OpenCV."""
    found = _cascade()
    if found is None:
        return []
    cascade, numpy = found
    w, h = grey.size
    if min(w, h) < _FACE_MIN * 2:
        return []
    try:
        hits = cascade.detectMultiScale(
            numpy.asarray(grey), scaleFactor=1.2, minNeighbors=5,
            minSize=(_FACE_MIN, _FACE_MIN),
        )
    except Exception as e:  # noqa: BLE001 - detection is a nicety, never a failure
        extra_broken("faces", e, NO_FACES)
        return []
    boxes = [(x / w, y / h, (x + fw) / w, (y + fh) / h) for x, y, fw, fh in
             (tuple(int(v) for v in hit) for hit in hits)]
    if not boxes:
        return []
    # Keep the faces that matter: those at least a quarter the size of the biggest.
    biggest = max((b[2] - b[0]) * (b[3] - b[1]) for b in boxes)
    return [b for b in boxes if (b[2] - b[0]) * (b[3] - b[1]) >= biggest / 4]


def face_subject(boxes: list[Box]) -> Subject:
    """The heads around the detected faces, as one ellipse.

    The cascade's box runs from the brows to the chin; a head reaches about
    a third of a face above it (hair) and a little to the sides.
    """
    heads = [(x0 - 0.15 * (x1 - x0), y0 - 0.35 * (y1 - y0),
              x1 + 0.15 * (x1 - x0), y1 + 0.1 * (y1 - y0)) for x0, y0, x1, y1 in boxes]
    x0 = min(b[0] for b in heads)
    y0 = min(b[1] for b in heads)
    x1 = max(b[2] for b in heads)
    y1 = max(b[3] for b in heads)
    # Several heads in a row fill their box's corners too: widen the ellipse.
    grow = 1.0 if len(heads) == 1 else math.sqrt(2)
    return Subject((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 * grow, (y1 - y0) / 2,
                   "face")


def detail_subject(image: Image.Image) -> Subject:
    """Guess the subject from local detail: its centroid and, if compact, its extent.

    Photos put the subject where the focus is sharp and the colours vary,
    while skies, walls and blurred backgrounds are smooth. Weighting by
    edge strength (squared, so the sharpest region dominates) and by a mild
    centre prior (photographers frame near the middle) gives a robust centre.
    When that detail is concentrated (its spread is small), the region two
    standard deviations around it is the subject and is kept whole; when it
    is spread over the picture (a landscape), only the centre is used, pulled
    partway to the middle of the photo.
    """
    small = _thumbnail(image, _PROBE)
    w, h = small.size
    if w < 8 or h < 8:
        return Subject(0.5, 0.5, kind="centre")
    # Edges in any colour channel (a red flower on green leaves has few in
    # grey); FIND_EDGES leaves a one-pixel border: leave it out.
    edges = ImageOps.autocontrast(Image.fromarray(_find_edges(small)))
    # Below an eighth of the strongest edge is texture and noise (grain, a
    # smooth gradient's rounding): it would smear the subject over the picture.
    e = numpy.asarray(edges.point(_FLOOR))[1:-1, 1:-1].astype(numpy.float32)
    fx, fy = _ramps(w, h)
    half, one, prior = numpy.float32(0.5), numpy.float32(1.0), numpy.float32(1.6)
    weight = e * e * (one - prior * ((fx - half) * (fx - half) + (fy - half) * (fy - half)))
    wx, wy = weight * fx, weight * fy
    total, sx, sy, sxx, syy = _means(weight, wx, wy, wx * fx, wy * fy)
    if total <= 0:
        return Subject(0.5, 0.5, kind="centre")
    cx, cy = sx / total, sy / total
    rx = 2 * math.sqrt(max(sxx / total - cx * cx, 0.0))
    ry = 2 * math.sqrt(max(syy / total - cy * cy, 0.0))
    if max(rx, ry) <= 0.3:
        return Subject(cx, cy, max(rx, 1 / w), max(ry, 1 / h), "detail")
    # Trust diffuse detail only partway: the centre is a good default on its own.
    return Subject(0.5 + (cx - 0.5) * 0.7, 0.5 + (cy - 0.5) * 0.7, kind="centre")


def _find_edges(image: Image.Image) -> numpy.ndarray:
    """ImageFilter.FIND_EDGES of an RGB image, the strongest of its bands, as uint8.

    8 x each pixel minus its 8 neighbours, clipped to 0..255; the border keeps
    the image's own pixels, as Pillow's filter does. In integers, three bands
    at once: Pillow's 3x3 filter works in floats and cost a quarter of the
    framing.
    """
    rgb = numpy.asarray(image)
    planes = numpy.moveaxis(rgb, 2, 0).astype(numpy.int16)
    rows = planes[:, :-2] + planes[:, 1:-1] + planes[:, 2:]
    block = rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]
    inner = 9 * planes[:, 1:-1, 1:-1] - block
    numpy.clip(inner, 0, 255, out=inner)
    out = numpy.maximum(numpy.maximum(rgb[:, :, 0], rgb[:, :, 1]), rgb[:, :, 2])
    out[1:-1, 1:-1] = numpy.maximum(numpy.maximum(inner[0], inner[1]), inner[2])
    return out


def _means(*images: numpy.ndarray) -> list[float]:
    """Exact means of float32 arrays (ImageStat would bin them into a histogram).

    Pillow's box filter sums in double. Each array on its own: the order of
    the two passes, and so the last bit, depends on the image's shape.
    """
    means = (Image.fromarray(image).resize((1, 1), Image.Resampling.BOX) for image in images)
    return [float(numpy.asarray(mean)[0, 0]) for mean in means]


_FLOOR = [max(0, v - 32) for v in range(256)]


@functools.lru_cache(maxsize=8)
def _ramps(w: int, h: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Pixel-centre x and y (float32), as fractions of a w x h image, for its inner (w-2) x (h-2).

    A row of x and a column of y, which broadcast to the whole.
    """
    fx = ((numpy.arange(w - 2) + 1.5) / w).astype(numpy.float32)
    fy = ((numpy.arange(h - 2) + 1.5) / h).astype(numpy.float32)
    fx.setflags(write=False)  # cached: shared by every call
    fy.setflags(write=False)
    return fx[numpy.newaxis, :], fy[:, numpy.newaxis]
