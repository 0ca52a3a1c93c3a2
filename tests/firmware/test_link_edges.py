"""The pendant's receiver (firmware/link.py) at its edges, on CPython: time
on the virtual clock (a session's idle limit, a stalled packet), reads in
pieces that a pulled cable cannot leave hanging, sizes at their limits, and
every refusal a host can meet, each with the reply a host relies on.

The port is tests/fakes/timedport.py: bytes arrive at scripted virtual times,
and a read that asks for more than has arrived fails the test (the chip would
hang in it).

Uploads here stream to flash as they arrive (link.RAM_MAX = 0), the path of a
photo too big for RAM; a photo held in RAM first is tested in test_link.py.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import os
import random
import struct
import zlib

import frame
import link
import micropython
import proto
import pytest
from settings import Settings
from store import Store
from timedport import Hang, TimedPort

IDLE_MS = 10_000  # docs/protocol.md: a session with no good packet for 10 s ends
BYTE_MS = 1_000  # docs/protocol.md: a started packet must keep coming within 1 s
PIECE = 64  # docs/protocol.md: reads end at multiples of 64 bytes from SYNC0


class App:
    """The app as the link sees it, recording what it was told and when."""

    def __init__(self, tmp_path, clock):
        self.settings = Settings(str(tmp_path / "settings.json"))
        self.clock = clock
        self.changed: list = []
        self.progress: list = []
        self.shown: list = []
        self.ended_at: list[int] = []
        self.settings_changes = 0
        self.fits = True
        self.kbd_at_end = None

    def info(self):
        return {"fw": "test", "proto": proto.VERSION}

    def can_show(self, hdr):
        return self.fits

    def photos_changed(self, new_id=None):
        self.changed.append(new_id)

    def lend_ram(self, size):
        return None

    def arrived(self, photo_id, f):
        raise AssertionError("these uploads stream to flash: none is shown from RAM")

    def upload_progress(self, done, size):
        self.progress.append((done, size))

    def session_ended(self):
        self.ended_at.append(self.clock.now_ms)
        self.kbd_at_end = micropython.kbd_intr_calls[-1]

    def show_later(self, photo_id):
        self.shown.append(photo_id)

    def settings_changed(self):
        self.settings_changes += 1


@pytest.fixture(autouse=True)
def _stream_to_flash(monkeypatch):
    monkeypatch.setattr(link, "RAM_MAX", 0)


@pytest.fixture
def rig(tmp_path, clock):
    store = Store(str(tmp_path / "photos"))
    app = App(tmp_path, clock)
    port = TimedPort(clock)
    return link.Link(port, store, app), port, store, app


def replies(out):
    """(type, seq, payload) of every reply, checking each CRC."""
    found, i = [], 0
    while i < len(out):
        assert out[i] == proto.SYNC0 and out[i + 1] == proto.SYNC1, bytes(out[i:])
        n = out[i + 4] | out[i + 5] << 8
        payload = bytes(out[i + 6 : i + 6 + n])
        (crc,) = struct.unpack_from("<I", out, i + 6 + n)
        assert crc == zlib.crc32(bytes(out[i + 2 : i + 6]) + payload)
        found.append((out[i + 2], out[i + 3], payload))
        i += 10 + n
    return found


def err(reply):
    kind, _, payload = reply
    assert kind == proto.ERR, reply
    return payload[0], payload[1:].decode()


def pkt(kind, seq, payload=b""):
    return proto.packet(kind, seq, payload)


def hello(seq, nonce=0x12345678):
    return pkt(proto.HELLO, seq, struct.pack("<BI", proto.VERSION, nonce))


def run(lk, port, *packets, bye=True):
    """OPEN, the packets at time 0 (and BYE): the replies, BYE's checked and dropped."""
    port.at(0, proto.OPEN + b"".join(packets) + (pkt(proto.BYE, 250) if bye else b""))
    assert lk.poll() is True
    got = replies(port.out)
    port.out.clear()
    if bye:
        assert got[-1][:2] == (proto.OK, 250), got
        return got[:-1]
    return got


