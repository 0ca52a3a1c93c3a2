"""The power manager at its edges, with the figures written out (fully on is
100%, USB polls in 1 s slices): what mutation testing found untested in
firmware/power.py. Uses the fakes of tests/power/test_power.py."""

from power import DEEP, OFF, PANEL_ASLEEP, SHOWING
from test_power import FakeApp, Forever, make, run_until


class RecordingApp(FakeApp):
    def __init__(self, settings):
        super().__init__(settings)
        self.battery_calls = []

    def battery_changed(self, drawn=False):
        self.battery_calls.append(drawn)


def test_on_battery_the_light_is_fully_on_while_showing(clock):
    p, hw, app = make(clock, dim_after_s=100, sleep_after_s=200)
    assert p.state == SHOWING and hw.level == 100
    run_until(p, clock, 40_000)
    assert {c[2] for c in hw.calls if c[0] == "sleep"} == {100}


def test_panel_asleep_means_the_light_off(clock):
    p, hw, app = make(clock, deep_after_s=100)
    run_until(p, clock, 40_000)
    assert p.state == PANEL_ASLEEP and hw.level == 0


def test_on_usb_it_polls_in_one_second_slices(clock):
    p, hw, app = make(clock, usb=True, dim_after_s=0, sleep_after_s=0, interval_s=86400)
    run_until(p, clock, 5_000)
    polls = [c[1] for c in hw.calls if c[0] == "poll"]
    assert polls[:5] == [1000] * 5


def test_plugging_usb_while_showing_sets_the_brightness_setting(clock):
    p, hw, app = make(clock, dim_after_s=100, sleep_after_s=200)
    assert hw.level == 100
    hw.wakes.append((5_000, "usb"))
    run_until(p, clock, 5_000)
    assert p.state == SHOWING and hw.level == 70
    hw.wakes.append((8_000, "usb"))
    run_until(p, clock, 8_000)
    assert hw.level == 100  # unplugged: fully on again, lightsleep keeps only that


def test_plugging_usb_does_not_light_a_sleeping_panel(clock):
    p, hw, app = make(clock, deep_after_s=100)
    run_until(p, clock, 40_000)
    assert p.state == PANEL_ASLEEP
    hw.wakes.append((50_000, "usb"))
    p.step()
    assert clock.now_ms == 50_000 and p.state == PANEL_ASLEEP and hw.level == 0 and hw.panel_asleep


def test_an_overdue_timeout_or_photo_waits_zero(clock):
    p, hw, app = make(clock, dim_after_s=100, sleep_after_s=200)
    clock.now_ms = 150_000  # far past both the dim timeout and the next photo
    assert p.wait_ms() == 0
    app.next_at = 10**9
    assert p.wait_ms() == 0  # the timeout alone is overdue
    p.since = clock.now_ms
    app.next_at = clock.now_ms - 5
    assert p.wait_ms() == 0  # the photo alone is overdue


def test_a_wake_just_before_the_next_photo_does_not_show_it_early(clock):
    p, hw, app = make(clock, dim_after_s=100, sleep_after_s=200)
    assert app.next_at == 15_000
    hw.wakes.append((14_999, "pin"))
    p.step()
    assert clock.now_ms == 14_999 and app.shown == 0
    p.step()
    assert clock.now_ms == 15_000 and app.shown == 1


def test_a_new_photo_redraws_the_battery_overlay(clock):
    p, hw, _ = make(clock, dim_after_s=100, sleep_after_s=200)
    app = RecordingApp(p.settings)
    app.next_at = 15_000
    p.app = app
    p.step()
    assert app.shown == 1 and app.battery_calls[-1] is True


def test_a_board_without_a_battery_gauge(clock):
    import power
    from test_power import FakeHw, Settings

    s = Settings()
    app = FakeApp(s)
    app.gauge = None
    p = power.Power(s, FakeHw(clock), app)
    p.start()
    assert p.state == SHOWING
    trace = run_until(p, clock, 10**9)
    assert trace[-1][1] == DEEP


def test_the_gauge_is_not_read_while_off(clock):
    p, hw, app = make(clock, dim_after_s=1000, sleep_after_s=2000)
    app.gauge.off = True
    run_until(p, clock, 10**9)
    assert p.state == OFF
    reads = app.gauge.updates
    hw.wakes.append((clock.now_ms + 600_000, "pin"))  # a press, ten minutes on
    try:
        p.step()
        p.step()
    except Forever:
        pass
    assert p.state == OFF and app.gauge.updates == reads


def test_with_nothing_to_wake_it_the_sleep_is_an_hour_at_a_time(clock):
    """rp2's timed lightsleep tops out near 71 minutes: a pendant that may not
    go dormant (no wake pin) sleeps in one-hour pieces."""
    p, hw, app = make(clock, wake_pins=False)
    run_until(p, clock, 10 * 3_600_000)
    asleep = [c[1] for c in hw.calls if c[0] == "sleep" and c[2] == 0]
    assert asleep[:3] == [3_600_000] * 3


def test_no_photo_changes_once_the_slideshow_has_stopped(clock):
    p, hw, app = make(clock, interval_s=2)
    run_until(p, clock, 30_000)
    shown = app.shown
    assert shown == 14  # at 2, 4, ... 28 s; at 30 s it dims instead
    run_until(p, clock, 10**9)
    assert p.state == DEEP and app.shown == shown
