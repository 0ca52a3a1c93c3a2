"""The photo pipeline's pictures: orientation, mask, background, dithering, input kinds.

Photos are made here, and results are checked by content (colours where they
should be), never against values the pipeline itself produced.
"""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image, ImageCms

from pendant import glass
from pendant.photo import PhotoError, Rendered, RenderOptions, render

SIZE = 240
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def pixels(r: Rendered) -> list[tuple[int, int, int]]:
    """Decode big-endian RGB565 by hand (bit replication, as the panel does)."""
    out = []
    data = r.rgb565
    for i in range(0, len(data), 2):
        v = data[i] << 8 | data[i + 1]
        r5, g6, b5 = v >> 11, (v >> 5) & 63, v & 31
        out.append((r5 << 3 | r5 >> 2, g6 << 2 | g6 >> 4, b5 << 3 | b5 >> 2))
    return out


def words(r: Rendered) -> list[int]:
    return [r.rgb565[i] << 8 | r.rgb565[i + 1] for i in range(0, len(r.rgb565), 2)]


def mean_colour(px, x0, y0, x1, y1):
    sel = [px[y * SIZE + x] for y in range(y0, y1) for x in range(x0, x1)]
    return tuple(sum(c[k] for c in sel) / len(sel) for k in range(3))


def near(colour, expected, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(colour, expected, strict=True))


