"""The host's Client (host/pendant/link.py) against the firmware's own
receiver in-process (tests/fakes/pendantport.py): what a user of `pendant`
sees when the pendant answers, is busy, stays silent, sits at its REPL,
runs old firmware, or loses bytes and the cable mid-upload. Virtual time, so
each test takes milliseconds however long the pendant is silent; the
simulator's end-to-end versions of these are in tests/link/.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import struct
import zlib

import pytest
import serial
from pendantport import Faults, FirmwarePendant, ScriptedPendant

from pendant import link as hostlink
from pendant.firmware import frame, proto
from pendant.link import Client, DeviceError, Disconnected, LinkError, NotFound, TooOld


def make_frame(seed: int, rows: int = 12) -> bytes:
    """A 240x240 frame whose first rows hold random pixels (480 bytes a row)."""
    rnd = random.Random(seed)
    spans = [(0, 240) if y < rows else (0, 0) for y in range(240)]
    pixels = bytes(rnd.getrandbits(8) for _ in range(rows * 240 * 2))
    return frame.pack(240, 240, 0, spans, pixels)


def pid(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[: proto.ID_LEN]


def on_flash(p: FirmwarePendant) -> dict[str, str]:
    """Files in the pendant's photo directory -> sha256 prefix, read directly."""
    root = p.root + "/photos"
    out = {}
    for name in sorted(os.listdir(root)):
        with open(os.path.join(root, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()[: proto.ID_LEN]
    return out


class SeededSecrets:
    """secrets for pendant.link: nonces from a seeded generator, so that a
    test is the same every run (a HELLO typed into the fake REPL may hold a
    Ctrl-D, as on a real board), and a draw that never ends fails."""

    def __init__(self, seed=0):
        self.rnd = random.Random(seed)
        self.draws = 0

    def randbits(self, k):
        self.draws += 1
        assert self.draws < 10_000, "no nonce can make this HELLO free of 0x03"
        return self.rnd.getrandbits(k)


@pytest.fixture(autouse=True)
def _nonces(monkeypatch):
    monkeypatch.setattr(hostlink, "secrets", SeededSecrets())


@pytest.fixture
def pendant(tmp_path, clock, monkeypatch):
    p = FirmwarePendant(str(tmp_path), clock)
    monkeypatch.setattr(hostlink, "_open_serial", p.serial)
    monkeypatch.setattr(hostlink, "time", p.host_time())
    yield p
    p.power_cut()


@pytest.fixture
def scripted(clock, monkeypatch):
    def make(answer):
        p = ScriptedPendant(clock, answer)
        monkeypatch.setattr(hostlink, "_open_serial", p.serial)
        monkeypatch.setattr(hostlink, "time", p.host_time())
        return p

    return make


def ok(seq, value=None):
    return proto.packet(proto.OK, seq, b"" if value is None else json.dumps(value).encode())


def nonce_of(hello_payload):
    return struct.unpack_from("<I", hello_payload, 1)[0]


def error(seq, code, text):
    return proto.packet(proto.ERR, seq, proto.error_payload(code, text))


# -- a pendant that answers ----------------------------------------------------------


def test_a_session_opens_with_the_pendants_info_and_ends_with_bye(pendant):
    with Client("/dev/fake") as c:
        assert c.info["fw"] == "0.0-test" and c.info["proto"] == proto.VERSION
        assert c.restarted is False
        assert pendant.app.sessions == 0
    assert pendant.app.sessions == 1, "close() says BYE: the pendant ends the session at once"
    assert c.ser is None


def test_upload_list_show_order_remove(pendant):
    frames = [make_frame(s, rows=2) for s in range(3)]
    ids = [pid(f) for f in frames]
    with Client("/dev/fake") as c:
        for f, i in zip(frames, ids, strict=True):
            assert c.put(f, i) == "uploaded"
        assert [(p.id, p.size) for p in c.list()] == [(i, len(f)) for i, f in
                                                       zip(ids, frames, strict=True)]
        c.order([ids[2], ids[0]])
        assert [p.id for p in c.list()] == [ids[2], ids[0], ids[1]]
        c.show(ids[1])
        c.remove(ids[0])
        assert [p.id for p in c.list()] == [ids[2], ids[1]]
    assert pendant.app.shown == [ids[1]]
    assert on_flash(pendant) == {"order": on_flash(pendant)["order"],
                                 ids[1] + ".frm": ids[1], ids[2] + ".frm": ids[2]}


def test_list_of_the_most_photos_a_pendant_holds(pendant):
    """200 photos with six-digit sizes: the LIST reply (~6.2 KB) is longer
    than any request may be, and the host reads it whole."""
    import os

    os.makedirs(pendant.store.root, exist_ok=True)
    ids = ["%016x" % i for i in range(pendant.store.max_photos)]
    for i in ids:
        with open(pendant.store.path(i), "wb") as f:
            f.truncate(123_456)  # sparse: the size is all LIST reports
    pendant.store.ids()  # as after a reboot: the store finds them on flash
    with Client("/dev/fake") as c:
        photos = c.list()
    assert [p.id for p in photos] == ids and {p.size for p in photos} == {123_456}


def test_a_photo_already_there_is_skipped_unless_forced(pendant):
    data = make_frame(1, rows=2)
    with Client("/dev/fake") as c:
        assert c.put(data, pid(data)) == "uploaded"
        before = c.sent_bytes
        assert c.put(data, pid(data)) == "skipped"
        assert c.sent_bytes - before < 100, "a skipped photo sends only its PUT"
        assert c.put(data, pid(data), force=True) == "uploaded"
        assert c.sent_bytes - before > len(data)
        assert [p.id for p in c.list()] == [pid(data)]


def test_progress_reports_the_acknowledged_bytes(pendant):
    data = make_frame(2, rows=96)  # 47 KB: a full window of 4 KB chunks and more
    seen = []
    with Client("/dev/fake") as c:
        c.put(data, pid(data), progress=seen.append)
    assert seen[0] == 0 and seen[-1] == len(data)
    assert seen == sorted(seen)
    assert seen[1:-1] == list(range(proto.CHUNK, len(data), proto.CHUNK))


def test_a_clean_upload_sends_little_more_than_the_photo(pendant):
    data = make_frame(3, rows=60)
    with Client("/dev/fake") as c:
        start = c.sent_bytes
        c.put(data, pid(data))
        sent = c.sent_bytes - start
    assert len(data) < sent < len(data) * 1.01


def test_settings_read_and_changed(pendant):
    with Client("/dev/fake") as c:
        before = c.settings()
        after = c.set_settings({"interval_s": 42})
        assert after["interval_s"] == 42 and c.settings() == after
        assert {k: v for k, v in after.items() if k != "interval_s"} == {
            k: v for k, v in before.items() if k != "interval_s"}
        info = c.hello()
        assert info["proto"] == proto.VERSION and c.info == info


def test_pendant_errors_are_device_errors_with_their_code(pendant):
    with Client("/dev/fake") as c:
        with pytest.raises(DeviceError) as e:
            c.show("0123456789abcdef")
        assert e.value.code == proto.E_NOT_FOUND and str(e.value) == "no photo 0123456789abcdef"
        with pytest.raises(DeviceError) as e:
            c.set_settings({"interval_s": 1})
        assert e.value.code == proto.E_BAD_ARG
        c.order([])  # the session goes on after errors


def test_no_space_reads_as_a_sentence(pendant, monkeypatch):
    data = make_frame(4, rows=2)
    monkeypatch.setattr(pendant.store, "free", lambda: 1234)
    with Client("/dev/fake") as c, pytest.raises(DeviceError) as e:
        c.put(data, pid(data))
    assert str(e.value) == (f"not enough room on the pendant: the photo needs {len(data):,} "
                            "bytes, 1,234 are free (remove some with `pendant remove`)")
    assert e.value.code == proto.E_NO_SPACE


def test_device_error_texts_that_are_not_json_pass_through():
    err = hostlink._device_error(proto.error_payload(proto.E_NO_SPACE, "flash worn out"))
    assert (err.code, str(err)) == (proto.E_NO_SPACE, "flash worn out")
    err = hostlink._device_error(proto.error_payload(proto.E_NO_SPACE, '{"need": 1}'))
    assert str(err) == '{"need": 1}'
    err = hostlink._device_error(b"")
    assert (err.code, str(err)) == (proto.E_INTERNAL, "")


# -- faults on the wire ----------------------------------------------------------------


def upload_through(pendant, frames, **faults):
    """put() each frame in one session through Faults; the ids whose put() returned."""
    done = []
    c = Client("/dev/fake", wrap=lambda s: Faults(s, **faults))
    try:
        c.open()
        for f in frames:
            c.put(f, pid(f))
            done.append(pid(f))
    except LinkError:
        pass
    finally:
        c.close()
    return done, c


FRAMES = [make_frame(10 + s, rows=46) for s in range(2)]  # 23,072 bytes each: 6 DATA packets


@pytest.mark.parametrize("seed", range(4))
def test_corrupted_bytes_are_retried_and_the_photos_arrive_intact(pendant, seed):
    rnd = random.Random(seed)
    corrupt = {rnd.randrange(100, 2 * len(FRAMES[0])) for _ in range(5)}
    done, c = upload_through(pendant, FRAMES, corrupt=corrupt)
    assert done == [pid(f) for f in FRAMES]
    assert {n: h for n, h in on_flash(pendant).items() if n.endswith(".frm")} == {
        i + ".frm": i for i in done}


@pytest.mark.parametrize("seed", range(4))
def test_dropped_bytes_are_retried(pendant, seed):
    rnd = random.Random(100 + seed)
    drop = {rnd.randrange(100, 2 * len(FRAMES[0])) for _ in range(3)}
    done, _ = upload_through(pendant, FRAMES, drop=drop)
    assert done == [pid(f) for f in FRAMES]
    assert {n for n in on_flash(pendant) if n.endswith(".frm")} == {i + ".frm" for i in done}


@pytest.mark.parametrize("cut_at", [5, 40, 2_000, 9_000, 15_000, 23_300, 30_000])
def test_a_cut_cable_then_a_retry_resumes_and_completes(pendant, cut_at):
    done, c = upload_through(pendant, FRAMES, cut_at=cut_at)
    assert c.sent_bytes <= cut_at
    frm = {n[:-4] for n in on_flash(pendant) if n.endswith(".frm")}
    assert set(done) <= frm <= {pid(f) for f in FRAMES}
    resumed = {}
    with Client("/dev/fake") as c2:
        for f in FRAMES:
            before = c2.sent_bytes
            result = c2.put(f, pid(f))
            resumed[pid(f)] = (result, c2.resumed_at, c2.sent_bytes - before)
    for i in frm:
        assert resumed[i][0] == "skipped"
    for result, at, sent in resumed.values():
        if result == "uploaded" and at:
            assert sent < len(FRAMES[0]) - at + 1024, "only the rest crosses the wire"
    names = on_flash(pendant)
    assert {n: h for n, h in names.items() if n != "order"} == {pid(f) + ".frm": pid(f)
                                                               for f in FRAMES}


def test_a_cut_after_acknowledged_data_resumes_past_it(pendant):
    upload_through(pendant, FRAMES[:1], cut_at=13_000)
    with Client("/dev/fake") as c:
        assert c.put(FRAMES[0], pid(FRAMES[0])) == "uploaded"
        assert c.resumed_at >= 2 * proto.CHUNK and c.resumed_at % proto.CHUNK == 0


def test_a_pendant_that_loses_power_mid_upload_stops_the_put(pendant):
    with Client("/dev/fake") as c:
        c.put(FRAMES[0], pid(FRAMES[0]))
        pendant.power_cut()
        before = fillers(pendant)
        with pytest.raises(Disconnected) as e:
            c.put(FRAMES[1], pid(FRAMES[1]))
        assert str(e.value) == "the pendant on /dev/fake stopped answering"
        # Five tries of the PUT, each after the first with a filler and OPEN.
        assert fillers(pendant) - before == 4
    pendant.power_on()
    with Client("/dev/fake") as c:
        assert [p.id for p in c.list()] == [pid(FRAMES[0])]
        assert c.put(FRAMES[1], pid(FRAMES[1])) == "uploaded"


def test_a_pendant_that_reboots_mid_upload_is_resumed_in_the_same_put(pendant):
    """Power back while the host still retries: the session reopens and the
    upload resumes from the .part the first boot flushed."""
    data = make_frame(7, rows=96)

    def cut():
        pendant.power_on()  # the pendant restarts; the cable stays

    c = Client("/dev/fake")
    c.open()
    written = []

    class Reboot:
        def __init__(self, ser):
            self.ser = ser

        def write(self, b):
            written.append(len(b))
            if sum(written) > 20_000 and not getattr(self, "done", False):
                self.done = True
                cut()
            return self.ser.write(b)

        def read(self, n):
            return self.ser.read(n)

        def close(self):
            self.ser.close()

    c.ser = Reboot(c.ser)
    assert c.put(data, pid(data)) == "uploaded"
    c.close()
    # Booted again, and maybe more: the DATA bytes that reach the new app
    # outside a session hold Ctrl-C (the REPL) and Ctrl-D (a soft reboot).
    assert pendant.boots >= 2
    assert on_flash(pendant)[pid(data) + ".frm"] == pid(data)


def test_a_pendant_stuck_in_a_read_is_freed_by_the_filler(pendant):
    """A host that died mid-packet (DATA, seq 1) left the pendant waiting for
    the rest of it: the next session's first HELLO (seq 0) is swallowed, its
    FILLER frees the pendant, and the error that packet earns (seq 1, as the
    second HELLO's) is not taken for the HELLO's answer."""
    ser = pendant.serial()
    ser.write(proto.OPEN)
    ser.write(proto.hello(0, 1))
    ser.read(200)
    ser.write(proto.packet(proto.DATA, 1, bytes(4) + bytes(range(256)) * 8)[:300])
    ser.close()
    with Client("/dev/fake") as c:
        assert c.info["proto"] == proto.VERSION
        assert c.restarted is False
        assert [p.id for p in c.list()] == []


# -- a pendant that does not answer as it should -----------------------------------------


def test_a_silent_port_is_no_pendant(scripted):
    scripted(lambda k, s, p: b"")
    with pytest.raises(NotFound) as e:
        Client("/dev/fake").open()
    assert str(e.value) == ("no answer from a pendant on /dev/fake: is the pendant firmware "
                            "installed? (`pendant install --port /dev/fake`)")


def test_a_stopped_app_is_restarted_and_the_user_told(pendant):
    pendant.stop_at_repl()
    told = []
    with Client("/dev/fake", notify=told.append) as c:
        assert c.restarted is True
        assert c.info["proto"] == proto.VERSION
        assert [p.id for p in c.list()] == []
    assert told == ["the pendant on /dev/fake was stopped at its REPL (by mpremote?): "
                    "restarting its app (soft reset)"]
    assert pendant.boots == 2


def test_ctrl_c_in_a_session_does_not_stop_the_app(pendant):
    """A photo full of 0x03 bytes: inside a session Ctrl-C is disarmed."""
    data = frame.pack(240, 240, 0x0303, [(0, 240)] * 4 + [(0, 0)] * 236, b"\x03" * (240 * 4 * 2))
    with Client("/dev/fake") as c:
        assert c.put(data, pid(data)) == "uploaded"
    assert pendant.state == "app" and pendant.boots == 1


def test_a_board_without_the_firmware_is_named(tmp_path, clock, monkeypatch):
    p = FirmwarePendant(str(tmp_path), clock, plain=True)
    monkeypatch.setattr(hostlink, "_open_serial", p.serial)
    monkeypatch.setattr(hostlink, "time", p.host_time())
    try:
        with pytest.raises(NotFound) as e:
            Client("/dev/fake").open()
        assert str(e.value) == ("/dev/fake is a MicroPython board at its REPL, and restarting "
                                "it did not start the pendant firmware: install it with "
                                "`pendant install --port /dev/fake`")
    finally:
        p.power_cut()


def test_firmware_without_the_nonce_protocol_is_too_old(scripted):
    scripted(lambda k, s, p: ok(s, {"fw": "0.1.0", "proto": 1}) if k == proto.HELLO else ok(s))
    with pytest.raises(TooOld) as e:
        Client("/dev/fake").open()
    assert str(e.value) == (f"the pendant runs firmware 0.1.0, too old for this pendant tool "
                            f"{hostlink.__version__}: update it with "
                            "`pendant install --port /dev/fake`")


def test_firmware_that_does_not_know_hello_is_too_old(scripted):
    scripted(lambda k, s, p: error(s, proto.E_UNKNOWN, "unknown message type 1"))
    with pytest.raises(TooOld) as e:
        Client("/dev/fake").open()
    assert "firmware too old" in str(e.value) and "pendant install --port /dev/fake" in str(
        e.value)


def test_a_hello_reply_that_is_not_json_is_too_old(scripted):
    scripted(lambda k, s, p: proto.packet(proto.OK, s, b"hi"))
    with pytest.raises(TooOld):
        Client("/dev/fake").open()


def test_a_hello_reply_that_is_not_an_object_is_too_old(scripted):
    scripted(lambda k, s, p: ok(s, [1, 2]) if k == proto.HELLO else ok(s))
    with pytest.raises(TooOld) as e:
        Client("/dev/fake").open()
    assert "firmware ?," in str(e.value)


def test_another_error_to_hello_is_no_pendant(scripted):
    scripted(lambda k, s, p: error(s, proto.E_INTERNAL, "oops"))
    with pytest.raises(NotFound):
        Client("/dev/fake").open()


def test_replies_to_earlier_requests_and_sessions_are_skipped(scripted):
    """A late reply (old seq), a reply to another HELLO (its nonce), noise
    and a packet with a bad CRC come first: none is taken for the answer."""

    def answer(kind, seq, payload):
        if kind == proto.HELLO:
            nonce = struct.unpack_from("<I", payload, 1)[0]
            bad = bytearray(ok(seq, {"proto": proto.VERSION, "nonce": nonce, "fw": "bad"}))
            bad[-1] ^= 1
            return (ok((seq - 1) & 0xFF, {"proto": proto.VERSION, "nonce": nonce, "fw": "old"})
                    + b"\x00\xa5\x17" + ok(seq, {"proto": proto.VERSION, "nonce": nonce ^ 1,
                                                 "fw": "other"})
                    + bytes(bad)
                    + ok(seq, {"proto": proto.VERSION, "nonce": nonce, "fw": "this"}))
        if kind == proto.LIST:
            return ok((seq - 1) & 0xFF, [["0123456789abcdef", 9]]) + ok(seq, [])
        return ok(seq)

    scripted(answer)
    with Client("/dev/fake") as c:
        assert c.info["fw"] == "this"
        assert c.list() == []


def test_an_oversized_length_is_noise(scripted):
    def answer(kind, seq, payload):
        if kind == proto.HELLO:
            nonce = struct.unpack_from("<I", payload, 1)[0]
            junk = struct.pack("<BBBBH", proto.SYNC0, proto.SYNC1, proto.OK, seq,
                               proto.MAX_REPLY + 1)
            return junk + ok(seq, {"proto": proto.VERSION, "nonce": nonce, "fw": "t"})
        return ok(seq)

    scripted(answer)
    with Client("/dev/fake") as c:
        assert c.info["fw"] == "t"


def test_a_pendant_busy_answering_older_requests_is_waited_for(scripted, clock):
    """It keeps answering older requests for 5 s: more than OPEN_WAIT_S, so
    only waiting while it is alive gets the answer (and bounded: ALIVE_MAX_S)."""
    state = {"t0": None}

    def answer(kind, seq, payload):
        if kind != proto.HELLO:
            return ok(seq)
        nonce = struct.unpack_from("<I", payload, 1)[0]
        state["t0"] = clock.now_ms
        state["reply"] = ok(seq, {"proto": proto.VERSION, "nonce": nonce, "fw": "busy"})
        state["seq"] = seq
        return b""

    p = scripted(answer)
    real = p.host_read

    def read(n):
        t0 = state["t0"]
        if t0 is not None and not p.to_host:
            if clock.now_ms - t0 < state["busy_ms"]:
                clock.now_ms += 100  # an older request's answer every 100 ms
                p.to_host += ok((state["seq"] - 1) & 0xFF)
            elif "reply" in state:
                p.to_host += state.pop("reply")
        return real(n)

    p.host_read = read
    state["busy_ms"] = 5_000
    with Client("/dev/fake") as c:
        assert c.info["fw"] == "busy"
    state.update(t0=None, busy_ms=10 * 30_000)
    with pytest.raises(NotFound):
        Client("/dev/fake").open()
    # 30 s of the first HELLO, then the filler's and a REPL probe's short waits.
    assert 30_000 <= clock.now_ms - state["t0"] <= (30 + 2 * 2 + 12) * 1000


def test_a_request_with_no_answer_times_out(scripted):
    scripted(lambda k, s, p: ok(s, {"proto": proto.VERSION, "nonce": struct.unpack_from(
        "<I", p, 1)[0]}) if k == proto.HELLO else b"")
    c = Client("/dev/fake")
    c.open()
    with pytest.raises(hostlink.Timeout) as e:
        c.list()
    assert str(e.value) == "the pendant on /dev/fake did not answer"
    c.close()  # BYE unanswered: closing still succeeds
    assert c.ser is None


def test_an_upload_whose_data_is_never_acknowledged_gives_up(scripted):
    """Every DATA refused: bounded retries, then one line."""

    def answer(kind, seq, payload):
        if kind == proto.HELLO:
            return ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)})
        if kind == proto.PUT:
            return ok(seq, {"offset": 0})
        if kind == proto.DATA:
            return error(seq, proto.E_BAD_DATA, json.dumps({"offset": 0}))
        return ok(seq)

    p = scripted(answer)
    data = make_frame(5, rows=1)
    with Client("/dev/fake") as c, pytest.raises(Disconnected) as e:
        c.put(data, pid(data))
    # Five retries (the number a user waits through), each a go-back that
    # first asks the pendant with PUT where it stands.
    assert str(e.value) == "upload to /dev/fake failed after 5 retries"
    puts = [k for k, _, _ in p.requests if k == proto.PUT]
    assert len(puts) == 1 + 5


