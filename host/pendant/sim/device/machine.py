# The simulated pendant's `machine`: rp2-shaped Pin/SPI/PWM/ADC/I2C/sleep that
# report to the host over the "bus" pipes instead of touching silicon.
#
# Shadows the unix port's `machine` (first on sys.path). Signatures and
# quirks follow ports/rp2 so firmware that runs here runs on the pendant:
# SPI rates are what the divider really gives, SPI(1) without miso= grabs GP8,
# lightsleep freezes PWM and restores default clocks.
#
# Bus records (both directions): header "<BIQ" = type, payload length, virtual
# time in us, then the payload. Keep in step with host/pendant/sim/bus.py.
import errno
import os
import select
import struct
import sys
import time

_HDR = "<BIQ"
_HDR_LEN = 13

from busdefs import (  # noqa: E402  (shared with the host's bus.py)
    ADC_LEVEL,
    CONFIG,
    FREQ,
    HELLO,
    I2C_REQ,
    PIN_LEVEL,
    PIN_MODE,
    PIN_SET,
    PWM_DEINIT,
    PWM_SET,
    REPLY,
    RESET,
    SLEEP,
    SLEEP_DEEP,
    SLEEP_LIGHT,
    SPI_DEINIT,
    SPI_INIT,
    SPI_WRITE,
    WAKE,
    WARN,
)

WAKE_TIMEOUT = 0
WAKE_STDIN = 1
WAKE_PIN = 2

NONE_PIN = 255
FOREVER = 0xFFFFFFFF

# ---------------------------------------------------------------- the bus


class _Bus:
    # Unbuffered writes: every event goes out at once, so the host sees the
    # backlight or a pin change even if the firmware then blocks in its own
    # select.poll. A few us per syscall; SPI chunks cost one header + one data
    # write however large they are.
    def __init__(self):
        spec = os.getenv("PENDANT_SIM_BUS")
        if spec:
            w, r = spec.split(",")
            self.out = open("/dev/fd/" + w, "wb")
            self.inp = open("/dev/fd/" + r, "rb")
        else:  # machine imported outside the simulator: events go nowhere
            self.out = None
            self.inp = None
        self.hdr = bytearray(_HDR_LEN)
        self.poller = select.poll()
        if self.inp is not None:
            self.poller.register(self.inp, select.POLLIN)
        self.draining = False

    def send(self, kind, payload=b""):
        if self.out is None:
            return
        struct.pack_into(_HDR, self.hdr, 0, kind, len(payload), time.now_us())
        self.out.write(self.hdr)
        if payload:
            self.out.write(payload)

    def read_record(self):
        hdr = self.inp.read(_HDR_LEN)
        if not hdr or len(hdr) < _HDR_LEN:
            raise OSError(errno.EPIPE)  # host went away
        kind, n, t = struct.unpack(_HDR, hdr)
        payload = self.inp.read(n) if n else b""
        return kind, payload, t

    def pending(self, timeout_ms=0):
        if self.inp is None:
            return False
        return bool(self.poller.poll(timeout_ms))

    def drain(self):
        """Handle host pushes waiting in the pipe; True if a pin IRQ ran."""
        fired = False
        if self.draining:  # an IRQ handler calling ticks_ms() etc.
            return False
        self.draining = True
        try:
            while self.pending(0):
                kind, payload, t = self.read_record()
                fired = _deliver(kind, payload, t) or fired
        finally:
            self.draining = False
        return fired

    def request(self, kind, payload):
        """Send a request and block for its REPLY, handling pushes meanwhile."""
        self.send(kind, payload)
        if self.inp is None:
            return None
        while True:
            k, p, t = self.read_record()
            if k == REPLY:
                return p
            _deliver(k, p, t)


_bus = _Bus()


def _warn(text):
    _bus.send(WARN, text.encode())


# Host-supplied world: input pin levels, ADC counts, speed.
_levels = {}
_adc = {}
_config = {}


# Fast mode: host pushes stamped with a virtual time still to come wait here,
# sorted, and happen when a sleep reaches that time (a scripted day: the host
# sends every button press up front, the device meets each at its moment).
_future = []


