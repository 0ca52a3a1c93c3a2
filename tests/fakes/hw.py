"""Fakes of the hardware objects the firmware drivers take (fakes, not mocks:
they behave like the real thing and record what happened)."""

from __future__ import annotations


class FakePin:
    def __init__(self, name, bus=None):
        self.name = name
        self.level = None
        self.bus = bus

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        if self.bus is not None:
            self.bus.pin(self.name, self.level)


class FakePWM:
    def __init__(self):
        self.duty = 0

    def duty_u16(self, v=None):
        if v is None:
            return self.duty
        self.duty = v


class WireLog:
    """Collects what crosses the wire: pin levels and SPI bytes, in order."""

    def __init__(self, panel=None):
        self.events: list = []
        self.levels = {"dc": None, "cs": 1, "rst": 1}
        self.panel = panel

    def pin(self, name, level):
        self.levels[name] = level
        self.events.append(("pin", name, level))
        if self.panel is not None:
            setter = {"cs": self.panel.set_cs, "dc": self.panel.set_dc, "rst": self.panel.set_rst}
            setter[name](level)

    def spi(self, data):
        data = bytes(data)
        self.events.append(("spi", self.levels["dc"], data))
        if self.panel is not None:
            self.panel.write(self.levels["dc"], data)


class FakeSPI:
    def __init__(self, log: WireLog):
        self.log = log

    def write(self, buf):
        self.log.spi(buf)


class FakeDma:
    """spidma.SpiDma's interface on a FakeSPI: each buffer goes on the wire
    when it is handed over (a DMA that finishes at once)."""

    def __init__(self, spi: FakeSPI):
        self.spi = spi
        self.sends = 0

    def send(self, buf):
        self.sends += 1
        self.spi.write(buf)

    def send_part(self, buf, n):
        self.sends += 1
        self.spi.write(memoryview(buf)[:n])

    def wait(self):
        pass


def wired_display(driver_cls, panel=None, rotation=0, dma=False):
    """A driver on fake pins and SPI, optionally wired into a panel model
    (dma: with a FakeDma, as the pendant's drivers have on the RP2040)."""
    log = WireLog(panel)
    dc, cs, rst = FakePin("dc", log), FakePin("cs", log), FakePin("rst", log)
    bl = FakePWM()
    spi = FakeSPI(log)
    d = driver_cls(spi, dc, cs=cs, rst=rst, backlight=bl, rotation=rotation,
                   dma=FakeDma(spi) if dma else None)
    return d, log, bl


class FakePort:
    """The USB serial link as link.Link sees it: scripted input, captured output.
    A receiver that keeps polling after the input has run out would never
    return on the chip: past IDLE_POLLS empty polls in a row the test fails
    (at once, rather than hanging the test run)."""

    IDLE_POLLS = 10_000

    def __init__(self, data=b""):
        self.inp = bytearray(data)
        self.out = bytearray()
        self.idle = 0

    def feed(self, data):
        self.inp += data

    def wait(self, ms):
        self.idle = 0 if self.inp else self.idle + 1
        assert self.idle <= self.IDLE_POLLS, "the receiver polls an empty port forever"
        return bool(self.inp)

    def readinto(self, buf, n):
        n = min(n, len(self.inp))
        buf[:n] = self.inp[:n]
        del self.inp[:n]
        return n

    def write(self, buf):
        self.out += bytes(buf)