def test_a_data_error_other_than_a_bad_packet_is_the_users(scripted):
    def answer(kind, seq, payload):
        if kind == proto.HELLO:
            return ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)})
        if kind == proto.PUT:
            return ok(seq, {"offset": 0})
        if kind == proto.DATA:
            return error(seq, proto.E_NO_SPACE, "cannot write the photo (ENOSPC)")
        return ok(seq)

    scripted(answer)
    data = make_frame(5, rows=1)
    with Client("/dev/fake") as c, pytest.raises(DeviceError) as e:
        c.put(data, pid(data))
    assert str(e.value) == "cannot write the photo (ENOSPC)"


def test_the_port_going_away_is_disconnected(pendant):
    c = Client("/dev/fake")
    c.open()
    pendant.unplugged = True
    with pytest.raises(Disconnected) as e:
        c.list()
    assert str(e.value).startswith("the pendant on /dev/fake disconnected (")
    c.close()
    assert c.ser is None


# -- finding and opening the port ---------------------------------------------------------


class Info:
    def __init__(self, device, vid, pid, description=""):
        self.device, self.vid, self.pid, self.description = device, vid, pid, description


def test_find_port_prefers_the_flag_then_the_environment_then_usb(monkeypatch):
    ports = [Info("/dev/ttyUSB0", 0x1A86, 0x7523, "CH340"),
             Info("/dev/ttyACM1", 0x2E8A, 0x0005, "Board in FS mode")]
    monkeypatch.setattr(hostlink.list_ports, "comports", lambda: ports)
    monkeypatch.delenv("PENDANT_PORT", raising=False)
    assert hostlink.find_port() == "/dev/ttyACM1"
    monkeypatch.setenv("PENDANT_PORT", "/dev/ttyS9")
    assert hostlink.find_port() == "/dev/ttyS9"
    assert hostlink.find_port("/dev/x") == "/dev/x"
    assert hostlink.candidate_ports() == [("/dev/ttyACM1", "Board in FS mode"),
                                          ("/dev/ttyUSB0", "CH340")]
    monkeypatch.delenv("PENDANT_PORT")
    monkeypatch.setattr(hostlink.list_ports, "comports", lambda: ports[:1])
    with pytest.raises(NotFound) as e:
        hostlink.find_port()
    assert "no pendant found on USB" in str(e.value) and "pendant sim" in str(e.value)


