"""The pendant's receiver on CPython: a scripted host talks to link.Link over a fake port."""

import hashlib
import json
import os
import struct
import zlib

import frame
import link
import micropython
import proto
import pytest
from hw import FakePort
from settings import Settings
from store import Store


class FakeApp:
    def __init__(self, tmp_path):
        self.settings = Settings(str(tmp_path / "settings.json"))
        self.shown = []
        self.changed = []
        self.sessions = 0
        self.progress = []
        self.out_port = None  # tests set it to see what was sent before show_later
        self.arrivals = []  # (id, bytes, files in the store then) per photo painted from RAM
        self.photos = str(tmp_path / "photos")
        self.lent = bytearray(0)  # the fade's RAM as App.lend_ram lends it (none here)

    def info(self):
        return {"fw": "test", "proto": proto.VERSION}

    def can_show(self, hdr):
        return hdr[1] == 4 and hdr[2] == 2

    def arrived(self, photo_id, f):
        """A photo painted from RAM: what it read, and what flash held then."""
        f.seek(0)
        data = bytearray(f.size)
        f.readinto(data)
        self.arrivals.append((photo_id, bytes(data), sorted(os.listdir(self.photos))))

    def lend_ram(self, size):
        return self.lent if len(self.lent) >= size else None

    def photos_changed(self, new_id=None):
        self.changed.append(new_id)

    def upload_progress(self, done, size):
        self.progress.append((done, size))

    def session_ended(self):
        self.sessions += 1

    def show(self, photo_id):
        self.shown.append(photo_id)

    def show_later(self, photo_id):
        self.shown.append(photo_id)
        self.shown_with_output = bytes(self.out_port.out) if self.out_port else None

    def settings_changed(self):
        pass


def small_frame(color=0xF800):
    """A 4x2 frame: row 0 stores x 1..3, row 1 is background."""
    pixels = struct.pack(">H", color) * 2
    return frame.pack(4, 2, 0x0000, [(1, 3), (0, 0)], pixels)


def frame_id(data):
    return proto.photo_id(hashlib.sha256(data).digest())


class Host:
    """Builds the host side's byte stream and reads the replies."""

    def __init__(self):
        self.seq = 0
        self.stream = bytearray()

    def send(self, kind, payload=b""):
        self.stream += proto.packet(kind, self.seq, payload)
        self.seq += 1
        return self

    def raw(self, data):
        self.stream += data
        return self


def replies(out):
    """Parse every reply packet in the pendant's output."""
    found = []
    i = 0
    while i < len(out):
        if out[i] != proto.SYNC0 or out[i + 1] != proto.SYNC1:
            i += 1
            continue
        kind, seq, n = out[i + 2], out[i + 3], out[i + 4] | out[i + 5] << 8
        payload = bytes(out[i + 6 : i + 6 + n])
        crc = struct.unpack_from("<I", out, i + 6 + n)[0]
        assert crc == zlib.crc32(bytes(out[i + 2 : i + 6]) + payload)
        found.append((kind, seq, payload))
        i += 10 + n
    return found


@pytest.fixture(autouse=True)
def _ticks(clock):
    """link.py times sessions with time.ticks_ms(): a virtual clock on CPython."""
    return clock


@pytest.fixture
def rig(tmp_path):
    store = Store(str(tmp_path / "photos"))
    app = FakeApp(tmp_path)
    port = FakePort()
    return link.Link(port, store, app), port, store, app, tmp_path


def session(rig, host):
    lk, port, *_ = rig
    port.feed(proto.OPEN + bytes(host.stream) + proto.packet(proto.BYE, 250))
    assert lk.poll() is True
    got = replies(port.out)
    assert got[-1][:2] == (proto.OK, 250), "the session must end cleanly at BYE"
    return got[:-1]


def upload(host, data, photo_id=None, crc=None, chunk=proto.CHUNK):
    photo_id = photo_id or frame_id(data)
    host.send(proto.PUT, proto.put_payload(photo_id, len(data), crc or zlib.crc32(data)))
    for off in range(0, len(data), chunk):
        host.send(proto.DATA, struct.pack("<I", off) + data[off : off + chunk])
    host.send(proto.COMMIT, photo_id.encode())
    return photo_id


def test_hello_answers_with_info(rig):
    r = session(rig, Host().send(proto.HELLO, b"\x01"))
    kind, seq, payload = r[0]
    assert (kind, seq) == (proto.OK, 0)
    assert json.loads(payload)["proto"] == proto.VERSION


