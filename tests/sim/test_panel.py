"""Panel model against hand-made SPI streams."""

import struct

import pytest

from pendant.sim.panel import (
    CASET,
    DISPOFF,
    DISPON,
    INVON,
    MADCTL,
    MADCTL_BGR,
    MADCTL_MV,
    MADCTL_MX,
    MADCTL_MY,
    RAMWR,
    RASET,
    SLPIN,
    SLPOUT,
    PanelModel,
)

RED = 0xF800
GREEN = 0x07E0
BLUE = 0x001F


def cmd(panel, c, *params):
    panel.write(0, bytes((c,)))
    if params:
        panel.write(1, bytes(params))


def window(panel, x0, y0, x1, y1):
    cmd(panel, CASET, x0 >> 8, x0 & 255, x1 >> 8, x1 & 255)
    cmd(panel, RASET, y0 >> 8, y0 & 255, y1 >> 8, y1 & 255)


def fill(panel, x0, y0, x1, y1, colour, chunk=4096):
    window(panel, x0, y0, x1, y1)
    cmd(panel, RAMWR)
    data = struct.pack(">H", colour) * ((x1 - x0 + 1) * (y1 - y0 + 1))
    for i in range(0, len(data), chunk):
        panel.write(1, data[i:i + chunk])


def awake(kind="gc9a01", madctl=MADCTL_MX | MADCTL_BGR):
    p = PanelModel(kind)
    cmd(p, SLPOUT)
    cmd(p, INVON)
    cmd(p, MADCTL, madctl)
    cmd(p, DISPON)
    return p


def test_window_at_offset_lands_in_ram():
    p = PanelModel("gc9a01")
    fill(p, 10, 20, 19, 29, RED, chunk=7)  # odd chunks split pixels
    assert p.pixel(10, 20) == RED and p.pixel(19, 29) == RED
    assert p.pixel(9, 20) == 0 and p.pixel(20, 29) == 0 and p.pixel(10, 30) == 0
    assert p.pixels_written == 100 and p.frames == 1


def test_ramwr_wraps_to_window_start():
    p = PanelModel("gc9a01")
    window(p, 0, 0, 1, 0)
    cmd(p, RAMWR)
    p.write(1, struct.pack(">3H", RED, GREEN, BLUE))
    assert p.pixel(0, 0) == BLUE and p.pixel(1, 0) == GREEN


@pytest.mark.parametrize("madctl, where", [
    (0, (0, 0)),
    (MADCTL_MX, (239, 0)),
    (MADCTL_MY, (0, 239)),
    (MADCTL_MX | MADCTL_MY, (239, 239)),
    (MADCTL_MV, (0, 0)),
])
def test_madctl_maps_first_pixel(madctl, where):
    p = PanelModel("gc9a01")
    cmd(p, MADCTL, madctl)
    fill(p, 0, 0, 0, 0, RED)
    assert p.pixel(*where) == RED


def test_mv_exchanges_rows_and_columns():
    p = PanelModel("gc9a01")
    cmd(p, MADCTL, MADCTL_MV)
    fill(p, 5, 1, 7, 1, GREEN)  # logical row 1, columns 5..7 -> RAM column 1, rows 5..7
    assert [p.pixel(1, r) for r in (5, 6, 7)] == [GREEN] * 3
    assert p.pixel(5, 1) == 0


def test_mx_reverses_pixel_order_within_row():
    p = PanelModel("gc9a01")
    cmd(p, MADCTL, MADCTL_MX)
    window(p, 0, 0, 1, 0)
    cmd(p, RAMWR)
    p.write(1, struct.pack(">2H", RED, BLUE))
    assert p.pixel(239, 0) == RED and p.pixel(238, 0) == BLUE