@pytest.mark.parametrize("exc, cls, text", [
    (serial.SerialException(errno.EBUSY, "x"), hostlink.Busy, "/dev/p is busy: another"),
    (serial.SerialException("Could not exclusively lock port"), hostlink.Busy, "/dev/p is busy"),
    (serial.SerialException(errno.ENOENT, "x"), NotFound, "no pendant at /dev/p: the port"),
    (serial.SerialException("[Errno 2] No such file or directory"), NotFound, "no pendant at"),
    (serial.SerialException(errno.EACCES, "x"), LinkError, "permission denied on /dev/p: add"),
    (serial.SerialException("Permission denied"), LinkError, "permission denied on /dev/p"),
    (serial.SerialException("odd"), LinkError, "cannot open /dev/p: odd"),
])
def test_opening_the_port_fails_in_one_line(monkeypatch, exc, cls, text):
    def fail(*a, **kw):
        raise exc

    monkeypatch.setattr(hostlink.serial, "Serial", fail)
    with pytest.raises(cls) as e:
        hostlink._open_serial("/dev/p")
    assert str(e.value).startswith(text), str(e.value)
    assert type(e.value) is cls


def test_the_port_is_opened_exclusively_with_a_short_timeout(monkeypatch):
    got = {}

    def Serial(port, **kw):
        got.update(kw, port=port)
        return "ser"

    monkeypatch.setattr(hostlink.serial, "Serial", Serial)
    assert hostlink._open_serial("/dev/p") == "ser"
    assert got == {"port": "/dev/p", "baudrate": 115200, "timeout": 0.2, "write_timeout": 10,
                   "exclusive": True}


