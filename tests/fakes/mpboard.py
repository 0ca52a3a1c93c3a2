"""A MicroPython board at the far end of a USB serial port, in-process, for
`pendant install` (host/pendant/install.py) through mpremote's own transport.

`Board` is what a pendant is to the host at the byte level: a port that
mpremote's `SerialTransport` opens (pyserial's `serial_for_url`) and that
`pendant.link` and `install.wait_for_app` open (`serial.Serial`). Behind
the port:

- the app (when /main.py is on the flash): it prints its start line at
  boot, answers HELLO and BYE of the link protocol (docs/protocol.md), and
  stops at Ctrl-C to the REPL, except inside a link session (a host that
  died mid-session: `busy_for`), where 0x03 is data;
- the friendly REPL, and the raw REPL with raw-paste mode as MicroPython's
  pyexec.c has them (Ctrl-A, Ctrl-B, Ctrl-C, Ctrl-D on an empty line soft
  reboots, `OK`/output/0x04/errors/0x04/`>`; "R\\x01" + window, 0x01 per
  window consumed, 0x04 to end a paste);
- code sent to the raw REPL runs on CPython against a directory that stands
  in for the flash: `open`, `os` (ilistdir, listdir, remove, stat, rename,
  mkdir), `sys.implementation` (version, `_mpy`), `machine.reset`,
  `time.sleep_ms`, and CPython's hashlib, binascii and json in place of
  MicroPython's. Globals live from one exec to the next, as on a board,
  until a soft reboot. An exception becomes MicroPython's traceback text on
  the error channel (mpremote turns it into TransportExecError).

Time is virtual (`Clock`): the host's `time` in pendant.install,
pendant.link and mpremote.transport_serial is patched to read it, and a read
that finds too few bytes lets the port's timeout pass on it, so a test of a
board that stays silent for a minute takes milliseconds.

Faults a test can set: `mode = "silent"` (a board that is no MicroPython
board: it never answers), `app_version` (the app reports it, whatever the
flash holds: an install that did not take), `app_silent` (the app starts but
never answers HELLO), `quiet_start` (it prints no start line), `boot_s`
(virtual seconds from a reset to the app's start line; bytes sent meanwhile
are lost), `unplug_after` (flash bytes written before the cable is pulled:
the port is gone until `plug_in()`), `usb_drops_on_reset` (a real board's
USB re-enumerates after machine.reset(): the open port dies and the start
line waits for the next open), `usb_gone_s` (with it, virtual seconds from
the reset until the port exists again: opening it fails with ENOENT until
then, as while a real board re-enumerates), `busy_for(s)`, `full_at` (flash
bytes: a write past it fails with ENOSPC as littlefs does). `reset_at` is
the virtual time of the last machine.reset().
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import io
import json
import os
import re
import struct
import types
from pathlib import Path

import proto
import serial

# sys.implementation._mpy of rp2 MicroPython 1.23 and later: mpy v6.3, armv6m.
RP2_MPY = 6 | 3 << 8 | 4 << 10
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
PASTE_WINDOW = 128  # what rp2's raw-paste mode grants per window
FRIENDLY = (b"MicroPython v%s on 2025-09-11; Raspberry Pi Pico with RP2040\r\n"
            b"Type \"help()\" for more information.\r\n>>> ")
IDLE_S = 10.0  # firmware/link.py IDLE_MS: a session with nothing from the host ends


class Clock:
    """Virtual seconds for the host's time.monotonic() and time.sleep()."""

    def __init__(self):
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, s):
        if s < 0:
            raise ValueError("sleep length must be non-negative")  # as CPython's
        self.now += s
        self.slept += s

    def time_module(self):
        return types.SimpleNamespace(monotonic=self.monotonic, sleep=self.sleep,
                                     time=self.monotonic)


class _Reset(BaseException):
    """machine.reset() in code the board runs."""


class _Unplugged(BaseException):
    """The cable is pulled while the board runs code."""