def test_upload_lands_in_store(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    r = session(rig, _h(upload, data, None, None, 7))
    kinds = [k for k, _, _ in r]
    assert proto.ERR not in kinds, r
    assert store.ids() == [pid]
    with open(store.path(pid), "rb") as f:
        assert f.read() == data
    # Held in RAM, checked, painted, then stored: flash had none of it then.
    assert app.arrivals == [(pid, data, [])]
    assert app.changed == [None]


def test_a_photo_too_big_for_ram_streams_to_flash(rig, monkeypatch):
    lk, port, store, app, _ = rig
    data = small_frame()
    monkeypatch.setattr(link, "RAM_MAX", len(data) - 1)
    pid = frame_id(data)
    r = session(rig, _h(upload, data, None, None, 7))
    assert proto.ERR not in [k for k, _, _ in r], r
    assert store.ids() == [pid]
    assert app.arrivals == [] and app.changed == [pid], "shown when the session ends"


def test_a_photo_is_held_in_the_ram_the_app_lends(rig, monkeypatch):
    """The fade's 62 KB buffer, idle during a session, holds the upload: the
    heap need not find room for it (on the chip ~58 KB is free besides)."""
    import ramfile

    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    app.lent = bytearray(len(data) + 5)
    monkeypatch.setattr(ramfile, "mem_free", lambda: 0)  # no room anywhere else
    held = []
    real_arrived = app.arrived
    app.arrived = lambda i, f: (held.append(f.data), real_arrived(i, f))
    session(rig, _h(upload, data))
    assert held and held[0] is app.lent
    assert app.arrivals == [(pid, data, [])] and store.ids() == [pid]
    with open(store.path(pid), "rb") as f:
        assert f.read() == data  # not the buffer's spare bytes


def test_a_heap_too_full_streams_to_flash(rig, monkeypatch):
    import ramfile

    lk, port, store, app, _ = rig
    data = small_frame()
    monkeypatch.setattr(ramfile, "mem_free", lambda: link.RAM_SPARE - 1)
    pid = frame_id(data)
    session(rig, _h(upload, data))
    assert store.ids() == [pid] and app.arrivals == [] and app.changed == [pid]


# docs/firmware.md and docs/protocol.md: a photo of up to 48 KiB is received
# into RAM where the heap can hold it and still keep 24 KiB free.
RAM_MAX_DOC = 48 * 1024
RAM_SPARE_DOC = 24 * 1024


def frame_of_size(size):
    """A 240x240 ENC_SPANS frame file of exactly `size` bytes (even): the
    header and span table take 32 + 240 * 4 bytes, each pixel 2 more."""
    count = (size - 32 - 240 * 4) // 2
    spans = [(0, min(240, max(0, count - 240 * y))) for y in range(240)]
    data = frame.pack(240, 240, 0, spans, bytes(range(256)) * (count * 2 // 256)
                      + bytes(count * 2 % 256))
    assert len(data) == size
    return data


@pytest.mark.parametrize("size, in_ram", [(RAM_MAX_DOC, True), (RAM_MAX_DOC + 2, False)])
def test_photos_up_to_48_kib_are_received_into_ram(rig, size, in_ram):
    lk, port, store, app, _ = rig
    app.can_show = lambda hdr: True
    data = frame_of_size(size)
    session(rig, _h(upload, data))
    assert store.ids() == [frame_id(data)]
    assert [a[0] for a in app.arrivals] == ([frame_id(data)] if in_ram else [])


@pytest.mark.parametrize("free, in_ram", [(RAM_SPARE_DOC, True), (RAM_SPARE_DOC - 1, False)])
def test_ram_is_taken_only_where_24_kib_stay_free(rig, monkeypatch, free, in_ram):
    import ramfile

    lk, port, store, app, _ = rig
    data = small_frame()
    monkeypatch.setattr(ramfile, "mem_free", lambda: free)  # after taking the photo's
    session(rig, _h(upload, data))
    assert store.ids() == [frame_id(data)]
    assert [a[0] for a in app.arrivals] == ([frame_id(data)] if in_ram else [])


def test_a_ram_photo_that_fails_its_check_is_never_shown(rig):
    lk, port, store, app, tmp = rig
    data = small_frame()
    wrong = frame_id(small_frame(color=0x07E0))
    r = session(rig, _h(upload, data, wrong))
    assert r[-1][0] == proto.ERR and r[-1][2][0] == proto.E_BAD_DATA
    assert app.arrivals == [] and store.ids() == []
    assert os.listdir(tmp / "photos") == []


def test_a_ram_photo_the_flash_cannot_take_is_refused_and_replaced(rig):
    lk, port, store, app, tmp = rig
    data = small_frame()
    pid = frame_id(data)
    store.part_path = lambda photo_id: "/dev/null/%s.part" % photo_id  # not a directory
    r = session(rig, _h(upload, data))
    assert r[-1][0] == proto.ERR and r[-1][2][0] == proto.E_NO_SPACE
    assert b"cannot write" in r[-1][2]
    assert store.ids() == []
    # It was painted; the app is told that it is not stored (and shows another).
    assert [a[0] for a in app.arrivals] == [pid] and app.changed == [None]


def test_a_host_going_back_mid_ram_upload_resumes_from_ram(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    put = proto.put_payload(pid, len(data), zlib.crc32(data))
    h = Host().send(proto.PUT, put).send(proto.DATA, struct.pack("<I", 0) + data[:10])
    h.send(proto.PUT, put).send(proto.DATA, struct.pack("<I", 10) + data[10:])
    h.send(proto.COMMIT, pid.encode())
    r = session(rig, h)
    offsets = [json.loads(p) for k, _, p in r if k == proto.OK and p]
    assert offsets == [{"offset": 0}, {"offset": 10}]
    assert r[-1][0] == proto.OK and store.ids() == [pid]
    assert app.arrivals[0][1] == data


def test_a_session_cut_mid_ram_upload_keeps_what_came_on_flash(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    put = proto.put_payload(pid, len(data), zlib.crc32(data))
    session(rig, Host().send(proto.PUT, put).send(proto.DATA, struct.pack("<I", 0) + data[:10]))
    assert store.part_size(pid) == 10 and store.ids() == []
    port.out.clear()
    r = session(rig, Host().send(proto.PUT, put))
    assert json.loads(r[0][2]) == {"offset": 10}


def test_a_new_photo_replaces_a_ram_upload_and_leaves_no_part(rig):
    lk, port, store, app, tmp = rig
    one, two = small_frame(), small_frame(color=0x001F)
    h = Host().send(proto.PUT, proto.put_payload(frame_id(one), len(one), zlib.crc32(one)))
    h.send(proto.DATA, struct.pack("<I", 0) + one[:10])
    upload(h, two)
    r = session(rig, h)
    assert r[-1][0] == proto.OK and store.ids() == [frame_id(two)]
    assert [n for n in os.listdir(tmp / "photos") if n.endswith(".part")] == []


def test_upload_reports_progress_to_the_app(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    session(rig, _h(upload, data, None, None, 10))
    done = [d for d, _ in app.progress]
    assert done == sorted(done) and done[-1] == len(data) and len(done) == -(-len(data) // 10)
    assert {s for _, s in app.progress} == {len(data)}


def _h(fn, *args):
    h = Host()
    fn(h, *args)
    return h


def test_ctrl_c_is_disarmed_only_inside_a_session(rig):
    micropython.kbd_intr_calls.clear()
    session(rig, Host().send(proto.HELLO, b"\x01"))
    assert micropython.kbd_intr_calls == [-1, 3]


def test_ctrl_c_outside_a_session_interrupts(rig):
    lk, port, *_ = rig
    port.feed(b"\x03")
    with pytest.raises(KeyboardInterrupt):
        lk.poll()


def test_photo_bytes_may_contain_ctrl_c(rig):
    lk, port, store, app, _ = rig
    data = small_frame(color=0x0303)
    pid = frame_id(data)
    session(rig, _h(upload, data))
    assert store.ids() == [pid]


def test_bad_crc_gets_error_and_nothing_is_stored(rig):
    lk, port, store, app, _ = rig
    pkt = bytearray(proto.packet(proto.HELLO, 0, b"\x01"))
    pkt[-1] ^= 0xFF
    r = session(rig, Host().raw(bytes(pkt)).send(proto.HELLO, b"\x01"))
    assert r[0][0] == proto.ERR and r[0][2][0] == proto.E_BAD_PACKET
    assert r[1][0] == proto.OK  # the link recovers at the next packet


def test_unknown_type_is_an_error_not_a_crash(rig):
    r = session(rig, Host().send(0x7E, b"hello"))
    assert r[0][0] == proto.ERR and r[0][2][0] == proto.E_UNKNOWN


@pytest.mark.parametrize("name", [b"../main.py\x00\x00\x00\x00\x00\x00", b"0123456789ABCDEF",
                                  b"/photos/x", b"0123456789abcde/"])
def test_names_that_are_not_ids_are_refused(rig, name):
    lk, port, store, app, tmp = rig
    before = sorted(os.listdir(tmp))
    payload = name[: proto.ID_LEN].ljust(proto.ID_LEN, b"0") + struct.pack("<II", 10, 0)
    r = session(rig, Host().send(proto.PUT, payload).send(proto.REMOVE, name))
    assert [k for k, _, _ in r] == [proto.ERR, proto.ERR]
    assert sorted(os.listdir(tmp)) == before
    assert os.listdir(tmp / "photos") == []


def test_corrupt_upload_is_rejected_and_never_visible(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    bad = bytearray(data)
    bad[-1] ^= 1
    pid = frame_id(data)
    h = Host()
    h.send(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data)))
    h.send(proto.DATA, struct.pack("<I", 0) + bytes(bad))
    h.send(proto.COMMIT, pid.encode())
    r = session(rig, h)
    assert r[-1][0] == proto.ERR and r[-1][2][0] == proto.E_BAD_DATA
    assert store.ids() == []
    assert not any(n.endswith(".part") for n in os.listdir(store.root))


def test_interrupted_upload_resumes_where_it_stopped(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    h = Host()
    h.send(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data)))
    h.send(proto.DATA, struct.pack("<I", 0) + data[:20])
    session(rig, h)  # ends without COMMIT: the link was "cut"
    assert store.ids() == []
    port.out.clear()
    h2 = Host().send(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data)))
    h2.send(proto.DATA, struct.pack("<I", 20) + data[20:]).send(proto.COMMIT, pid.encode())
    r = session(rig, h2)
    assert json.loads(r[0][2]) == {"offset": 20}
    assert r[2][0] == proto.OK
    assert store.ids() == [pid]


def test_data_at_wrong_offset_is_refused_with_the_right_offset(rig):
    data = small_frame()
    pid = frame_id(data)
    h = Host().send(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data)))
    h.send(proto.DATA, struct.pack("<I", 8) + data[8:16])
    r = session(rig, h)
    assert r[1][0] == proto.ERR
    assert json.loads(r[1][2][1:]) == {"offset": 0}