@pytest.mark.parametrize("seq", [2, 3, 255])
def test_a_session_reopens_whatever_the_sequence_number(pendant, seq):
    """HELLO must carry no 0x03, and with seq 3 no nonce avoids one: the
    host skips that number (it used to draw nonces forever)."""
    c = Client("/dev/fake")
    c.seq = seq
    c.open()
    assert c.info["proto"] == proto.VERSION
    c.close()


def fillers(p) -> int:
    return bytes(p.raw).count(bytes(proto.FILLER_LEN))


@pytest.mark.parametrize("after_ms, filler", [(1_900, False), (2_100, True)])
def test_hello_is_given_2_s_before_a_filler(scripted, after_ms, filler):
    """docs/protocol.md: the host sends a filler only after a silence of 2 s."""
    hellos = []

    def answer(kind, seq, payload):
        if kind == proto.LIST:
            return (500, ok(seq, []))  # after the late HELLO reply, if any
        if kind != proto.HELLO:
            return ok(seq)
        hellos.append(seq)
        reply = ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)})
        return (after_ms, reply) if len(hellos) == 1 else reply  # the first one late

    p = scripted(answer)
    with Client("/dev/fake") as c:
        assert c.info["proto"] == proto.VERSION
        assert c.list() == [], "a late reply to the first HELLO is not the LIST's"
    assert fillers(p) == int(filler)


