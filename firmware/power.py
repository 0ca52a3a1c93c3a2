# The power manager: an explicit state machine that keeps the pendant at its
# sleep floor whenever nobody is looking and wakes it the moment someone is.
#
#   SHOWING       panel on, backlight full, slideshow; between photos the CPU
#                 is in machine.lightsleep(ms) (PWM freezes there, so the
#                 backlight is driven fully on, never dimmed, while asleep)
#   DIMMED        backlight dimmed by PWM: PWM needs running clocks, so the CPU
#                 naps (time.sleep_ms) at a lowered clock; kept short
#   PANEL_ASLEEP  panel in SLPIN, backlight off, CPU in timed lightsleep
#                 (the state USB-powered pendants rest in: dormant kills USB)
#   DEEP          dormant (lightsleep() with no timeout): only a GPIO edge
#                 armed in DORMANT_WAKE_INTE (button, IMU INT1, VBUS) ends it
#   OFF           battery below the cut-off: panel off, IMU off, dormant
#
# Events: TIMEOUT (the state's time is up), ACTIVITY (button, motion, serial
# input), USB (power plugged or pulled), CUTOFF (battery). The transitions are
# the TABLE below; timeouts come from settings so the host can change them.
import time

import latch
from micropython import const

SHOWING = const(0)
DIMMED = const(1)
PANEL_ASLEEP = const(2)
DEEP = const(3)
OFF = const(4)
NAMES = ("showing", "dimmed", "panel_asleep", "deep", "off")

# What woke it (Hardware.take_woken): a press while showing steps the slideshow.
MOTION = const(1)
PRESS = const(2)

TIMEOUT = const(0)
ACTIVITY = const(1)
USB = const(2)
CUTOFF = const(3)

# (state, event) -> next state. A pair that is missing leaves the state as is.
TABLE = {
    (SHOWING, TIMEOUT): DIMMED,
    (SHOWING, ACTIVITY): SHOWING,
    (SHOWING, CUTOFF): OFF,
    (DIMMED, TIMEOUT): PANEL_ASLEEP,
    (DIMMED, ACTIVITY): SHOWING,
    (DIMMED, CUTOFF): OFF,
    (PANEL_ASLEEP, TIMEOUT): DEEP,
    (PANEL_ASLEEP, ACTIVITY): SHOWING,
    (PANEL_ASLEEP, CUTOFF): OFF,
    (DEEP, ACTIVITY): SHOWING,
    (DEEP, USB): PANEL_ASLEEP,  # plugged in: leave dormant so USB can enumerate
    (DEEP, CUTOFF): OFF,
    (OFF, USB): PANEL_ASLEEP,  # charging: the cut-off check decides again
}

# How each state waits for its next event.
SLEEP = const(0)  # machine.lightsleep(ms): timer or pin IRQ (or USB IRQ) wakes
NAP = const(1)  # time.sleep_ms in slices, clocks running (PWM keeps dimming)
DORMANT = const(2)  # machine.lightsleep(): a GPIO edge only
POLL = const(3)  # select.poll on the serial port: USB connected, link served
WAITS = (SLEEP, NAP, SLEEP, DORMANT, DORMANT)

FULL = const(100)  # backlight percent: fully on is the only level a lightsleep keeps
MAX_SLEEP_MS = const(3_600_000)  # rp2 timed lightsleep tops out near 71 minutes
NAP_MS = const(100)  # DIMMED re-checks the IRQ flag this often (sleep_ms cannot be woken)
BATTERY_EVERY_MS = const(60_000)  # gauge reading interval while awake
POLL_SLICE_MS = const(1_000)  # POLL re-checks VBUS and timeouts this often


def timeouts(settings):
    """Milliseconds per state: None = stay until an event, 0 = pass straight through."""
    dim = settings["dim_after_s"]
    off = settings["sleep_after_s"]
    if dim and (not off or dim < off):
        show = dim
    elif off:
        show = off
    else:
        show = None
    if not off:
        dimmed = None if dim else 0
    elif dim and dim < off:
        dimmed = off - dim
    else:
        dimmed = 0
    asleep = settings["deep_after_s"]
    return (
        None if show is None else show * 1000,
        None if dimmed is None else dimmed * 1000,
        asleep * 1000,
        None,
        None,
    )


