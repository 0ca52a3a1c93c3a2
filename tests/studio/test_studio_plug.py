"""The studio's pendant side against the simulated pendant: it notices a
pendant coming and going, and an upload cut by an unplugged cable shows what
happened, leaves nothing half-written in the slideshow, and resumes (from
where it stopped) when the pendant is back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import serial

from pendant import frames
from pendant.link import Client
from pendant.photo import RenderOptions, render
from pendant.sim import Simulator
from pendant.studio import device

SAMPLES = Path(__file__).resolve().parents[2] / "host" / "pendant" / "samples"


class Cable:
    """A USB cable the test plugs and unplugs: while out, the port is gone and
    every read or write fails; cut_after unplugs it once that many bytes of
    one photo's DATA have gone out."""

    def __init__(self):
        self.plugged = True
        self.cut_after: int | None = None
        self.sessions: list[int] = []  # bytes written per session

    def present(self, port: str) -> bool:
        return self.plugged

    def wrap(self, ser):
        cable = self
        cable.sessions.append(0)

        class Wire:
            def write(self, data):
                if not cable.plugged:
                    raise serial.SerialException("device disconnected")
                cable.sessions[-1] += len(data)
                if cable.cut_after is not None and cable.sessions[-1] > cable.cut_after:
                    cable.plugged = False
                    cable.cut_after = None
                    raise serial.SerialException("device disconnected")
                return ser.write(data)

            def read(self, n):
                if not cable.plugged:
                    raise serial.SerialException("device disconnected")
                return ser.read(n)

            def reset_input_buffer(self):
                ser.reset_input_buffer()

            def close(self):
                ser.close()

        return Wire()


def wait_until(fn, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def sim(tmp_path):
    s = Simulator(tmp_path / "flash", speed="fast")
    s.start()
    yield s
    s.stop()


def item(name: str) -> device.UploadItem:
    ff = frames.from_render(render(str(SAMPLES / name), RenderOptions()), "lossless")
    return device.UploadItem(name, name, ff.id, len(ff), ff.data, b"")


def test_unplugged_mid_upload_then_back_resumes(sim):
    cable = Cable()
    uploaded = []
    p = device.Pendant(sim.port, uploaded.append, port_present=cable.present, wrap=cable.wrap)
    p.start()
    try:
        wait_until(lambda: p.connected, what="the pendant to be found")
        assert p.message.startswith("pendant on ")
        first, second = item("chelsea.jpg"), item("astronaut.jpg")
        assert first.size > 20_000  # big enough to be cut in the middle
        cable.cut_after = 2_000 + first.size * 3 // 4
        p.submit(device.Job("upload", [first, second]))
        wait_until(lambda: p.job.state == "waiting", what="the cut upload to wait")
        assert not p.connected
        assert "resumes when the pendant is back" in p.job.message
        assert "unplugged" in p.message or "went away" in p.message
        assert first.done < first.size and first.state == "waiting"
        assert uploaded == []
        with Client(sim.port) as c:  # nothing half-written joined the slideshow
            assert [ph.id for ph in c.list()] == []
        cable.plugged = True
        p.wake()
        wait_until(lambda: p.job.state == "done", what="the upload to resume and finish")
        assert [i.name for i in uploaded] == ["chelsea.jpg", "astronaut.jpg"]
        assert [ph["id"] for ph in p.photos] == [first.frame_id, second.frame_id]
        # It resumed: the session after the cut sent less than a whole new upload.
        after = cable.sessions[-1]
        assert after < first.size * 3 // 4 + second.size + 4_000, cable.sessions
    finally:
        p.stop()


def test_a_pendant_coming_and_going_is_noticed(sim):
    cable = Cable()
    cable.plugged = False
    p = device.Pendant(sim.port, lambda i: None, port_present=cable.present, wrap=cable.wrap)
    p.start()
    try:
        wait_until(lambda: p.message.startswith("no pendant at"), what="no pendant")
        assert not p.connected
        cable.plugged = True
        wait_until(lambda: p.connected, what="the pendant plugged in")
        assert p.info.get("board") == sim.board_name
        cable.plugged = False
        wait_until(lambda: not p.connected, what="the pendant unplugged")
        assert p.message.startswith("no pendant at")
        with pytest.raises(Exception, match="no pendant connected"):
            p.call(lambda c: c.list())
        cable.plugged = True
        wait_until(lambda: p.connected, what="the pendant back")
    finally:
        p.stop()


def test_a_board_without_the_firmware_gets_it_in_one_step(tmp_path):
    """MicroPython but no pendant firmware: the studio says so, offers the
    install (pendant.install, as `pendant install` runs it), then connects."""
    s = Simulator(tmp_path / "flash", speed="fast", install=False)
    s.start()
    p = device.Pendant(s.port, lambda i: None)
    p.start()
    try:
        wait_until(lambda: "install" in p.message, what="the no-firmware message")
        assert not p.connected
        assert p.to_json()["installable"]
        p.submit(device.Job("install"))
        wait_until(lambda: p.job.state in ("done", "failed"), timeout=240, what="the install")
        assert p.job.state == "done", (p.job.message, p.job.log)
        wait_until(lambda: p.connected, what="the pendant after the install")
        assert p.info.get("fw")
    finally:
        p.stop()
        s.stop()