@pytest.mark.parametrize("busy_s, filler", [(29.5, False), (30.5, True)])
def test_a_busy_pendant_is_waited_for_up_to_30_s(scripted, clock, busy_s, filler):
    """docs/protocol.md: a pendant that answers anything meanwhile is waited
    for up to 30 s rather than sent a filler."""
    state = {}

    def answer(kind, seq, payload):
        if kind != proto.HELLO:
            return ok(seq)
        state.setdefault("t0", clock.now_ms)
        return (int(busy_s * 1000) - (clock.now_ms - state["t0"]) + 1,
                ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)}))

    p = scripted(answer)
    real = p.host_read

    def read(n):
        t0 = state.get("t0")
        if t0 is not None and not p.to_host and clock.now_ms - t0 < busy_s * 1000 - 100:
            clock.now_ms += 100  # an older request's answer every 100 ms
            p.to_host += ok(0xF0)
        return real(n)

    p.host_read = read
    with Client("/dev/fake") as c:
        assert c.info["proto"] == proto.VERSION
    assert fillers(p) == int(filler)


def test_closing_a_silent_session_waits_a_second_for_bye(scripted, clock):
    scripted(lambda k, s, p: ok(s, {"proto": proto.VERSION, "nonce": nonce_of(p)})
             if k == proto.HELLO else b"")
    c = Client("/dev/fake")
    c.open()
    start = clock.now_ms
    c.close()
    assert 1_000 <= clock.now_ms - start <= 1_200
    c.close()  # a second close is harmless
    assert c.ser is None