class Power:
    """The state machine. hw: the hardware side (Hardware below, or a test
    fake); app: next(), next_at, link, gauge, overlay hooks (see App)."""

    def __init__(self, settings, hw, app):
        self.settings = settings
        self.hw = hw
        self.app = app
        self.state = DEEP  # the panel is asleep until start()
        self.since = time.ticks_ms()
        self.usb = hw.usb()
        self.battery_at = None
        self.enter = (self.enter_showing, self.enter_dimmed, self.enter_panel_asleep,
                      self.enter_deep, self.enter_off)
        self.log = None  # tests: a list collecting (from, event, to)

    # -- transitions ----------------------------------------------------------

    def allowed(self, state):
        """DEEP needs a GPIO that can end it and no USB host to keep alive."""
        if state == DEEP:
            return not self.usb and self.hw.can_wake()
        return True

    def limit(self):
        """The current state's timeout in ms, or None when it may not end by
        time (none set, or its successor is not allowed, e.g. DEEP on USB)."""
        ms = timeouts(self.settings)[self.state]
        nxt = TABLE.get((self.state, TIMEOUT))
        if ms is None or nxt is None or not self.allowed(nxt):
            return None
        return ms

    def fire(self, event):
        nxt = TABLE.get((self.state, event))
        if nxt is None or not self.allowed(nxt):
            return
        if self.log is not None:
            self.log.append((self.state, event, nxt))
        self.go(nxt)

    def go(self, state):
        # A state whose timeout is 0 is passed straight through: e.g.
        # dim_after_s = 0 skips DIMMED, deep_after_s = 0 goes straight to DEEP.
        limits = timeouts(self.settings)
        while limits[state] == 0:
            nxt = TABLE.get((state, TIMEOUT))
            if nxt is None or not self.allowed(nxt):
                break
            state = nxt
        self.state = state
        self.since = time.ticks_ms()
        self.enter[state]()

    def start(self):
        self.check_battery(force=True)
        if self.state != OFF:
            self.go(SHOWING)

    # -- entry actions --------------------------------------------------------

    def enter_showing(self):
        hw = self.hw
        hw.full_speed()
        hw.panel_wake()
        # While the CPU lightsleeps between photos PWM stops with the pin
        # frozen: dimmed would become random on/off. Fully on is exact. With
        # USB the CPU stays awake in poll, so the brightness setting holds.
        hw.light(self.settings["brightness"] if self.usb else FULL)
        self.app.resume()

    def enter_dimmed(self):
        self.hw.slow_speed()
        self.hw.light(self.settings["dim_percent"])

    def enter_panel_asleep(self):
        self.hw.light(0)
        self.hw.panel_sleep()

    def enter_deep(self):
        self.hw.light(0)
        self.hw.panel_sleep()
        self.app.settle()  # a latch build switches off here: nothing half-written

    def enter_off(self):
        self.hw.light(0)
        self.hw.panel_sleep()
        self.app.settle()
        self.hw.shutdown()

    # -- the loop ---------------------------------------------------------------

    def how(self):
        way = WAITS[self.state]
        if self.usb and way != NAP:
            return POLL
        return way

    def wait_ms(self):
        """How long the current state may sleep: its timeout or the next photo."""
        now = time.ticks_ms()
        limit = self.limit()
        wait = None
        if limit is not None:
            wait = max(0, time.ticks_diff(time.ticks_add(self.since, limit), now))
        if self.state == SHOWING:
            photo = max(0, time.ticks_diff(self.app.next_at, now))
            wait = photo if wait is None else min(wait, photo)
        return wait

    def step(self):
        """Sleep as the state allows, then handle what woke us. One pass."""
        hw = self.hw
        wait = self.wait_ms()
        way = self.how()
        if way == DORMANT:
            hw.dormant()
        elif way == NAP:
            hw.nap(MAX_SLEEP_MS if wait is None else wait, self.usb)
        elif way == POLL:
            hw.poll(POLL_SLICE_MS if wait is None else min(wait, POLL_SLICE_MS))
        else:
            hw.sleep(MAX_SLEEP_MS if wait is None else min(wait, MAX_SLEEP_MS))
        self.after_wake()

    def after_wake(self):
        hw = self.hw
        usb = hw.usb()
        if usb != self.usb:
            self.usb = usb
            self.fire(USB)
            if self.state == SHOWING:  # the light level depends on USB
                hw.light(self.settings["brightness"] if usb else FULL)
        if hw.link_waiting():
            self.app.serve_link()
            self.fire(ACTIVITY)
        woken = hw.take_woken()
        if woken:
            was = self.state
            self.fire(ACTIVITY)
            if woken == PRESS and was == SHOWING:
                # A press while a photo shows: the next one (a press while
                # asleep, or a motion, only wakes the pendant).
                self.app.next()
                self.app.battery_changed(True)
        if self.check_battery():
            return
        limit = self.limit()
        if limit is not None and time.ticks_diff(time.ticks_ms(), self.since) >= limit:
            self.fire(TIMEOUT)
        if self.state == SHOWING and time.ticks_diff(self.app.next_at, time.ticks_ms()) <= 0:
            self.app.next()
            self.app.battery_changed(True)  # the new photo covered the overlay

    def check_battery(self, force=False):
        """Read the gauge now and then; True if it switched the pendant off."""
        gauge = self.app.gauge
        if gauge is None or self.state == OFF and not force:
            return False
        now = time.ticks_ms()
        if not force and self.battery_at is not None and \
                time.ticks_diff(now, self.battery_at) < BATTERY_EVERY_MS:
            return False
        self.battery_at = now
        gauge.update()
        if gauge.cutoff():
            if self.state != OFF:
                self.fire(CUTOFF)
            return True
        self.app.battery_changed()
        return False


