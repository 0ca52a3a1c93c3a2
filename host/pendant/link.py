"""The host's end of the upload link (protocol: firmware/proto.py, docs/protocol.md).

Library first: the CLI is a thin layer over `Client`. Every failure a user can
meet is a `LinkError` subclass whose message is one line, ready to print.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial
from serial.tools import list_ports

from pendant import __version__
from pendant.firmware import proto

# MicroPython's USB VID:PID on RP2040 boards (Raspberry Pi's VID, MicroPython's PID).
RP2040_MICROPYTHON = (0x2E8A, 0x0005)
PORT_ENV = "PENDANT_PORT"
MAX_RETRIES = 5
FILLER = bytes(proto.FILLER_LEN)  # completes a packet the pendant still waits for
ALIVE_MAX_S = 30.0  # the longest a pendant that keeps answering older requests is waited for
BOOT_WAIT_S = 15.0  # from a soft reset to the app's start line
APP_STARTED = b"pendant "  # main.py prints "pendant VERSION on BOARD, SPI at ..." once running
HEARD = 1024  # bytes of the recent input kept for telling a REPL apart
OPEN_WAIT_S = 2.0  # for HELLO's answer: the pendant answers in ~50 ms of chip time
RESTART_WAIT_S = 8.0  # a soft reset re-imports the app (~0.6 s of chip time) first
# Leave the raw REPL (Ctrl-B), then soft-reset (Ctrl-D) at the friendly one:
# boot.py and main.py run again, and main.py starts the app.
# Ctrl-C ends a paste or a line in any REPL mode, Ctrl-B leaves the raw REPL
# (the HELLO typed into a REPL holds a Ctrl-A), and Ctrl-D at the friendly
# REPL soft-resets: boot.py and main.py run again, and main.py starts the app.
SOFT_RESET = b"\x03\x03\x02\x03\x04"
# A REPL's prompts: the HELLO typed into it may leave a bracket open (the
# probe's Enter then meets "... ") or start paste mode ("=== ").
REPL_MARKS = (b">>> ", b"raw REPL", b"\n... ", b"\n=== ")
REPL_PROBE = b"\x02\r"
OLD_ENCODINGS = (0, 1)  # what firmware before 0.3.0 shows (its HELLO does not say)
# A REPL answers a keypress within ms (an emulated one on a loaded machine:
# within a second or two); this long silent, it is not one.
REPL_QUIET_S = 3.0
REPL_TALK_MAX_S = 10.0  # the longest a board that keeps talking is heard out at its REPL


class LinkError(Exception):
    """Something between host and pendant went wrong; str() is one line for the user."""


class NotFound(LinkError):
    pass


class Busy(LinkError):
    pass


class Disconnected(LinkError):
    pass


class TooOld(LinkError):
    pass


class Timeout(LinkError, TimeoutError):
    """No reply in time: a LinkError for the CLI, a TimeoutError for retries."""


class DeviceError(LinkError):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def find_port(port: str | None = None) -> str:
    """--port, then $PENDANT_PORT, then the first MicroPython RP2040 on USB."""
    if port:
        return port
    env = os.environ.get(PORT_ENV)
    if env:
        return env
    for info in list_ports.comports():
        if (info.vid, info.pid) == RP2040_MICROPYTHON:
            return info.device
    raise NotFound(
        "no pendant found on USB: plug it in, or pass --port PORT (or set PENDANT_PORT); "
        "with no hardware, start a simulated one with `pendant sim`"
    )


def candidate_ports() -> list[tuple[str, str]]:
    """(path, description) of serial ports present now, MicroPython RP2040s first."""
    ports = sorted(list_ports.comports(),
                   key=lambda i: ((i.vid, i.pid) != RP2040_MICROPYTHON, i.device))
    return [(i.device, i.description or "") for i in ports]


def _open_serial(port: str) -> serial.Serial:
    try:
        return serial.Serial(port, baudrate=115200, timeout=0.2, write_timeout=10, exclusive=True)
    except serial.SerialException as e:
        err = getattr(e, "errno", None)
        text = str(e)
        if err in (errno.EBUSY, errno.EAGAIN) or "busy" in text.lower() or "lock" in text.lower():
            raise Busy(f"{port} is busy: another program (a terminal, mpremote, Thonny?) "
                       "has it open; close it and try again") from None
        if err in (errno.ENOENT, errno.ENXIO, errno.ENODEV) or "No such file" in text:
            raise NotFound(f"no pendant at {port}: the port does not exist") from None
        if err == errno.EACCES or "Permission denied" in text:
            raise LinkError(f"permission denied on {port}: add yourself to the dialout group "
                            "(sudo usermod -aG dialout $USER, then log in again)") from None
        raise LinkError(f"cannot open {port}: {text}") from None


@dataclass
class Photo:
    id: str
    size: int


class Client:
    """A session with a pendant: `with Client(port) as c: c.put(frame)`."""

    def __init__(self, port: str, timeout: float = 3.0,
                 wrap: Callable[[serial.Serial], serial.Serial] | None = None,
                 notify: Callable[[str], None] | None = None):
        self.port = port
        # notify(line): what the client did on the user's behalf (restarted
        # an app stopped at the REPL); the CLI prints it on stderr.
        self.notify = notify or (lambda line: None)
        self.timeout = timeout
        # wrap(ser) -> an object with pyserial's read/write/close: lets tests put a
        # fault-injecting transport between the client and the port.
        self.wrap = wrap
        self.ser: serial.Serial | None = None
        self.seq = 0
        self.info: dict = {}
        self.sent_bytes = 0  # everything written to the wire, for efficiency figures
        # The last bytes heard, packets or not: a REPL's prompt can follow the
        # echo of our own packet, which looks like a packet's start.
        self.heard = bytearray()
        self.resumed_at = 0  # where the last put() started on the pendant
        self.restarted = False  # open() had to restart an app stopped at the REPL
        self._put = b""  # the PUT payload of the upload in progress (resumes repeat it)

    # -- session -------------------------------------------------------------

    def __enter__(self) -> Client:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> dict:
        ser = _open_serial(self.port)
        ser.reset_input_buffer()
        self.ser = self.wrap(ser) if self.wrap else ser
        self.heard.clear()
        install = f"`pendant install --port {self.port}`"
        old = False
        # A pendant answers OPEN within ~50 ms of chip time whatever it is
        # doing, so silence means trouble, met in this order: a read left
        # waiting by a host that died mid-packet (one FILLER completes it),
        # then the app stopped at the REPL (mpremote leaves it there).
        for attempt in ("plain", "filler", "restart"):
            if attempt == "restart":
                if not self._at_repl():
                    break
                self._restart_app()
            try:
                self.info = json.loads(self._hello(
                    timeout=RESTART_WAIT_S if attempt == "restart" else OPEN_WAIT_S,
                    filler=attempt == "filler"))
                break
            except TimeoutError:
                pass
            except DeviceError as e:
                if e.code == proto.E_UNKNOWN:
                    old = True  # something answers packets but not our HELLO
            except ValueError:
                old = True  # a HELLO reply that is not JSON
        if not self.info:
            self._close_port()
            if old:
                raise TooOld(f"the pendant on {self.port} runs firmware too old for this "
                             f"pendant tool {__version__}: update it with {install}")
            if self.restarted:
                raise NotFound(f"{self.port} is a MicroPython board at its REPL, and restarting "
                               f"it did not start the pendant firmware: install it with {install}")
            raise NotFound(f"no answer from a pendant on {self.port}: is the pendant "
                           f"firmware installed? ({install})")
        if not isinstance(self.info, dict) or self.info.get("proto", 0) < proto.VERSION:
            fw = self.info.get("fw", "?") if isinstance(self.info, dict) else "?"
            self.close()
            raise TooOld(
                f"the pendant runs firmware {fw}, too old for this "
                f"pendant tool {__version__}: update it with `pendant install --port {self.port}`"
            )
        return self.info

    def _at_repl(self) -> bool:
        """Is the board sitting at MicroPython's REPL? Our bytes typed into it
        may have left a half line there, so press Ctrl-B (leave the raw REPL)
        and Enter: a REPL answers with its prompt, while the app ignores both
        (it only heeds OPEN and Ctrl-C). A prompt already heard counts too
        (the probe then only costs a prompt more)."""
        self._write(REPL_PROBE)
        return self._listen_for(REPL_MARKS, REPL_QUIET_S, bytearray(self.heard))

    def _restart_app(self) -> None:
        """Soft-reset a board stopped at its REPL, so main.py starts the app,
        and say so (the user did not ask for it)."""
        self.notify(f"the pendant on {self.port} was stopped at its REPL (by mpremote?): "
                    "restarting its app (soft reset)")
        self.restarted = True
        self._write(SOFT_RESET)
        # Wait for the reboot, so the OPEN that follows reaches the new
        # main.py rather than the old REPL's line editor, then for the app's
        # start line: booting is slow but visible (imports, then the panel).
        seen = bytearray()
        for mark, quiet, most in ((b"soft reboot", REPL_QUIET_S, REPL_TALK_MAX_S),
                                   (APP_STARTED, BOOT_WAIT_S, ALIVE_MAX_S)):
            if not self._listen_for((mark,), quiet, seen, most):
                break

    def _listen_for(self, marks, quiet_s: float, seen: bytearray,
                    most_s: float = REPL_TALK_MAX_S) -> bool:
        """Read into seen until it holds one of marks; False once nothing
        has come for quiet_s (or most_s in all). Every byte heard
        extends the wait: a board still echoing what was typed at its REPL
        is alive, however slowly it goes (an emulated chip on a loaded
        machine runs ten times slower than a real one)."""
        end = time.monotonic() + most_s
        while not any(mark in seen for mark in marks):
            deadline = min(time.monotonic() + quiet_s, end)
            try:
                seen += self._read(1, deadline)
            except TimeoutError:
                return False
        return True

    def close(self) -> None:
        if self.ser is None:
            return
        try:
            self.request(proto.BYE, timeout=1.0)
        except LinkError:  # Timeout included: the port is closed either way
            pass
        self._close_port()

    def _close_port(self) -> None:
        if self.ser is not None:
            try:
                self.ser.close()
            finally:
                self.ser = None

    # -- packets ---------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        assert self.ser is not None, "not open"
        try:
            self.ser.write(data)
        except (serial.SerialException, OSError) as e:
            raise Disconnected(f"the pendant on {self.port} disconnected ({e})") from None
        self.sent_bytes += len(data)

    def _read(self, n: int, deadline: float) -> bytes:
        assert self.ser is not None, "not open"
        out = bytearray()
        while len(out) < n:
            if time.monotonic() > deadline:
                raise Timeout(f"the pendant on {self.port} did not answer")
            try:
                chunk = self.ser.read(n - len(out))
            except (serial.SerialException, OSError) as e:
                raise Disconnected(f"the pendant on {self.port} disconnected ({e})") from None
            out += chunk
            if chunk:
                self.heard += chunk
                del self.heard[:-HEARD]
        return bytes(out)

    def send(self, kind: int, payload: bytes = b"") -> int:
        seq = self.seq
        self.seq = (self.seq + 1) & 0xFF
        self._write(proto.packet(kind, seq, payload))
        return seq

    def recv(self, timeout: float) -> tuple[int, int, bytes]:
        """Next packet with a good CRC: (type, seq, payload). Skips noise."""
        return self._recv_by(time.monotonic() + timeout)

    def _recv_by(self, deadline: float) -> tuple[int, int, bytes]:
        """recv() until a time.monotonic() deadline (Timeout after it)."""
        while True:
            b = self._read(1, deadline)
            if b[0] != proto.SYNC0:
                continue
            if self._read(1, deadline)[0] != proto.SYNC1:
                continue
            head = bytes((proto.SYNC0, proto.SYNC1)) + self._read(4, deadline)
            n = head[4] | head[5] << 8
            if n > proto.MAX_REPLY:  # noise that looked like a header
                continue
            payload = self._read(n, deadline)
            if proto.check(head, payload, self._read(4, deadline)):
                return head[2], head[3], payload


    def request(self, kind: int, payload: bytes = b"", timeout: float | None = None):
        """Send one request and wait for its reply; ERR becomes DeviceError."""
        seq = self.send(kind, payload)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            rkind, rseq, rpayload = self._recv_by(deadline)
            if rseq != seq:
                continue  # a late reply to an earlier request
            if rkind == proto.ERR:
                raise _device_error(rpayload)
            return rkind, rpayload

    def _json(self, kind: int, payload: bytes = b"", timeout: float | None = None):
        _, data = self.request(kind, payload, timeout)
        return json.loads(data) if data else None

    # -- commands --------------------------------------------------------------

    def list(self) -> list[Photo]:
        return [Photo(i, s) for i, s in self._json(proto.LIST)]

    def remove(self, photo_id: str) -> None:
        self.request(proto.REMOVE, photo_id.encode())

    def show(self, photo_id: str) -> None:
        self.request(proto.SHOW, photo_id.encode())  # answered before it is drawn

    def order(self, ids: list[str]) -> None:
        self.request(proto.ORDER, json.dumps(ids).encode())

    def settings(self) -> dict:
        return self._json(proto.GET_SETTINGS)

    def set_settings(self, changes: dict) -> dict:
        return self._json(proto.SET_SETTINGS, json.dumps(changes).encode())

    def hello(self) -> dict:
        self.info = self._json(proto.HELLO, bytes((proto.VERSION,)))
        return self.info

    def put(
        self,
        data: bytes,
        photo_id: str,
        progress: Callable[[int], None] | None = None,
        force: bool = False,
    ) -> str:
        """Upload one frame file. Returns "uploaded" or "skipped" (already there)."""
        import binascii

        self._check_encoding(data)
        size = len(data)
        crc = binascii.crc32(data)
        put = self._put = proto.put_payload(photo_id, size, crc)
        reply = self._retry(lambda: self._json(proto.PUT, put))
        if reply.get("have"):
            if not force:
                return "skipped"
            self.remove(photo_id)
            reply = self._retry(lambda: self._json(proto.PUT, put))
        offset = reply["offset"]
        self.resumed_at = offset  # > 0: an earlier upload's .part was kept
        if progress:
            progress(offset)
        self._stream(data, offset, progress)
        self._retry(lambda: self.request(proto.COMMIT, photo_id.encode(), timeout=30))
        return "uploaded"

    def _check_encoding(self, data: bytes) -> None:
        """Refuse, before sending it, a frame whose encoding the pendant's
        firmware cannot show (it would be refused at COMMIT, after the
        transfer, as bad data). Firmware before 0.3.0 does not list its
        encodings in HELLO: it shows ENC_SPANS and ENC_PRED."""
        enc = data[5] if len(data) > 5 else None
        known = self.info.get("encodings", OLD_ENCODINGS) if isinstance(self.info, dict) else []
        if enc is not None and enc not in known:
            raise TooOld(f"the pendant runs firmware {self.info.get('fw', '?')}, which cannot "
                         f"show photos in this tool's format (frame encoding {enc}): update it "
                         f"with `pendant install --port {self.port}`")

    def _retry(self, fn):
        for attempt in range(MAX_RETRIES):
            try:
                return fn()
            except TimeoutError:
                if attempt == MAX_RETRIES - 1:
                    raise Disconnected(f"the pendant on {self.port} stopped answering") from None
                self._reopen()

    def _hello(self, timeout: float, filler: bool) -> bytes:
        """OPEN then HELLO with a fresh nonce (a packet with no 0x03, see
        proto.hello); returns the payload of the reply that echoes the nonce.
        Replies to anything sent before, by this or an earlier session, are
        skipped. filler: first complete a read the pendant may be stuck in."""
        while True:
            nonce = secrets.randbits(32)
            seq = self.seq
            pkt = proto.hello(seq, nonce)
            if pkt is not None:
                break
            if seq == 0x03:  # the seq byte itself is a Ctrl-C: no nonce can help
                self.seq = 0x04
        self.seq = (seq + 1) & 0xFF
        self._write((FILLER if filler else b"") + proto.OPEN + pkt)
        start = time.monotonic()
        deadline = start + timeout
        while True:
            kind, rseq, payload = self._recv_by(deadline)
            if rseq != seq or kind not in (proto.OK, proto.ERR):
                # Alive, and still answering what came before: give it the
                # full time again from here (bounded), rather than a FILLER.
                deadline = min(time.monotonic() + timeout, start + ALIVE_MAX_S)
                continue
            if kind == proto.ERR:
                err = _device_error(payload)
                if err.code == proto.E_BAD_PACKET:
                    # Not necessarily ours: the packet a FILLER completed
                    # (an earlier host's) may have had this seq too.
                    continue
                raise err
            info = json.loads(payload)  # ValueError: not JSON, open() says too old
            if isinstance(info, dict) and info.get("nonce", nonce) != nonce:
                continue  # an earlier session's HELLO, answered late
                # (no nonce at all: protocol 1 firmware, refused by open())
            return payload

    def _reopen(self) -> None:
        """After silence: complete any read the pendant is stuck in (FILLER),
        then OPEN (harmless inside a session, reopens one that timed out) and
        wait for HELLO's answer, so that no later byte can meet an armed
        Ctrl-C and no earlier reply can be taken for a later request's."""
        try:
            self._hello(timeout=OPEN_WAIT_S, filler=True)
        except (TimeoutError, DeviceError, ValueError):
            pass  # the caller's retry decides

    def _stream(self, data: bytes, offset: int, progress) -> None:
        """Send DATA packets with up to WINDOW unacknowledged (go-back-N)."""
        size = len(data)
        acked = offset
        next_off = offset
        live: dict[int, int] = {}  # seq -> end offset of packets in flight
        failures = 0
        while acked < size:
            while len(live) < proto.WINDOW and next_off < size:
                end = min(size, next_off + proto.CHUNK)
                seq = self.send(proto.DATA, struct.pack("<I", next_off) + data[next_off:end])
                live[seq] = end
                next_off = end
            try:
                kind, seq, payload = self.recv(self.timeout)
            except TimeoutError:
                kind = None
            if kind == proto.ACK and seq in live:
                acked = max(acked, struct.unpack("<I", payload)[0])
                del live[seq]
                failures = 0
                if progress:
                    progress(acked)
                continue
            if kind is not None and seq not in live:
                continue  # a reply to a packet already written off
            failures += 1
            if failures > MAX_RETRIES:
                raise Disconnected(f"upload to {self.port} failed after {MAX_RETRIES} retries")
            if kind == proto.ERR:
                err = _device_error(payload)
                if err.code not in (proto.E_BAD_DATA, proto.E_BAD_PACKET):
                    raise err
            if kind is None:
                self._reopen()  # the session may have timed out
            # Go back: forget everything in flight, resend from the pendant's offset.
            live.clear()
            resume = self._retry(lambda: self._json(proto.PUT, self._put))
            acked = next_off = resume["offset"]


def _device_error(payload: bytes) -> DeviceError:
    code = payload[0] if payload else proto.E_INTERNAL
    text = payload[1:].decode("utf-8", "replace")
    if code == proto.E_NO_SPACE:
        try:
            d = json.loads(text)
            text = (f"not enough room on the pendant: the photo needs {d['need']:,} bytes, "
                    f"{d['free']:,} are free (remove some with `pendant remove`)")
        except (ValueError, KeyError):
            pass
    return DeviceError(code, text)