def _deliver(kind, payload, t_us):
    if time.fast and t_us > time.now_us():
        i = len(_future)
        while i and _future[i - 1][0] > t_us:
            i -= 1
        _future.insert(i, (t_us, kind, payload))
        return False
    return _host_push(kind, payload)


def _due(end_us):
    """Fast mode: play stamped pushes up to end_us; True if a pin IRQ ran."""
    while _future and _future[0][0] <= end_us:
        t, kind, payload = _future.pop(0)
        time.advance_us(t - time.now_us())
        if _host_push(kind, payload):
            return True
    return False


def _host_push(kind, payload):
    if kind == PIN_LEVEL:
        pin, level = payload[0], payload[1]
        old = _levels.get(pin)
        _levels[pin] = level
        if _dormant[0] and _dormant_edge(pin, old, level):
            _dormant[1] = True
        return Pin._edge(pin, old, level)
    if kind == ADC_LEVEL:
        ch, value = struct.unpack("<BH", payload)
        _adc[ch] = value
    elif kind == CONFIG:
        import json

        _config.update(json.loads(payload))
        for k, v in _config.get("pins", {}).items():
            _levels[int(k)] = v
        for k, v in _config.get("adc", {}).items():
            _adc[int(k)] = v
        # The host's virtual time at this power-on: the day goes on from there.
        time.advance_us(_config.pop("t0_us", 0))
    return False


# Dormant (lightsleep() with no timeout) ends only on a GPIO event enabled in
# IO_BANK0's DORMANT_WAKE_INTE registers (RP2040 datasheet 2.19.6.2: a nibble
# per GPIO: level low, level high, edge low, edge high). The rp2 port arms
# none of them, Pin.irq included, so the firmware must write them itself.
_DORMANT_WAKE_INTE0 = 0x40014000 + 0x160
_dormant = [False, False]  # in dormant, woken


def _dormant_events(gpio):
    return (mem32[_DORMANT_WAKE_INTE0 + 4 * (gpio >> 3)] >> (4 * (gpio & 7))) & 0xF


def _dormant_edge(gpio, old, new):
    ev = _dormant_events(gpio)
    return bool((new == 0 and ev & 0x1) or (new == 1 and ev & 0x2)
                or (old == 1 and new == 0 and ev & 0x4) or (old == 0 and new == 1 and ev & 0x8))


def _boot():
    if _bus.inp is None:
        return
    _bus.send(HELLO, (os.getenv("PENDANT_SIM_BOARD") or "").encode())
    kind, payload, _t = _bus.read_record()
    _host_push(kind, payload)


_boot()

# ---------------------------------------------------------------- waiting


