"""power.Hardware, the rp2 side of the power manager, on fakes of `machine`:
pins and their IRQs, the dormant wake registers (addresses and bits written
out from the RP2040 datasheet, 2.19.6.2, not read from power.py), sleeps,
clocks, light and panel."""

import sys
import types

import power
import pytest

IO_BANK0 = 0x40014000
INTR0, DORMANT_WAKE_INTE0 = 0x0F0, 0x160
EDGE_LOW, EDGE_HIGH = 0x4, 0x8


class Mem32(dict):
    def __missing__(self, addr):
        return 0


class FakePin:
    IN = "in"
    PULL_UP = "pull_up"
    IRQ_FALLING = 1
    IRQ_RISING = 2

    def __init__(self, gpio, mode=None, pull=None):
        self.gpio, self.mode, self.pull = gpio, mode, pull
        self.level = 0
        self.handler = self.trigger = "unset"

    def irq(self, handler=None, trigger=None):
        self.handler, self.trigger = handler, trigger

    def value(self):
        return self.level


class FakeMachine(types.ModuleType):
    def __init__(self):
        super().__init__("machine")
        self.Pin = FakePin
        self.mem32 = Mem32()
        self.calls = []
        self.pins = {}
        outer = self

        class Pin(FakePin):
            def __init__(self, gpio, *args):
                super().__init__(gpio, *args)
                outer.pins[gpio] = self

        self.Pin = Pin

    def lightsleep(self, *ms):
        # what the wake registers held while asleep
        inte = {a: v for a, v in self.mem32.items()
                if IO_BANK0 + DORMANT_WAKE_INTE0 <= a < IO_BANK0 + DORMANT_WAKE_INTE0 + 16}
        self.calls.append(("lightsleep", *ms, inte))

    def freq(self, hz):
        self.calls.append(("freq", hz))


class Backlight:
    def __init__(self):
        self.hz = None

    def freq(self, hz):
        self.hz = hz


class Display:
    def __init__(self):
        self.asleep = True
        self.backlight = Backlight()
        self.calls = []

    def wake(self):
        self.asleep = False
        self.calls.append("wake")

    def sleep(self):
        self.asleep = True
        self.calls.append("sleep")

    def brightness(self, level):
        self.calls.append(("brightness", level))


class Spi:
    def __init__(self):
        self.inits = []

    def init(self, **kw):
        self.inits.append(kw)


class Port:
    def __init__(self):
        self.waits = []
        self.data = False

    def wait(self, ms):
        self.waits.append(ms)
        return self.data


class Imu:
    def __init__(self, fails=False):
        self.fails = fails
        self.offs = 0

    def off(self):
        self.offs += 1
        if self.fails:
            raise OSError(5)


PICO = {"button": 15, "vbus": 24, "spi_hz": 62_500_000}
WAVESHARE = {"button": None, "vbus": None, "spi_hz": 62_500_000}


@pytest.fixture
def machine(monkeypatch):
    m = FakeMachine()
    monkeypatch.setitem(sys.modules, "machine", m)
    return m


def make(machine, board=PICO, imu=None):
    clocks = []
    hw = power.Hardware(board, Display(), Spi(), lambda: clocks.append("set"), Port(), imu)
    return hw, clocks


def test_a_pico_arms_its_button_and_vbus(machine):
    hw, _ = make(machine)
    button, vbus = machine.pins[15], machine.pins[24]
    assert (button.mode, button.pull, button.trigger) == ("in", "pull_up", FakePin.IRQ_FALLING)
    assert button.handler == hw.irq_button and vbus.handler == hw.irq_usb
    assert (vbus.mode, vbus.trigger) == ("in", FakePin.IRQ_RISING)
    assert hw.can_wake() and hw.dormant_wake == [(15, EDGE_LOW), (24, EDGE_HIGH)]


def test_a_board_without_button_or_imu_cannot_wake_from_dormant(machine):
    hw, _ = make(machine, WAVESHARE)
    assert not hw.can_wake() and hw.dormant_wake == [] and machine.pins == {}


def test_the_imu_pin_wakes_on_both_edges(machine):
    imu = Imu()
    hw, _ = make(machine, WAVESHARE, (imu, 23))
    pin = machine.pins[23]
    assert pin.mode == "in" and pin.trigger == FakePin.IRQ_RISING | FakePin.IRQ_FALLING
    assert hw.imu is imu and hw.can_wake()
    assert hw.dormant_wake == [(23, EDGE_LOW | EDGE_HIGH)]


def test_dormant_arms_the_wake_registers_only_while_asleep(machine):
    hw, clocks = make(machine)
    other = 0x00000300  # GPIO 8's events, set by someone else: left alone
    machine.mem32[IO_BANK0 + 4 + DORMANT_WAKE_INTE0] = other
    hw.dormant()
    # GPIO 15: register 1 (GPIOs 8-15), nibble 7; GPIO 24: register 3, nibble 0.
    (call,) = machine.calls
    assert call[0] == "lightsleep" and len(call) == 2  # no timeout: dormant
    during = call[1]
    assert during == {0x40014164: other | 0x40000000, 0x4001416C: 0x8}
    assert machine.mem32[0x400140F4] == 0x40000000 and machine.mem32[0x400140FC] == 0x8
    assert machine.mem32[0x40014164] == other and machine.mem32[0x4001416C] == 0
    assert clocks == ["set"]  # full speed again after the wake


