"""The panel drivers, on fake pins and SPI, decoded by the simulator's panel model."""

import struct

import dcs
import gc9a01
import pytest
import st7789
from hw import wired_display

from pendant.sim.panel import PanelModel


def commands(log):
    """The command bytes sent with DC low, in order."""
    spi = (e for e in log.events if e[0] == "spi")
    return [b for _, dc, data in spi if dc == 0 for b in data]


def test_init_wakes_panel_with_datasheet_waits(clock):
    d, log, _ = wired_display(gc9a01.GC9A01)
    d.init()
    cmds = commands(log)
    assert cmds.index(dcs.SLPOUT) < cmds.index(dcs.DISPON)
    assert dcs.INVON in cmds and dcs.COLMOD in cmds
    # The 120 ms SLPOUT wait happens before DISPON is sent.
    assert dcs.SLPOUT_MS in clock.sleeps
    assert not d.asleep


def test_every_byte_is_sent_with_cs_low(clock):
    d, log, _ = wired_display(gc9a01.GC9A01)
    levels = {"cs": 1}
    d.init()
    for e in log.events:
        if e[0] == "pin":
            levels[e[1]] = e[2]
        else:
            assert levels["cs"] == 0, "SPI byte sent while CS was high"


def test_sleep_sends_dispoff_then_slpin(clock):
    d, log, _ = wired_display(gc9a01.GC9A01)
    d.init()
    log.events.clear()
    d.sleep()
    assert commands(log) == [dcs.DISPOFF, dcs.SLPIN]
    assert d.asleep


def test_brightness_sets_pwm_duty(clock):
    d, _, bl = wired_display(gc9a01.GC9A01)
    d.brightness(50)
    assert bl.duty == 65535 // 2
    d.brightness(100)
    assert bl.duty == 65535


def test_unknown_rotation_is_an_error(clock):
    d, _, _ = wired_display(gc9a01.GC9A01)
    with pytest.raises(ValueError):
        d.set_rotation(45)


def _quadrants():
    """240x240 RGB565: red top-left, green top-right, blue bottom-left, white bottom-right."""
    colors = {(0, 0): 0xF800, (1, 0): 0x07E0, (0, 1): 0x001F, (1, 1): 0xFFFF}
    rows = []
    for y in range(240):
        rows.append(b"".join(struct.pack(">H", colors[(x // 120, y // 120)]) for x in range(240)))
    return b"".join(rows)


@pytest.mark.parametrize("driver,kind", [(gc9a01.GC9A01, "gc9a01"), (st7789.ST7789, "st7789")])
def test_picture_arrives_upright_on_the_glass(clock, driver, kind):
    panel = PanelModel(kind)
    d, _, bl = wired_display(driver, panel, rotation=0)
    d.init()
    d.brightness(100)
    panel.set_backlight(bl.duty / 65535)
    d.window(0, 0, 239, 239)
    d.pixels(_quadrants())
    d.end()
    img = panel.render()
    # What a person sees: red top-left, green top-right, blue bottom-left.
    assert img.getpixel((60, 60)) == (255, 0, 0)
    assert img.getpixel((180, 60)) == (0, 255, 0)
    assert img.getpixel((60, 180)) == (0, 0, 255)
    assert img.getpixel((180, 180)) == (255, 255, 255)


@pytest.mark.parametrize("driver,kind", [(gc9a01.GC9A01, "gc9a01"), (st7789.ST7789, "st7789")])
def test_half_turn_rotation(clock, driver, kind):
    panel = PanelModel(kind)
    d, _, bl = wired_display(driver, panel, rotation=180)
    d.init()
    panel.set_backlight(1.0)
    d.window(0, 0, 239, 239)
    d.pixels(_quadrants())
    d.end()
    img = panel.render()
    assert img.getpixel((180, 180)) == (255, 0, 0)  # red went to bottom-right
    assert img.getpixel((60, 180)) == (0, 255, 0)


@pytest.mark.parametrize("driver,kind", [(gc9a01.GC9A01, "gc9a01"), (st7789.ST7789, "st7789")])
def test_quarter_turns_are_rotations_not_mirrors(clock, driver, kind):
    for deg, where_red in ((90, (180, 60)), (270, (60, 180))):
        panel = PanelModel(kind)
        d, _, _ = wired_display(driver, panel, rotation=deg)
        d.init()
        panel.set_backlight(1.0)
        d.window(0, 0, 239, 239)
        d.pixels(_quadrants())
        d.end()
        img = panel.render()
        assert img.getpixel(where_red) == (255, 0, 0), deg
        # Clockwise order red -> green -> white -> blue is kept by a rotation.
        ring = [img.getpixel(p) for p in ((60, 60), (180, 60), (180, 180), (60, 180))]
        i = ring.index((255, 0, 0))
        assert [ring[(i + k) % 4] for k in range(4)] == [
            (255, 0, 0), (0, 255, 0), (255, 255, 255), (0, 0, 255)], deg


def test_reset_wait_is_kept_but_can_overlap_other_work(clock):
    """The 120 ms after a reset are waited out by the next command, so time
    spent meanwhile (the app loading its modules) counts towards them."""
    d, log, _ = wired_display(gc9a01.GC9A01)
    d.reset()
    t_reset = clock.now_ms
    clock.now_ms += 50  # other work: 50 ms of it
    before = len(clock.sleeps)
    d.init(reset=False)
    # Only the remaining 70 ms were slept, before the first command.
    assert clock.sleeps[before] == dcs.RESET_MS - 50
    assert clock.now_ms - t_reset >= dcs.RESET_MS


def test_reset_then_command_at_once_still_waits(clock):
    d, log, _ = wired_display(gc9a01.GC9A01)
    d.reset()
    t = clock.now_ms
    d.command(dcs.SLPOUT)
    assert clock.now_ms - t == dcs.RESET_MS
