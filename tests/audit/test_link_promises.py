"""Two promises docs/protocol.md makes about the pendant's receiver, each
checked where it can break (firmware/link.py on CPython, a fake port):

- an ACK means the acknowledged bytes are on flash (flushed), so a reset
  right after an ACK loses nothing the host was told is safe;
- COMMIT keeps a photo only if its SHA-256 matches its id, even when size
  and CRC are right (the CRC guards the cable, the id guards the content).
"""

import builtins
import hashlib
import json
import struct
import zlib

import frame
import link
import proto
import pytest
from hw import FakePort
from settings import Settings
from store import Store


class App:
    """The app as the link sees it; accepts any frame the panel could show."""

    def __init__(self, tmp_path):
        self.settings = Settings(str(tmp_path / "settings.json"))
        self.changed = []
        self.arrivals = []

    def info(self):
        return {"fw": "test", "proto": proto.VERSION}

    def can_show(self, hdr):
        return True

    def arrived(self, photo_id, f):
        self.arrivals.append(photo_id)

    def lend_ram(self, size):
        return None

    def photos_changed(self, new_id=None):
        self.changed.append(new_id)

    def upload_progress(self, done, size):
        pass

    def session_ended(self):
        pass

    def show(self, photo_id):
        pass

    def settings_changed(self):
        pass


class Flash:
    """What survives a reset: bytes reach it only through flush() or close()."""

    def __init__(self):
        self.durable = 0  # bytes of the upload that are on flash
        self.flushes = 0


class PartFile:
    """A .part file opened for appending, buffering writes as littlefs does
    until flush() (a fake of the file, not a mock: it really writes)."""

    def __init__(self, real, flash):
        self.real = real
        self.flash = flash
        self.pending = bytearray()
        flash.durable = real.tell()

    def write(self, data):
        self.pending += bytes(data)
        return len(data)

    def flush(self):
        self.real.write(self.pending)
        self.real.flush()
        self.flash.durable += len(self.pending)
        self.flash.flushes += 1
        self.pending = bytearray()

    def close(self):
        self.flush()
        self.real.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AckCheckingPort(FakePort):
    """Checks, the moment each ACK has been sent, that the bytes it
    acknowledges are durable (however the reply is split into writes)."""

    def __init__(self, flash):
        super().__init__()
        self.flash = flash
        self.parsed = 0
        self.acks = []  # (acknowledged offset, durable bytes when sent)

    def write(self, buf):
        super().write(buf)
        out = self.out
        while self.parsed + proto.HEAD_SIZE <= len(out):
            i = self.parsed
            n = out[i + 4] | out[i + 5] << 8
            end = i + proto.HEAD_SIZE + n + proto.CRC_SIZE
            if end > len(out):
                break
            if out[i + 2] == proto.ACK:
                offset = struct.unpack_from("<I", out, i + proto.HEAD_SIZE)[0]
                self.acks.append((offset, self.flash.durable))
            self.parsed = end


@pytest.fixture
def rig(tmp_path, monkeypatch, clock):
    """A link whose photos stream to flash as they arrive (none is held in
    RAM first: see ram_rig), with every .part file a PartFile."""
    monkeypatch.setattr(link, "RAM_MAX", 0)
    return flash_rig(tmp_path, monkeypatch)


@pytest.fixture
def ram_rig(tmp_path, monkeypatch, clock):
    """The same, where a small photo is received into RAM first."""
    return flash_rig(tmp_path, monkeypatch)


def flash_rig(tmp_path, monkeypatch):
    flash = Flash()
    real_open = builtins.open

    def open_(path, mode="r", *args, **kw):
        f = real_open(path, mode, *args, **kw)
        if str(path).endswith(".part") and ("a" in mode or "w" in mode):
            return PartFile(f, flash)
        return f

    monkeypatch.setattr(builtins, "open", open_)
    store = Store(str(tmp_path / "photos"))
    port = AckCheckingPort(flash)
    return link.Link(port, store, App(tmp_path)), port, store, flash


def a_frame(width=16, height=8):
    spans = [(0, width)] * height
    pixels = bytes((i * 7) & 0xFF for i in range(width * height * 2))
    return frame.pack(width, height, 0x0000, spans, pixels)


def photo_id(data):
    return hashlib.sha256(data).hexdigest()[: proto.ID_LEN]


def run(lk, port, packets):
    stream = bytearray(proto.OPEN)
    for seq, (kind, payload) in enumerate(packets):
        stream += proto.packet(kind, seq, payload)
    stream += proto.packet(proto.BYE, 250)
    port.feed(bytes(stream))
    assert lk.poll() is True
    got = replies(port.out)
    assert got[-1][0] == proto.OK, "the session must end cleanly at BYE"
    return got[:-1]


