"""A simulated day on the real firmware: the power model's verdict.

Virtual time only (speed="fast"): the assertions are about simulated energy,
never about how long the host took.
"""

import pytest

from pendant.sim.day import PROFILES, SAMPLES, run_day
from pendant.sim.power import Figures, load_table

PHOTO = [str(sorted(SAMPLES.glob("*.jpg"))[0])]


@pytest.mark.parametrize("board", ["pico-gc9a01", "waveshare-rp2040-lcd-1.28"])
def test_a_worn_day_stays_near_the_floor(board):
    profile = PROFILES["worn"]
    r = run_day(board, profile, photos=PHOTO, timeout_s=120)
    # the firmware reached the board's sleep floor between looks...
    assert r.ratio >= 0.95, r
    assert r.average_ma == pytest.approx(r.best_mah / r.hours, rel=0.05)
    # ...because nearly the whole day was spent dormant with the panel asleep
    dormant = r.time_in.get("panel asleep, cpu dormant", 0.0)
    assert dormant >= profile.hours * 3600 - profile.looking_s - 400
    # every look lit the screen for as long as someone looked (the slideshow
    # between photos in lightsleep, the backlight fully on)
    lit = r.time_in.get("screen lit, cpu lightsleep", 0.0)
    assert profile.looking_s - 60 <= lit <= profile.looking_s + 60


def test_floor_figures_come_from_the_table():
    fig = Figures("waveshare-rp2040-lcd-1.28", load_table("waveshare-rp2040-lcd-1.28"), True)
    t = fig.table
    assert fig.floor_asleep() == pytest.approx(
        t["cpu", "dormant"] + t["panel", "sleep"] + t["imu", "motion_detect"]
        + t["regulator", "quiescent"] + t["divider", "vbat_sense"])
    assert fig.cpu_running(125e6) == pytest.approx(t["cpu", "run_125mhz"])
    assert fig.cpu_running(48e6) == pytest.approx(t["cpu", "run_48mhz"])
    pico = Figures("pico-gc9a01", load_table("pico-gc9a01"), False)
    assert pico.get("backlight", "full") == 20.0 and pico.imu_floor() == 0.0


def test_the_latch_build_is_off_between_looks_and_lasts_two_weeks():
    profile = PROFILES["worn"]
    r = run_day("pico-gc9a01-latch", profile, photos=PHOTO, timeout_s=120)
    # every look is a press that boots it cold (glances and the viewings' first press)
    assert r.boots == profile.glances + profile.viewings
    # off, not dormant, between the looks: the latch's current, not the RP2040's floor
    off = r.time_in.get("switched off (latch)", 0.0)
    assert off >= profile.hours * 3600 - profile.looking_s - 600
    assert not [k for k in r.time_in if "dormant" in k]
    assert r.by_state["switched off (latch)"] == pytest.approx(
        off / 3600 * load_table("pico-gc9a01-latch")["latch", "off"])
    # the goal on a 200 mAh cell
    assert r.days >= 14, r


def test_a_latch_builds_asleep_floor_is_the_latch_off_row():
    t = load_table("pico-gc9a01-latch")
    fig = Figures("pico-gc9a01-latch", t, False)
    assert fig.floor_asleep() == t["latch", "off"] < 0.1
    assert Figures("pico-gc9a01", load_table("pico-gc9a01"), False).off() is None
