"""The power-latch build (pico-gc9a01-latch) on the simulated pendant, with the
real firmware: the simulator powers the board only while GP14 is driven high,
the button (GP15) is down or USB is present (Simulator, "power latch").

Virtual time only (speed="fast"): the assertions are about what the firmware
did and when on the virtual clock, never about how long the host took.
"""

import shutil
from pathlib import Path

import pytest

from pendant.firmware import boards, settings
from pendant.sim import Simulator, bus
from pendant.sim.day import PRESS_US, SAMPLES, _put_photos
from pendant.sim.simulator import LATCH_ON_US, default_firmware_dir

BOARD = "pico-gc9a01-latch"
HOLD = boards.BOARDS[BOARD]["latch"]
BUTTON = boards.BOARDS[BOARD]["button"]
PHOTOS = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
LIT_S = settings.SPEC["sleep_after_s"][0]  # lit, then dimmed, then off
PRESSES_S = (100, 200)


@pytest.fixture(scope="module")
def loaded_flash(tmp_path_factory):
    """A latch pendant's flash with the sample photos, and their pixels."""
    from pendant.batch import convert_all
    from pendant.photo import RenderOptions

    flash = tmp_path_factory.mktemp("latch") / "flash"
    _put_photos(flash, BOARD, PHOTOS)
    conv = convert_all(PHOTOS, RenderOptions(panel="gc9a01"))
    return flash, [c.rendered.rgb565 for c in conv]


def shown(panel, photos) -> int | None:
    """Which photo the panel's RAM holds (every 7th pixel compared), or None.
    The firmware sets MADCTL MX for this glass: RAM columns run right to left."""
    for i, data in enumerate(photos):
        same = total = 0
        for n in range(0, 240 * 240, 7):
            x, y = n % 240, n // 240
            total += 1
            same += panel.pixel(239 - x, y) == (data[2 * n] << 8 | data[2 * n + 1])
        if same >= 0.99 * total:
            return i
    return None


def play(tmp_path, loaded_flash, firmware_dir=None, timeout=60):
    """Switch a latch pendant on, press at PRESSES_S; returns (sim, what each
    boot showed at its switch-off, whether it switched off after the last)."""
    flash, photos = loaded_flash
    own = tmp_path / "flash"
    shutil.copytree(flash, own)
    sim = Simulator(own, board=BOARD, speed="fast", usb=False, firmware_dir=firmware_dir)
    at_off = []

    def listen(rec):
        if rec.kind == bus.POWER_OFF:
            at_off.append(shown(sim.panel, photos))

    sim.listeners.append(listen)
    sim.start()
    try:
        for s in PRESSES_S:
            sim.set_pin(BUTTON, 0, at_us=s * 1_000_000)
            sim.set_pin(BUTTON, 1, at_us=s * 1_000_000 + PRESS_US)
        off = sim.wait_off(timeout, after_us=PRESSES_S[-1] * 1_000_000)
    finally:
        sim.stop()
    return sim, at_off, off


def check_latch_day(sim, at_off, off):
    """What the issue asks of the latch build, as assertions."""
    assert off, "did not switch itself off after the last look:\n" + sim.console_log[-2000:]
    boots = [0] + [s * 1_000_000 for s in PRESSES_S]
    presses = [LATCH_ON_US] + [PRESS_US] * len(PRESSES_S)
    # a press, and only a press, boots it: one cold boot each, one switch-off each
    assert sim.power_ons == boots[1:]
    assert len(sim.power_offs) == len(boots)
    for boot, press, off_us, nxt in zip(boots, presses, sim.power_offs, boots[1:] + [None],
                                        strict=True):
        run = [r for r in sim.events if boot <= r.t_us <= off_us
               and r.kind not in (bus.POWER_ON, bus.POWER_OFF)]
        # held before the wearer lets go, by boot.py: before the app sets up its SPI
        holds = [i for i, r in enumerate(run) if r.kind in (bus.PIN_MODE, bus.PIN_SET)
                 and r.payload[0] == HOLD and r.payload[-1] == 1]
        spi = [i for i, r in enumerate(run) if r.kind == bus.SPI_INIT]
        assert holds and spi and holds[0] < spi[0], "GP14 not held before the app's set-up"
        assert run[holds[0]].t_us < boot + press, "GP14 held after the button was released"
        # lit for its look, then off: where the other builds go dormant
        assert boot + LIT_S * 1_000_000 <= off_us < boot + (LIT_S + 20) * 1_000_000
        # nothing ran while it was off
        if nxt is not None:
            assert not [r for r in sim.events if off_us < r.t_us < nxt]
    # a photo on the glass each time, until the power went
    assert len(at_off) == len(boots) and None not in at_off, at_off


