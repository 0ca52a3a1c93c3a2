# Fuzzing link.Link: random and mutated messages, and the checks afterwards.
# Valid MicroPython and CPython: tests/link/test_fuzz.py runs it on CPython,
# mpy_fuzz.py on the micropython binary with the heap capped like an RP2040.
import hashlib
import json
import os
import struct
from binascii import crc32, hexlify

import frame
import proto

BAD_NAMES = (b"../main.py000000", b"/photos/order000", b"0123456789ABCDEF",
             b"..\\..\\boot.py000", b"0123456789abcde/", b"\x00" * 16, b"order")


class Port:
    """A fake USB port: scripted input, counted output (no growth: heap checks)."""

    def __init__(self):
        self.data = b""
        self.pos = 0
        self.out = 0
        self.replies = 0

    def feed(self, data):
        self.data = self.data[self.pos :] + data
        self.pos = 0

    def left(self):
        return len(self.data) - self.pos

    def wait(self, ms):
        return self.pos < len(self.data)

    def readinto(self, buf, n):
        n = min(n, len(self.data) - self.pos)
        buf[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n

    def write(self, buf):
        self.out += len(buf)
        if len(buf) >= 2 and buf[0] == proto.SYNC0 and buf[1] == proto.SYNC1:
            self.replies += 1


class App:
    """What the link needs of the app, on a 4x2 panel."""

    def __init__(self, settings):
        self.settings = settings
        self.shown = 0

    def info(self):
        return {"fw": "fuzz", "proto": proto.VERSION}

    def can_show(self, hdr):
        return hdr[1] == 4 and hdr[2] == 2

    def arrived(self, photo_id, f):
        f.seek(0)
        assert f.readinto(bytearray(f.size)) == f.size  # only whole photos are shown

    def lend_ram(self, size):
        return None

    def photos_changed(self, new_id=None):
        pass

    def upload_progress(self, done, size):
        assert 0 < done <= size

    def session_ended(self):
        pass

    def show(self, photo_id):
        self.shown += 1

    def settings_changed(self):
        pass


def rbytes(rnd, n):
    return bytes(rnd.getrandbits(8) for _ in range(n))


def small_frame(rnd):
    pixels = struct.pack(">H", rnd.getrandbits(16)) * 2
    return frame.pack(4, 2, 0, [(1, 3), (0, 0)], pixels)


def frame_id(data):
    return proto.photo_id(hashlib.sha256(data).digest())


def some_id(rnd, known):
    r = rnd.getrandbits(2)
    if r == 0 and known:
        return known[rnd.getrandbits(8) % len(known)].encode()
    if r == 1:
        return BAD_NAMES[rnd.getrandbits(8) % len(BAD_NAMES)]
    if r == 2:
        return rbytes(rnd, rnd.getrandbits(5))
    return hexlify(rbytes(rnd, 8))


def text(b):
    try:
        return b.decode()
    except UnicodeError:  # MicroPython raises UnicodeError, CPython a subclass
        return "x"


def upload(rnd, seq, data):
    """A whole, valid upload of `data`, sometimes cut short."""
    pid = frame_id(data)
    out = proto.packet(proto.PUT, seq, proto.put_payload(pid, len(data), crc32(data)))
    cut = rnd.getrandbits(2) == 0
    step = 1 + rnd.getrandbits(5)
    for off in range(0, len(data), step):
        out += proto.packet(proto.DATA, seq + 1, struct.pack("<I", off) + data[off : off + step])
        if cut and rnd.getrandbits(1):
            return out
    return out + proto.packet(proto.COMMIT, seq + 2, pid.encode())


def message(rnd, seq, known):
    """One random, malformed or mutated message (bytes)."""
    r = rnd.getrandbits(4)
    if r == 0:
        return rbytes(rnd, rnd.getrandbits(7))  # noise
    if r == 1:
        return proto.packet(rnd.getrandbits(8), seq, rbytes(rnd, rnd.getrandbits(6)))
    if r == 2:
        size = rnd.getrandbits(20) if rnd.getrandbits(1) else rnd.getrandbits(32)
        name = some_id(rnd, known)[:16]
        name += b"0" * (16 - len(name))
        return proto.packet(proto.PUT, seq, name + struct.pack("<II", size, rnd.getrandbits(32)))
    if r == 3:
        return proto.packet(proto.PUT, seq, rbytes(rnd, rnd.getrandbits(5)))
    if r == 4:
        off = rnd.getrandbits(6) if rnd.getrandbits(1) else rnd.getrandbits(32)
        body = struct.pack("<I", off) + rbytes(rnd, rnd.getrandbits(6))
        return proto.packet(proto.DATA, seq, body)
    if r == 5:
        return proto.packet(proto.DATA, seq, rbytes(rnd, rnd.getrandbits(2)))
    if r == 6:
        return proto.packet(proto.COMMIT, seq, some_id(rnd, known))
    if r == 7:
        kind = (proto.REMOVE, proto.SHOW)[rnd.getrandbits(1)]
        return proto.packet(kind, seq, some_id(rnd, known))
    if r == 8:
        ids = [text(some_id(rnd, known)) if rnd.getrandbits(1) else rnd.getrandbits(8)
               for _ in range(rnd.getrandbits(2))]
        body = json.dumps(ids).encode() if rnd.getrandbits(1) else rbytes(rnd, 9)
        return proto.packet(proto.ORDER, seq, body)
    if r == 9:
        names = ("interval_s", "brightness", "rotation", "transition", "nope", "board")
        values = (0, 5, 90, -1, 1 << 40, "fade", "x" * 50, None, [1], True)
        body = {names[rnd.getrandbits(8) % len(names)]: values[rnd.getrandbits(8) % len(values)]}
        raw = json.dumps(body).encode() if rnd.getrandbits(2) else rbytes(rnd, 7)
        return proto.packet(proto.SET_SETTINGS, seq, raw)
    if r == 10:
        return upload(rnd, seq, small_frame(rnd))
    if r == 11:
        kind = (proto.HELLO, proto.LIST, proto.GET_SETTINGS, proto.BYE)[rnd.getrandbits(2)]
        return proto.packet(kind, seq, rbytes(rnd, rnd.getrandbits(2)))
    # A valid packet, mutated: bit flips, truncation, a lying length, junk inside.
    pkt = bytearray(proto.packet(proto.PUT + rnd.getrandbits(2), seq, rbytes(rnd, 24)))
    m = rnd.getrandbits(2)
    if m == 0:
        for _ in range(1 + rnd.getrandbits(2)):
            pkt[rnd.getrandbits(8) % len(pkt)] ^= 1 << rnd.getrandbits(3)
    elif m == 1:
        pkt = pkt[: rnd.getrandbits(8) % len(pkt)]
    elif m == 2:
        n = rnd.getrandbits(16)
        pkt[4] = n & 0xFF
        pkt[5] = n >> 8
    else:
        i = rnd.getrandbits(8) % len(pkt)
        pkt = pkt[:i] + rbytes(rnd, 1 + rnd.getrandbits(3)) + pkt[i:]
    return bytes(pkt)


def fuzz_round(lk, port, rnd, messages):
    """Feed one session's worth of messages; returns the polls it took."""
    known = lk.store.ids()
    stream = proto.OPEN
    for i in range(messages):
        stream += message(rnd, i & 0xFF, known)
    port.feed(stream)
    polls = 0
    # Each poll consumes at least one byte or returns: the loop is bounded.
    while port.left():
        polls += 1
        if polls > len(stream) + 1:
            raise AssertionError("the receiver stopped consuming input")
        try:
            lk.poll()
        except KeyboardInterrupt:  # a 0x03 outside a session, as the REPL would
            pass
    return polls


def check_tree(root, store_root):
    """Nothing but the store and the settings on the 'flash'; every photo intact."""
    allowed = ("photos", "settings.json")
    for name in os.listdir(root):
        assert name in allowed, "written outside the store: " + name
    for name in os.listdir(store_root):
        if name == "order":
            continue
        assert name.endswith(".frm") or name.endswith(".part"), name
        pid = name.rsplit(".", 1)[0]
        assert proto.valid_id(pid), name
        if name.endswith(".frm"):
            with open(store_root + "/" + name, "rb") as f:
                assert frame_id(f.read()) == pid, "a photo that is not intact: " + name