def replies(out):
    found, i = [], 0
    while i + proto.HEAD_SIZE <= len(out):
        n = out[i + 4] | out[i + 5] << 8
        found.append((out[i + 2], bytes(out[i + 6 : i + 6 + n])))
        i += proto.HEAD_SIZE + n + proto.CRC_SIZE
    return found


def upload(data, pid, chunk=64):
    packets = [(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data)))]
    for off in range(0, len(data), chunk):
        packets.append((proto.DATA, struct.pack("<I", off) + data[off : off + chunk]))
    packets.append((proto.COMMIT, pid.encode()))
    return packets


def test_every_ack_comes_after_its_bytes_are_flushed(rig):
    lk, port, store, flash = rig
    data = a_frame()
    r = run(lk, port, upload(data, photo_id(data)))
    assert r[-1][0] == proto.OK and store.ids() == [photo_id(data)]
    assert len(port.acks) == -(-len(data) // 64)
    for acked, durable in port.acks:
        assert durable >= acked, f"ACK of {acked} bytes sent with only {durable} on flash"


class SyncPort(AckCheckingPort):
    """Also notes how much of the photo was durable when COMMIT's OK left."""

    def __init__(self, flash, store):
        super().__init__(flash)
        self.store = store
        self.stored_at_ok = []

    def write(self, buf):
        before = len(replies(self.out))
        super().write(buf)
        for kind, _ in replies(self.out)[before:]:
            if kind == proto.OK:
                self.stored_at_ok.append((list(self.store.ids()), self.flash.durable))


def test_a_photo_held_in_ram_is_stored_before_commit_says_ok(ram_rig):
    """In RAM an ACK means "received", not "durable"; so COMMIT's OK is the
    promise: by then the photo is in the store, every byte flushed."""
    lk, _, store, flash = ram_rig
    port = SyncPort(flash, store)
    lk.port = port
    data = a_frame()
    pid = photo_id(data)
    r = run(lk, port, upload(data, pid))
    assert r[-1][0] == proto.OK
    assert lk.app.arrivals == [pid], "a small photo is painted from RAM"
    assert flash.flushes == 1, "written to flash once, at COMMIT, not per DATA"
    assert port.stored_at_ok[-1] == ([pid], len(data))


def test_a_session_cut_mid_ram_upload_resumes_from_what_was_acked(ram_rig):
    lk, port, store, flash = ram_rig
    data = a_frame()
    pid = photo_id(data)
    run(lk, port, upload(data, pid)[:3])  # PUT and two DATA, then the cable is cut
    assert flash.durable == 128, "the session's end put what RAM held on flash"
    port.out.clear()
    port.parsed = 0
    r = run(lk, port, [(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data)))])
    assert json.loads(r[0][1]) == {"offset": 128}


def test_a_resumed_upload_acks_only_flushed_bytes(rig):
    lk, port, store, flash = rig
    data = a_frame()
    pid = photo_id(data)
    run(lk, port, upload(data, pid)[:3])  # PUT and two DATA, then the cable is cut
    port.out.clear()
    port.parsed = 0
    port.acks.clear()
    packets = [(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data))),
               (proto.DATA, struct.pack("<I", 128) + data[128:])]
    r = run(lk, port, packets + [(proto.COMMIT, pid.encode())])
    assert r[0][0] == proto.OK and json.loads(r[0][1]) == {"offset": 128}
    assert port.acks == [(len(data), len(data))]
    assert store.ids() == [pid]


def test_commit_refuses_content_that_does_not_match_its_id(rig):
    lk, port, store, flash = rig
    data = a_frame()
    other = photo_id(a_frame(width=15))
    # size and CRC describe `data` exactly: only the SHA-256 can tell
    r = run(lk, port, upload(data, other))
    kind, payload = r[-1]
    assert kind == proto.ERR and payload[0] == proto.E_BAD_DATA
    assert store.ids() == []
    assert other not in store


def test_commit_refusal_leaves_no_part_behind(rig, tmp_path):
    lk, port, store, flash = rig
    data = a_frame()
    run(lk, port, upload(data, photo_id(a_frame(width=15))))
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()
                  if p.suffix in (".part", ".frm")) == []


def test_the_pendant_holds_at_most_200_photos(rig, tmp_path):
    """docs/protocol.md: "7 store full (at most 200 photos)"."""
    _, port, full, flash = rig
    for i in range(199):
        open(full.path("%016x" % i), "wb").close()
    store = Store(full.root)  # as after a reboot: 199 photos on flash
    lk = link.Link(port, store, App(tmp_path))
    first, second = a_frame(), a_frame(width=15)
    r = run(lk, port, upload(first, photo_id(first)))
    assert r[-1][0] == proto.OK and len(store) == 200
    port.out.clear()
    port.parsed = 0
    r = run(lk, port, upload(second, photo_id(second))[:1])
    assert r[0][0] == proto.ERR and r[0][1][0] == proto.E_STORE_FULL
    assert b"200 photos" in r[0][1]
