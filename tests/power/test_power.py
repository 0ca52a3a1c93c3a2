"""The power state machine: transitions, timeouts, wake sources, cut-off."""

import time

import power
import pytest
from power import DEEP, DIMMED, OFF, PANEL_ASLEEP, SHOWING


class Settings(dict):
    def __init__(self, **kw):
        super().__init__(dim_after_s=30, sleep_after_s=40, deep_after_s=0, brightness=70,
                         dim_percent=10, interval_s=15)
        self.update(kw)


class Forever(Exception):
    """Dormant with nothing scripted to wake it: the run is over."""


class FakeHw:
    """Records what the power manager asks of the hardware; sleeping moves the
    clock, and a scripted wake (time, kind) ends a sleep early."""

    def __init__(self, clock, usb=False, wake_pins=True):
        self.clock = clock
        self.usb_on = usb
        self.wake_pins = wake_pins
        self.woken = False
        self.wakes = []  # (at_ms, "pin" | "link" | "usb")
        self.calls = []
        self.level = None
        self.panel_asleep = True
        self.link_bytes = False

    def _until(self, ms):
        """Advance to ms later, or to the next scripted wake before it."""
        end = None if ms is None else self.clock.now_ms + ms
        if self.wakes and (end is None or self.wakes[0][0] <= end):
            at, kind = self.wakes.pop(0)
            self.clock.now_ms = max(self.clock.now_ms, at)
            if kind == "pin":
                self.woken = True
            elif kind == "press":
                self.woken = power.PRESS
            elif kind == "link":
                self.link_bytes = True
            elif kind == "usb":
                self.usb_on = not self.usb_on
            return
        if end is None:
            raise Forever()
        self.clock.now_ms = end

    def sleep(self, ms):
        self.calls.append(("sleep", ms, self.level))
        self._until(ms)

    def nap(self, ms, usb=False):
        self.calls.append(("nap", ms, self.level))
        self._until(ms)

    def dormant(self):
        self.calls.append(("dormant", None, self.level))
        self._until(None)

    def poll(self, ms):
        self.calls.append(("poll", ms, self.level))
        self._until(ms)

    def take_woken(self):
        w, self.woken = self.woken, False
        return w

    def can_wake(self):
        return self.wake_pins

    def usb(self):
        return self.usb_on

    def link_waiting(self):
        w, self.link_bytes = self.link_bytes, False
        return w

    def full_speed(self):
        self.calls.append(("full_speed",))

    def slow_speed(self):
        self.calls.append(("slow_speed",))

    def light(self, level):
        self.level = level

    def panel_wake(self):
        if self.panel_asleep:
            self.calls.append(("slpout",))
        self.panel_asleep = False

    def panel_sleep(self):
        if not self.panel_asleep:
            self.calls.append(("slpin",))
        self.panel_asleep = True

    def shutdown(self):
        self.calls.append(("shutdown",))


class Gauge:
    def __init__(self):
        self.off = False
        self.updates = 0

    def update(self):
        self.updates += 1

    def cutoff(self):
        return self.off


class FakeApp:
    def __init__(self, settings):
        self.settings = settings
        self.next_at = 0
        self.shown = 0
        self.served = 0
        self.gauge = Gauge()

    def resume(self):
        if time.ticks_diff(self.next_at, time.ticks_ms()) <= 0:
            self.next_at = time.ticks_ms() + self.settings["interval_s"] * 1000

    def next(self):
        self.shown += 1
        self.next_at = time.ticks_ms() + self.settings["interval_s"] * 1000

    def serve_link(self):
        self.served += 1

    def battery_changed(self, drawn=False):
        pass

    def settle(self):
        self.settled = getattr(self, "settled", 0) + 1
        self.hw_calls_at_settle = len(self.hw.calls) if getattr(self, "hw", None) else 0


def make(clock, usb=False, wake_pins=True, **kw):
    s = Settings(**kw)
    hw = FakeHw(clock, usb=usb, wake_pins=wake_pins)
    app = FakeApp(s)
    p = power.Power(s, hw, app)
    p.log = []
    p.start()
    return p, hw, app