def test_gc9a01_glass_mirrors_and_needs_bgr():
    # A red block at the picture's left shows at the left with MX|BGR + INVON.
    p = awake("gc9a01", MADCTL_MX | MADCTL_BGR)
    fill(p, 40, 110, 59, 129, RED)
    img = p.render()
    assert img.getpixel((50, 120)) == (255, 0, 0)
    assert img.getpixel((189, 120)) == (0, 0, 0)


def test_gc9a01_without_mx_shows_mirrored():
    p = awake("gc9a01", MADCTL_BGR)
    fill(p, 40, 110, 59, 129, RED)
    img = p.render()
    assert img.getpixel((189, 120)) == (255, 0, 0)


def test_gc9a01_my_is_half_turn():
    p = awake("gc9a01", MADCTL_MY | MADCTL_BGR)
    fill(p, 40, 100, 59, 109, RED)
    img = p.render()
    assert img.getpixel((239 - 50, 239 - 105)) == (255, 0, 0)


def test_without_bgr_red_and_blue_swap():
    p = awake("gc9a01", MADCTL_MX)
    fill(p, 100, 100, 139, 139, RED)
    assert p.render().getpixel((120, 120)) == (0, 0, 255)


def test_without_invon_colours_invert():
    p = PanelModel("gc9a01")
    cmd(p, SLPOUT)
    cmd(p, MADCTL, MADCTL_MX | MADCTL_BGR)
    cmd(p, DISPON)
    fill(p, 100, 100, 139, 139, RED)
    assert p.render().getpixel((120, 120)) == (0, 255, 255)


@pytest.mark.parametrize("dark", [SLPIN, DISPOFF])
def test_sleep_and_display_off_are_dark(dark):
    p = awake()
    fill(p, 0, 0, 239, 239, GREEN)
    assert p.render().getpixel((120, 120)) == (0, 255, 0)
    cmd(p, dark)
    assert p.render().getpixel((120, 120)) == (0, 0, 0)


def test_dark_before_slpout():
    p = PanelModel("gc9a01")
    cmd(p, DISPON)
    cmd(p, INVON)
    fill(p, 0, 0, 239, 239, GREEN)
    assert p.render().getpixel((120, 120)) == (0, 0, 0)


def test_backlight_dims_and_round_mask():
    p = awake()
    fill(p, 0, 0, 239, 239, 0xFFFF)
    p.set_backlight(0.5)
    r, g, b = p.render().getpixel((120, 120))
    assert 120 <= r <= 135 and r == g == b
    assert p.render().getpixel((0, 0)) == (0, 0, 0)  # corner outside the circle
    p.set_backlight(0)
    assert p.render().getpixel((120, 120)) == (0, 0, 0)


def test_cs_high_ignores_bytes_and_rst_resets():
    p = awake()
    p.set_cs(1)
    cmd(p, SLPIN)
    assert not p.sleeping
    p.set_cs(0)
    p.set_rst(0)
    assert p.sleeping and not p.display_on


def test_vendor_commands_are_skipped_with_their_parameters():
    p = PanelModel("gc9a01")
    cmd(p, 0xEF)
    cmd(p, 0xEB, 0x14, 0x2A, 0x2B)  # params that look like CASET/RASET are data
    fill(p, 3, 3, 3, 3, RED)
    assert p.pixel(3, 3) == RED


def test_st7789_rgb_unmirrored_and_offset_at_half_turn():
    p = awake("st7789", 0)
    fill(p, 40, 110, 59, 129, RED)
    assert p.render().getpixel((50, 120)) == (255, 0, 0)
    # Upside down (MX|MY) the visible rows are logical 80..319.
    p = awake("st7789", MADCTL_MX | MADCTL_MY)
    fill(p, 0, 80, 239, 80 + 9, BLUE)  # top of the picture
    img = p.render()
    assert img.getpixel((120, 235)) == (0, 0, 255)
    assert img.getpixel((120, 5)) == (0, 0, 0)


def test_full_frame_counts():
    p = awake()
    fill(p, 0, 0, 239, 239, GREEN)
    assert p.bytes_received > 115_200 and p.frames == 1