# -- found by mutation testing ---------------------------------------------------------


def test_a_session_costs_only_open_and_hello(pendant):
    with Client("/dev/fake") as c:
        assert c.sent_bytes == len(proto.OPEN) + 6 + 5 + 4


@pytest.mark.parametrize("boot_ms", [500, 14_500])
def test_after_a_restart_the_host_waits_for_the_app_to_start(tmp_path, clock, monkeypatch,
                                                            boot_ms):
    """A soft reboot takes up to 15 s to print the app's start line (an
    emulated chip is slow); OPEN sent before it would be lost."""
    p = FirmwarePendant(str(tmp_path), clock, boot_ms=boot_ms)
    monkeypatch.setattr(hostlink, "_open_serial", p.serial)
    monkeypatch.setattr(hostlink, "time", p.host_time())
    try:
        p.stop_at_repl()
        with Client("/dev/fake") as c:
            assert c.restarted is True and c.info["proto"] == proto.VERSION
            # No longer than it takes: the 2 s HELLO, the filler's 2 s, the
            # REPL probe, the boot, HELLO's answer; not the full 15 s wait.
            assert clock.now_ms <= 2_000 + 2_000 + 1_500 + boot_ms + 1_000
    finally:
        p.power_cut()


def test_after_a_restart_hello_is_given_8_s(pendant):
    pendant.stop_at_repl()
    pendant.app.info_ms = 7_500  # importing the app's modules on first use
    with Client("/dev/fake") as c:
        assert c.restarted is True and c.info["proto"] == proto.VERSION


def test_a_reply_of_the_longest_payload_is_read(scripted):
    longest = json.dumps(["x" * (proto.MAX_PAYLOAD - 4)]).encode()
    assert len(longest) == proto.MAX_PAYLOAD
    scripted(lambda k, s, p: ok(s, {"proto": proto.VERSION, "nonce": nonce_of(p)})
             if k == proto.HELLO else proto.packet(proto.OK, s, longest))
    with Client("/dev/fake") as c:
        assert c.settings() == ["x" * (proto.MAX_PAYLOAD - 4)]


class OSErrorPort:
    """A port whose reads fail with a plain OSError (EIO: the USB device went away)."""

    def __init__(self, ser):
        self.ser = ser
        self.broken = False

    def write(self, data):
        if self.broken:
            raise OSError(errno.EIO, "Input/output error")
        return self.ser.write(data)

    def read(self, n):
        if self.broken:
            raise OSError(errno.EIO, "Input/output error")
        return self.ser.read(n)

    def close(self):
        self.ser.close()


@pytest.mark.parametrize("op", ["read", "write"])
def test_an_io_error_on_the_port_is_disconnected(pendant, op):
    c = Client("/dev/fake", wrap=OSErrorPort)
    c.open()
    c.ser.broken = True
    if op == "read":
        c.ser.write = lambda data: len(data)
    with pytest.raises(Disconnected) as e:
        c.list()
    assert str(e.value) == "the pendant on /dev/fake disconnected ([Errno 5] Input/output error)"
    c._close_port()


