# MIPI-DCS display base: what the GC9A01 and the ST7789 have in common.
#
# A panel is driven over 4-wire SPI: DC low marks a command byte, DC high its
# parameters and pixel data. Pixels are RGB565, high byte first (COLMOD 0x55).
# The driver takes ready-made bus and pin objects (built by the board setup),
# never builds them itself, so the same code runs on any wiring.
import time
from array import array

from micropython import const

# Standard DCS commands (MIPI DCS 1.02), named so logic never holds bare numbers.
SWRESET = const(0x01)
SLPIN = const(0x10)
SLPOUT = const(0x11)
NORON = const(0x13)
INVOFF = const(0x20)
INVON = const(0x21)
DISPOFF = const(0x28)
DISPON = const(0x29)
CASET = const(0x2A)
RASET = const(0x2B)
RAMWR = const(0x2C)
TEON = const(0x35)
MADCTL = const(0x36)
COLMOD = const(0x3A)

# MADCTL bits.
MADCTL_MY = const(0x80)  # mirror row address
MADCTL_MX = const(0x40)  # mirror column address
MADCTL_MV = const(0x20)  # exchange rows and columns
MADCTL_ML = const(0x10)  # vertical refresh order
MADCTL_BGR = const(0x08)  # panel colour filter is BGR
MADCTL_MH = const(0x04)  # horizontal refresh order

COLMOD_16BIT = const(0x55)  # 16 bits/pixel on both RGB and MCU interfaces

# Datasheet waits.
SLPOUT_MS = const(120)  # after SLPOUT before the next command
SLPIN_MS = const(5)  # after SLPIN before the next command
RESET_MS = const(120)  # after a hardware or software reset

# An init table row: (command, parameters, milliseconds to wait afterwards).
# Rows are tuples in flash (frozen into bytecode constants), not RAM copies.