def a_frame(width=8, height=4, seed=1):
    rnd = random.Random(seed)
    spans = [(0, width)] * height
    pixels = bytes(rnd.getrandbits(8) for _ in range(width * height * 2))
    return frame.pack(width, height, 0, spans, pixels)


def pid_of(data):
    return hashlib.sha256(data).hexdigest()[: proto.ID_LEN]


def put(data, pid=None, size=None, crc=None):
    return proto.put_payload(pid or pid_of(data), len(data) if size is None else size,
                             zlib.crc32(data) if crc is None else crc)


def data_pkts(data, seq0=1, chunk=proto.CHUNK, start=0):
    out = b""
    for k, off in enumerate(range(start, len(data), chunk)):
        out += pkt(proto.DATA, seq0 + k, struct.pack("<I", off) + data[off : off + chunk])
    return out


def upload(lk, port, data, chunk=proto.CHUNK):
    pid = pid_of(data)
    n = -(-len(data) // chunk)
    r = run(lk, port, pkt(proto.PUT, 0, put(data)), data_pkts(data, 1, chunk),
            pkt(proto.COMMIT, n + 1, pid.encode()))
    assert r[-1][0] == proto.OK, r
    return pid


# -- time --------------------------------------------------------------------


def test_a_session_ends_after_ten_quiet_seconds(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN + hello(1)).at(IDLE_MS, hello(2)).at(2 * IDLE_MS + 1, hello(3))
    assert lk.poll() is True
    assert [s for _, s, _ in replies(port.out)] == [1, 2], "HELLO 3 came after 10 s of silence"
    assert app.ended_at == [2 * IDLE_MS]
    assert app.kbd_at_end == 3, "Ctrl-C is armed again when the session ends"


def test_noise_does_not_keep_a_session_alive(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN + hello(1))
    for t in range(500, 3 * IDLE_MS, 500):
        port.at(t, b"\x42")
    assert lk.poll() is True
    assert app.ended_at == [IDLE_MS]


def test_noise_right_at_the_limit_does_not_let_a_late_packet_in(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN + hello(1)).at(IDLE_MS, b"\x42" + hello(2))
    assert lk.poll() is True
    assert [s for _, s, _ in replies(port.out)] == [1]
    assert app.ended_at == [IDLE_MS]


def test_a_packet_may_pause_up_to_a_second_between_pieces(rig):
    lk, port, store, app = rig
    p = hello(1)
    port.at(0, proto.OPEN + p[:1]).then(p[1:2], BYTE_MS).then(p[2:], BYTE_MS)
    assert lk.poll() is True
    assert [(k, s) for k, s, _ in replies(port.out)] == [(proto.OK, 1)]


@pytest.mark.parametrize("cut", [1, 2, 6, 64, 128])
def test_a_packet_stalled_longer_than_a_second_is_dropped(rig, cut):
    """Stalled where USB can stop it (after a 1-byte read or at a 64-byte
    piece boundary): its rest cannot be taken for the start of a packet, and
    a packet whose header was read is answered with an error the host sees."""
    lk, port, store, app = rig
    big = pkt(proto.SET_SETTINGS, 5, json.dumps({"interval_s": 30, "x": "y" * 200}).encode())
    port.at(0, proto.OPEN + big[:cut]).then(big[cut:], BYTE_MS + 1).then(hello(6), 10)
    assert lk.poll() is True
    got = replies(port.out)
    assert got[-1][:2] == (proto.OK, 6)
    if cut >= proto.HEAD_SIZE:  # the header was read: the packet's seq is known
        assert err(got[0]) == (proto.E_BAD_PACKET, "packet cut short")
        assert got[0][1] == 5
    assert len(got) == (2 if cut >= proto.HEAD_SIZE else 1)


def test_a_packet_whose_crc_stalls_is_dropped(rig):
    lk, port, store, app = rig
    p = pkt(proto.LIST, 1, b"x" * 56)  # its CRC is bytes 62..65: split at the piece end
    port.at(0, proto.OPEN + p[:PIECE]).then(p[PIECE:], BYTE_MS + 1).then(hello(2), 5)
    assert lk.poll() is True
    got = replies(port.out)
    assert err(got[0]) == (proto.E_BAD_PACKET, "packet cut short")
    assert got[1][:2] == (proto.OK, 2)


# -- pieces --------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 53, 54, 55, 56, 57, 58, 59, 60, 64, 118, 122, 123,
                               180, 250, 500, 1000, proto.MAX_PAYLOAD])
