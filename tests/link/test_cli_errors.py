"""Every failure a user can meet is one line on stderr, never a traceback:
through the real `pendant` entry point (a child process), against the real
firmware on the simulator or a scripted pendant on a pseudo-terminal."""

from __future__ import annotations

import json
import os
import select
import threading
import tty

import pytest
import serial
from linkkit import cli, make_frame

from pendant.firmware import frame, proto
from pendant.sim.panel import PanelModel  # noqa: F401  (the sim package imports cleanly)


def one_line_error(proc, *needles: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


class ScriptedPendant:
    """A pty whose far end answers packets with `answer(kind, seq, payload)`,
    which returns bytes to send back, b"" for silence, or None to hang up."""

    def __init__(self, answer):
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self.slave = slave
        self.answer = answer
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        buf = bytearray()
        while not self.stop:
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                buf += os.read(self.master, 65536)
            except OSError:
                continue
            while True:
                i = buf.find(bytes((proto.SYNC0, proto.SYNC1)))
                if i < 0 or len(buf) < i + 6:
                    break
                n = buf[i + 4] | buf[i + 5] << 8
                if len(buf) < i + 10 + n:
                    break
                kind, seq = buf[i + 2], buf[i + 3]
                payload = bytes(buf[i + 6 : i + 6 + n])
                del buf[: i + 10 + n]
                out = self.answer(kind, seq, payload)
                if out is None:  # the cable is pulled: the port disappears
                    self.stop = True
                    os.close(self.master)
                    os.close(self.slave)
                    return
                if out:
                    os.write(self.master, out)

    def close(self):
        if not self.stop:
            self.stop = True
            self.thread.join(2)
            os.close(self.master)
            os.close(self.slave)


@pytest.fixture
def scripted():
    made = []

    def make(answer):
        p = ScriptedPendant(answer)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def ok(seq, value):
    return proto.packet(proto.OK, seq, json.dumps(value).encode())


def test_not_found(tmp_path):
    one_line_error(cli("list", "--port", str(tmp_path / "ttyNONE")), "no pendant at")


def test_busy(pendant):
    with serial.Serial(pendant.port, exclusive=True):
        one_line_error(cli("list", "--port", pendant.port), "busy")


def test_firmware_too_old(scripted):
    p = scripted(lambda k, s, _: ok(s, {"fw": "0.0.1", "proto": 0}) if k == proto.HELLO
                 else proto.packet(proto.OK, s))
    one_line_error(cli("status", "--port", p.port), "too old", "pendant install")


def test_firmware_without_the_link(scripted):
    p = scripted(lambda k, s, _: proto.packet(proto.ERR, s, proto.error_payload(
        proto.E_UNKNOWN, "unknown message type")))
    one_line_error(cli("list", "--port", p.port), "too old", "pendant install")


def test_board_at_the_repl():
    """A board running plain MicroPython: whatever it gets, the REPL answers."""
    master, slave = os.openpty()
    tty.setraw(slave)
    done = threading.Event()

    def repl():
        while not done.is_set():
            if select.select([master], [], [], 0.05)[0]:
                os.read(master, 65536)
                os.write(master, b"\r\nMicroPython v1.29.0; Raspberry Pi Pico with RP2040\r\n>>> ")

    t = threading.Thread(target=repl, daemon=True)
    t.start()
    try:
        one_line_error(cli("list", "--port", os.ttyname(slave)), "REPL", "pendant install")
    finally:
        done.set()
        t.join(2)
        os.close(master)
        os.close(slave)


def test_disconnected_mid_transfer(scripted, tmp_path):
    seen = {"data": 0}

    def answer(kind, seq, payload):
        if kind == proto.HELLO:
            return ok(seq, {"fw": "t", "proto": proto.VERSION, "panel": "gc9a01",
                            "encodings": list(frame.ENCODINGS)})
        if kind == proto.PUT:
            return ok(seq, {"offset": 0})
        if kind == proto.DATA:
            seen["data"] += 1
            return None  # pulled out after the first DATA packet
        return proto.packet(proto.OK, seq)

    p = scripted(answer)
    photo = tmp_path / "a.jpg"
    from PIL import Image

    Image.new("RGB", (64, 64), (200, 40, 40)).save(photo)
    proc = cli("upload", "--port", p.port, str(photo))
    one_line_error(proc, "disconnected")
    assert seen["data"] >= 1


def test_device_errors_are_one_line(pendant):
    one_line_error(cli("show", "--port", pendant.port, "0123"), "no photo")
    one_line_error(cli("settings", "--port", pendant.port, "brightness=500"), "brightness")
    one_line_error(cli("settings", "--port", pendant.port, "nonsense=1"), "unknown setting")
    one_line_error(cli("remove", "--port", pendant.port, "ffff"), "no photo")


def test_show_order_settings_through_the_cli(pendant, tmp_path):
    from pendant.link import Client

    frames = [make_frame(s, rows=8) for s in (1, 2)]
    with Client(pendant.port) as c:
        for f in frames:
            c.put(f, __import__("hashlib").sha256(f).hexdigest()[:16])
        ids = [p.id for p in c.list()]
    r = cli("order", "--port", pendant.port, ids[1][:6])
    assert r.returncode == 0, r.stderr
    r = cli("list", "--port", pendant.port)
    assert r.stdout.split()[1] == ids[1]
    r = cli("show", "--port", pendant.port, ids[0][:5])
    assert r.returncode == 0 and ids[0] in r.stdout, r.stderr
    r = cli("settings", "--port", pendant.port, "brightness=40", "interval_s=9")
    assert r.returncode == 0, r.stderr
    r = cli("settings", "--port", pendant.port)
    assert "brightness     40" in r.stdout and "interval_s     9" in r.stdout
