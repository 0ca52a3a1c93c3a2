"""Band-parallel JPEG decoding: bit for bit the single decode, or not done at all."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from pendant.photo import PhotoError, RenderOptions, cores, jpegbands, render


@pytest.fixture(autouse=True)
def two_threads(monkeypatch):
    """Band on two threads, and on small test files too."""
    monkeypatch.setattr(jpegbands, "MIN_BYTES", 0)
    cores.set_threads(2)
    yield
    cores.set_threads(0)


def noisy_photo(size, mode="RGB", seed=1) -> Image.Image:
    """Smooth gradients with grain: every MCU codes differently, like a photo."""
    w, h = size
    rnd = random.Random(seed)
    base = Image.linear_gradient("L").resize(size)
    noise = Image.frombytes("L", size, bytes(rnd.getrandbits(8) for _ in range(w * h)))
    grey = Image.blend(base, noise, 0.3)
    if mode == "L":
        return grey
    return Image.merge("RGB", (grey, grey.rotate(90, expand=False), noise))


def jpeg(image: Image.Image, **save) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def single_decode(data: bytes, scale: int) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (image.width // scale, image.height // scale))
    image.load()
    return image


CASES = [
    # (size, mode, save options) -- one marker per MCU row, several rows per
    # interval, intervals that end mid-row, every chroma layout, odd sizes.
    ((640, 480), "RGB", {"restart_marker_rows": 1, "subsampling": "4:2:0"}),
    ((640, 481), "RGB", {"restart_marker_rows": 3, "subsampling": "4:2:2"}),
    ((601, 403), "RGB", {"restart_marker_rows": 1, "subsampling": "4:4:4"}),
    ((800, 600), "RGB", {"restart_marker_blocks": 5, "subsampling": "4:2:0"}),
    ((500, 700), "L", {"restart_marker_rows": 2}),
]


@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize(("size", "mode", "save"), CASES)
def test_bands_equal_one_decode(size, mode, save, scale):
    data = jpeg(noisy_photo(size, mode), **save)
    whole = single_decode(data, scale)
    banded = jpegbands.decode(data, scale, whole.mode, whole.size)
    assert banded is not None, "this file should have been cut into bands"
    assert banded.mode == whole.mode and banded.size == whole.size
    assert banded.tobytes() == whole.tobytes()


def test_bands_are_cut_near_the_middle_at_rows_and_rst0():
    data = jpeg(noisy_photo((640, 480)), restart_marker_rows=1)  # 30 MCU rows of 16 px
    layout = jpegbands.parse(data)
    assert layout is not None
    assert (layout.mcus_per_row, layout.interval, layout.mcu_height) == (40, 40, 16)
    first = jpegbands.starts(layout, 2)
    assert first == [0, 16]  # a multiple of 8 intervals, nearest to 15 rows
    bands = jpegbands.band_files(data, layout, first)
    assert [(y0, h) for y0, h, _ in bands] == [(0, 256), (256, 224)]


@pytest.mark.parametrize(
    ("why", "save"),
    [
        ("no restart markers", {}),
        ("progressive", {"restart_marker_rows": 1, "progressive": True}),
    ],
)
def test_files_that_cannot_be_cut_are_left_to_the_ordinary_decode(why, save):
    data = jpeg(noisy_photo((640, 480)), **save)
    whole = single_decode(data, 4)
    assert jpegbands.decode(data, 4, whole.mode, whole.size) is None, why


def test_cmyk_and_full_scale_are_not_banded():
    cmyk = jpeg(noisy_photo((640, 480)).convert("CMYK"), restart_marker_rows=1)
    assert jpegbands.parse(cmyk) is None
    rgb = jpeg(noisy_photo((640, 480)), restart_marker_rows=1)
    # At full scale libjpeg's fancy upsampling reads across band edges.
    assert jpegbands.decode(rgb, 1, "RGB", (640, 480)) is None


def test_one_thread_means_no_bands():
    data = jpeg(noisy_photo((640, 480)), restart_marker_rows=1)
    whole = single_decode(data, 4)
    cores.set_threads(1)
    assert jpegbands.decode(data, 4, whole.mode, whole.size) is None


def test_a_truncated_file_is_left_to_the_ordinary_decode():
    data = jpeg(noisy_photo((640, 480)), restart_marker_rows=1)
    layout = jpegbands.parse(data)
    assert layout is not None
    cut = data[: layout.scan + (len(data) - layout.scan) // 3]  # before the first band's end
    assert jpegbands.decode(cut, 4, "RGB", (160, 120)) is None


def test_damage_after_the_cut_decodes_as_in_one_pass():
    data = bytearray(jpeg(noisy_photo((640, 480)), restart_marker_rows=1))
    clean = single_decode(bytes(data), 8)
    # Garble bytes three quarters of the way into the scan (in the second band),
    # avoiding 0xFF so no marker is made or broken.
    at = len(data) * 3 // 4
    for i in range(at, at + 40):
        if data[i] != 0xFF and data[i - 1] != 0xFF:
            data[i] = (data[i] * 7 + 13) & 0x7F
    whole = single_decode(bytes(data), 8)
    assert whole.tobytes() != clean.tobytes()  # the damage shows
    banded = jpegbands.decode(bytes(data), 8, whole.mode, whole.size)
    assert banded is not None
    assert banded.tobytes() == whole.tobytes()


def test_render_is_the_same_with_and_without_bands(tmp_path, monkeypatch):
    path = tmp_path / "phone.jpg"
    noisy_photo((1024, 768)).save(path, quality=90, restart_marker_rows=1)
    opts = RenderOptions(faces=False)
    calls = []
    real = jpegbands.decode

    def spy(*args):
        out = real(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(jpegbands, "decode", spy)
    banded = render(path, opts)
    assert calls == [True]  # the render path really went through bands
    cores.set_threads(1)
    single = render(path, opts)
    assert banded.rgb565 == single.rgb565


@pytest.mark.parametrize("keep", [0.3, 0.8])
def test_a_truncated_photo_gives_the_same_error_with_bands(tmp_path, keep):
    whole = jpeg(noisy_photo((1024, 768)), restart_marker_rows=1)
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: int(len(whole) * keep)])  # 0.8: past the bands' cut
    errors = []
    for n in (2, 1):
        cores.set_threads(n)
        with pytest.raises(PhotoError) as caught:
            render(path, RenderOptions(faces=False))
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "truncated" in errors[0]