def quadrants(w=40, h=30) -> Image.Image:
    """Upright test picture: red top-left, green top-right, blue bottom-left, white."""
    im = Image.new("RGB", (w, h))
    im.putdata([
        (RED if x < w // 2 else GREEN) if y < h // 2 else (BLUE if x < w // 2 else WHITE)
        for y in range(h) for x in range(w)
    ])
    return im


def stored_for(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores for an upright picture, per the EXIF definition.

    The tag names where the stored 0th row and 0th column are in the visual
    picture (TIFF 6.0 / EXIF 2.3): e.g. 6 = row 0 is the right side, column 0
    the top. Built pixel by pixel from that table, not with Pillow's transposes.
    """
    w, h = upright.size
    src = upright.load()
    swapped = orientation >= 5
    sw, sh = (h, w) if swapped else (w, h)

    def visual(c, r):  # stored (column c, row r) -> visual (x, y)
        return {
            1: (c, r), 2: (w - 1 - c, r), 3: (w - 1 - c, h - 1 - r), 4: (c, h - 1 - r),
            5: (r, c), 6: (w - 1 - r, c), 7: (w - 1 - r, h - 1 - c), 8: (r, h - 1 - c),
        }[orientation]

    out = Image.new("RGB", (sw, sh))
    out.putdata([src[visual(c, r)] for r in range(sh) for c in range(sw)])
    return out


FULL_SQUARE = RenderOptions(panel="st7789", mask="full", focus=(0.5, 0.5), dither="none")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_shows_the_picture_upright(tmp_path, orientation):
    path = tmp_path / ("o%d.jpg" % orientation)
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored_for(quadrants(), orientation).save(path, quality=95, exif=exif.tobytes())
    px = pixels(render(path, FULL_SQUARE))
    assert near(mean_colour(px, 20, 20, 100, 100), RED)
    assert near(mean_colour(px, 140, 20, 220, 100), GREEN)
    assert near(mean_colour(px, 20, 140, 100, 220), BLUE)
    assert near(mean_colour(px, 140, 140, 220, 220), WHITE)


def test_interface_and_preview_is_glass(tmp_path):
    path = tmp_path / "q.png"
    quadrants().save(path)
    r = render(path, RenderOptions())
    assert (r.width, r.height) == (SIZE, SIZE)
    assert len(r.rgb565) == SIZE * SIZE * 2 and len(r.coverage) == SIZE * SIZE
    assert r.background == 0
    assert r.to_image().tobytes() == glass.preview(r.rgb565, "gc9a01").tobytes()


def test_pil_image_input_is_left_untouched():
    im = quadrants()
    before = im.tobytes()
    r = render(im, FULL_SQUARE)
    assert im.tobytes() == before and im.size == (40, 30)
    assert near(mean_colour(pixels(r), 20, 20, 100, 100), RED)


# --- mask -----------------------------------------------------------------


def covered_runs(cov: bytes, y: int) -> list[tuple[int, int]]:
    runs, start = [], None
    for x in range(SIZE + 1):
        inside = x < SIZE and cov[y * SIZE + x] > 0
        if inside and start is None:
            start = x
        elif not inside and start is not None:
            runs.append((start, x))
            start = None
    return runs


@pytest.mark.parametrize("outline", [None, 0xFFFF])
@pytest.mark.parametrize("heart_y", [0.0, 0.2, -0.2])
def test_heart_is_soft_edged_and_on_the_round_glass(outline, heart_y):
    r = render(quadrants(), RenderOptions(heart_y=heart_y, heart_scale=1.0, outline=outline))
    cov = r.coverage
    edge = [v for v in cov if 0 < v < 255]
    assert len(edge) > 200, "the edge must be anti-aliased"
    assert len(set(edge)) > 20
    glass_mask = glass.circle_mask().tobytes()
    for y in range(SIZE):
        for x in range(SIZE):
            if cov[y * SIZE + x]:
                assert glass_mask[y * SIZE + x] == 255
                assert math.hypot(x + 0.5 - 120, y + 0.5 - 120) < 120


def test_heart_is_upright_point_down_lobes_up():
    cov = render(quadrants(), RenderOptions()).coverage
    rows = [y for y in range(SIZE) if covered_runs(cov, y)]
    top, bottom = rows[0], rows[-1]
    height = bottom - top
    # Pointy end down: the last rows are a few pixels wide.
    (x0, x1), = covered_runs(cov, bottom)
    assert x1 - x0 <= 6
    # Two lobes up: just below the top, a row has two separate runs.
    assert len(covered_runs(cov, top + height // 20)) == 2
    # Every row below the cleft is one run, so the frame stores it as a span.
    for y in range(top + height // 4, bottom + 1):
        assert len(covered_runs(cov, y)) == 1, y
    # Left-right symmetric about the panel's centre.
    widest = max(rows, key=lambda y: sum(b - a for a, b in covered_runs(cov, y)))
    (a, b), = covered_runs(cov, widest)
    assert abs((a + b) / 2 - 120) <= 1


@pytest.mark.parametrize("mask", ["heart", "circle", "full"])
@pytest.mark.parametrize("dither", ["fs", "blue", "none"])
def test_uncovered_pixels_are_exactly_the_background(mask, dither):
    background = 0x39E7  # a mid grey that dithering would love to vary
    photo = Image.effect_noise((300, 200), 80).convert("RGB")
    r = render(photo, RenderOptions(mask=mask, background=background, dither=dither,
                                    outline=0xF800))
    w = words(r)
    outside = [i for i, c in enumerate(r.coverage) if c == 0]
    assert all(w[i] == background for i in outside)
    if mask == "full":
        assert not outside
    else:
        assert len(outside) > 5000


def test_square_panel_heart_is_bigger_than_round():
    def area(panel):
        return sum(1 for c in render(quadrants(), RenderOptions(panel=panel)).coverage if c)

    assert area("st7789") > area("gc9a01") * 1.05


# --- dithering --------------------------------------------------------------


def expand5(v):
    return v << 3 | v >> 2


def expand6(v):
    return v << 2 | v >> 4


@pytest.mark.parametrize("colour", [(7, 3, 103), (100, 150, 37), (203, 66, 250)])
@pytest.mark.parametrize("dither", ["fs", "blue"])
def test_dithering_keeps_the_mean_colour_better_than_truncation(colour, dither):
    flat = Image.new("RGB", (64, 64), colour)
    opts = RenderOptions(panel="st7789", mask="full", dither=dither)
    mean = mean_colour(pixels(render(flat, opts)), 40, 40, 200, 200)
    truncated = (expand5(colour[0] >> 3), expand6(colour[1] >> 2), expand5(colour[2] >> 3))
    err = sum(abs(m - c) for m, c in zip(mean, colour, strict=True))
    trunc_err = sum(abs(t - c) for t, c in zip(truncated, colour, strict=True))
    assert err <= 1.5
    assert err < trunc_err


def test_blue_noise_dither_varies_levels_on_a_flat_colour():
    flat = Image.new("RGB", (64, 64), (102, 102, 102))
    levels = set(words(render(flat, RenderOptions(panel="st7789", mask="full", dither="blue"))))
    assert len(levels) >= 2


# --- input kinds ----------------------------------------------------------------


def centre(r: Rendered):
    return mean_colour(pixels(r), 100, 100, 140, 140)


def save(im: Image.Image, path, **kw):
    im.save(path, **kw)
    return path


def test_grayscale_png(tmp_path):
    r = render(save(Image.new("L", (50, 50), 200), tmp_path / "g.png"), FULL_SQUARE)
    assert near(centre(r), (200, 200, 200), 6)


def test_sixteen_bit_grayscale_png_is_scaled_not_clipped(tmp_path):
    im = Image.new("I;16", (50, 50), 0x8080)  # half intensity in 16 bits
    path = save(im, tmp_path / "g16.png")
    assert Image.open(path).mode.startswith("I")
    assert near(centre(render(path, FULL_SQUARE)), (128, 128, 128), 6)


def test_cmyk_jpeg(tmp_path):
    path = save(Image.new("CMYK", (50, 50), (255, 0, 0, 0)), tmp_path / "c.jpg", quality=95)
    r, g, b = centre(render(path, FULL_SQUARE))
    assert r < 80 and g > 180 and b > 180  # cyan


def test_palette_gif_and_frame_choice(tmp_path):
    frames = [Image.new("P", (40, 40), 0) for _ in range(3)]
    for im, colour in zip(frames, (RED, GREEN, BLUE), strict=True):
        im.putpalette(list(colour) + [0] * 765)
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert near(centre(render(path, FULL_SQUARE)), RED)
    second = RenderOptions(panel="st7789", mask="full", frame=1, dither="none")
    assert near(centre(render(path, second)), GREEN)
    with pytest.raises(PhotoError, match="anim.gif.*frame"):
        render(path, RenderOptions(frame=7))


def test_alpha_is_composed_over_the_background(tmp_path):
    im = Image.new("RGBA", (60, 60), (0, 255, 0, 0))  # fully transparent green
    im.paste((0, 255, 0, 255), (0, 0, 60, 20))  # opaque green band on top
    path = save(im, tmp_path / "a.png")
    opts = RenderOptions(panel="st7789", mask="full", background=0xF800, focus=(0.5, 0.5))
    px = pixels(render(path, opts))
    assert near(mean_colour(px, 60, 150, 180, 220), RED, 10)
    assert near(mean_colour(px, 60, 10, 180, 60), GREEN, 10)


def test_palette_with_transparency(tmp_path):
    im = Image.new("P", (40, 40), 1)
    im.putpalette([0, 0, 255, 255, 255, 0] + [0] * 762)
    path = save(im, tmp_path / "t.png", transparency=1)
    opts = RenderOptions(panel="st7789", mask="full", background=0x07E0)
    assert near(centre(render(path, opts)), GREEN, 10)


def test_embedded_srgb_profile_changes_nothing(tmp_path):
    im = quadrants()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = render(save(im, tmp_path / "plain.png"), FULL_SQUARE).rgb565
    tagged = render(save(im, tmp_path / "icc.png", icc_profile=icc), FULL_SQUARE).rgb565
    assert plain == tagged


# Display P3 (what phones tag their photos with), adapted to the ICC's D50 white
# (Bradford), as in Apple's "Display P3" profile; and sRGB's, for the check.
P3_D50 = ((0.5151, 0.2920, 0.1571), (0.2412, 0.6922, 0.0666), (-0.0011, 0.0419, 0.7841))
SRGB_D50 = ((0.4361, 0.3851, 0.1431), (0.2225, 0.7169, 0.0606), (0.0139, 0.0971, 0.7141))
P3_GAMMA = 2.2  # the test profile's tone curve (a plain gamma: one 'curv' entry)


def p3_profile() -> bytes:
    """A minimal ICC v2 RGB display profile: P3 primaries, gamma 2.2, D50 white."""
    import struct

    def s15(v):
        return struct.pack(">i", round(v * 65536))

    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"Display P3 (test)"
    desc = (b"desc\0\0\0\0" + struct.pack(">I", len(text) + 1) + text + b"\0"
            + b"\0" * 8 + b"\0\0\0" + b"\0" * 67)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(P3_GAMMA * 256))
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0public domain\0"),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249))]
    for i, name in enumerate((b"rXYZ", b"gXYZ", b"bXYZ")):
        tags.append((name, xyz(*(P3_D50[k][i] for k in range(3)))))
    tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for name, data in tags:
        table += name + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"\0" * 4 + bytes((2, 0x10, 0, 0)) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24
              + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249))
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def solve3(m, v):
    """x with m x = v (Cramer's rule)."""
    def det(a):
        return (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
                - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))
    d = det(m)
    return [det([[v[r] if c == k else m[r][c] for c in range(3)] for r in range(3)]) / d
            for k in range(3)]


def p3_to_srgb(rgb):
    """The sRGB 8-bit value of a P3 (gamma 2.2) 8-bit colour, by the matrices above."""
    lin = [(v / 255) ** P3_GAMMA for v in rgb]
    xyz = [sum(P3_D50[r][c] * lin[c] for c in range(3)) for r in range(3)]
    out = []
    for v in solve3(SRGB_D50, xyz):
        v = min(max(v, 0.0), 1.0)
        v = v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
        out.append(round(v * 255))
    return tuple(out)


@pytest.mark.parametrize("fmt", ["png", "jpg"])
def test_display_p3_profile_is_converted_to_srgb(tmp_path, fmt):
    colour = (200, 120, 60)  # an orange inside both gamuts
    icc = p3_profile()
    assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip() \
        == "Display P3 (test)"
    im = Image.new("RGB", (64, 64), colour)
    kw = {"quality": 98, "subsampling": 0} if fmt == "jpg" else {}
    plain = centre(render(save(im, tmp_path / ("plain." + fmt), **kw), FULL_SQUARE))
    tagged = centre(render(save(im, tmp_path / ("p3." + fmt), icc_profile=icc, **kw),
                           FULL_SQUARE))
    expected = p3_to_srgb(colour)
    # P3's primaries are more saturated than sRGB's: the same numbers mean a
    # redder, less blue orange, so in sRGB red goes up and blue goes down.
    assert expected[0] > colour[0] + 10 and expected[2] < colour[2] - 10
    assert near(plain, colour, 6)
    assert near(tagged, expected, 6), (tagged, expected)
    assert tagged[0] > plain[0] + 8 and tagged[2] < plain[2] - 8


def test_webp_and_tiff_and_bmp(tmp_path):
    for name, kw in (("p.webp", {"lossless": True}), ("p.tif", {}), ("p.bmp", {})):
        path = save(quadrants(), tmp_path / name, **kw)
        assert near(mean_colour(pixels(render(path, FULL_SQUARE)), 20, 20, 100, 100), RED)


def test_heif_if_available(tmp_path):
    import pillow_heif  # the heif extra is part of dev: CI must have it
    pillow_heif.register_heif_opener()
    path = tmp_path / "p.heic"
    try:
        quadrants(400, 300).save(path, quality=95)
    except Exception as exc:  # an encoder-less build can still read
        pytest.skip("cannot write HEIF here: %s" % exc)
    assert near(mean_colour(pixels(render(path, FULL_SQUARE)), 20, 20, 100, 100), RED)


# --- framing ----------------------------------------------------------------------


def test_focus_and_zoom_pick_the_region():
    # Zoomed 2x onto the top-left quadrant's centre: the whole panel is red.
    opts = RenderOptions(panel="st7789", mask="full", focus=(0.25, 0.25), zoom=2.0)
    assert near(mean_colour(pixels(render(quadrants(400, 400), opts)), 0, 0, 240, 240), RED, 20)


def test_zoom_out_pads_with_background():
    opts = RenderOptions(panel="st7789", mask="full", zoom=0.5, background=0x001F)
    px = pixels(render(quadrants(400, 400), opts))
    assert near(mean_colour(px, 0, 0, 240, 40), BLUE, 10)  # above the photo


def test_rotate_quarter_turn_counter_clockwise():
    opts = RenderOptions(panel="st7789", mask="full", rotate=90, focus=(0.5, 0.5))
    px = pixels(render(quadrants(40, 40), opts))
    # Turned a quarter left, the top-right (green) quadrant comes to the top-left.
    assert near(mean_colour(px, 20, 20, 100, 100), GREEN)
    assert near(mean_colour(px, 20, 140, 100, 220), RED)


def test_auto_focus_finds_the_detail():
    # A busy patch on the left of a flat wide picture: auto framing moves left.
    im = Image.new("RGB", (900, 300), (90, 90, 90))
    im.paste(Image.effect_noise((200, 200), 100).convert("RGB"), (40, 50))
    opts = RenderOptions(panel="st7789", mask="full", dither="none")
    auto = pixels(render(im, opts))
    centred = pixels(render(im, RenderOptions(panel="st7789", mask="full", dither="none",
                                             focus=(0.5, 0.5))))

    def busy(px):
        return sum(1 for p in px if abs(p[0] - 90) > 30)

    assert busy(auto) > busy(centred) + 1000


def test_bad_options_raise_photo_error():
    for kw in ({"panel": "lcd"}, {"mask": "star"}, {"heart_scale": 3}, {"zoom": 0},
               {"focus": (2, 0)}, {"dither": "magic"}, {"background": 0x10000}):
        with pytest.raises(PhotoError):
            RenderOptions(**kw)


def test_render_reads_photos_from_bytes_io_as_pil():
    buf = io.BytesIO()
    quadrants().save(buf, "PNG")
    buf.seek(0)
    with Image.open(buf) as im:
        r = render(im, FULL_SQUARE)
    assert near(mean_colour(pixels(r), 20, 20, 100, 100), RED)
