import battery
import pytest


class Adc:
    """read_u16 for a cell voltage behind a 3:1 divider, with a noise pattern."""

    def __init__(self, volts, noise=()):
        self.volts = volts
        self.noise = list(noise) or [0]
        self.i = 0

    def read_u16(self):
        n = self.noise[self.i % len(self.noise)]
        self.i += 1
        return max(0, min(65535, round(self.volts / 3.0 / 3.3 * 65535) + n))


class Vbus:
    def __init__(self, level):
        self.level = level

    def value(self):
        return self.level


def test_curve_ends_and_points():
    assert battery.percent(4.25) == 100
    assert battery.percent(4.20) == 100
    assert battery.percent(3.50) == 0
    assert battery.percent(3.0) == 0
    for v, p in battery.CURVE:
        assert battery.percent(v) == p


def test_curve_interpolates_and_is_monotonic():
    assert battery.percent(3.785) == 35  # halfway between 3.77 (30) and 3.80 (40)
    last = -1
    for mv in range(3400, 4300, 5):
        p = battery.percent(mv / 1000)
        assert p >= last
        last = p


def test_not_linear():
    # the flat middle: 0.1 V there is worth far more than 0.1 V near empty... or full
    assert battery.percent(3.87) - battery.percent(3.77) == 30
    assert battery.percent(3.61) - battery.percent(3.51) < 10


def test_averaging_cancels_noise():
    g = battery.Gauge(Adc(3.9, noise=(-40, 40, -25, 25)), 3.0)
    assert g.update() == pytest.approx(3.9, abs=0.002)


def test_smoothing_follows_slowly():
    adc = Adc(4.0)
    g = battery.Gauge(adc, 3.0)
    g.update()
    adc.volts = 3.6  # a sag: the backlight came on
    v = g.update()
    assert 3.85 < v < 4.0  # one reading moves it a quarter of the way
    for _ in range(30):
        v = g.update()
    assert v == pytest.approx(3.6, abs=0.005)


def test_report_for_hello():
    g = battery.Gauge(Adc(3.84), 3.0, Vbus(1))
    r = g.report()
    assert set(r) == {"percent", "volts", "charging"}
    assert r["percent"] == 50 and r["charging"] is True
    assert r["volts"] == pytest.approx(3.84, abs=0.003)
    assert battery.Gauge(Adc(3.84), 3.0).report()["charging"] is None


def test_low_and_warning_levels():
    g = battery.Gauge(Adc(3.70), 3.0)
    g.update()
    assert g.low() and not g.warn()
    g = battery.Gauge(Adc(3.55), 3.0)
    g.update()
    assert g.low() and g.warn()
    g = battery.Gauge(Adc(3.55), 3.0, Vbus(1))
    g.update()
    assert not g.low()  # charging: no icon


def test_cutoff_needs_readings_in_a_row():
    adc = Adc(3.30)
    g = battery.Gauge(adc, 3.0)
    for _ in range(battery.SHUTDOWN_COUNT - 1):
        g.update()
        assert not g.cutoff()
    g.update()
    assert g.cutoff()


def test_no_cutoff_while_charging():
    g = battery.Gauge(Adc(3.30), 3.0, Vbus(1))
    for _ in range(10):
        g.update()
    assert not g.cutoff()


class RatioAdc:
    """GP29 at `pin_volts` (what the emulated board is given with --adc-volts)."""

    def __init__(self, pin_volts):
        self.pin_volts = pin_volts

    def read_u16(self):
        return round(self.pin_volts / 3.3 * 65535)


def test_waveshare_boards_halve_the_cell():
    # 2.05 V on GP29 is a 4.1 V cell behind the Waveshare's halving divider
    # (the earlier x3 ratio reported 6.15 V).
    import boards

    for name in ("waveshare-rp2040-lcd-1.28", "waveshare-rp2040-touch-lcd-1.28"):
        g = battery.Gauge(RatioAdc(2.05), boards.BOARDS[name]["vbat_ratio"])
        assert g.update() == pytest.approx(4.1, abs=0.01)
        assert g.plausible() and g.report()["percent"] == 89


@pytest.mark.parametrize("volts", [6.15, 4.6, 2.4, 0.3])
def test_impossible_reading_is_no_charge_level(volts):
    g = battery.Gauge(Adc(volts), 3.0)
    for _ in range(battery.SHUTDOWN_COUNT + 2):
        g.update()
    assert not g.plausible()
    assert g.report()["percent"] is None
    assert not g.low() and not g.warn()
    assert not g.cutoff()  # no cell on a USB-powered board must not switch it off


@pytest.mark.parametrize("volts", [3.0, 4.2, 4.45, 2.55])
def test_edge_of_plausible_still_measured(volts):
    g = battery.Gauge(Adc(volts), 3.0)
    g.update()
    assert g.plausible() and g.report()["percent"] is not None


def test_real_low_cell_still_cuts_off():
    g = battery.Gauge(Adc(3.2), 3.0)
    for _ in range(battery.SHUTDOWN_COUNT):
        g.update()
    assert g.cutoff()