def run_until(p, clock, ms, steps=10_000):
    """Step until the clock reaches ms (or dormant forever); returns the
    trace of (time, state) at every state change."""
    trace = [(clock.now_ms, p.state)]
    while clock.now_ms < ms and steps:
        try:
            p.step()
        except Forever:
            break
        if p.state != trace[-1][1]:
            trace.append((clock.now_ms, p.state))
        steps -= 1
    assert steps, "the loop did not advance the clock"
    return trace


def test_table_is_data_and_complete():
    for (state, _event), nxt in power.TABLE.items():
        assert 0 <= state <= OFF and 0 <= nxt <= OFF
    for state in (SHOWING, DIMMED, PANEL_ASLEEP, DEEP):
        assert power.TABLE[(state, power.CUTOFF)] == OFF
        assert power.TABLE[(state, power.ACTIVITY)] == SHOWING


def test_timeouts_from_settings():
    t = power.timeouts(Settings())
    assert t[:3] == (30_000, 10_000, 0) and t[DEEP] is None
    assert power.timeouts(Settings(dim_after_s=0))[:2] == (40_000, 0)  # never dim
    assert power.timeouts(Settings(sleep_after_s=0))[:2] == (30_000, None)  # dim forever
    assert power.timeouts(Settings(dim_after_s=0, sleep_after_s=0))[0] is None
    assert power.timeouts(Settings(dim_after_s=50))[:2] == (40_000, 0)  # sleep first


def test_showing_dims_then_sleeps_then_goes_dormant(clock):
    p, hw, app = make(clock)
    assert p.state == SHOWING and hw.level == power.FULL and not hw.panel_asleep
    trace = run_until(p, clock, 30_000)
    assert trace == [(0, SHOWING), (30_000, DIMMED)]
    assert hw.level == 10 and ("slow_speed",) in hw.calls
    trace = run_until(p, clock, 10**9)
    # deep_after_s = 0: PANEL_ASLEEP is passed straight through to dormant
    assert trace == [(30_000, DIMMED), (40_000, DEEP)]
    assert hw.level == 0 and hw.panel_asleep
    assert [e[:2] for e in p.log] == [(SHOWING, power.TIMEOUT), (DIMMED, power.TIMEOUT)]


def test_slideshow_sleeps_between_photos_with_the_light_fully_on(clock):
    p, hw, app = make(clock, dim_after_s=100, sleep_after_s=200)
    run_until(p, clock, 60_000)
    assert app.shown == 4  # every 15 s
    sleeps = [c for c in hw.calls if c[0] == "sleep"]
    assert sleeps and all(c[2] == power.FULL for c in sleeps)  # never a PWM level
    assert not [c for c in hw.calls if c[0] in ("nap", "poll")]


def test_dimmed_never_lightsleeps(clock):
    p, hw, app = make(clock)
    run_until(p, clock, 40_000)
    assert all(c[2] in (0, power.FULL) for c in hw.calls if c[0] in ("sleep", "dormant"))
    assert any(c[0] == "nap" and c[2] == 10 for c in hw.calls)


def test_button_or_motion_wakes_from_dormant(clock):
    p, hw, app = make(clock)
    run_until(p, clock, 40_000)
    assert p.state == DEEP
    hw.wakes.append((3_600_000, "pin"))
    p.step()
    assert clock.now_ms == 3_600_000
    assert p.state == SHOWING and not hw.panel_asleep and hw.level == power.FULL
    assert ("slpout",) in hw.calls
    assert app.next_at == 3_600_000 + 15_000  # a full interval from the wake


def test_activity_restarts_the_timeout(clock):
    p, hw, app = make(clock)
    hw.wakes.append((25_000, "pin"))
    trace = run_until(p, clock, 10**9)
    assert trace == [(0, SHOWING), (55_000, DIMMED), (65_000, DEEP)]


def test_motion_while_dimmed_lights_up(clock):
    p, hw, app = make(clock)
    hw.wakes.append((35_000, "pin"))
    run_until(p, clock, 35_000)
    assert p.state == SHOWING and hw.level == power.FULL


