"""A pendant in-process, for the host's Client (host/pendant/link.py).

`FirmwarePendant` runs the firmware's own receiver (firmware/link.py) against
a real firmware Store in a directory, behind an object with pyserial's read,
write and close. Host and pendant take turns on one virtual clock (vclock's
FakeClock; the host's time.monotonic() is patched to read it too): the
pendant runs on a thread but only while the host waits in read(), until it
needs bytes that have not come or its wait times out. So a test is
deterministic, takes milliseconds, and can let a pendant stay silent for
minutes of virtual time.

After a Ctrl-C the pendant sits at a REPL that answers Enter with its prompt
and Ctrl-D with a soft reboot that starts the app again, as the rp2 port's
does; `plain=True` is a board with MicroPython but no pendant firmware
(every soft reboot ends at the REPL). `boot_ms`: how long a soft reboot takes
until the app's start line; bytes that arrive meanwhile are lost (what the
host's wait for that line is for). `app.info_ms`: how long the app takes to
answer HELLO.

`ScriptedPendant` answers each packet with a function instead (old or
broken firmware); `Faults` sits between the Client and either, cutting,
corrupting or dropping bytes at offsets of what the host writes.
"""

from __future__ import annotations

import threading
import types

import frame
import link
import proto
import serial
from settings import Settings
from store import Store

SERIAL_TIMEOUT_MS = 200  # pendant.link opens the port with timeout=0.2


class Stop(BaseException):
    """Ends the pendant's thread (a test's end, or a power cut)."""


class App:
    """What firmware/link.py asks of the app; records it."""

    def __init__(self, root, clock):
        self.settings = Settings(root + "/settings.json")
        self.clock = clock
        self.info_ms = 0
        self.sleep = None  # the pendant's sleep(ms), set by FirmwarePendant
        self.changed: list = []
        self.shown: list = []
        self.sessions = 0
        self.fits = True
        self.arrivals: list = []  # photos painted from RAM at COMMIT (App.arrived)

    def info(self):
        if self.info_ms:
            self.sleep(self.info_ms)
        return {"fw": "0.0-test", "proto": proto.VERSION, "width": 240, "height": 240,
                "encodings": list(frame.ENCODINGS)}

    def can_show(self, hdr):
        return self.fits

    def photos_changed(self, new_id=None):
        self.changed.append(new_id)

    def lend_ram(self, size):
        return None  # no fade buffer: link.py allocates one where the heap allows

    def arrived(self, photo_id, f):
        self.arrivals.append(photo_id)

    def upload_progress(self, done, size):
        pass

    def session_ended(self):
        self.sessions += 1

    def show_later(self, photo_id):
        self.shown.append(photo_id)

    def settings_changed(self):
        pass


class Handle:
    """What serial.Serial(port) returns: the host's end of the cable."""

    def __init__(self, pendant):
        self.pendant = pendant
        self.closed = False

    def _check(self):
        if self.closed or self.pendant.unplugged:
            raise serial.SerialException("the port is gone")

    def reset_input_buffer(self):
        self._check()
        self.pendant.to_host.clear()

    def write(self, data):
        self._check()
        self.pendant.to_pendant += bytes(data)
        self.pendant.raw += bytes(data)
        return len(data)

    def flush(self):
        pass

    def read(self, n):
        self._check()
        return self.pendant.host_read(n)

    def close(self):
        self.closed = True


class _Base:
    def __init__(self, clock):
        self.clock = clock
        self.to_pendant = bytearray()
        self.to_host = bytearray()
        self.raw = bytearray()  # every byte the host wrote
        self.unplugged = False
        self.opened = 0

    def serial(self, port=None):
        """Patched in for pendant.link._open_serial."""
        self.opened += 1
        if self.unplugged:
            from pendant.link import NotFound

            raise NotFound(f"no pendant at {port}: the port does not exist")
        return Handle(self)

    def host_time(self):
        """A stand-in for the time module in pendant.link: the virtual clock."""
        return types.SimpleNamespace(monotonic=lambda: self.clock.now_ms / 1000)


