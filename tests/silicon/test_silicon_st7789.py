"""The Pico + ST7789 build on the emulated chip: its own pins, its own panel."""

import statistics

import pytest
from emu import (
    Installed,
    PanelReplay,
    change_and_fade,
    check_change_and_fade,
    make_photos,
    pendant,
    sck_rates,
)
from PIL import Image

from pendant.firmware import boards

BOARD = "pico-st7789"


@pytest.fixture(scope="module")
def pico(tmp_path_factory):
    b = Installed(tmp_path_factory.mktemp("st7789"), BOARD)
    yield b
    b.bridge.stop()


def test_install_names_the_build(pico):
    pico.check()
    assert f"on {BOARD}" in pico.install.stdout


def test_upload_and_the_st7789_shows_the_preview(pico, tmp_path):
    pico.check()
    st = pendant("status", "--port", pico.port)
    assert st.returncode == 0 and "st7789" in st.stdout, st.stdout + st.stderr
    replay = PanelReplay(pico.bridge)
    photo = make_photos(tmp_path / "in", 1, seed=7)[0]
    up = pendant("upload", "--port", pico.port, photo)
    assert up.returncode == 0, up.stdout + up.stderr
    out = tmp_path / "p.png"
    assert pendant("preview", photo, "--panel", "st7789", "-o", out).returncode == 0
    expected = Image.open(out).convert("RGB")
    replay.wait_for(expected)
    # The square panel shows its corners: they belong to the picture.
    assert replay.image().getpixel((2, 2)) == expected.getpixel((2, 2))
    # Pixels go at the rate the build's wiring is trusted with, in chip time
    # (the rp2 port's boot clk_peri of 48 MHz would cap it lower).
    rates = sck_rates(pico.bridge.spi_log)
    # The median long run: a run that spans two strips sent back to back
    # (a gap under 100 us does not end a run in the capture) reads slower.
    assert rates and statistics.median(rates) >= 0.9 * boards.BOARDS[BOARD]["spi_hz"]


def test_photo_change_and_fade_frames_within_cycle_budgets(pico, tmp_path):
    """The Pico build sends at 31.25 MHz: 29.5 ms of wire a full frame."""
    pico.check()
    change, fades = change_and_fade(pico.bridge, pico.port, tmp_path / "in", "st7789")
    check_change_and_fade(change, fades, frame_ms_max=64, first_ms_max=125)
