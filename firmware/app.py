# The pendant's application: board set-up, slideshow and the upload link.
import gc
import os
import sys
import time

import boards
import machine
import spidma
import version
from settings import Settings

# What the first photo does not need (the link, power, gauge, overlay,
# transitions) is imported by App.load_rest() once that photo is on the glass:
# each module costs the chip 5-60 ms to load from flash, and on a latch build
# every glance starts with a cold boot.

# panel name in the board table -> (module, class)
PANELS = {
    "gc9a01": ("gc9a01", "GC9A01"),
    "st7789": ("st7789", "ST7789"),
}

MAX_ERRORS = 5  # unexpected errors in a row before the app restarts the board
SYS_HZ = 125_000_000  # RP2040 nominal; SPI can then reach 62.5 MHz
BACKLIGHT_HZ = 1000


def set_clocks():
    """Run clk_peri from clk_sys at 125 MHz so SPI can reach 62.5 MHz.

    MicroPython >= 1.24 takes the peripheral clock as freq()'s second
    argument (48 MHz or equal to the CPU clock). Older firmware takes one
    argument, and calling it moves clk_peri to 48 MHz (micropython#13677),
    while its boot and lightsleep-wake clocks already are 125 MHz with
    clk_peri = clk_sys: there, leave a correct clock alone.
    """
    try:
        machine.freq(SYS_HZ, SYS_HZ)
    except TypeError:
        if machine.freq() != SYS_HZ:
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
    return driver(spi, dc, cs=cs, rst=rst, backlight=bl, rotation=rotation,
                  dma=spidma.for_spi(board["spi"])), spi