class Hardware:
    """The rp2 side of the power manager: pins, clocks, sleep, panel, light.

    app gives the display, SPI and board; set_clocks is app.set_clocks.
    """

    def __init__(self, board, display, spi, set_clocks, port, imu=None):
        import machine

        self.machine = machine
        self.board = board
        self.display = display
        self.spi = spi
        self.set_clocks = set_clocks
        self.port = port
        self.imu = imu[0] if imu else None
        self.woken = 0  # MOTION or PRESS: set by the pin handlers
        self.level = -1
        self.wake_pins = []
        # (gpio, events) armed in IO_BANK0's DORMANT_WAKE_INTE for dormant
        self.dormant_wake = []
        self.vbus = None
        # The hold pin of a power latch (latch.py; boot.py already drives it):
        # such a build switches itself off where the others go dormant.
        self.latch = latch.hold(board.get("latch"))
        latch.remember(board.get("latch"))
        Pin = machine.Pin
        # Pin.irq(handler=...) is what wakes lightsleep(ms) early; the handler
        # only raises a flag (no allocation). Dormant ignores Pin.irq: see
        # arm_dormant_wake().
        if board.get("button") is not None:
            b = Pin(board["button"], Pin.IN, Pin.PULL_UP)
            b.irq(handler=self.irq_button, trigger=Pin.IRQ_FALLING)
            self.wake_pins.append(b)
            self.dormant_wake.append((board["button"], EDGE_LOW))
        if imu:
            i = Pin(imu[1], Pin.IN)
            i.irq(handler=self.irq, trigger=Pin.IRQ_RISING | Pin.IRQ_FALLING)
            self.wake_pins.append(i)
            self.dormant_wake.append((imu[1], EDGE_LOW | EDGE_HIGH))
        if board.get("vbus") is not None:
            self.vbus = Pin(board["vbus"], Pin.IN)
            # Plugging in must end dormant, or USB never enumerates.
            self.vbus.irq(handler=self.irq_usb, trigger=Pin.IRQ_RISING)
            self.dormant_wake.append((board["vbus"], EDGE_HIGH))

    def irq(self, pin):
        if not self.woken:
            self.woken = MOTION

    def irq_button(self, pin):
        self.woken = PRESS

    def irq_usb(self, pin):
        pass  # waking is all it is for; after_wake reads the level

    def take_woken(self):
        """What woke the pendant since the last call: 0, MOTION or PRESS."""
        w = self.woken
        self.woken = 0
        return w

    def can_wake(self):
        """Dormant may be entered: a button or motion can end it."""
        return bool(self.wake_pins)

    def usb(self):
        """A USB host is attached: VBUS where the board senses it, else the
        USB controller's status. A suspended but still enumerated host counts:
        stopping the USB clock under it fails on wake (micropython#16442)."""
        if self.vbus is not None:
            return bool(self.vbus.value())
        return bool(self.machine.mem32[USB_SIE_STATUS] & SIE_CONNECTED)

    def link_waiting(self):
        return self.port.wait(0)

    # -- clocks, light, panel -----------------------------------------------

    def full_speed(self):
        """Clocks back to full and the SPI divider recomputed: after a
        lightsleep rp2 restores its default clocks (clk_peri 48 MHz)."""
        self.set_clocks()
        self._rebus()

    def slow_speed(self):
        self.machine.freq(SLOW_HZ)
        self._rebus()

    def _rebus(self):
        # rp2's SPI.init() takes the clock settings only (pins belong to the
        # constructor), so the pin mux, GP8 = DC included, is left as it is.
        self.spi.init(baudrate=self.board["spi_hz"])
        bl = self.display.backlight
        if bl is not None and hasattr(bl, "freq"):
            bl.freq(BACKLIGHT_HZ)  # the PWM divider follows clk_sys (duty is kept)

    def light(self, level):
        if level != self.level:
            self.level = level
            self.display.brightness(level)

    def panel_wake(self):
        if self.display.asleep:
            self.display.wake()  # SLPOUT + the 120 ms the controller needs

    def panel_sleep(self):
        if not self.display.asleep:
            self.display.sleep()

    # -- waiting --------------------------------------------------------------

    def sleep(self, ms):
        if ms <= 0:
            return
        self.machine.lightsleep(ms)
        # The wake restored rp2's default clocks: SPI would crawl at 48 MHz
        # clk_peri and a lowered freq() is gone. Set both again.
        self.full_speed()

    def nap(self, ms, usb=False):
        # With a host attached, wait on the port (not sleep_ms), so an OPEN
        # is answered at once instead of after up to NAP_MS.
        left = ms
        while left > 0 and not self.woken and not self.port.wait(0):
            step = NAP_MS if left > NAP_MS else left
            if usb:
                self.port.wait(step)
            else:
                time.sleep_ms(step)
            left -= step

    def dormant(self):
        """lightsleep() with no timeout: the RP2040's DORMANT state. The rp2
        port arms no GPIO wake for it (Pin.irq does not reach the dormant wake
        logic), so our wake pins are armed by register around it."""
        if self.latch is not None:
            # Off: on battery with the button up, the power goes now and the
            # next press boots the board cold. If it stays (the button still
            # held, or USB), sleep as the other builds do, held on again after.
            latch.release(self.latch)
        self.arm_dormant_wake(True)
        try:
            self.machine.lightsleep()
        finally:
            self.arm_dormant_wake(False)
            if self.latch is not None:
                self.latch.value(1)  # still powered: hold again
        self.full_speed()

    def arm_dormant_wake(self, on):
        """Set or clear our pins' events in IO_BANK0 DORMANT_WAKE_INTE (RP2040
        datasheet 2.19.6.2: one nibble per GPIO, 8 GPIOs a register), first
        clearing stale edges in INTR (write 1 to clear), as pico-sdk does."""
        mem = self.machine.mem32
        for gpio, events in self.dormant_wake:
            reg = IO_BANK0 + (gpio >> 3) * 4
            bits = events << ((gpio & 7) * 4)
            if on:
                mem[reg + INTR0] = bits
                mem[reg + DORMANT_WAKE_INTE0] |= bits
            else:
                mem[reg + DORMANT_WAKE_INTE0] &= ~bits

    def poll(self, ms):
        self.port.wait(ms)

    def shutdown(self):
        """The cut-off: the IMU off and no wake but USB power."""
        if self.imu is not None:
            try:
                self.imu.off()
            except OSError:
                pass
        for p in self.wake_pins:
            p.irq(handler=None)
        self.wake_pins = []
        # Only plugging in ends the cut-off's dormant (where VBUS is sensed;
        # elsewhere a reset does).
        self.dormant_wake = [w for w in self.dormant_wake if w[0] == self.board.get("vbus")]


SLOW_HZ = 48_000_000  # DIMMED: lowest clock that keeps USB's 48 MHz exact
BACKLIGHT_HZ = 1000
USB_SIE_STATUS = const(0x50110050)  # RP2040 datasheet 4.1.4 (USBCTRL_REGS + 0x50)
SIE_CONNECTED = const(1 << 16)
# IO_BANK0 (RP2040 datasheet 2.19.6.2): INTR0..3 and DORMANT_WAKE_INTE0..3.
IO_BANK0 = const(0x40014000)
INTR0 = const(0x0F0)
DORMANT_WAKE_INTE0 = const(0x160)
EDGE_LOW = const(0x4)  # per-GPIO event bits within its nibble
EDGE_HIGH = const(0x8)