class ScriptedPendant(_Base):
    """answer(kind, seq, payload) -> bytes to send back (b"" for silence),
    or (ms, bytes): sent that long after the request."""

    def __init__(self, clock, answer):
        super().__init__(clock)
        self.answer = answer
        self.requests: list[tuple[int, int, bytes]] = []
        self.later: list[tuple[int, bytes]] = []

    def host_read(self, n):
        assert self.clock.now_ms < 3_600_000, "the host has waited an hour: it would wait forever"
        buf = self.to_pendant
        while True:
            i = buf.find(bytes((proto.SYNC0, proto.SYNC1)))
            if i < 0 or len(buf) < i + 6:
                break
            m = buf[i + 4] | buf[i + 5] << 8
            if len(buf) < i + 10 + m:
                break
            kind, seq, payload = buf[i + 2], buf[i + 3], bytes(buf[i + 6 : i + 6 + m])
            del buf[: i + 10 + m]
            self.requests.append((kind, seq, payload))
            out = self.answer(kind, seq, payload)
            if isinstance(out, tuple):
                self.later.append((self.clock.now_ms + out[0], out[1]))
                self.later.sort(key=lambda e: e[0])
            else:
                self.to_host += out
        if not self.to_host:
            end = self.clock.now_ms + SERIAL_TIMEOUT_MS
            if not self.later or self.later[0][0] > end:
                self.clock.now_ms = end
                return b""
            self.clock.now_ms = max(self.clock.now_ms, self.later[0][0])
            self.to_host += self.later.pop(0)[1]
        out = bytes(self.to_host[:n])
        del self.to_host[:n]
        return out