def test_the_imu_edges_go_in_their_own_nibble(machine):
    hw, _ = make(machine, WAVESHARE, (Imu(), 23))
    hw.arm_dormant_wake(True)
    assert machine.mem32 == {0x400140F8: 0xC0000000, 0x40014168: 0xC0000000}
    hw.arm_dormant_wake(False)
    assert machine.mem32[0x40014168] == 0


def test_timed_sleep_restores_clocks_spi_and_backlight_pwm(machine):
    hw, clocks = make(machine)
    hw.sleep(1500)
    assert machine.calls[0][:2] == ("lightsleep", 1500)
    assert clocks == ["set"] and hw.spi.inits == [{"baudrate": 62_500_000}]
    assert hw.display.backlight.hz == 1000
    hw.sleep(0)
    hw.sleep(-5)
    assert len(machine.calls) == 1  # nothing to wait for: no sleep at all


def test_slow_speed_is_48_mhz_and_keeps_the_spi_rate(machine):
    hw, clocks = make(machine)
    hw.slow_speed()
    assert machine.calls == [("freq", 48_000_000)] and clocks == []
    assert hw.spi.inits == [{"baudrate": 62_500_000}] and hw.display.backlight.hz == 1000


def test_nap_sleeps_in_slices_until_the_time_is_up(machine, clock):
    hw, _ = make(machine)
    hw.nap(250)
    assert clock.sleeps == [100, 100, 50]
    assert hw.port.waits == [0, 0, 0]  # each look at the port must not wait


def test_nap_ends_at_a_wake_or_link_bytes(machine, clock):
    hw, _ = make(machine)
    hw.woken = True
    hw.nap(1000)
    assert clock.sleeps == []
    hw.woken = False
    hw.port.data = True
    hw.nap(1000)
    assert clock.sleeps == []


def test_usb_from_vbus_or_the_usb_controller(machine):
    hw, _ = make(machine)
    assert hw.usb() is False
    machine.pins[24].level = 1
    assert hw.usb() is True
    hw, _ = make(machine, WAVESHARE)
    assert hw.usb() is False
    machine.mem32[0x50110050] = 1 << 16  # SIE_STATUS.CONNECTED
    assert hw.usb() is True
    machine.mem32[0x50110050] = (1 << 15) | (1 << 17)
    assert hw.usb() is False


def test_light_changes_only_when_the_level_does(machine):
    hw, _ = make(machine)
    hw.light(70)
    hw.light(70)
    hw.light(0)
    assert hw.display.calls == [("brightness", 70), ("brightness", 0)]


def test_panel_sleep_and_wake_only_when_needed(machine):
    hw, _ = make(machine)
    hw.panel_sleep()
    hw.panel_wake()
    hw.panel_wake()
    hw.panel_sleep()
    assert hw.display.calls == ["wake", "sleep"]


def test_the_irq_flag_is_taken_once(machine):
    hw, _ = make(machine)
    assert hw.take_woken() == 0
    hw.irq(None)
    assert hw.take_woken() == power.MOTION and hw.take_woken() == 0
    hw.irq_button(None)
    hw.irq(None)  # a motion after a press: still a press
    assert hw.take_woken() == power.PRESS and hw.take_woken() == 0
    hw.irq_usb(None)
    assert hw.take_woken() == 0


def test_link_waiting_and_poll_ask_the_port(machine):
    hw, _ = make(machine)
    assert hw.link_waiting() is False
    hw.port.data = True
    assert hw.link_waiting() is True
    hw.poll(700)
    assert hw.port.waits == [0, 0, 700]


@pytest.mark.parametrize("fails", [False, True])
def test_shutdown_leaves_only_vbus_to_wake_it(machine, fails):
    imu = Imu(fails)
    hw, _ = make(machine, {**PICO}, (imu, 23))
    hw.shutdown()
    assert imu.offs == 1
    assert machine.pins[15].handler is None and machine.pins[23].handler is None
    assert not hw.can_wake() and hw.dormant_wake == [(24, EDGE_HIGH)]


def test_shutdown_without_vbus_sense_leaves_nothing(machine):
    hw, _ = make(machine, WAVESHARE, (Imu(), 23))
    hw.shutdown()
    assert hw.dormant_wake == [] and not hw.can_wake()


@pytest.mark.parametrize("first", [0, 1, 100])
def test_the_first_light_level_is_always_applied(machine, first):
    hw, _ = make(machine)
    hw.light(first)
    assert hw.display.calls == [("brightness", first)]


def test_the_shortest_sleep_and_nap_still_wait(machine, clock):
    hw, _ = make(machine)
    hw.sleep(1)
    assert machine.calls[0][:2] == ("lightsleep", 1)
    hw.nap(101)
    assert clock.sleeps == [100, 1]


@pytest.mark.parametrize("backlight", [None, object()])
def test_a_backlight_without_pwm_is_left_alone(machine, backlight):
    hw, clocks = make(machine)
    hw.display.backlight = backlight  # none, or a plain on/off pin
    hw.full_speed()
    assert clocks == ["set"] and hw.spi.inits == [{"baudrate": 62_500_000}]
