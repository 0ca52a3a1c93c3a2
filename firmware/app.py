# The pendant's application: board set-up, slideshow and the upload link.
import sys
import time

import boards
import machine
import proto
import version
from link import Link
from painter import Painter
from settings import Settings
from store import Store
from usbport import UsbPort

# panel name in the board table -> (module, class)
PANELS = {
    "gc9a01": ("gc9a01", "GC9A01"),
    "st7789": ("st7789", "ST7789"),
}

SYS_HZ = 125_000_000  # RP2040 nominal; SPI can then reach 62.5 MHz
BACKLIGHT_HZ = 1000


def set_clocks():
    """Raise clk_peri with the system clock so SPI can pass 24 MHz.

    MicroPython >= 1.23 leaves clk_peri at 48 MHz after boot; older firmware
    takes no second argument and already runs clk_peri from clk_sys.
    """
    try:
        machine.freq(SYS_HZ, SYS_HZ)
    except (TypeError, ValueError):
        machine.freq(SYS_HZ)


def spi_rate(spi):
    """The SPI clock actually in use, from the port's repr (rp2 prints it)."""
    text = repr(spi)
    i = text.find("baudrate=")
    if i < 0:
        return 0
    j = i + 9
    k = j
    while k < len(text) and text[k].isdigit():
        k += 1
    return int(text[j:k]) if k > j else 0


def make_display(board, rotation):
    """Build the bus and pins from a board profile, then the panel driver."""
    from machine import PWM, SPI, Pin

    # miso=None: without it rp2 claims SPI1's default MISO, GP8, which is the
    # DC pin on the Waveshare board. DC is built after the SPI for the same reason.
    spi = SPI(
        board["spi"], baudrate=board["spi_hz"], polarity=0, phase=0,
        sck=Pin(board["sck"]), mosi=Pin(board["mosi"]), miso=None,
    )
    dc = Pin(board["dc"], Pin.OUT, value=0)
    cs = Pin(board["cs"], Pin.OUT, value=1)
    rst = Pin(board["rst"], Pin.OUT, value=1) if board["rst"] is not None else None
    bl = PWM(Pin(board["bl"]), freq=BACKLIGHT_HZ, duty_u16=0)
    module, cls = PANELS[board["panel"]]
    driver = getattr(__import__(module), cls)
    return driver(spi, dc, cs=cs, rst=rst, backlight=bl, rotation=rotation), spi


class App:
    def __init__(self):
        self.settings = Settings()
        self.board_name = self.settings["board"] or boards.DEFAULT
        self.board = boards.get(self.board_name)
        set_clocks()
        rotation = self.settings["rotation"]
        if rotation < 0:
            rotation = self.board["rotation"]
        self.display, self.spi = make_display(self.board, rotation)
        self.store = Store()
        self.painter = Painter(self.display)
        self.link = Link(UsbPort(), self.store, self)
        self.current = None
        self.pending = None
        self.next_at = 0

    # -- what the link asks of the app -------------------------------------

    def info(self):
        return {
            "fw": version.VERSION,
            "proto": proto.VERSION,
            "board": self.board_name,
            "panel": self.board["panel"],
            "width": self.display.width,
            "height": self.display.height,
            "free": self.store.free(),
            "photos": len(self.store),
            "spi_hz": spi_rate(self.spi),
            "battery": None,
            "mpy": getattr(sys.implementation, "_mpy", 0),
            "micropython": "%d.%d.%d" % sys.implementation.version[:3],
        }

    def can_show(self, hdr):
        return hdr[1] == self.display.width and hdr[2] == self.display.height

    def photos_changed(self, new_id=None):
        if new_id is not None:
            self.pending = new_id
        elif self.current is not None and self.current not in self.store:
            self.pending = self.current
            self.current = None

    def settings_changed(self):
        self.display.brightness(self.settings["brightness"])

    def session_ended(self):
        pending = self.pending
        self.pending = None
        ids = self.store.ids()
        if pending in ids:
            self.show(pending)
        elif self.current not in ids:
            self.next()

    # -- the slideshow ------------------------------------------------------

    def show(self, photo_id):
        try:
            self.painter.show(self.store.path(photo_id))
        except (OSError, ValueError) as e:
            print("cannot show", photo_id, e)
        self.current = photo_id
        self.next_at = time.ticks_add(time.ticks_ms(), self.settings["interval_s"] * 1000)

    def next(self):
        ids = self.store.ids()
        if not ids:
            self.current = None
            self.display.fill(0x0000, self.painter.strip)
            self.next_at = time.ticks_add(time.ticks_ms(), self.settings["interval_s"] * 1000)
            return
        if self.current in ids:
            i = (ids.index(self.current) + 1) % len(ids)
        else:
            i = 0
        self.show(ids[i])

    def run(self):
        self.display.init()
        self.next()
        self.display.brightness(self.settings["brightness"])
        while True:
            wait = time.ticks_diff(self.next_at, time.ticks_ms())
            if wait > 0 and self.link.port.wait(wait):
                self.link.poll()
                continue
            if time.ticks_diff(self.next_at, time.ticks_ms()) <= 0:
                self.next()


def main():
    try:
        app = App()
    except ValueError as e:
        # A bad board setting must not become a crash loop: say so and stay
        # at the REPL, where `pendant install --board NAME` can fix it.
        print("pendant: cannot start:", e)
        return None
    print("pendant %s on %s, SPI at %d Hz" % (version.VERSION, app.board_name, spi_rate(app.spi)))
    app.run()
