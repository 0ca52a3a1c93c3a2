"""Framing: the subject stays inside the visible heart, not in the cleft between its lobes.

Photos are made here (a distinctive blob at a known place) or are the CC0 /
public-domain samples, whose subject's position is stated below from the
picture itself; results are checked by content and geometry, never against
values the pipeline produced before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pendant.photo import RenderOptions, framing, mask, render

SIZE = 240
SAMPLES = Path(__file__).resolve().parents[2] / "host" / "pendant" / "samples"
# host/pendant/samples/astronaut.jpg (512 x 512): the face, brows to chin and
# cheek to cheek, read off the picture: x 178..270, y 67..159.
ASTRONAUT_FACE = (178, 67, 270, 159)
MAGENTA = (255, 0, 255)


def blob_photo(centre=(600, 140), radius=80, size=(1200, 900)) -> Image.Image:
    """A smooth grey gradient with one textured magenta disc: the only subject."""
    photo = Image.linear_gradient("L").resize(size).convert("RGB")
    d = 2 * radius
    texture = Image.effect_noise((d, d), 90).convert("RGB")
    disc = Image.blend(Image.new("RGB", (d, d), MAGENTA), texture, 0.25)
    stencil = Image.new("L", (d, d), 0)
    ImageDraw.Draw(stencil).ellipse((0, 0, d - 1, d - 1), fill=255)
    photo.paste(disc, (centre[0] - radius, centre[1] - radius), stencil)
    return photo


def magenta_pixels(r) -> list[tuple[int, int]]:
    out = []
    data = r.rgb565
    for i in range(0, len(data), 2):
        v = data[i] << 8 | data[i + 1]
        red, green, blue = (v >> 11) << 3, ((v >> 5) & 63) << 2, (v & 31) << 3
        if red > 150 and blue > 150 and green < 120:
            out.append(((i // 2) % SIZE, (i // 2) // SIZE))
    return out


def blob_is_whole(r) -> bool:
    """Every blob pixel and its neighbours within 2 px are fully inside the mask,
    and the blob shows as a round disc (not a disc with a piece cut off)."""
    px = magenta_pixels(r)
    assert len(px) > 300, "the blob must be in view"
    cov = r.coverage
    for x, y in px:
        for dx in (-2, 0, 2):
            for dy in (-2, 0, 2):
                u, v = x + dx, y + dy
                if not (0 <= u < SIZE and 0 <= v < SIZE) or cov[v * SIZE + u] != 255:
                    return False
    xs, ys = [p[0] for p in px], [p[1] for p in px]
    w, h = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    return abs(w - h) <= 0.12 * max(w, h)


@pytest.mark.parametrize("faces", [True, False])
def test_subject_near_the_top_is_not_cut_by_the_cleft(faces):
    photo = blob_photo()  # disc centred at the top middle: where the cleft falls
    # Centred at the old place (the box's centre, or here the visual centre),
    # the cleft cuts the disc: the test picture is a real trap.
    assert not blob_is_whole(render(photo, RenderOptions(focus=(0.5, 0.5))))
    assert blob_is_whole(render(photo, RenderOptions(faces=faces)))


@pytest.mark.parametrize("where", [(250, 200), (950, 700), (600, 450)])
def test_subject_anywhere_stays_whole(where):
    assert blob_is_whole(render(blob_photo(centre=where, radius=70), RenderOptions()))


def test_subject_in_the_middle_goes_to_the_hearts_visual_centre():
    # Portrait: the crop can move up and down in it.
    r = render(blob_photo(centre=(450, 600), radius=60, size=(900, 1200)), RenderOptions())
    px = magenta_pixels(r)
    cx = sum(p[0] for p in px) / len(px)
    cy = sum(p[1] for p in px) / len(px)
    shape = mask.shape("gc9a01", "heart", 0.97, 0.0, False)
    x0, y0, x1, y1 = shape.box
    # Below the box's centre (the cleft takes the top), where the heart is roomiest.
    assert shape.centre[1] > (y0 + y1) / 2
    assert abs(cx - shape.centre[0]) <= 3 and abs(cy - shape.centre[1]) <= 3


def test_heart_visual_centre_is_the_middle_of_its_largest_inner_circle():
    shape = mask.shape("gc9a01", "heart", 0.97, 0.0, False)
    cov = shape.coverage.tobytes()
    cx, cy = shape.centre

    def room(x, y):  # distance to the nearest pixel not fully inside
        best = 10**9
        for v in range(SIZE):
            for u in range(SIZE):
                if cov[v * SIZE + u] != 255:
                    best = min(best, (u + 0.5 - x) ** 2 + (v + 0.5 - y) ** 2)
        return best ** 0.5

    here = room(cx, cy)
    assert here > 50
    for dy in (-12, 12):  # moving up or down the axis gives less room
        assert room(cx, cy + dy) < here


def test_manual_focus_lands_on_the_visual_centre_and_zoom_is_kept():
    photo = Image.new("RGB", (800, 600), (40, 40, 40))
    ImageDraw.Draw(photo).ellipse((300 - 12, 200 - 12, 300 + 12, 200 + 12), fill=MAGENTA)
    r = render(photo, RenderOptions(focus=(300 / 800, 200 / 600), zoom=2.0))
    px = magenta_pixels(r)
    cx = sum(p[0] for p in px) / len(px)
    cy = sum(p[1] for p in px) / len(px)
    shape = mask.shape("gc9a01", "heart", 0.97, 0.0, False)
    assert abs(cx - shape.centre[0]) <= 2 and abs(cy - shape.centre[1]) <= 2
    crop = r.crop
    assert crop is not None
    base = framing.base_size(800, 600, (shape.box[2] - shape.box[0], shape.box[3] - shape.box[1]))
    assert crop[2] - crop[0] == pytest.approx(base[0] / 2)


def test_explicit_zoom_is_not_changed_by_auto_framing():
    r = render(blob_photo(), RenderOptions(zoom=1.3))
    shape = mask.shape("gc9a01", "heart", 0.97, 0.0, False)
    base = framing.base_size(1200, 900, (shape.box[2] - shape.box[0], shape.box[3] - shape.box[1]))
    assert r.crop[2] - r.crop[0] == pytest.approx(base[0] / 1.3)


def test_auto_zoom_stays_within_limits():
    r = render(blob_photo(), RenderOptions(faces=False))
    shape = mask.shape("gc9a01", "heart", 0.97, 0.0, False)
    base = framing.base_size(1200, 900, (shape.box[2] - shape.box[0], shape.box[3] - shape.box[1]))
    zoom = base[0] / (r.crop[2] - r.crop[0])
    assert framing.DETAIL_ZOOMS[0] - 1e-6 <= zoom <= framing.DETAIL_ZOOMS[1] + 1e-6
    # A guess from detail never shows background: the crop stays in the photo.
    assert r.crop[0] >= -1e-6 and r.crop[1] >= -1e-6
    assert r.crop[2] <= 1200 + 1e-6 and r.crop[3] <= 900 + 1e-6


def face_inside(r, face) -> float:
    """Fraction of points on the face box's edges that land fully inside the mask."""
    x0, y0, x1, y1 = r.crop
    bx0, by0, bx1, by1 = r.box
    k = (bx1 - bx0) / (x1 - x0)
    fx0, fy0, fx1, fy1 = face
    inside = total = 0
    for i in range(21):
        t = i / 20
        for px, py in ((fx0 + t * (fx1 - fx0), fy0), (fx0 + t * (fx1 - fx0), fy1),
                       (fx0, fy0 + t * (fy1 - fy0)), (fx1, fy0 + t * (fy1 - fy0))):
            u, v = int(bx0 + (px - x0) * k), int(by0 + (py - y0) * k)
            total += 1
            inside += 0 <= u < SIZE and 0 <= v < SIZE and r.coverage[v * SIZE + u] == 255
    return inside / total