def test_latch_build_holds_switches_off_and_boots_to_a_photo_on_each_press(
        tmp_path, loaded_flash):
    sim, at_off, off = play(tmp_path, loaded_flash)
    check_latch_day(sim, at_off, off)
    # the off state is the latch's: the panel lost its picture with the power
    assert shown(sim.panel, loaded_flash[1]) is None


def planted(tmp_path: Path, name: str, old: str, new: str) -> Path:
    fw = tmp_path / "fw"
    shutil.copytree(default_firmware_dir(), fw)
    text = (fw / name).read_text()
    assert old in text
    (fw / name).write_text(text.replace(old, new))
    return fw


@pytest.mark.parametrize("name,old,new", [
    ("boot.py", "latch.hold_at_boot()", "pass"),  # held only later, by the app
    ("power.py", "latch.release(self.latch)", "pass"),  # never lets go: dormant as before
])
def test_a_planted_latch_bug_fails_the_check(tmp_path, loaded_flash, name, old, new):
    fw = planted(tmp_path, name, old, new)
    sim, at_off, off = play(tmp_path, loaded_flash, firmware_dir=fw, timeout=20)
    with pytest.raises(AssertionError):
        check_latch_day(sim, at_off, off)


LET_GO = """
from machine import Pin
import time
Pin(14, Pin.OUT, value=1).value(0)  # hold, then let go at once
time.sleep_ms(1000)  # the switch-on press ends meanwhile
Pin(2, Pin.OUT, value=1)  # only a powered board gets here
"""


@pytest.mark.parametrize("usb", [True, False])
def test_usb_power_holds_the_latch_whatever_the_pin(sim_with, usb):
    sim = sim_with(LET_GO, board=BOARD, speed="fast", usb=usb)

    def ran_on():
        return any(r.kind == bus.PIN_MODE and r.payload[0] == 2 for r in sim.events)

    assert sim.wait_for(lambda: ran_on() or not sim.powered, 10)
    if usb:
        assert ran_on() and sim.power_offs == []
    else:  # off when the switch-on press ended, before the second pin
        assert sim.power_offs == [LATCH_ON_US] and not ran_on() and not sim.alive


HOLD_THEN_LET_GO = """
from machine import Pin
import time
hold = Pin(14, Pin.OUT, value=1)
time.sleep_ms(600)  # past the switch-on press
hold.value(0)  # off, here and now
time.sleep_ms(5000)
Pin(2, Pin.OUT, value=1)  # never: the board is off
"""


def test_real_speed_off_then_a_press_boots_it_again(sim_with):
    sim = sim_with(HOLD_THEN_LET_GO, board=BOARD, usb=False)  # speed="real"
    assert sim.wait_off(10)
    assert len(sim.power_offs) == 1 and sim.power_offs[0] >= 600_000 and not sim.alive
    sim.set_pin(BUTTON, 0)  # a press, now: a cold boot
    assert sim.wait_for(lambda: sim.alive and sim.boots == 2, 10)
    sim.set_pin(BUTTON, 1)
    assert sim.wait_for(lambda: len(sim.power_offs) == 2, 10)
    assert sim.power_ons and sim.power_ons[0] > sim.power_offs[0]
    assert not any(r.kind == bus.PIN_MODE and r.payload[0] == 2 for r in sim.events)
