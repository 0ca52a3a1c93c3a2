"""A pendant that reached the battery cut-off must come back when it is
charged: plugging USB in takes it out of OFF (power.TABLE (OFF, USB)), and
from there a press or motion lights the panel again."""

import power
from power import OFF, PANEL_ASLEEP, SHOWING

# The fakes of tests/power/test_power.py (hardware, app, gauge, virtual clock).
from test_power import make, run_until


def cut_off(clock):
    p, hw, app = make(clock, dim_after_s=1000, sleep_after_s=2000)
    app.gauge.off = True
    run_until(p, clock, 10**9)
    assert p.state == OFF and ("shutdown",) in hw.calls
    return p, hw, app


def test_charging_takes_the_pendant_out_of_off(clock):
    p, hw, app = cut_off(clock)
    app.gauge.off = False  # on USB power the gauge no longer asks for the cut-off
    hw.wakes.append((clock.now_ms + 5_000, "usb"))
    p.step()
    assert p.state == PANEL_ASLEEP
    assert (OFF, power.USB, PANEL_ASLEEP) in p.log


def test_after_charging_a_press_shows_photos_again(clock):
    p, hw, app = cut_off(clock)
    app.gauge.off = False
    t = clock.now_ms
    hw.wakes += [(t + 5_000, "usb"), (t + 6_000, "pin")]
    p.step()
    p.step()
    assert p.state == SHOWING and not hw.panel_asleep and hw.level > 0


def test_a_still_empty_battery_goes_back_off_on_usb(clock):
    """The cut-off check decides again after leaving OFF: a gauge that still
    reads empty (a charger too weak to lift it) sends it back to OFF."""
    p, hw, app = cut_off(clock)
    hw.wakes.append((clock.now_ms + power.BATTERY_EVERY_MS + 5_000, "usb"))
    p.step()
    assert p.state == OFF
    assert (OFF, power.USB, PANEL_ASLEEP) in p.log and p.log[-1][2] == OFF