class App:
    def __init__(self):
        self.settings = Settings()
        self.board_name = self.settings["board"] or boards.DEFAULT
        self.board = boards.get(self.board_name, getattr(sys.implementation, "_machine", ""))
        set_clocks()
        rotation = self.settings["rotation"]
        if rotation < 0:
            rotation = self.board["rotation"]
        self.display, self.spi = make_display(self.board, rotation)
        # The panel's 120 ms after a reset pass while the draw path loads
        # (dcs.py keeps the deadline): boot to photo is what a wearer waits for.
        self.display.reset()
        from painter import Painter
        from store import Store

        self.store = Store()
        self.painter = Painter(self.display)
        self.current = None
        self.pending = None
        self.next_at = 0
        self._progress_step = -1
        self.transitions = None  # load_rest() sets these
        self._host_waiting = None
        self.link = None
        self.gauge = None
        self.overlay = None
        self.power = None

    def load_rest(self):
        """Everything but the first photo: transitions, the link, and power
        (the gauge, the IMU's motion wake or None on Pico builds, the wake
        pins and sleep glue, the state machine over them)."""
        from link import Link
        from transition import FADE_RAM, Transitions
        from usbport import UsbPort

        # The link's and the transitions' buffers (a 4 KB packet, the fade's
        # 60 KB and a 14 KB reader) need unbroken runs of heap: they are made
        # straight after a collection, before the other modules load, whose
        # many small objects then fill the holes that loading leaves. (With
        # those modules loaded first, a boot after a power cut met a
        # MemoryError for the packet with 63 KB free and no hole over 2.7 KB:
        # tests/silicon/test_silicon_faults.py.)
        gc.collect()
        self.link = Link(UsbPort(), self.store, self)
        self.transitions = Transitions(self.painter, FADE_RAM[self.board["panel"]])
        self._host_waiting = self.host_waiting  # one bound method, not one per photo
        import battery
        import imu
        import power
        from overlay import Overlay

        self.gauge = battery.for_board(self.board)
        self.overlay = Overlay(self.display, self.repaint)
        self.hw = power.Hardware(self.board, self.display, self.spi, set_clocks,
                                 self.link.port, imu.for_board(self.board))
        self.power = power.Power(self.settings, self.hw, self)

    # -- what the link asks of the app -------------------------------------

    def info(self):
        import frame
        import proto

        return {
            "fw": version.VERSION,
            "proto": proto.VERSION,
            "board": self.board_name,
            "panel": self.board["panel"],
            "width": self.display.width,
            "height": self.display.height,
            "free": self.store.free(),
            "ram_free": gc.mem_free(),
            "photos": len(self.store),
            "spi_hz": spi_rate(self.spi),
            "battery": self.gauge.report() if self.gauge is not None else None,
            "mpy": getattr(sys.implementation, "_mpy", 0),
            "micropython": "%d.%d.%d" % sys.implementation.version[:3],
            "encodings": list(frame.ENCODINGS),  # the frame encodings it can show
        }

    def can_show(self, hdr):
        return hdr[1] == self.display.width and hdr[2] == self.display.height

    def photos_changed(self, new_id=None):
        if new_id is not None:
            self.pending = new_id
        elif self.current is not None and self.current not in self.store:
            self.pending = self.current
            self.current = None

    def arrived(self, photo_id, f):
        """A photo just uploaded and verified, still in RAM (f, a RamFile):
        painted now, whole and with no transition, before flash stores it
        (link.py), so the wearer sees it as soon as it has arrived."""
        try:
            f.seek(0)
            self.painter.open(f)
            self.painter.draw()  # what can differ, the progress bar included (painter.trim)
            self.overlay.shown = False  # the progress bar went with the repaint
            self.current = photo_id
            self.restart_interval()
        except (OSError, ValueError) as e:
            print("cannot show", photo_id, e)

    def restart_interval(self):
        """The slideshow's next step a full interval from now."""
        self.next_at = time.ticks_add(time.ticks_ms(), self.settings["interval_s"] * 1000)

    def lend_ram(self, size):
        """A buffer of at least `size` bytes that nothing uses during a
        session (the fade's), for link.py to hold an upload in; or None."""
        t = self.transitions
        return t.lend(size) if t is not None else None

    def show_later(self, photo_id):
        """SHOW: drawn when the session ends (session_ended)."""
        self.pending = photo_id

    def settings_changed(self):
        self.display.brightness(self.settings["brightness"])

    def upload_progress(self, done, size):
        """The "uploading" heart and bar, redrawn every eighth of a photo."""
        step = done * 8 // size if size else 8
        if step != self._progress_step and not self.display.asleep:
            self._progress_step = step
            self.overlay.progress(done / size if size else 1.0)

    def session_ended(self):
        self._progress_step = -1
        pending = self.pending
        self.pending = None
        ids = self.store.ids()
        if pending in ids:
            self.show(pending)
            self.overlay.shown = False  # the whole screen was just redrawn
        elif self.current not in ids:
            self.next()
            self.overlay.shown = False
        else:
            self.overlay.clear()  # repaints the photo under the progress bar
        self.keep_shown()  # an upload may have used the fade's RAM

    def keep_shown(self):
        """With fades on, the photo on the glass decoded into the fade's RAM
        (unless it is there already) while nothing waits, so the next fade
        decodes one photo a frame, not two (transition.py). A host that
        starts talking ends it."""
        cur = self.current
        if self.settings["transition"] != "fade" or cur is None:
            return
        try:
            self.transitions.keep(self.store.path(cur), stop=self._host_waiting)
        except (OSError, ValueError) as e:
            print("cannot keep", cur, e)

    # -- the slideshow ------------------------------------------------------

    def show(self, photo_id):
        # A transition needs the photo on screen: the one shown last, if it
        # is still stored (a repaint of the same photo is a plain paint).
        old = self.current
        old_path = None
        if old is not None and old != photo_id and old in self.store:
            old_path = self.store.path(old)
        try:
            # A host that starts talking is answered first (~100 ms of paint
            # or a fade must not keep it waiting); the photo is then painted
            # whole, with no transition (serve_link, session_ended).
            if old_path is None:
                done = self.painter.show(self.store.path(photo_id), stop=self._host_waiting)
            else:
                done = self.transitions.show(self.settings["transition"],
                                             self.store.path(photo_id), old_path,
                                             stop=self._host_waiting)
            if not done:
                self.pending = photo_id
        except (OSError, ValueError) as e:
            print("cannot show", photo_id, e)
        self.current = photo_id
        self.restart_interval()

    def next(self):
        ids = self.store.ids()
        if not ids:
            self.current = None
            self.painter.clear(0x0000)  # the host's default background
            self.restart_interval()
            return
        if self.current in ids:
            i = (ids.index(self.current) + 1) % len(ids)
        else:
            i = 0
        self.show(ids[i])

    # -- what the power manager asks of the app (power.py) ------------------

    def settle(self):
        """Before a sleep that may cut the power (a latch build): no upload
        file left open, the filesystem's caches on flash."""
        self.link.end_upload()
        sync = getattr(os, "sync", None)
        if sync is not None:
            sync()

    def resume(self):
        """Back on screen after sleeping: the photo in panel RAM is current;
        the slideshow's next step is a full interval from now."""
        if time.ticks_diff(self.next_at, time.ticks_ms()) <= 0:
            self.restart_interval()
        self.battery_changed()

    def serve_link(self):
        # A session opens files (littlefs wants a 4 KB buffer each): collect
        # first so the sleep loop's small garbage cannot leave the heap too
        # fragmented for it (seen as MemoryError in SET_SETTINGS).
        gc.collect()
        if not self.link.poll() and self.pending is not None:
            # No session came of it (noise), so session_ended() will not
            # finish the photo a transition left part-way: do it here.
            pending = self.pending
            self.pending = None
            self.show(pending)

    def host_waiting(self):
        """Transitions stop when this is True: a host has started talking."""
        return self.link.port.wait(0)

    def repaint(self):
        if self.current is not None:
            self.show(self.current)

    def battery_changed(self, drawn=False):
        """Battery icon while low, the last warning near empty (power.py).
        drawn: a photo was just painted over the overlay."""
        if drawn:
            self.overlay.shown = False
        import power

        g = self.gauge
        if g is None or self.power.state != power.SHOWING:
            return
        if g.warn():
            self.overlay.warning("charge")
        elif g.low():
            self.overlay.battery(g.percent(), bool(g.charging()))
        else:
            self.overlay.clear()

    def run(self):
        self.display.init(reset=False)  # App() reset it
        self.next()
        # The photo is on the glass once lit; the power manager sets the
        # level it keeps as it starts.
        self.display.brightness(self.settings["brightness"])
        self.load_rest()
        self.keep_shown()
        self.power.start()
        errors = 0
        while True:
            try:
                self.power.step()
                errors = 0
            except Exception as e:  # noqa: BLE001  (KeyboardInterrupt still ends the app)
                # A pendant must carry on, not drop to the REPL with its
                # backlight on: report, collect, go on; restart if it repeats.
                errors += 1
                sys.print_exception(e)
                gc.collect()
                if errors >= MAX_ERRORS:
                    machine.reset()


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