class Port:
    """The host's end of the cable: the pyserial calls mpremote, pendant.link
    and install make."""

    def __init__(self, board, name, timeout=None, **_):
        self.board = board
        self.port = name
        self.timeout = timeout
        self.is_open = False
        self.dead = False  # the device behind this open went away (unplug)
        self.dying = False  # the same once what it has buffered is read (USB reset)
        self._lines = {"dtr": True, "rts": True}
        board.opened.append(self)

    @property
    def timeout(self):
        return self._timeout

    @timeout.setter
    def timeout(self, value):
        if value is not None and value < 0:
            raise ValueError(f"Not a valid timeout: {value!r}")  # as pyserial's
        self._timeout = value

    # the modem lines mpremote drops on close: an ioctl, which fails with EIO
    # once the device is gone
    def _line(name):  # noqa: N805
        def get(self):
            return self._lines[name]

        def put(self, value):
            if self.is_open and (self.dead or self.board.unplugged):
                raise OSError(errno.EIO, "Input/output error")
            self._lines[name] = value

        return property(get, put)

    dtr = _line("dtr")
    rts = _line("rts")

    # opening and closing
    def isOpen(self):  # noqa: N802 (pyserial's name, which mpremote calls)
        return self.is_open

    def open(self):
        self.board.attach(self)
        self.is_open = True

    def close(self):
        if self.is_open:
            self.is_open = False
            self.board.detach(self)

    def _check(self):
        if not self.is_open:
            raise serial.PortNotOpenError()
        if self.dying and (self.board.port is not None or not self.board.to_host):
            self.dead = True
        if self.dead or self.board.unplugged:
            raise serial.SerialException("device reports readiness to read but returned "
                                         "no data (device disconnected or multiple access "
                                         "on port?)")

    # bytes
    def write(self, data):
        self._check()
        self.board.receive(bytes(data))
        return len(data)

    def flush(self):
        self._check()

    def inWaiting(self):  # noqa: N802
        self._check()
        return len(self.board.to_host)

    @property
    def in_waiting(self):
        return self.inWaiting()

    def reset_input_buffer(self):
        self._check()
        self.board.to_host.clear()

    def read(self, n=1):
        self._check()
        board = self.board
        if len(board.to_host) < n:
            if self.timeout is None:
                raise AssertionError(f"the host waits forever for {n} bytes "
                                     f"(has {bytes(board.to_host)!r})")
            board.clock.sleep(self.timeout)
            board.tick()
        out = bytes(board.to_host[:n])
        del board.to_host[:n]
        return out