class FirmwarePendant(_Base):
    def __init__(self, root: str, clock, plain: bool = False, boot_ms: int = 0):
        super().__init__(clock)
        self.root = root
        self.plain = plain
        self.boot_ms = boot_ms
        self.app = App(root, clock)
        self.app.sleep = self.sleep
        self.state = "repl" if plain else "app"
        self.need = 1  # bytes the pendant waits for
        self.deadline: int | None = None  # ms when its wait ends (None: never)
        self.turn = "host"
        self.stopped = False
        self.cond = threading.Condition()
        self.boots = 0
        self._boot()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()

    # -- the pendant's side ---------------------------------------------------

    def _boot(self):
        self.store = Store(self.root + "/photos")
        self.link = link.Link(self, self.store, self.app)
        self.boots += 1

    def _block(self, need, deadline):
        """Hand the turn to the host until `need` bytes are there or `deadline`."""
        with self.cond:
            self.need, self.deadline = need, deadline
            self.turn = "host"
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.turn == "pendant" or self.stopped)
            if self.stopped:
                raise Stop

    def wait(self, ms):  # the port, as firmware/link.py uses it
        deadline = self.clock.now_ms + ms
        while not self.to_pendant and self.clock.now_ms < deadline:
            self._block(1, deadline)
        return bool(self.to_pendant)

    def readinto(self, buf, n):
        while len(self.to_pendant) < n:
            self._block(n, None)  # the rp2's stdin: a read waits until it is full
        buf[:n] = self.to_pendant[:n]
        del self.to_pendant[:n]
        return n

    def write(self, buf):
        self.to_host += bytes(buf)

    def sleep(self, ms):
        """Let ms of virtual time pass on the pendant, reading nothing."""
        deadline = self.clock.now_ms + ms
        while self.clock.now_ms < deadline:
            self._block(1 << 30, deadline)

    def _main(self):
        with self.cond:
            self.cond.wait_for(lambda: self.turn == "pendant" or self.stopped)
        try:
            while not self.stopped:
                if self.state == "app":
                    try:
                        if not self.link.poll():
                            self.wait(60_000)
                    except KeyboardInterrupt:
                        self.state = "repl"
                        self.to_host += b"Traceback...\r\nKeyboardInterrupt: \r\n>>> "
                else:
                    self._repl()
        except Stop:
            pass

    def _repl(self):
        one = bytearray(1)
        self.readinto(one, 1)
        c = one[0]
        if c == 0x0D:
            self.to_host += b"\r\n>>> "
        elif c == 0x04:  # Ctrl-D: soft reboot
            self.to_host += b"MPY: soft reboot\r\n"
            if self.boot_ms:
                self.sleep(self.boot_ms)
                self.to_pendant.clear()
            if not self.plain:
                self._boot()
                self.to_host += b"pendant 0.0-test on test-board\r\n"
                self.state = "app"
            else:
                self.to_host += b"MicroPython v1.26.1 on 2025-09-11; Raspberry Pi Pico\r\n>>> "

    # -- the host's side ---------------------------------------------------------

    def _can_run(self):
        return len(self.to_pendant) >= self.need or (
            self.deadline is not None and self.deadline <= self.clock.now_ms)

    def _run_pendant(self):
        with self.cond:
            self.turn = "pendant"
            self.cond.notify_all()
            self.cond.wait_for(lambda: self.turn == "host" or not self.thread.is_alive(),
                               timeout=30)
            assert self.turn == "host", "the pendant's thread did not hand back its turn"

    def host_read(self, n):
        """pyserial's read(n) with timeout 0.2 s, on the virtual clock."""
        end = self.clock.now_ms + SERIAL_TIMEOUT_MS
        while len(self.to_host) < n:
            if self.stopped:
                self.clock.now_ms = end
                break
            if self._can_run():
                self._run_pendant()
            elif self.deadline is not None and self.deadline <= end:
                self.clock.now_ms = max(self.clock.now_ms, self.deadline)
            else:
                self.clock.now_ms = end
                break
        out = bytes(self.to_host[:n])
        del self.to_host[:n]
        return out

    def power_cut(self):
        """Stop the firmware where it is: no clean-up, files as flushed."""
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        self.thread.join(5)

    def power_on(self):
        """Boot again from the same flash (a new thread, a new Link and Store)."""
        self.power_cut()
        self.to_pendant.clear()
        self.to_host.clear()
        self.stopped = False
        self.turn = "host"
        self.state = "repl" if self.plain else "app"
        self.need, self.deadline = 1, None
        self._boot()
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()

    def stop_at_repl(self):
        """As mpremote leaves it: the app stopped, the REPL waiting."""
        self.state = "repl"


class Faults:
    """wrap= for Client: misbehaves at offsets of everything the host writes.
    cut_at: the bytes before it go out, then the cable is gone (on_cut runs);
    corrupt / drop: bytes at these offsets are inverted / lost."""

    def __init__(self, ser, cut_at=None, corrupt=(), drop=(), on_cut=None):
        self.ser = ser
        self.cut_at = cut_at
        self.corrupt = set(corrupt)
        self.drop = set(drop)
        self.on_cut = on_cut
        self.written = 0
        self.cut = False

    def write(self, data):
        if self.cut:
            raise serial.SerialException("the link is cut")
        start = self.written
        if self.cut_at is not None and start + len(data) > self.cut_at:
            data = data[: self.cut_at - start]
        out = bytearray()
        for i, b in enumerate(data, start):
            if i not in self.drop:
                out.append(b ^ 0xFF if i in self.corrupt else b)
        self.ser.write(bytes(out))
        self.written += len(data)
        if self.cut_at is not None and self.written >= self.cut_at:
            self.cut = True
            if self.on_cut:
                self.on_cut()
            raise serial.SerialException("the link is cut")
        return len(data)

    def read(self, n):
        if self.cut:
            raise serial.SerialException("the link is cut")
        return self.ser.read(n)

    def close(self):
        self.ser.close()