def test_existing_photo_is_skipped(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    session(rig, _h(upload, data))
    port.out.clear()
    r = session(rig, Host().send(proto.PUT, proto.put_payload(pid, len(data), zlib.crc32(data))))
    assert json.loads(r[0][2]) == {"have": 1}


def test_full_flash_is_refused_before_any_byte(rig, monkeypatch):
    lk, port, store, app, _ = rig
    monkeypatch.setattr(store, "free", lambda: 100)
    data = small_frame() + b""
    big = 50_000
    r = session(rig, Host().send(proto.PUT, proto.put_payload("ab" * 8, big, 0)))
    assert r[0][0] == proto.ERR and r[0][2][0] == proto.E_NO_SPACE
    assert json.loads(r[0][2][1:]) == {"need": big, "free": 100}
    assert os.listdir(store.root) == []
    del data


def test_list_remove_and_order(rig):
    lk, port, store, app, _ = rig
    a, b = small_frame(0xF800), small_frame(0x07E0)
    ia, ib = frame_id(a), frame_id(b)
    session(rig, _h(upload, a))
    session(rig, _h(upload, b))
    port.out.clear()
    r = session(rig, Host().send(proto.ORDER, json.dumps([ib]).encode()).send(proto.LIST))
    assert [i for i, _ in json.loads(r[1][2])] == [ib, ia]
    port.out.clear()
    r = session(rig, Host().send(proto.REMOVE, ia.encode()).send(proto.LIST))
    assert json.loads(r[1][2]) == [[ib, len(b)]]


def test_settings_are_checked(rig):
    r = session(rig, Host().send(proto.SET_SETTINGS, b'{"interval_s": 1}')
                .send(proto.SET_SETTINGS, b'{"interval_s": 30}'))
    assert r[0][0] == proto.ERR and r[0][2][0] == proto.E_BAD_ARG
    assert json.loads(r[1][2])["interval_s"] == 30


def test_unknown_board_setting_is_refused(rig):
    r = session(rig, Host().send(proto.SET_SETTINGS, b'{"board": "toaster"}'))
    assert r[0][0] == proto.ERR and b"known boards" in r[0][2]


class BlockingPort(FakePort):
    """Like the rp2's stdin: a read waits until it is full. A read the bytes on
    hand cannot fill would hang a real pendant, so here it fails the test.
    Counts the port calls: on the chip each costs tens of thousands of cycles."""

    def __init__(self, data=b""):
        super().__init__(data)
        self.calls = 0

    def wait(self, ms):
        self.calls += 1
        return super().wait(ms)

    def readinto(self, buf, n):
        self.calls += 1
        assert n <= len(self.inp), "a read of %d bytes with %d on hand hangs the pendant" % (
            n, len(self.inp))
        return super().readinto(buf, n)


def hello(seq, nonce):
    pkt = proto.hello(seq, nonce)
    assert pkt is not None
    return pkt


def nonces(out):
    return [json.loads(p)["nonce"] for k, _, p in replies(out) if k == proto.OK and p[:1] == b"{"]


@pytest.fixture
def blocking_rig(tmp_path):
    store = Store(str(tmp_path / "photos"))
    app = FakeApp(tmp_path)
    port = BlockingPort()
    return link.Link(port, store, app), port, app


def test_filler_outside_a_session_is_skipped_in_bulk(blocking_rig):
    lk, port, _ = blocking_rig
    port.feed(bytes(proto.FILLER_LEN) + proto.OPEN + hello(7, 0x1234ABCD)
              + proto.packet(proto.BYE, 8))
    assert lk.poll() is True
    assert nonces(port.out) == [0x1234ABCD]
    # Two calls per FILL_READ bytes, not two per byte (8,220 on the chip's
    # old path, ~0.4 ms each); the rest is OPEN, HELLO and BYE.
    assert port.calls <= 2 * proto.FILLER_LEN // proto.FILL_READ + 80


def test_filler_inside_a_session_then_a_new_hello(blocking_rig):
    lk, port, _ = blocking_rig
    port.feed(proto.OPEN + hello(1, 111) + bytes(proto.FILLER_LEN) + proto.OPEN
              + hello(2, 222) + proto.packet(proto.BYE, 3))
    assert lk.poll() is True
    assert nonces(port.out) == [111, 222]
    assert port.calls <= 2 * proto.FILLER_LEN // proto.FILL_READ + 120


def test_filler_completes_a_packet_cut_short(blocking_rig):
    """A host that died mid-packet left the pendant inside a DATA packet's
    body: the next host's FILLER completes it (an error reply), the rest of
    the zeros are skipped and its HELLO is answered."""
    lk, port, _ = blocking_rig
    cut = proto.packet(proto.DATA, 5, bytes(4) + bytes(range(256)) * 16)[:700]
    port.feed(proto.OPEN + hello(1, 1) + cut + bytes(proto.FILLER_LEN) + proto.OPEN
              + hello(9, 99) + proto.packet(proto.BYE, 10))
    assert lk.poll() is True
    got = replies(port.out)
    assert (proto.ERR, 5) in [(k, s) for k, s, _ in got]
    assert nonces(port.out) == [1, 99]


def test_opener_after_noise_still_opens(blocking_rig):
    lk, port, _ = blocking_rig
    port.feed(b"PEND" + bytes(40) + proto.OPEN + hello(1, 5) + proto.packet(proto.BYE, 2))
    assert lk.poll() is True
    assert nonces(port.out) == [5]


def test_show_answers_before_it_draws(rig):
    lk, port, store, app, _ = rig
    data = small_frame()
    pid = frame_id(data)
    h = Host()
    upload(h, data)
    h.send(proto.COMMIT, pid.encode())
    session(rig, h)
    port.out.clear()
    app.out_port = port
    app.shown.clear()
    h = Host()
    h.send(proto.SHOW, pid.encode())
    got = session(rig, h)
    assert got == [(proto.OK, 0, b"")]
    assert app.shown == [pid]
    # The OK was on the wire when the app was asked to draw: a fade cannot
    # keep the host waiting.
    assert (proto.OK, 0, b"") in replies(app.shown_with_output)


def test_hello_echoes_the_nonce(rig):
    lk, port, *_ = rig
    port.feed(proto.OPEN + hello(4, 0xCAFEF00D) + proto.packet(proto.BYE, 5))
    assert lk.poll() is True
    assert nonces(port.out) == [0xCAFEF00D]


class ShortReadPort(BlockingPort):
    """A port whose reads may come back short (a pty on the unix port)."""

    def readinto(self, buf, n):
        return super().readinto(buf, min(n, 5))


def test_filler_skip_copes_with_short_reads(tmp_path):
    store = Store(str(tmp_path / "photos"))
    app = FakeApp(tmp_path)
    port = ShortReadPort()
    lk = link.Link(port, store, app)
    port.feed(bytes(100) + proto.OPEN + hello(7, 0x1234ABCD) + proto.packet(proto.BYE, 8))
    assert lk.poll() is True
    assert nonces(port.out) == [0x1234ABCD]