class Board:
    def __init__(self, flash: Path, clock: Clock, name="/dev/ttyACM0", *,
                 version=(1, 26, 1), mpy=RP2_MPY, platform="rp2"):
        self.flash = Path(flash)
        self.flash.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.name = name
        self.version = version
        self.mpy = mpy
        self.platform = platform
        self.to_host = bytearray()
        self.port: Port | None = None  # the open one
        self.opened: list[Port] = []  # every port object made for this board
        self.unplugged = False
        self.unplug_after: int | None = None
        self.full_at: int | None = None
        self.usb_drops_on_reset = False
        self.usb_gone_s = 0.0  # after such a reset, the port is absent this long
        self.usb_back_at = 0.0  # the port cannot be opened before this time
        self.reset_at: float | None = None  # the clock at the last machine.reset()
        self.after_usb: bytes | None = None  # what the board printed since its USB reset
        self.busy_until = 0.0
        self.app_version: str | None = None  # the app reports this, whatever is on flash
        self.app_silent = False  # the app starts but never answers HELLO
        self.quiet_start = False  # the app prints no start line
        self.boot_s = 0.0  # from reset to the start line; bytes meanwhile are lost
        self.boot_until = 0.0
        self.mode = "off"
        self.line = bytearray()
        self.paste_got = 0
        self.app_in = bytearray()
        self.session = False
        self.globals: dict = {}
        self.written = 0  # flash bytes written by code the board ran
        self.execs: list[str] = []  # every piece of code run at the raw REPL
        self.boots: list[str] = []  # "app VERSION BOARD" or "repl", one per boot
        self.resets = 0  # machine.reset() calls
        self.soft_reboots = 0
        self._boot()

    # -- the port -------------------------------------------------------------

    def attach(self, port):
        if self.unplugged or self.clock.now < self.usb_back_at:
            raise serial.SerialException(
                errno.ENOENT, f"could not open port {self.name}: [Errno 2] No such file "
                              f"or directory: '{self.name}'")
        if self.port is not None:
            raise serial.SerialException(
                errno.EBUSY, f"Could not exclusively lock port {self.name}: "
                             "[Errno 11] Resource temporarily unavailable")
        self.port = port
        if self.after_usb is not None:
            self.to_host[:] = self.after_usb
            self.after_usb = None

    def detach(self, port):
        if self.port is port:
            self.port = None

    def pull_cable(self):
        self.unplugged = True
        if self.port is not None:
            self.port.dead = True
            self.port = None

    def plug_in(self):
        self.unplugged = False
        self.unplug_after = None
        self.to_host.clear()
        self._boot()

    def busy_for(self, seconds):
        """A link session left open by a host that died: 0x03 is data to the
        app until the session's idle limit."""
        self.session = True
        self.busy_until = self.clock.now + seconds

    def tick(self):
        if self.mode == "booting" and self.clock.now >= self.boot_until:
            self._boot()
        if self.session and self.mode == "app" and self.clock.now >= self.busy_until:
            self.session = False
            self.app_in.clear()

    # -- booting --------------------------------------------------------------

    def _boot(self, raw=False):
        self.globals = {}
        self.line.clear()
        self.session = False
        self.app_in.clear()
        if raw:  # pyexec: main.py runs only in friendly-REPL mode
            self.mode = "raw"
            self.boots.append("raw")
            self.to_host += RAW_BANNER + b">"
            return
        if self.boot_s and self.mode != "booting":
            self.mode = "booting"
            self.boot_until = self.clock.now + self.boot_s
            return
        started = self._start_app() if (self.flash / "main.py").is_file() else None
        if started is None:
            self.mode = "repl"
            self.boots.append("repl")
            self.to_host += FRIENDLY % self._version_text().encode()
        else:
            self.mode = "app"
            self.boots.append(started)

    def _version_text(self):
        return ".".join(str(x) for x in self.version[:3])

    def _start_app(self):
        """What main.py prints: the start line with the firmware's version
        (the string in /version.mpy or /version.py) and the board in
        /settings.json; "cannot start" when the board is unknown."""
        from pendant.firmware import boards

        for name in ("version.mpy", "version.py"):
            p = self.flash / name
            if p.is_file():
                m = re.search(rb"(\d+\.\d+\.\d+[\w.-]*)", p.read_bytes())
                self.fw = m.group(1).decode() if m else "?"
                break
        else:
            self.to_host += (b"Traceback (most recent call last):\r\n"
                             b"ImportError: no module named 'version'\r\n"
                             + FRIENDLY % self._version_text().encode())
            return None
        try:
            board = json.loads((self.flash / "settings.json").read_text()).get("board")
        except (OSError, ValueError, AttributeError):
            board = None
        self.board_name = board or boards.DEFAULT
        if self.board_name not in boards.BOARDS:
            self.to_host += (b"pendant: cannot start: unknown board '%s'\r\n"
                             % self.board_name.encode())
            self.mode = "repl"
            return "cannot start"
        if self.app_version is not None:
            self.fw = self.app_version
        if not self.quiet_start:
            self.to_host += (b"pendant %s on %s, SPI at 62500000 Hz\r\n"
                             % (self.fw.encode(), self.board_name.encode()))
        return f"app {self.fw} {self.board_name}"

    # -- bytes from the host --------------------------------------------------

    def receive(self, data):
        self.tick()
        for i, c in enumerate(data):
            if self.mode == "paste":
                # the bulk of a paste: take everything up to its end at once
                end = data.find(b"\x04", i)
                if end < 0:
                    end = len(data)
                if i < end:
                    chunk = data[i:end]
                    before = self.paste_got
                    self.line += chunk
                    self.paste_got += len(chunk)
                    self.to_host += b"\x01" * (self.paste_got // PASTE_WINDOW
                                               - before // PASTE_WINDOW)
                    if end == len(data):
                        return
                    return self.receive(data[end:])
            if self._byte(c) is False:
                return  # the board went away (reset, cable) with the rest unread

    def _byte(self, c):
        if self.mode in ("booting", "silent"):
            return True  # not listening (yet): the byte is lost
        if self.mode == "app":
            return self._app_byte(c)
        if self.mode == "repl":
            if c == 0x01:
                self.mode = "raw"
                self.line.clear()
                self.to_host += b"\r\n" + RAW_BANNER + b">"
            elif c in (0x03, 0x0D):
                self.to_host += b"\r\n>>> "
            elif c == 0x04:
                return self._soft_reboot()
            elif c != 0x02:
                self.to_host.append(c)  # echo
            return True
        if self.mode == "raw":
            if c == 0x01:
                if bytes(self.line) == b"\x05A":
                    self.mode = "paste"
                    self.line.clear()
                    self.paste_got = 0
                    self.to_host += b"R\x01" + struct.pack("<H", PASTE_WINDOW)
                else:
                    self.line.clear()
                    self.to_host += b"\r\n" + RAW_BANNER + b">"
            elif c == 0x02:
                self.mode = "repl"
                self.to_host += b"\r\n" + FRIENDLY % self._version_text().encode()
            elif c == 0x03:
                self.line.clear()
            elif c == 0x04:
                self.to_host += b"OK"
                if not self.line:
                    self.to_host += b"\r\n"
                    return self._soft_reboot(raw=True)
                code = bytes(self.line)
                self.line.clear()
                return self._run(code)
            else:
                self.line.append(c)
            return True
        if self.mode == "paste":  # the 0x04 that ends a paste
            self.to_host += b"\x04"
            self.mode = "raw"
            code = bytes(self.line)
            self.line.clear()
            return self._run(code)
        raise AssertionError(self.mode)

    def _soft_reboot(self, raw=False):
        self.soft_reboots += 1
        self.to_host += b"MPY: soft reboot\r\n"
        self._boot(raw=raw)
        return False

    def _app_byte(self, c):
        if c == 0x03 and not self.session:
            self.to_host += (b"Traceback (most recent call last):\r\n  File \"main.py\", line 5,"
                             b" in <module>\r\nKeyboardInterrupt: \r\n"
                             + FRIENDLY % self._version_text().encode())
            self.mode = "repl"
            self.app_in.clear()
            return True
        self.app_in.append(c)
        buf = self.app_in
        if not self.session:
            if proto.OPEN in buf:
                self.session = True
                self.busy_until = self.clock.now + IDLE_S
                del buf[: buf.find(proto.OPEN) + len(proto.OPEN)]
            return True
        while True:
            i = buf.find(bytes((proto.SYNC0, proto.SYNC1)))
            if i < 0 or len(buf) < i + proto.HEAD_SIZE:
                return True
            n = buf[i + 4] | buf[i + 5] << 8
            end = i + proto.HEAD_SIZE + n + proto.CRC_SIZE
            if len(buf) < end:
                return True
            head, payload = buf[i:i + 6], bytes(buf[i + 6:end - 4])
            ok = proto.check(head, payload, bytes(buf[end - 4:end]))
            kind, seq = buf[i + 2], buf[i + 3]
            del buf[:end]
            self.busy_until = self.clock.now + IDLE_S
            if not ok:
                self.to_host += proto.packet(proto.ERR, seq, proto.error_payload(
                    proto.E_BAD_PACKET, "bad packet"))
            elif self.app_silent:
                pass
            elif kind == proto.HELLO:
                info = {"fw": self.fw, "proto": proto.VERSION, "board": self.board_name,
                        "nonce": proto.hello_nonce(payload)}
                self.to_host += proto.packet(proto.OK, seq, json.dumps(info).encode())
            elif kind == proto.BYE:
                self.to_host += proto.packet(proto.OK, seq)
                self.session = False
                return True
            else:
                self.to_host += proto.packet(proto.ERR, seq, proto.error_payload(
                    proto.E_UNKNOWN, "unknown type"))

    # -- running code ---------------------------------------------------------

    def _run(self, code: bytes):
        """Execute at the raw REPL: output, 0x04, errors, 0x04, then the prompt."""
        text = code.decode()
        self.execs.append(text)
        out = io.StringIO()
        err = ""
        try:
            exec(compile(text, "<stdin>", "exec"), self._namespace(out))
        except _Reset:
            self.resets += 1
            self.reset_at = self.clock.now
            if self.usb_drops_on_reset and self.port is not None:
                # The old port reads what was sent before the reset, then
                # fails; the board's start line waits for the next open.
                sent = bytes(self.to_host)
                self.to_host.clear()
                self._boot()
                self.after_usb = bytes(self.to_host)
                self.to_host[:] = sent
                self.port.dying = True
                self.port = None
                self.usb_back_at = self.clock.now + self.usb_gone_s
            else:
                self._boot()
            return False
        except _Unplugged:
            self.pull_cable()
            return False
        except Exception as e:  # what MicroPython prints for it
            if isinstance(e, OSError) and e.errno:
                what = f"OSError: [Errno {e.errno}] {errno.errorcode.get(e.errno, '')}"
            else:
                what = f"{type(e).__name__}: {e}"
            err = ('Traceback (most recent call last):\r\n  File "<stdin>", line 1, '
                   "in <module>\r\n" + what + "\r\n")
        self.to_host += (out.getvalue().replace("\n", "\r\n").encode() + b"\x04"
                         + err.encode() + b"\x04>")
        return True

    def _path(self, p):
        p = str(p)
        if not p.startswith("/"):
            p = "/" + p
        parts = [x for x in p.split("/") if x]
        if ".." in parts:
            raise OSError(errno.ENOENT, "ENOENT")
        return self.flash.joinpath(*parts) if parts else self.flash

    def _namespace(self, out):
        board = self

        class File(io.FileIO):
            """A flash file: counts what is written, and can fill the flash
            or lose the cable part way."""

            def __init__(self, path, mode="r"):
                self.text = "b" not in mode
                super().__init__(board._path(path), mode.replace("b", "").replace("t", ""))

            def write(self, b):
                if self.text:
                    b = b.encode()
                b = bytes(b)
                if board.unplug_after is not None and board.written + len(b) > board.unplug_after:
                    keep = max(0, board.unplug_after - board.written)
                    super().write(b[:keep])
                    board.written += keep
                    self.close()
                    raise _Unplugged
                if board.full_at is not None and board.written + len(b) > board.full_at:
                    raise OSError(errno.ENOSPC, "ENOSPC")
                board.written += len(b)
                return super().write(b)

            def read(self, n=-1):
                data = super().read(n)
                return data.decode() if self.text else data

        def ilistdir(path="/"):
            for e in sorted(board._path(path).iterdir()):
                kind = 0x4000 if e.is_dir() else 0x8000
                yield (e.name, kind, 0, e.stat().st_size if kind == 0x8000 else 0)

        fake_os = types.SimpleNamespace(
            ilistdir=ilistdir,
            listdir=lambda path="/": sorted(e.name for e in board._path(path).iterdir()),
            remove=lambda p: os.remove(board._path(p)),
            rename=lambda a, b: os.rename(board._path(a), board._path(b)),
            mkdir=lambda p: os.mkdir(board._path(p)),
            stat=lambda p: tuple(os.stat(board._path(p)))[:10],
        )
        impl = types.SimpleNamespace(name="micropython", version=(*self.version, ""),
                                     _mpy=self.mpy)
        fake_sys = types.SimpleNamespace(implementation=impl, platform=self.platform)

        def reset():
            raise _Reset

        modules = {
            "os": fake_os, "sys": fake_sys,
            "machine": types.SimpleNamespace(reset=reset),
            "time": types.SimpleNamespace(sleep_ms=lambda ms: None, sleep=lambda s: None),
            "hashlib": hashlib, "json": json,
            "binascii": types.SimpleNamespace(hexlify=__import__("binascii").hexlify),
        }

        def imp(name, globals=None, locals=None, fromlist=(), level=0):
            if name not in modules:
                raise ImportError(f"no module named '{name}'")
            return modules[name]

        def write_out(*args, sep=" ", end="\n", file=None):
            out.write(sep.join(str(a) for a in args) + end)

        safe = dict(vars(builtins))
        safe.update(__import__=imp, open=File, print=write_out)
        ns = self.globals
        ns["__builtins__"] = safe
        return ns


def plug(monkeypatch, *boards):
    """Make the boards' ports what pyserial opens, and the host's clock theirs."""
    by_name = {b.name: b for b in boards}

    def serial_for_url(url, *args, do_not_open=False, **kw):
        board = by_name.get(url)
        if board is None:
            raise serial.SerialException(
                errno.ENOENT, f"could not open port {url}: [Errno 2] No such file or "
                              f"directory: '{url}'")
        port = Port(board, url, **kw)
        if not do_not_open:
            port.open()
        return port

    def open_serial(port=None, *args, **kw):
        return serial_for_url(port, **kw)

    monkeypatch.setattr(serial, "serial_for_url", serial_for_url)
    monkeypatch.setattr(serial, "Serial", open_serial)
    clock = boards[0].clock
    import mpremote.transport_serial as ts

    from pendant import install, link

    for mod in (ts, install, link):
        monkeypatch.setattr(mod, "time", clock.time_module())
