"""The battery gauge at its edges, with the figures written out here (the
curve and thresholds hardware/power.md and the overlay rely on), so that a
changed constant in firmware/battery.py fails a test."""

import sys
import types

import battery
import pytest
from test_battery import Adc, Vbus

# Light-load LiPo curve: (volts, percent).
CURVE = [(3.50, 0), (3.61, 5), (3.69, 10), (3.73, 20), (3.77, 30), (3.80, 40), (3.84, 50),
         (3.87, 60), (3.95, 70), (4.02, 80), (4.11, 90), (4.20, 100)]


def gauge(volts, vbus=None):
    g = battery.Gauge(Adc(volts), 3.0, vbus)
    g.update()
    return g


def test_the_curve_points():
    assert [(v, battery.percent(v)) for v, _ in CURVE] == CURVE
    assert battery.percent(3.499) == 0 and battery.percent(4.201) == 100


def test_between_points_it_interpolates_and_rounds_half_up():
    assert battery.percent(3.555) == 3  # 2.5 -> 3
    assert battery.percent(3.554) == 2
    assert battery.percent(4.155) == 95


def test_the_icon_shows_at_15_percent_and_below():
    assert gauge(3.7115).percent() == 15 and gauge(3.7115).low()
    assert gauge(3.7125).percent() == 16 and not gauge(3.7125).low()


def test_the_last_warning_comes_at_5_percent_and_below():
    assert gauge(3.6105).percent() == 5 and gauge(3.6105).warn()
    assert gauge(3.6195).percent() == 6 and not gauge(3.6195).warn()
    assert not gauge(3.55, Vbus(1)).warn()  # charging: no warning


def test_no_reading_yet_is_neither_low_nor_a_warning():
    g = battery.Gauge(Adc(3.3), 3.0)
    assert not g.low() and not g.warn() and not g.cutoff()


def test_the_cut_off_is_three_readings_below_3_35_volts():
    low = battery.Gauge(Adc(3.349), 3.0)
    ok = battery.Gauge(Adc(3.352), 3.0)
    for _ in range(2):
        low.update()
        ok.update()
    assert not low.cutoff()
    low.update()
    ok.update()
    assert low.cutoff() and not ok.cutoff()


def test_a_good_reading_restarts_the_count():
    adc = Adc(3.30)
    g = battery.Gauge(adc, 3.0)
    g.update()
    g.update()
    adc.volts = 4.2
    for _ in range(8):  # the smoothed value climbs back over 3.35 V
        g.update()
    adc.volts = 3.0
    g.update()
    assert not g.cutoff()


def test_a_reading_averages_16_samples_and_smooths_by_a_quarter():
    adc = Adc(4.0)
    g = battery.Gauge(adc, 3.0)
    g.update()
    assert adc.i == 16
    adc.volts = 3.6
    assert g.update() == pytest.approx(3.9, abs=0.001)


def test_report_takes_a_first_reading_itself():
    adc = Adc(3.84)
    g = battery.Gauge(adc, 3.0)
    assert g.report()["percent"] == 50 and adc.i == 16
    g.report()
    assert adc.i == 16  # later reports use the last reading


class FakePin:
    IN = 0

    def __init__(self, gpio, mode=None):
        self.gpio, self.mode = gpio, mode

    def value(self):
        return 1


class FakeADC:
    def __init__(self, pin):
        self.pin = pin

    def read_u16(self):
        return 30000


@pytest.fixture
def machine(monkeypatch):
    fake = types.ModuleType("machine")
    fake.ADC, fake.Pin = FakeADC, FakePin
    monkeypatch.setitem(sys.modules, "machine", fake)
    return fake


def test_for_board_builds_the_gauge_from_the_boards_pins(machine):
    assert battery.for_board({"vbat": None}) is None
    assert battery.for_board({}) is None
    g = battery.for_board({"vbat": 29, "vbat_ratio": 3.0, "vbus": 24})
    assert g.adc.pin.gpio == 29 and g.ratio == 3.0
    assert g.vbus.gpio == 24 and g.vbus.mode == FakePin.IN and g.charging() is True
    g = battery.for_board({"vbat": 29, "vbat_ratio": 2.0})
    assert g.vbus is None and g.charging() is None
    assert g.sample() == pytest.approx(30000 * 3.3 * 2.0 / 65535)


def test_the_count_restarts_from_zero_after_a_good_reading():
    adc = Adc(3.36)  # just over the cut-off: every reading restarts the count
    g = battery.Gauge(adc, 3.0)
    for _ in range(3):
        g.update()
    adc.volts = 3.0  # the smoothed value drops under 3.35 V at once
    g.update()
    g.update()
    assert not g.cutoff()  # two in a row
    g.update()
    assert g.cutoff()  # the third


def test_a_reading_near_zero_is_no_cell_not_an_empty_one():
    # No LiPo reads 0.5 V: a missing cell (a USB-powered board) or a wrong
    # divider. It is reported as no charge level and never warned about.
    g = gauge(0.5)
    assert not g.plausible() and not g.low() and not g.warn()
    assert g.report()["percent"] is None


def test_an_empty_cell_still_warns():
    g = gauge(3.4)  # a LiPo near its end, plausible
    assert g.percent() == 0 and g.low() and g.warn()


def test_report_gives_millivolts():
    g = battery.Gauge(Adc(3.8437), 3.0)
    volts = g.report()["volts"]
    assert volts == round(g.volts, 3) and volts != round(g.volts, 2)
    assert volts != round(g.volts, 4)