class DCS:
    """A MIPI-DCS panel on SPI.

    width/height: visible pixels; ROTATIONS maps degrees to
    (MADCTL value, column offset, row offset) for the subclass's glass.
    """

    INIT = ()
    ROTATIONS = {}
    width = 240
    height = 240

    def __init__(self, spi, dc, cs=None, rst=None, backlight=None, rotation=0, dma=None):
        self.spi = spi
        self.dma = dma  # spidma.SpiDma for this SPI, or None: pixels_start() then blocks
        self.dc = dc
        self.cs = cs
        self.rst = rst
        self.backlight = backlight
        self._cmd = bytearray(1)
        self._arg = bytearray(1)
        self._win = bytearray(4)
        self._xoff = 0
        self._yoff = 0
        self.rotation = rotation
        self.asleep = True
        self._ready = None  # ticks_ms before which the panel takes no command
        # Where the panel's RAM may have changed since mark(): the bounding
        # box of the windows opened since (x0, y0, x1, y1 inclusive; x0 > x1:
        # none), the whole panel after a reset. A painter that remembers what
        # it left on the glass sends this box again (painter.py).
        self.box = array("H", (0, 0, self.width - 1, self.height - 1))
        if cs is not None:
            cs.value(1)

    # -- the bus -----------------------------------------------------------

    def _select(self):
        if self.cs is not None:
            self.cs.value(0)

    def _deselect(self):
        if self.cs is not None:
            self.cs.value(1)

    def command(self, cmd, data=None):
        """Send one command byte and its optional parameter bytes."""
        if self._ready is not None:
            self._wait_ready()
        self._cmd[0] = cmd
        self._select()
        self.dc.value(0)
        self.spi.write(self._cmd)
        if data:
            self.dc.value(1)
            self.spi.write(data)
        self._deselect()

    def run(self, table):
        """Play an init table: rows of (command, parameters, wait_ms)."""
        for cmd, data, wait_ms in table:
            self.command(cmd, data)
            if wait_ms:
                time.sleep_ms(wait_ms)

    # -- set-up ------------------------------------------------------------

    def _wait_ready(self):
        """Sleep out what is left of the reset's wait (see reset())."""
        left = time.ticks_diff(self._ready, time.ticks_ms())
        self._ready = None
        if left > 0:
            time.sleep_ms(left)

    def reset(self):
        """Reset the panel. The 120 ms it then needs are not slept here: the
        next command waits out what is left of them, so a caller can load
        what it needs meanwhile (the app's start: boot to photo matters)."""
        if self.rst is not None:
            self.rst.value(1)
            time.sleep_ms(5)
            self.rst.value(0)
            time.sleep_ms(10)
            self.rst.value(1)
        else:
            self.command(SWRESET)
        self._ready = time.ticks_add(time.ticks_ms(), RESET_MS)
        b = self.box  # the panel's RAM is undefined after a reset
        b[0] = 0
        b[1] = 0
        b[2] = self.width - 1
        b[3] = self.height - 1

    def mark(self):
        """From now on box grows with each window opened."""
        b = self.box
        b[0] = 0xFFFF
        b[1] = 0xFFFF
        b[2] = 0
        b[3] = 0

    def init(self, reset=True):
        """Reset (unless the caller just did), play the vendor init table,
        set rotation, wake and switch on."""
        if reset:
            self.reset()
        self.run(self.INIT)
        self.set_rotation(self.rotation)
        self.command(COLMOD, b"\x55")
        self.command(INVON)  # IPS glass shows true colours inverted
        self.wake()

    def set_rotation(self, degrees):
        try:
            madctl, self._xoff, self._yoff = self.ROTATIONS[degrees]
        except KeyError:
            raise ValueError("rotation must be one of %s" % sorted(self.ROTATIONS))
        self.rotation = degrees
        self._arg[0] = madctl
        self.command(MADCTL, self._arg)

    # -- power -------------------------------------------------------------

    def sleep(self):
        """Display off and sleep-in: the panel keeps its RAM and draws microamps."""
        self.command(DISPOFF)
        self.command(SLPIN)
        time.sleep_ms(SLPIN_MS)
        self.asleep = True

    def wake(self):
        self.command(SLPOUT)
        time.sleep_ms(SLPOUT_MS)
        self.command(DISPON)
        self.asleep = False

    def brightness(self, level):
        """Backlight level 0..100 (percent). A Pin backlight is on/off only."""
        bl = self.backlight
        if bl is None:
            return
        if hasattr(bl, "duty_u16"):
            bl.duty_u16(level * 65535 // 100)
        else:
            bl.value(1 if level else 0)

    # -- pixels ------------------------------------------------------------

    def _range(self, cmd, a, b):
        w = self._win
        w[0] = a >> 8
        w[1] = a & 0xFF
        w[2] = b >> 8
        w[3] = b & 0xFF
        self.command(cmd, w)

    def window(self, x0, y0, x1, y1):
        """Start a RAM write into the inclusive rectangle; pixels follow with pixels()."""
        b = self.box
        if x0 < b[0]:
            b[0] = x0
        if y0 < b[1]:
            b[1] = y0
        if x1 > b[2]:
            b[2] = x1
        if y1 > b[3]:
            b[3] = y1
        self._range(CASET, x0 + self._xoff, x1 + self._xoff)
        self._range(RASET, y0 + self._yoff, y1 + self._yoff)
        self._cmd[0] = RAMWR
        self._select()
        self.dc.value(0)
        self.spi.write(self._cmd)
        self.dc.value(1)
        # CS stays low: pixels() streams data until end().

    def pixels(self, buf):
        """Stream RGB565 bytes (high byte first) into the open window."""
        self.spi.write(buf)

    def pixels_start(self, buf):
        """Start streaming buf into the open window; with DMA this returns at
        once and buf must stay untouched until pixels_wait()."""
        if self.dma is None:
            self.spi.write(buf)
        else:
            self.dma.send(buf)

    def pixels_wait(self):
        """Until every byte pixels_start() was given has left the SPI."""
        if self.dma is not None:
            self.dma.wait()

    def end(self):
        self._deselect()

    def fill(self, color, buf):
        """Fill the screen with one RGB565 colour, using buf as scratch."""
        hi = color >> 8
        lo = color & 0xFF
        for i in range(0, len(buf) - 1, 2):
            buf[i] = hi
            buf[i + 1] = lo
        total = self.width * self.height * 2
        self.window(0, 0, self.width - 1, self.height - 1)
        n = len(buf) & ~1
        while total >= n:
            self.spi.write(buf)
            total -= n
        if total:
            self.spi.write(memoryview(buf)[:total])
        self.end()