def test_astronaut_face_is_inside_the_heart():
    """With the `faces` extra (in `dev`, so CI runs this): the face is found and kept whole."""
    import cv2  # noqa: F401  (the faces extra is part of dev: CI must have it)
    assert framing.faces_available()
    path = SAMPLES / "astronaut.jpg"
    with Image.open(path) as im:
        found = framing.detect_faces(framing._thumbnail(im.convert("RGB"), 256).convert("L"))
    assert len(found) == 1
    fx0, fy0, fx1, fy1 = (v * 512 for v in found[0])
    ax0, ay0, ax1, ay1 = ASTRONAUT_FACE
    overlap = max(0, min(fx1, ax1) - max(fx0, ax0)) * max(0, min(fy1, ay1) - max(fy0, ay0))
    union = (fx1 - fx0) * (fy1 - fy0) + (ax1 - ax0) * (ay1 - ay0) - overlap
    assert overlap / union > 0.6
    # The face near the photo's top: centred framing puts it in the cleft ...
    assert face_inside(render(path, RenderOptions(faces=False)), ASTRONAUT_FACE) < 1
    # ... face-aware framing keeps it whole, forehead included.
    forehead = (ax0, ay0 - 20, ax1, ay1)
    assert face_inside(render(path, RenderOptions()), forehead) == 1


def test_no_faces_on_a_cat():
    import cv2  # noqa: F401  (the faces extra is part of dev: CI must have it)
    with Image.open(SAMPLES / "chelsea.jpg") as im:
        assert framing.detect_faces(framing._thumbnail(im.convert("RGB"), 256).convert("L")) == []