def test_usb_keeps_the_link_and_never_goes_dormant(clock):
    p, hw, app = make(clock, usb=True)
    assert hw.level == 70  # awake in poll: PWM runs, the brightness setting holds
    hw.wakes.append((50_000, "link"))
    run_until(p, clock, 120_000)
    assert app.served == 1
    assert p.state == PANEL_ASLEEP
    assert not [c for c in hw.calls if c[0] in ("sleep", "dormant")]
    assert all(c[1] <= power.POLL_SLICE_MS for c in hw.calls if c[0] == "poll")


def test_unplugging_usb_lets_it_go_dormant(clock):
    p, hw, app = make(clock, usb=True)
    hw.wakes.append((100_000, "usb"))
    trace = run_until(p, clock, 10**9)
    assert trace == [(0, SHOWING), (30_000, DIMMED), (40_000, PANEL_ASLEEP), (100_000, DEEP)]


def test_plugging_usb_ends_dormant(clock):
    p, hw, app = make(clock)
    run_until(p, clock, 40_000)
    hw.wakes.append((90_000, "usb"))
    p.step()
    assert p.state == PANEL_ASLEEP


def test_no_wake_source_means_no_dormant(clock):
    p, hw, app = make(clock, wake_pins=False)
    hw.wakes.append((10_000_000, "link"))
    run_until(p, clock, 200_000)
    assert p.state == PANEL_ASLEEP
    assert all(c[0] != "dormant" for c in hw.calls)
    assert max(c[1] for c in hw.calls if c[0] == "sleep") <= power.MAX_SLEEP_MS


def test_deep_after_setting_holds_panel_asleep(clock):
    p, hw, app = make(clock, deep_after_s=20)
    trace = run_until(p, clock, 10**9)
    assert trace == [(0, SHOWING), (30_000, DIMMED), (40_000, PANEL_ASLEEP), (60_000, DEEP)]


def test_battery_cutoff_shuts_down(clock):
    p, hw, app = make(clock, dim_after_s=1000, sleep_after_s=2000)
    app.gauge.off = True
    trace = run_until(p, clock, 10**9)
    assert trace == [(0, SHOWING), (power.BATTERY_EVERY_MS, OFF)]
    assert ("shutdown",) in hw.calls and hw.panel_asleep and hw.level == 0
    # nothing but USB power gets it out of OFF: a button press is ignored
    hw.wakes.append((10_000_000, "pin"))
    run_until(p, clock, 10**9)
    assert p.state == OFF


@pytest.mark.parametrize("state", [SHOWING, DIMMED, PANEL_ASLEEP, DEEP, OFF])
def test_each_state_has_a_way_to_wait(state):
    assert power.WAITS[state] in (power.SLEEP, power.NAP, power.DORMANT)


def test_files_settled_before_the_deep_sleep_that_may_cut_power(clock):
    """A latch build loses its power in DEEP: whatever was being written must
    be on flash before the sleep starts (app.settle), and only then."""
    p, hw, app = make(clock)
    app.hw = hw
    assert getattr(app, "settled", 0) == 0
    run_until(p, clock, 45_000)
    assert p.state == DEEP
    assert app.settled == 1
    sleeps_before = [c for c in hw.calls[: app.hw_calls_at_settle] if c[0] == "dormant"]
    assert sleeps_before == []  # settled before the first dormant sleep


def test_a_press_while_showing_steps_the_slideshow(clock):
    p, hw, app = make(clock)
    p.step()  # the first photo change by the slideshow's timer
    t0, shown = clock.now_ms, app.shown
    hw.wakes = [(t0 + 5_000, "press")]
    p.step()
    assert clock.now_ms == t0 + 5_000  # woken by the press, not the slideshow's timer
    assert p.state == SHOWING and app.shown == shown + 1


def test_a_motion_while_showing_changes_nothing(clock):
    p, hw, app = make(clock)
    p.step()
    t0, shown = clock.now_ms, app.shown
    hw.wakes = [(t0 + 5_000, "pin")]
    p.step()
    assert clock.now_ms == t0 + 5_000 and app.shown == shown


def test_a_press_while_asleep_only_wakes(clock):
    p, hw, app = make(clock)
    run_until(p, clock, 50_000)  # dimmed, then asleep
    assert p.state == DEEP
    shown = app.shown
    hw.wakes = [(clock.now_ms + 10_000, "press")]
    p.step()
    assert p.state == SHOWING and app.shown == shown  # the photo on the glass stays