class AckingPendant:
    """A scripted pendant that takes DATA in order; `refuse(n)` says whether
    the n-th DATA packet (from 0) gets ERR instead; `late` lists DATA packets
    whose ACK also comes a second time, late."""

    def __init__(self, refuse=lambda n: False, late=()):
        self.offset = 0
        self.n = 0
        self.refuse = refuse
        self.late = set(late)
        self.data_offsets = []
        self.committed_at = []  # bytes received when each COMMIT came

    def __call__(self, kind, seq, payload):
        if kind == proto.HELLO:
            return ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)})
        if kind == proto.PUT:
            return ok(seq, {"offset": self.offset})
        if kind == proto.DATA:
            n, self.n = self.n, self.n + 1
            (off,) = struct.unpack_from("<I", payload)
            self.data_offsets.append(off)
            if self.refuse(n) or off != self.offset:
                return error(seq, proto.E_BAD_DATA, json.dumps({"offset": self.offset}))
            self.offset += len(payload) - 4
            ack = proto.packet(proto.ACK, seq, struct.pack("<I", self.offset))
            return ack + ack if n in self.late else ack
        if kind == proto.COMMIT:
            self.committed_at.append(self.offset)
        return ok(seq)


def test_an_upload_sends_each_chunk_once(scripted):
    pend = AckingPendant()
    scripted(pend)
    data = make_frame(6, rows=40)
    with Client("/dev/fake") as c:
        c.put(data, pid(data))
    assert pend.data_offsets == list(range(0, len(data), proto.CHUNK))


def test_six_failures_after_progress_give_up(scripted):
    pend = AckingPendant(refuse=lambda n: n >= 1)
    p = scripted(pend)
    data = make_frame(6, rows=40)
    with Client("/dev/fake") as c, pytest.raises(Disconnected):
        c.put(data, pid(data))
    assert [k for k, _, _ in p.requests].count(proto.PUT) == 1 + 5


def test_a_late_duplicate_ack_is_ignored(scripted):
    """An ACK for a packet already acknowledged (or written off) neither
    counts as a failure nor ends the stream early."""
    pend = AckingPendant(late={0, 1, 2})
    p = scripted(pend)
    data = make_frame(6, rows=96)  # 12 chunks: more than a window and one
    with Client("/dev/fake") as c:
        assert c.put(data, pid(data)) == "uploaded"
    assert [k for k, _, _ in p.requests].count(proto.PUT) == 1
    assert pend.committed_at == [len(data)], "COMMIT only after every byte was acknowledged"


def test_a_refused_chunk_goes_back_without_a_filler(scripted):
    pend = AckingPendant(refuse=lambda n: n == 2)
    p = scripted(pend)
    data = make_frame(6, rows=40)
    with Client("/dev/fake") as c:
        assert c.put(data, pid(data)) == "uploaded"
    assert fillers(p) == 0
    assert [k for k, _, _ in p.requests].count(proto.PUT) == 2


def test_an_ack_that_never_comes_gets_a_filler_then_a_resume(pendant):
    """docs/protocol.md: a filler goes out when an ACK does not come."""
    data = FRAMES[0]
    start = len(proto.OPEN) + 15 + (6 + 24 + 4) + 5 * (6 + 4 + proto.CHUNK + 4)
    last = 6 + 4 + (len(data) - 5 * proto.CHUNK) + 4
    done, c = upload_through(pendant, [data], drop=range(start, start + last))
    assert done == [pid(data)]
    assert fillers(pendant) == 1
    assert on_flash(pendant)[pid(data) + ".frm"] == pid(data)


class WindowWatch:
    """wrap= for Client: counts DATA packets written and not yet answered."""

    def __init__(self, ser):
        self.ser = ser
        self.out = 0
        self.most = 0
        self.heard = bytearray()

    def write(self, data):
        data = bytes(data)
        if data[:2] == bytes((proto.SYNC0, proto.SYNC1)) and data[2] == proto.DATA:
            self.out += 1
            self.most = max(self.most, self.out)
        return self.ser.write(data)

    def read(self, n):
        got = self.ser.read(n)
        self.heard += got
        while len(self.heard) >= 6:
            m = self.heard[4] | self.heard[5] << 8
            if len(self.heard) < 10 + m:
                break
            if self.heard[2] in (proto.ACK, proto.ERR):
                self.out -= 1
            del self.heard[: 10 + m]
        return got

    def close(self):
        self.ser.close()


def test_an_upload_keeps_four_chunks_in_flight(pendant):
    """docs/protocol.md: up to 4 DATA packets unacknowledged."""
    data = make_frame(8, rows=96)
    c = Client("/dev/fake", wrap=WindowWatch)
    c.open()
    c.put(data, pid(data))
    assert c.ser.most == 4
    c.close()


class Trickle:
    """wrap= for Client: a read returns at most 3 bytes (USB hands over what
    has arrived)."""

    def __init__(self, ser):
        self.ser = ser
        self.held = bytearray()

    def write(self, data):
        return self.ser.write(data)

    def read(self, n):
        if not self.held:
            self.held += self.ser.read(max(n, 64))
        out = bytes(self.held[: min(n, 3)])
        del self.held[: len(out)]
        return out

    def close(self):
        self.ser.close()


def test_replies_that_arrive_a_few_bytes_at_a_time(pendant):
    data = make_frame(9, rows=20)
    with Client("/dev/fake", wrap=Trickle) as c:
        assert c.put(data, pid(data)) == "uploaded"
        assert [p.id for p in c.list()] == [pid(data)]


