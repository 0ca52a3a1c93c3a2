# Battery gauge: the cell's voltage through the board's divider, turned into
# percent with a LiPo discharge curve, smoothed, plus the thresholds the power
# manager acts on (low icon, last warning, clean shutdown).
#
# The ADC is read many times and averaged because the RP2040 ADC has a few
# LSB of noise and a known non-linearity; the average is then smoothed over
# time because the cell's voltage sags while the backlight is on and recovers
# when it is off, and a gauge that jumps with the backlight is useless.
from micropython import const

VREF = 3.3  # ADC reference: the board's 3V3 rail
SAMPLES = const(16)  # ADC reads averaged per reading
SMOOTH_DIV = const(4)  # exponential smoothing: new = old + (x - old) / 4

# Light-load LiPo discharge curve (volts, percent), from the usual published
# single-cell curves: flat between 3.7 and 3.9 V, steep below 3.6 V. "Empty"
# is about 3.5 V under light load; below that little charge is left.
CURVE = (
    (3.50, 0),
    (3.61, 5),
    (3.69, 10),
    (3.73, 20),
    (3.77, 30),
    (3.80, 40),
    (3.84, 50),
    (3.87, 60),
    (3.95, 70),
    (4.02, 80),
    (4.11, 90),
    (4.20, 100),
)

LOW_PERCENT = const(15)  # show the battery icon at or below this
WARN_PERCENT = const(5)  # the last warning: charge me now
# Clean shutdown below this, well above the 3.0 V protection cut-off, so the
# cell is not run into its protection circuit (and not deep-discharged while
# the pendant sits in a drawer at its sleep floor).
SHUTDOWN_V = 3.35
# Readings below SHUTDOWN_V needed in a row: a single sag while the backlight
# is on must not switch the pendant off.
SHUTDOWN_COUNT = const(3)
# A LiPo reads 3.0-4.2 V. A reading far outside that is not a charge level but
# a wrong divider ratio (6.15 V from a x3 ratio on a halving divider) or no
# cell at all (a USB-powered board): report it, never act on it.
PLAUSIBLE_MIN_V = 2.5
PLAUSIBLE_MAX_V = 4.5


def percent(volts):
    """Percent of charge for a cell voltage: the curve, linearly interpolated."""
    lo_v, lo_p = CURVE[0]
    if volts <= lo_v:
        return 0
    for hi_v, hi_p in CURVE[1:]:
        if volts <= hi_v:
            return int(lo_p + (hi_p - lo_p) * (volts - lo_v) / (hi_v - lo_v) + 0.5)
        lo_v, lo_p = hi_v, hi_p
    return 100


class Gauge:
    """adc: an object with read_u16(); ratio: the divider (VBAT = pin x ratio);
    vbus: a Pin that is high while USB power is present, or None."""

    def __init__(self, adc, ratio, vbus=None):
        self.adc = adc
        self.ratio = ratio
        self.vbus = vbus
        self.volts = 0.0  # smoothed; 0 until the first reading
        self.below = 0  # readings in a row under SHUTDOWN_V

    def sample(self):
        """One averaged ADC reading, in volts at the cell."""
        total = 0
        for _ in range(SAMPLES):
            total += self.adc.read_u16()
        return total * VREF * self.ratio / (SAMPLES * 65535)

    def charging(self):
        """True/False where the board senses USB power, else None (unknown)."""
        if self.vbus is None:
            return None
        return bool(self.vbus.value())

    def update(self):
        """Take a reading, smooth it in, return the smoothed volts."""
        v = self.sample()
        if self.volts == 0.0:
            self.volts = v  # first reading seeds the filter
        else:
            self.volts += (v - self.volts) / SMOOTH_DIV
        if self.volts < SHUTDOWN_V and not self.charging() and self.plausible():
            self.below += 1
        else:
            self.below = 0
        return self.volts

    def plausible(self):
        """The smoothed reading can be a LiPo's (see PLAUSIBLE_MIN_V)."""
        return PLAUSIBLE_MIN_V <= self.volts <= PLAUSIBLE_MAX_V

    def percent(self):
        return percent(self.volts)

    def low(self):
        return self.plausible() and self.percent() <= LOW_PERCENT and not self.charging()

    def warn(self):
        return self.plausible() and self.percent() <= WARN_PERCENT and not self.charging()

    def cutoff(self):
        """True when the pendant must shut down to protect the cell."""
        return self.below >= SHUTDOWN_COUNT and self.plausible()

    def report(self):
        """HELLO's "battery" field; percent is None for an implausible reading."""
        if self.volts == 0.0:
            self.update()
        return {
            "percent": self.percent() if self.plausible() else None,
            "volts": round(self.volts, 3),
            "charging": self.charging(),
        }


def for_board(board):
    """The board's gauge, or None when it has no battery sense."""
    pin = board.get("vbat")
    if pin is None:
        return None
    from machine import ADC, Pin

    vbus = board.get("vbus")
    return Gauge(ADC(Pin(pin)), board["vbat_ratio"],
                 Pin(vbus, Pin.IN) if vbus is not None else None)