def test_reads_never_cross_a_piece_boundary(rig, n):
    """A cable pulled mid-packet leaves the pendant between two 64-byte
    pieces (USB carries the host's write in 64-byte packets from its start):
    no read may span a boundary, or it would wait forever for bytes that
    are not coming."""
    lk, port, store, app = rig
    payload = bytes(random.Random(n).getrandbits(8) for _ in range(n))
    body = pkt(0x7E, 3, payload)  # an unknown type: any length is read whole
    start = len(proto.OPEN)
    port.at(0, proto.OPEN + body + pkt(proto.BYE, 4))
    assert lk.poll() is True
    got = replies(port.out)
    assert err(got[0])[0] == proto.E_UNKNOWN and got[1][:2] == (proto.OK, 4)
    for off, k in port.reads:
        if start <= off < start + len(body):
            rel = off - start
            assert rel // PIECE == (rel + k - 1) // PIECE, (rel, k)
    # No byte-at-a-time reading of the body: the payload comes in pieces.
    body_reads = [k for off, k in port.reads if start + 6 <= off < start + len(body)]
    assert len(body_reads) <= -(-(len(body) + 8) // PIECE) + 2


@pytest.mark.parametrize("cut", [64, 128, 4096])
def test_a_cable_pulled_mid_packet_leaves_no_read_hanging(rig, cut):
    """Cut at a piece boundary and never completed: the pendant times out
    between pieces, says so, and the session ends 10 s after its last good
    packet (the one that opened it here: none)."""
    lk, port, store, app = rig
    data = bytes(range(256)) * 20
    body = pkt(proto.DATA, 9, struct.pack("<I", 0) + data[:4096])
    port.at(0, proto.OPEN + body[:cut])
    try:
        assert lk.poll() is True
    except Hang as e:  # pragma: no cover - the failure this test is for
        pytest.fail(str(e))
    got = replies(port.out)
    assert len(got) == 1 and got[0][1] == 9
    assert err(got[0]) == (proto.E_BAD_PACKET, "packet cut short")
    assert app.ended_at == [IDLE_MS]


def test_a_packet_longer_than_the_maximum_is_refused_unread(rig):
    lk, port, store, app = rig
    head = struct.pack("<BBBBH", proto.SYNC0, proto.SYNC1, proto.HELLO, 7, proto.MAX_PAYLOAD + 1)
    got = run(lk, port, head + hello(8))
    assert got[0][1] == 7 and err(got[0]) == (proto.E_BAD_PACKET, "packet too long")
    assert got[1][:2] == (proto.OK, 8)


def test_the_longest_packet_is_read(rig):
    lk, port, store, app = rig
    got = run(lk, port, pkt(0x7E, 7, bytes(proto.MAX_PAYLOAD)))
    assert err(got[0])[0] == proto.E_UNKNOWN


# -- outside a session ---------------------------------------------------------


def test_poll_with_nothing_waiting_returns_at_once(rig):
    """The app polls between the strips of a drawing: no wait at all."""
    lk, port, store, app = rig
    assert lk.poll() is False
    assert port.clock.now_ms == 0
    port.at(0, b"hello REPL")
    assert lk.poll() is False and port.out == b"" and app.ended_at == []


def test_opener_with_a_repeated_first_byte_still_opens(rig):
    lk, port, store, app = rig
    port.at(0, b"P" + proto.OPEN + hello(1) + pkt(proto.BYE, 2))
    assert lk.poll() is True
    assert [s for _, s, _ in replies(port.out)] == [1, 2]


def test_opener_broken_by_a_stray_byte_does_not_open(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN[:5] + b"x" + proto.OPEN[5:] + b"print(1)\r\n")
    assert lk.poll() is False
    assert port.out == b""


def test_ctrl_c_after_a_filler_still_interrupts(rig):
    lk, port, store, app = rig
    port.at(0, bytes(1) + bytes(proto.FILL_READ - 1) + b"\x03")
    with pytest.raises(KeyboardInterrupt):
        lk.poll()


def test_ctrl_c_in_a_half_read_opener_interrupts_and_resets_it(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN[:4] + b"\x03")
    with pytest.raises(KeyboardInterrupt):
        lk.poll()
    port.at(0, proto.OPEN[4:] + b"print(1)\r\n")
    assert lk.poll() is False, "the opener's start was forgotten at Ctrl-C"
    port.at(0, proto.OPEN + hello(1) + pkt(proto.BYE, 2))
    assert lk.poll() is True


def test_a_filler_then_open_in_one_read(rig):
    lk, port, store, app = rig
    port.at(0, bytes(3) + proto.OPEN + hello(1) + pkt(proto.BYE, 2))
    assert lk.poll() is True
    assert [s for _, s, _ in replies(port.out)] == [1, 2]


def test_a_session_survives_a_failing_handler_and_ctrl_c_is_rearmed(rig):
    lk, port, store, app = rig

    def boom():
        raise RuntimeError("flash on fire")

    app.info = boom
    micropython.kbd_intr_calls.clear()
    got = run(lk, port, hello(1), pkt(proto.LIST, 2))
    assert err(got[0]) == (proto.E_INTERNAL, "RuntimeError: flash on fire")
    assert got[1][:2] == (proto.OK, 2)
    assert micropython.kbd_intr_calls == [-1, 3]


def test_hello_without_a_nonce_gets_nonce_zero(rig):
    lk, port, store, app = rig
    got = run(lk, port, pkt(proto.HELLO, 1, bytes((proto.VERSION,))))
    assert json.loads(got[0][2]) == {"fw": "test", "proto": proto.VERSION, "nonce": 0}


# -- uploads -------------------------------------------------------------------


def test_a_full_size_photo_uploads_in_4k_chunks(rig):
    """240x240 with every row full: offsets past 64 KiB, the largest frame."""
    lk, port, store, app = rig
    rnd = random.Random(3)
    data = frame.pack(240, 240, 0, [(0, 240)] * 240,
                      bytes(rnd.getrandbits(8) for _ in range(240 * 240 * 2)))
    pid = upload(lk, port, data)
    assert store.ids() == [pid]
    with open(store.path(pid), "rb") as f:
        assert f.read() == data
    assert app.progress[-1] == (len(data), len(data))
    assert [d for d, _ in app.progress][:3] == [4096, 8192, 12288]


def largest_frame_size():
    """The largest frame the pendant keeps: 240x240, every row full (the
    frame format's own packer, not the link's limit)."""
    return len(frame.pack(240, 240, 0, [(0, 240)] * 240, bytes(240 * 240 * 2)))


@pytest.mark.parametrize("size, ok", [(frame.HEADER_SIZE, False), (frame.HEADER_SIZE + 1, True),
                                      (largest_frame_size(), True),
                                      (largest_frame_size() + 1, False)])
def test_put_sizes_at_the_limits(rig, size, ok):
    lk, port, store, app = rig
    got = run(lk, port, pkt(proto.PUT, 1, proto.put_payload("ab" * 8, size, 0)))
    if ok:
        assert json.loads(got[0][2]) == {"offset": 0}
    else:
        assert err(got[0]) == (proto.E_BAD_ARG, "photo size %d out of range" % size)
        assert os.listdir(store.root) == []


def test_a_malformed_put_is_refused(rig):
    lk, port, store, app = rig
    got = run(lk, port, pkt(proto.PUT, 1, b"ab" * 8 + b"\x00"))
    assert err(got[0]) == (proto.E_BAD_ARG, "malformed PUT")


def test_put_fits_exactly_the_free_space(rig, monkeypatch):
    lk, port, store, app = rig
    data = a_frame()
    monkeypatch.setattr(store, "free", lambda: len(data))
    got = run(lk, port, pkt(proto.PUT, 1, put(data)))
    assert json.loads(got[0][2]) == {"offset": 0}
    monkeypatch.setattr(store, "free", lambda: len(data) - 1)
    got = run(lk, port, pkt(proto.PUT, 1, put(a_frame(seed=2))))
    assert err(got[0])[0] == proto.E_NO_SPACE
    assert json.loads(err(got[0])[1]) == {"need": len(data), "free": len(data) - 1}


def test_a_resume_needs_room_only_for_the_rest(rig, monkeypatch):
    lk, port, store, app = rig
    data = a_frame()
    run(lk, port, pkt(proto.PUT, 1, put(data)), data_pkts(data[:40], 2, 20))
    monkeypatch.setattr(store, "free", lambda: len(data) - 40)
    got = run(lk, port, pkt(proto.PUT, 1, put(data)))
    assert json.loads(got[0][2]) == {"offset": 40}


def test_a_finished_part_whose_commit_was_lost_resumes_at_its_end(rig):
    lk, port, store, app = rig
    data = a_frame()
    pid = pid_of(data)
    run(lk, port, pkt(proto.PUT, 1, put(data)), data_pkts(data, 2))
    got = run(lk, port, pkt(proto.PUT, 1, put(data)), pkt(proto.COMMIT, 2, pid.encode()))
    assert json.loads(got[0][2]) == {"offset": len(data)}
    assert got[1][0] == proto.OK and store.ids() == [pid]


def test_a_part_longer_than_the_photo_starts_again(rig):
    lk, port, store, app = rig
    data = a_frame()
    with open(store.part_path(pid_of(data)), "wb") as f:
        f.write(bytes(len(data) + 1))
    got = run(lk, port, pkt(proto.PUT, 1, put(data)), data_pkts(data, 2),
              pkt(proto.COMMIT, 3, pid_of(data).encode()))
    assert json.loads(got[0][2]) == {"offset": 0}
    assert got[-1][0] == proto.OK and store.ids() == [pid_of(data)]


def test_a_new_upload_removes_other_parts_but_keeps_its_own(rig):
    lk, port, store, app = rig
    a, b = a_frame(seed=1), a_frame(seed=2)
    run(lk, port, pkt(proto.PUT, 1, put(a)), data_pkts(a[:20], 2))
    run(lk, port, pkt(proto.PUT, 1, put(b)), data_pkts(b[:30], 2))
    assert sorted(os.listdir(store.root)) == [pid_of(b) + ".part"]
    got = run(lk, port, pkt(proto.PUT, 1, put(b)))
    assert json.loads(got[0][2]) == {"offset": 30}


def test_data_up_to_the_size_is_taken_and_beyond_it_refused(rig):
    lk, port, store, app = rig
    data = a_frame()
    got = run(lk, port, pkt(proto.PUT, 1, put(data)),
              pkt(proto.DATA, 2, struct.pack("<I", 0) + data + b"x"),
              pkt(proto.DATA, 3, struct.pack("<I", 0) + data))
    assert err(got[1])[0] == proto.E_BAD_DATA and json.loads(err(got[1])[1]) == {"offset": 0}
    assert got[2] == (proto.ACK, 3, struct.pack("<I", len(data)))


def test_data_without_an_offset_is_refused_and_an_empty_chunk_acked(rig):
    lk, port, store, app = rig
    data = a_frame()
    got = run(lk, port, pkt(proto.PUT, 1, put(data)), pkt(proto.DATA, 2, b"\x00\x00\x00"),
              pkt(proto.DATA, 3, struct.pack("<I", 0)))
    assert err(got[1]) == (proto.E_BAD_DATA, "no upload in progress")
    assert got[2] == (proto.ACK, 3, struct.pack("<I", 0))


@pytest.mark.parametrize("offset", [1 << 8, 1 << 16, 1 << 24, 0xFFFFFFFF])
def test_data_at_an_offset_far_off_is_refused(rig, offset):
    lk, port, store, app = rig
    data = a_frame()
    got = run(lk, port, pkt(proto.PUT, 1, put(data)),
              pkt(proto.DATA, 2, struct.pack("<I", offset) + b"x"))
    assert json.loads(err(got[1])[1]) == {"offset": 0}


def test_data_outside_an_upload_is_refused(rig):
    lk, port, store, app = rig
    got = run(lk, port, pkt(proto.DATA, 2, struct.pack("<I", 0) + b"abc"))
    assert err(got[0]) == (proto.E_BAD_DATA, "no upload in progress")


def test_a_failing_flash_write_gives_the_space_back(rig, monkeypatch):
    lk, port, store, app = rig
    data = a_frame()
    real_open = builtins.open

    class Failing:
        def __init__(self, f):
            self.f = f

        def write(self, b):
            raise OSError(28, "ENOSPC")

        def flush(self):
            self.f.flush()

        def close(self):
            self.f.close()

    def open_(path, mode="r", *a, **kw):
        f = real_open(path, mode, *a, **kw)
        return Failing(f) if str(path).endswith(".part") and "a" in mode else f

    monkeypatch.setattr(builtins, "open", open_)
    got = run(lk, port, pkt(proto.PUT, 1, put(data)), data_pkts(data, 2),
              data_pkts(data, 3))
    code, text = err(got[1])
    assert code == proto.E_NO_SPACE and text.startswith("cannot write the photo (")
    assert err(got[2]) == (proto.E_BAD_DATA, "no upload in progress")
    assert os.listdir(store.root) == []


def test_a_session_end_closes_the_part_file(rig, monkeypatch):
    lk, port, store, app = rig
    data = a_frame()
    opened = []
    real_open = builtins.open

    def open_(path, mode="r", *a, **kw):
        f = real_open(path, mode, *a, **kw)
        opened.append(f)
        return f

    monkeypatch.setattr(builtins, "open", open_)
    run(lk, port, pkt(proto.PUT, 1, put(data)), data_pkts(data[:10], 2))
    assert opened and all(f.closed for f in opened)
    assert lk.upload is None


# -- COMMIT's checks -------------------------------------------------------------


def commit_of(lk, port, data, pid=None, size=None, crc=None):
    pid = pid or pid_of(data)
    return run(lk, port, pkt(proto.PUT, 1, put(data, pid, size, crc)),
               data_pkts(data, 2), pkt(proto.COMMIT, 99, pid.encode()))[-1]


def test_commit_refuses_a_frame_shorter_than_a_header(rig):
    lk, port, store, app = rig
    data = a_frame()[: frame.HEADER_SIZE - 1]
    # PUT refuses sizes <= HEADER_SIZE, so declare more and send less.
    got = commit_of(lk, port, data, size=frame.HEADER_SIZE + 1)
    assert err(got) == (proto.E_BAD_DATA, "too short for a frame")
    assert os.listdir(store.root) == []


def test_commit_refuses_a_bad_header(rig):
    lk, port, store, app = rig
    data = bytearray(a_frame())
    data[0:4] = b"JUNK"
    got = commit_of(lk, port, bytes(data))
    code, text = err(got)
    assert code == proto.E_BAD_DATA and text, got
    assert os.listdir(store.root) == []


def test_commit_refuses_a_file_shorter_than_its_header_says(rig):
    lk, port, store, app = rig
    data = a_frame()[:-1]
    got = commit_of(lk, port, data)
    assert err(got) == (proto.E_BAD_DATA, "size mismatch: %d of %d bytes" % (len(data), len(data)))


def test_commit_refuses_a_file_that_is_not_yet_complete(rig):
    lk, port, store, app = rig
    data = a_frame()
    got = commit_of(lk, port, data[:-1], pid=pid_of(data), size=len(data), crc=zlib.crc32(data))
    assert err(got) == (proto.E_BAD_DATA,
                        "size mismatch: %d of %d bytes" % (len(data) - 1, len(data)))


def test_commit_refuses_a_wrong_crc(rig):
    lk, port, store, app = rig
    data = a_frame()
    got = commit_of(lk, port, data, crc=zlib.crc32(data) ^ 1)
    assert err(got) == (proto.E_BAD_DATA, "CRC mismatch")


def test_commit_refuses_a_frame_the_panel_cannot_show(rig):
    lk, port, store, app = rig
    app.fits = False
    got = commit_of(lk, port, a_frame())
    assert err(got) == (proto.E_BAD_DATA, "frame does not fit this panel")
    assert os.listdir(store.root) == []


def test_commit_reads_a_frame_longer_than_one_buffer(rig):
    lk, port, store, app = rig
    data = a_frame(width=120, height=40)
    assert len(data) > proto.MAX_PAYLOAD
    got = commit_of(lk, port, data)
    assert got[0] == proto.OK and store.ids() == [pid_of(data)]
    assert app.changed == [pid_of(data)]


def test_commit_without_an_upload_or_of_another_photo(rig):
    lk, port, store, app = rig
    a, b = a_frame(seed=1), a_frame(seed=2)
    got = run(lk, port, pkt(proto.COMMIT, 1, pid_of(a).encode()),
              pkt(proto.PUT, 2, put(a)), data_pkts(a, 3),
              pkt(proto.COMMIT, 4, pid_of(b).encode()), pkt(proto.COMMIT, 5, b"x"))
    assert err(got[0]) == (proto.E_BAD_DATA, "no upload of " + pid_of(a))
    assert err(got[3]) == (proto.E_BAD_DATA, "no upload of " + pid_of(b))
    assert err(got[4]) == (proto.E_BAD_ARG, "invalid photo id")
    assert store.ids() == []


# -- the store's other requests ---------------------------------------------------


def test_list_reports_ids_and_sizes_in_order(rig):
    lk, port, store, app = rig
    a, b = a_frame(seed=1), a_frame(width=12, seed=2)
    ia, ib = upload(lk, port, a), upload(lk, port, b)
    got = run(lk, port, pkt(proto.LIST, 1))
    assert json.loads(got[0][2]) == [[ia, len(a)], [ib, len(b)]]


def test_a_long_list_reply_is_one_packet(rig):
    """A reply over 255 bytes: its length's high byte must be right."""
    lk, port, store, app = rig
    for i in range(20):
        with open(store.path("%016x" % i), "wb") as f:
            f.write(b"x" * i)
    lk.store = Store(store.root)
    got = run(lk, port, pkt(proto.LIST, 1))
    assert json.loads(got[0][2]) == [["%016x" % i, i] for i in range(20)]
    assert len(got[0][2]) > 255


def test_remove_and_show_need_a_stored_photo(rig):
    lk, port, store, app = rig
    pid = upload(lk, port, a_frame())
    other = "0123456789abcdef"
    got = run(lk, port, pkt(proto.SHOW, 1, other.encode()), pkt(proto.REMOVE, 2, other.encode()),
              pkt(proto.SHOW, 3, pid.encode()), pkt(proto.REMOVE, 4, pid.encode()))
    assert err(got[0]) == (proto.E_NOT_FOUND, "no photo " + other)
    assert err(got[1]) == (proto.E_NOT_FOUND, "no photo " + other)
    assert got[2][:2] == (proto.OK, 3) and got[3][:2] == (proto.OK, 4)
    assert app.shown == [pid] and store.ids() == []
    assert app.changed == [pid, None]


def test_order_checks_its_list(rig):
    lk, port, store, app = rig
    a, b, c = (upload(lk, port, a_frame(seed=s)) for s in (1, 2, 3))
    app.changed.clear()
    got = run(lk, port,
              pkt(proto.ORDER, 1, b"not json"),
              pkt(proto.ORDER, 2, b'{"a": 1}'),
              pkt(proto.ORDER, 3, json.dumps([a, "nope"]).encode()),
              pkt(proto.ORDER, 4, json.dumps([a, 5]).encode()),
              pkt(proto.ORDER, 5, json.dumps([c, a, c]).encode()),
              pkt(proto.ORDER, 6, json.dumps([c, c]).encode()),
              pkt(proto.ORDER, 7, json.dumps(["0123456789abcdef"]).encode()),
              pkt(proto.ORDER, 8, json.dumps([c, b]).encode()))
    bad = (proto.E_BAD_ARG, "order must be a list of photo ids")
    assert [err(g) for g in got[:4]] == [bad] * 4
    assert err(got[4]) == (proto.E_BAD_ARG, "photo %s is listed twice" % c)
    assert err(got[5]) == (proto.E_BAD_ARG, "photo %s is listed twice" % c)
    assert err(got[6]) == (proto.E_NOT_FOUND, "no photo 0123456789abcdef")
    assert got[7][:2] == (proto.OK, 8)
    assert store.ids() == [c, b, a] and app.changed == [None]


def test_settings_must_be_an_object_and_a_change_is_announced(rig):
    lk, port, store, app = rig
    got = run(lk, port, pkt(proto.SET_SETTINGS, 1, b"[1]"), pkt(proto.SET_SETTINGS, 2, b"{"),
              pkt(proto.SET_SETTINGS, 3, b'{"interval_s": 45}'), pkt(proto.GET_SETTINGS, 4))
    assert err(got[0]) == (proto.E_BAD_ARG, "settings must be a JSON object")
    assert err(got[1])[0] == proto.E_BAD_ARG
    assert json.loads(got[2][2])["interval_s"] == 45
    assert json.loads(got[3][2]) == json.loads(got[2][2])
    assert app.settings_changes == 1


# -- found by mutation testing -------------------------------------------------------


def test_bye_ends_the_session_at_once(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN + pkt(proto.BYE, 1) + hello(2))
    assert lk.poll() is True
    assert app.ended_at == [0], "BYE must not leave the link deaf for 10 s"
    assert [s for _, s, _ in replies(port.out)] == [1], "HELLO after BYE is outside a session"


def test_a_packet_just_inside_the_limit_is_answered_after_noise(rig):
    lk, port, store, app = rig
    port.at(0, proto.OPEN + hello(1)).at(IDLE_MS - 1, b"\x42").at(IDLE_MS, hello(2))
    port.at(IDLE_MS, pkt(proto.BYE, 3))
    assert lk.poll() is True
    assert [s for _, s, _ in replies(port.out)] == [1, 2, 3]


SESSION = proto.OPEN + pkt(proto.BYE, 1)


@pytest.mark.parametrize("before", [b"", b"\x03", bytes(proto.FILL_READ + 1), b"x", SESSION])
def test_only_a_whole_opener_opens(rig, before):
    """Its first byte missing: at power-on, after Ctrl-C, after a filler, after
    another byte, after a session."""
    lk, port, store, app = rig
    port.at(0, before)
    if before == SESSION:
        assert lk.poll() is True
        port.out.clear()
    elif before == b"\x03":
        with pytest.raises(KeyboardInterrupt):
            lk.poll()
    else:
        assert lk.poll() is False
    port.at(0, proto.OPEN[1:] + b"print(1)\r\n")
    assert lk.poll() is False
    assert port.out == b""


def test_a_stray_sync0_is_noise(rig):
    lk, port, store, app = rig
    got = run(lk, port, hello(1) + bytes((proto.SYNC0, 0x42)) + hello(2))
    assert [(k, s) for k, s, _ in got] == [(proto.OK, 1), (proto.OK, 2)]


def test_receiving_never_grows_the_buffers(rig):
    """The receive path allocates nothing: its buffers keep their sizes."""
    lk, port, store, app = rig
    data = a_frame(width=40, height=20)
    sizes = [len(b) for b in (lk.one, lk.head, lk.crc, lk.payload, lk.fill, lk.ack)]
    upload(lk, port, data, chunk=300)
    run(lk, port, hello(1), pkt(proto.LIST, 2), bytes(30) + proto.OPEN + hello(3))
    assert [len(b) for b in (lk.one, lk.head, lk.crc, lk.payload, lk.fill, lk.ack)] == sizes


def test_commit_of_a_bare_header_is_a_size_mismatch(rig):
    lk, port, store, app = rig
    data = a_frame()[: frame.HEADER_SIZE]
    got = commit_of(lk, port, data, size=frame.HEADER_SIZE + 1)
    assert err(got) == (proto.E_BAD_DATA, "size mismatch: 32 of 33 bytes")