def test_the_host_keeps_only_the_last_kilobyte_it_heard(scripted):
    big = ["%016x" % i for i in range(150)]
    scripted(lambda k, s, p: ok(s, {"proto": proto.VERSION, "nonce": nonce_of(p)})
             if k == proto.HELLO else ok(s, big))
    with Client("/dev/fake") as c:
        for _ in range(3):
            assert c.settings() == big
        assert 0 < len(c.heard) <= 1024


def test_a_pendant_answering_only_older_requests_times_the_request_out(scripted, clock):
    p = scripted(lambda k, s, pl: ok(s, {"proto": proto.VERSION, "nonce": nonce_of(pl)})
                 if k == proto.HELLO else b"")
    c = Client("/dev/fake")
    c.open()
    real = p.host_read

    def read(n):
        if not p.to_host:
            clock.now_ms += 100
            p.to_host += ok(0xEE)  # an old request's answer, again and again
        return real(n)

    p.host_read = read
    start = clock.now_ms
    with pytest.raises(hostlink.Timeout):
        c.list()
    assert clock.now_ms - start <= 3_500
    c._close_port()


# -- how long the host waits (docs/protocol.md's table; numbers from there) -------------


def answering(delays):
    """A scripted pendant that answers HELLO at once and each other request
    as AckingPendant does, `delays[kind]` ms late (the first time only)."""
    pend = AckingPendant()
    late = dict(delays)

    def answer(kind, seq, payload):
        out = pend(kind, seq, payload)
        ms = late.pop(kind, 0)
        return (ms, out) if ms else out

    return pend, answer


@pytest.mark.parametrize("after_ms, answered", [(2_700, True), (3_300, False)])
def test_a_request_is_given_3_s(scripted, after_ms, answered):
    _, answer = answering({proto.GET_SETTINGS: after_ms})
    scripted(answer)
    c = Client("/dev/fake")
    c.open()
    if answered:
        assert c.settings() is None  # AckingPendant's bare OK
    else:
        with pytest.raises(hostlink.Timeout):
            c.settings()
    c._close_port()


@pytest.mark.parametrize("after_ms, filler", [(2_700, False), (3_300, True)])
def test_an_ack_is_given_3_s_before_a_filler(scripted, after_ms, filler):
    _, answer = answering({proto.DATA: after_ms})
    p = scripted(answer)
    data = make_frame(6, rows=2)  # one DATA packet: its ACK is the only one
    with Client("/dev/fake") as c:
        assert c.put(data, pid(data)) == "uploaded"
    assert fillers(p) == int(filler)


@pytest.mark.parametrize("after_ms, filler", [(29_500, False), (30_500, True)])
def test_commit_is_given_30_s_before_a_filler(scripted, after_ms, filler):
    pend, answer = answering({proto.COMMIT: after_ms})
    p = scripted(answer)
    data = make_frame(6, rows=20)
    with Client("/dev/fake") as c:
        assert c.put(data, pid(data)) == "uploaded"
    assert fillers(p) == int(filler)
    assert len(pend.committed_at) == 1 + int(filler)


def test_after_a_restart_hello_is_given_no_more_than_8_s(pendant):
    pendant.stop_at_repl()
    pendant.app.info_ms = 8_500
    with pytest.raises(NotFound) as e:
        Client("/dev/fake").open()
    assert "restarting it did not start the pendant firmware" in str(e.value)


def test_a_file_too_short_to_be_a_frame_is_refused_in_one_line(pendant):
    with Client("/dev/fake") as c, pytest.raises(DeviceError) as e:
        c.put(b"PHRT\x01", "0123456789abcdef")
    assert (e.value.code, str(e.value)) == (proto.E_BAD_ARG, "photo size 5 out of range")


def test_a_late_reply_to_a_hello_given_up_is_not_the_next_requests(scripted):
    """The first HELLO is answered after 3 s: after the second HELLO's reply
    and after the LIST that follows it was sent, before LIST's own reply."""
    hellos = []

    def answer(kind, seq, payload):
        if kind == proto.LIST:
            return (1_500, ok(seq, []))
        if kind != proto.HELLO:
            return ok(seq)
        hellos.append(seq)
        reply = ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)})
        return (3_000, reply) if len(hellos) == 1 else reply

    p = scripted(answer)
    with Client("/dev/fake") as c:
        assert c.list() == []
    assert fillers(p) == 1 and len(hellos) == 2


def test_a_reply_of_16384_bytes_is_read(scripted):
    """docs/protocol.md: a reply's payload may run to 16,384 bytes (a LIST of
    200 photos passes a request's 4,100)."""
    longest = json.dumps(["x" * (16_384 - 4)]).encode()
    assert len(longest) == 16_384
    head = struct.pack("<BBBBH", proto.SYNC0, proto.SYNC1, proto.OK, 0, len(longest))

    def answer(kind, seq, payload):
        if kind == proto.HELLO:
            return ok(seq, {"proto": proto.VERSION, "nonce": nonce_of(payload)})
        if kind != proto.GET_SETTINGS:
            return ok(seq)
        h = head[:3] + bytes((seq,)) + head[4:]
        return h + longest + struct.pack("<I", zlib.crc32(h[2:] + longest))

    scripted(answer)
    with Client("/dev/fake") as c:
        assert c.settings() == ["x" * (16_384 - 4)]