def _wait(us, wake_on_stdin, wake_on_irq=False):
    """Let `us` of virtual time pass; returns a WAKE_* reason.

    Pin IRQs from the host run their handlers here (rp2 runs them from the
    scheduler, i.e. between bytecodes; the sim only at its own calls).
    """
    if time.fast:
        # Everything already queued still happens "during" the sleep.
        end = time.now_us() + us
        fired = _bus.drain()
        if wake_on_irq and fired:
            return WAKE_PIN
        if wake_on_stdin and _stdin_ready(0):
            return WAKE_STDIN
        while _future and _future[0][0] <= end:
            if _due(_future[0][0]) and wake_on_irq:
                return WAKE_PIN
        time.advance_us(end - time.now_us())
        return WAKE_TIMEOUT
    deadline = time.now_us() + us
    poller = select.poll()
    if _bus.inp is not None:
        poller.register(_bus.inp, select.POLLIN)
    if wake_on_stdin:
        poller.register(sys.stdin, select.POLLIN)
    while True:
        left = deadline - time.now_us()
        if left <= 0:
            return WAKE_TIMEOUT
        ready = poller.poll((left + 999) // 1000)
        for obj, _ev in ready:
            if obj is sys.stdin:
                return WAKE_STDIN
            if _bus.drain() and wake_on_irq:
                return WAKE_PIN


time._waiter = _wait


def _stdin_ready(timeout_ms):
    p = select.poll()
    p.register(sys.stdin, select.POLLIN)
    return bool(p.poll(timeout_ms))


# ---------------------------------------------------------------- clocks

_DEFAULT_SYS = 125_000_000
_DEFAULT_PERI = 48_000_000  # clk_peri runs from the USB PLL after boot
_clk = [_DEFAULT_SYS, _DEFAULT_PERI]


def freq(hz=None, peri_hz=None):
    if hz is None:
        return _clk[0]
    hz = int(hz)
    if not 10_000_000 <= hz <= 300_000_000:
        raise ValueError("cannot change frequency")
    peri = _DEFAULT_PERI
    if peri_hz is not None:
        peri_hz = int(peri_hz)
        if peri_hz != _DEFAULT_PERI and peri_hz != hz:
            raise ValueError("peripheral freq must be 48_000_000 or the same as the MCU freq")
        peri = peri_hz
    elif _clk[1] == _clk[0]:
        # rp2 reconfigures clk_sys only; clk_peri keeps following it.
        peri = hz
    _set_clocks(hz, peri)


def _set_clocks(sys_hz, peri_hz):
    changed = _clk[1] != peri_hz
    _clk[0] = sys_hz
    _clk[1] = peri_hz
    _bus.send(FREQ, struct.pack("<II", sys_hz, peri_hz))
    if changed:
        # SPI dividers stay in their registers: the real rate follows clk_peri.
        for spi in SPI._live:
            spi._report()


# ---------------------------------------------------------------- Pin


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    # gpio number -> "spi1 miso" etc. while a peripheral owns the pad
    _claimed = {}
    _irqs = {}  # gpio -> (handler, trigger, pin object)

    def __init__(self, id, mode=-1, pull=-1, value=None, **kw):
        if isinstance(id, Pin):
            id = id._id
        if isinstance(id, str) and id.startswith("GP"):
            id = int(id[2:])
        if not isinstance(id, int) or not 0 <= id <= 29:
            raise ValueError("invalid pin")
        self._id = id
        self._mode = -1
        self._pull = -1
        self._out = 0
        if mode != -1 or pull != -1 or value is not None:
            self.init(mode, pull, value)

    def init(self, mode=-1, pull=-1, value=None, **kw):
        # Configuring a pin hands the pad back to SIO, as gpio_set_function
        # does on rp2: this is what "build DC after the SPI" relies on.
        Pin._claimed.pop(self._id, None)
        if mode != -1:
            self._mode = mode
        if pull != -1:
            self._pull = pull
        if value is not None:
            self._out = 1 if value else 0
        drive = self._out if self._mode in (Pin.OUT, Pin.OPEN_DRAIN) else NONE_PIN
        _bus.send(PIN_MODE, struct.pack("<BbbB", self._id, self._mode, self._pull or 0, drive))

    def value(self, v=None):
        if v is None:
            if self._mode == Pin.OUT:
                return self._out
            _bus.drain()
            level = _levels.get(self._id)
            if level is None:  # nothing drives it: the pull decides
                level = 1 if self._pull == Pin.PULL_UP else 0
            return level
        self._out = 1 if v else 0
        owner = Pin._claimed.get(self._id)
        if owner is not None:
            _warn(
                "GP%d is muxed to %s: Pin.value(%d) does not reach the pad"
                " (pass miso=None to SPI or create the Pin after the SPI)"
                % (self._id, owner, self._out)
            )
            return None
        if self._mode in (Pin.OUT, Pin.OPEN_DRAIN):
            _bus.send(PIN_SET, bytes((self._id, self._out)))
        return None

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def high(self):
        self.value(1)

    def low(self):
        self.value(0)

    def toggle(self):
        self.value(1 - self._out)

    def irq(self, handler=None, trigger=12, hard=False):
        if handler is None:
            Pin._irqs.pop(self._id, None)
        else:
            Pin._irqs[self._id] = (handler, trigger, self)
        return None

    @staticmethod
    def _edge(gpio, old, new):
        entry = Pin._irqs.get(gpio)
        if entry is None or old is None or old == new:
            return False
        handler, trigger, pin = entry
        if (new == 0 and trigger & Pin.IRQ_FALLING) or (new == 1 and trigger & Pin.IRQ_RISING):
            handler(pin)
            return True
        return False

    def __repr__(self):
        return "Pin(GPIO%d)" % self._id


class Signal:
    def __init__(self, pin, invert=False):
        self._pin = pin
        self._invert = invert

    def value(self, v=None):
        if v is None:
            return self._pin.value() ^ self._invert
        self._pin.value((1 if v else 0) ^ self._invert)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


def _pin_id(p):
    if p is None:
        return None
    return p._id if isinstance(p, Pin) else int(p)


# ---------------------------------------------------------------- SPI

# rp2 port defaults (MICROPY_HW_SPIx_*): SPI1's MISO is GP8, the Waveshare DC.
_SPI_DEFAULTS = {0: (18, 19, 16), 1: (10, 11, 8)}
_UNSET = object()


def _spi_divider(baud, clk):
    # pico-sdk spi_set_baudrate: even prescale 2..254, postdiv 1..256.
    prescale = 2
    while prescale <= 254:
        if clk < prescale * 256 * baud:
            break
        prescale += 2
    if prescale > 254:
        raise ValueError("baudrate too low")
    postdiv = 256
    while postdiv > 1:
        if clk // (prescale * (postdiv - 1)) > baud:
            break
        postdiv -= 1
    return prescale * postdiv


class SPI:
    MSB = 0
    LSB = 1
    _live = []

    def __init__(self, id, baudrate=1_000_000, *, polarity=0, phase=0, bits=8,
                 firstbit=0, sck=None, mosi=None, miso=_UNSET):
        if id not in _SPI_DEFAULTS:
            raise ValueError("SPI(%s) doesn't exist" % id)
        self._id = id
        sck_d, mosi_d, miso_d = _SPI_DEFAULTS[id]
        self._sck = sck_d
        self._mosi = mosi_d
        self._miso = miso_d
        self._baud = baudrate
        self._polarity = polarity
        self._phase = phase
        self._bits = bits
        self._firstbit = firstbit
        self._div = 2
        self._hdr = bytearray(1)
        self._hdr[0] = id
        # Pins are the constructor's business only, as on rp2.
        if sck is not None:
            self._sck = _pin_id(sck)
        if mosi is not None:
            self._mosi = _pin_id(mosi)
        if miso is not _UNSET:
            self._miso = _pin_id(miso)
        self.init(baudrate, polarity=polarity, phase=phase, bits=bits, firstbit=firstbit)

    def init(self, baudrate=None, *, polarity=None, phase=None, bits=None, firstbit=None):
        # rp2's machine_spi_init takes these five and nothing else: passing
        # sck=/mosi=/miso= raises TypeError on the device, and so here.
        if baudrate is not None:
            self._baud = int(baudrate)
        if polarity is not None:
            self._polarity = polarity
        if phase is not None:
            self._phase = phase
        if bits is not None:
            self._bits = bits
        if firstbit is not None:
            self._firstbit = firstbit
        self._div = _spi_divider(self._baud, _clk[1])
        for gpio, role in ((self._sck, "sck"), (self._mosi, "mosi"), (self._miso, "miso")):
            if gpio is not None:
                Pin._claimed[gpio] = "SPI%d %s" % (self._id, role)
        if self not in SPI._live:
            SPI._live.append(self)
        self._report()

    def _rate(self):
        return _clk[1] // self._div

    def _report(self):
        def p(g):
            return NONE_PIN if g is None else g

        _bus.send(SPI_INIT, struct.pack(
            "<BIIBBBBBB", self._id, self._baud, self._rate(), self._polarity,
            self._phase, self._bits, p(self._sck), p(self._mosi), p(self._miso)))

    def write(self, buf):
        # Header with the bus id, then the caller's buffer as is: no copy.
        struct.pack_into(_HDR, _bus.hdr, 0, SPI_WRITE, len(buf) + 1, time.now_us())
        if _bus.out is not None:
            _bus.out.write(_bus.hdr)
            _bus.out.write(self._hdr)
            _bus.out.write(buf)

    def read(self, nbytes, write=0):
        self.write(bytes((write,)) * nbytes)
        return bytes(nbytes)

    def readinto(self, buf, write=0):
        self.write(bytes((write,)) * len(buf))
        for i in range(len(buf)):
            buf[i] = 0

    def write_readinto(self, wbuf, rbuf):
        self.write(wbuf)
        for i in range(len(rbuf)):
            rbuf[i] = 0

    def deinit(self):
        if self in SPI._live:
            SPI._live.remove(self)
        for gpio in (self._sck, self._mosi, self._miso):
            if gpio is not None and Pin._claimed.get(gpio, "").startswith("SPI%d" % self._id):
                del Pin._claimed[gpio]
        _bus.send(SPI_DEINIT, bytes((self._id,)))

    def __repr__(self):
        return "SPI(%d, baudrate=%d, polarity=%d, phase=%d, bits=%d, sck=%d, mosi=%d, miso=%s)" % (
            self._id, self._rate(), self._polarity, self._phase, self._bits,
            self._sck, self._mosi, "None" if self._miso is None else str(self._miso))


# ---------------------------------------------------------------- PWM


class PWM:
    def __init__(self, dest, *, freq=None, duty_u16=None, duty_ns=None, invert=False):
        self._pin = _pin_id(dest)
        Pin._claimed[self._pin] = "PWM"
        self._freq = 1000
        self._duty = 0
        self.init(freq=freq, duty_u16=duty_u16, duty_ns=duty_ns)

    def init(self, *, freq=None, duty_u16=None, duty_ns=None, invert=False):
        if freq is not None:
            self._freq = int(freq)
        if duty_u16 is not None:
            self._duty = max(0, min(65535, int(duty_u16)))
        if duty_ns is not None:
            self._duty = min(65535, int(duty_ns) * self._freq * 65535 // 1_000_000_000)
        self._report()

    def _report(self):
        _bus.send(PWM_SET, struct.pack("<BIH", self._pin, self._freq, self._duty))

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = int(f)
        self._report()

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        self._duty = max(0, min(65535, int(d)))
        self._report()

    def duty_ns(self, ns=None):
        if ns is None:
            return self._duty * 1_000_000_000 // (self._freq * 65535)
        self.init(duty_ns=ns)

    def deinit(self):
        if Pin._claimed.get(self._pin) == "PWM":
            del Pin._claimed[self._pin]
        _bus.send(PWM_DEINIT, bytes((self._pin,)))

    def __repr__(self):
        return "<PWM slice=%d channel=%d invert=0>" % ((self._pin >> 1) & 7, self._pin & 1)


# ---------------------------------------------------------------- ADC


class ADC:
    CORE_TEMP = 4

    def __init__(self, id):
        if isinstance(id, Pin):
            id = id._id
        if 26 <= id <= 29:
            id -= 26
        if not 0 <= id <= 4:
            raise ValueError("invalid ADC channel")
        self._ch = id

    def read_u16(self):
        _bus.drain()
        if self._ch == 4:  # 27 C on the datasheet's sensor line
            return _adc.get(4, int(0.706 / 3.3 * 65535))
        return _adc.get(self._ch, 0)


# ---------------------------------------------------------------- I2C

_I2C_SCAN = 0
_I2C_XFER = 1


class I2C:
    def __init__(self, id, *, scl=None, sda=None, freq=400_000, timeout=50000):
        if id not in (0, 1):
            raise ValueError("I2C(%s) doesn't exist" % id)
        self._id = id
        self._scl = _pin_id(scl)
        self._sda = _pin_id(sda)
        self._freq = freq

    def _xfer(self, addr, wdata, nread):
        # Reply: status byte (0 or an errno) then the bytes read.
        reply = _bus.request(I2C_REQ, struct.pack("<BBBH", self._id, _I2C_XFER, addr, nread)
                             + bytes(wdata))
        if reply is None or reply[0]:
            raise OSError(reply[0] if reply else errno.ENODEV)
        return reply[1:]

    def scan(self):
        reply = _bus.request(I2C_REQ, struct.pack("<BBBH", self._id, _I2C_SCAN, 0, 0))
        return list(reply[1:]) if reply else []

    def writeto(self, addr, buf, stop=True):
        self._xfer(addr, buf, 0)
        return len(buf)

    def readfrom(self, addr, nbytes, stop=True):
        return self._xfer(addr, b"", nbytes)

    def readfrom_into(self, addr, buf, stop=True):
        data = self._xfer(addr, b"", len(buf))
        buf[:] = data

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._xfer(addr, _mem(memaddr, addrsize) + bytes(buf), 0)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        return self._xfer(addr, _mem(memaddr, addrsize), nbytes)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        data = self._xfer(addr, _mem(memaddr, addrsize), len(buf))
        buf[:] = data


def _mem(memaddr, addrsize):
    n = addrsize // 8
    return bytes((memaddr >> (8 * (n - 1 - i))) & 0xFF for i in range(n))


# ---------------------------------------------------------------- power


def lightsleep(ms=None):
    # On rp2 every clock but the timer's stops: PWM outputs freeze and on
    # wake the default clocks return (a lowered freq() and SPI rates are lost).
    _bus.send(SLEEP, struct.pack("<BI", SLEEP_LIGHT, FOREVER if ms is None else int(ms)))
    if ms is None:
        # Dormant: only an armed GPIO event ends it (see _dormant_edge), not
        # serial input nor a plain Pin.irq; block on the bus (no spinning).
        if not any(_dormant_events(g) for g in range(30)):
            _warn("dormant with no GPIO armed in DORMANT_WAKE_INTE: only a reset ends it")
        _dormant[0] = True
        _dormant[1] = False
        try:
            while not _dormant[1]:
                _bus.drain()
                if _dormant[1]:
                    break
                if _future:  # fast mode: the next scripted push, however far ahead
                    _due(_future[0][0])
                    continue
                if _bus.inp is None:
                    raise OSError(errno.EPERM)  # nothing could ever wake us
                _bus.pending(-1)
        finally:
            _dormant[0] = False
        reason = WAKE_PIN
    else:
        reason = _wait(int(ms) * 1000, True, True)
    _bus.send(WAKE, bytes((SLEEP_LIGHT, reason)))
    if _clk[0] != _DEFAULT_SYS or _clk[1] != _DEFAULT_PERI:
        _set_clocks(_DEFAULT_SYS, _DEFAULT_PERI)


def deepsleep(ms=None):
    # rp2: a light sleep, then a reset. The host restarts the interpreter.
    _bus.send(SLEEP, struct.pack("<BI", SLEEP_DEEP, FOREVER if ms is None else int(ms)))
    lightsleep(ms)
    reset()


def idle():
    _bus.drain()


PWRON_RESET = 1
WDT_RESET = 3


def reset():
    _bus.send(RESET, b"\x00")
    sys.exit(75)  # the simulator restarts micropython on this code


def soft_reset():
    _bus.send(RESET, b"\x01")
    sys.exit(75)


def reset_cause():
    return _config.get("reset_cause", PWRON_RESET)


def unique_id():
    return b"\xe6\x61\x41\x04\x03\x2a\x5c\x2d"


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def bootloader(value=None):
    _warn("bootloader() called: the simulator has no UF2 mode")
    reset()


def time_pulse_us(pin, pulse_level, timeout_us=1000000):
    return -2


# USB controller SIE_STATUS (RP2040 datasheet 4.1.4): CONNECTED while a host
# is attached and talking, SUSPENDED once the bus idles (no host). The host's
# CONFIG "usb" says which (default: plugged in, like a board on a desk).
_USB_SIE_STATUS = 0x50110050
_SIE_CONNECTED = 1 << 16
_SIE_SUSPENDED = 1 << 4


class _Mem(dict):
    def __getitem__(self, addr):
        if addr == _USB_SIE_STATUS and addr not in self:
            return _SIE_CONNECTED if _config.get("usb", 1) else _SIE_SUSPENDED
        return self.get(addr, 0)


mem8 = _Mem()
mem16 = _Mem()
mem32 = _Mem()


class RTC:
    def datetime(self, dt=None):
        if dt is None:
            t = time.localtime()
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        return None


class WDT:
    def __init__(self, id=0, timeout=5000):
        self._timeout = timeout

    def feed(self):
        pass
