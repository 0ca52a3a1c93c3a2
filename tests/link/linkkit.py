"""Helpers for the link tests: frames, the flash read back, a faulty transport, the CLI."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import serial

from pendant.firmware import frame, proto
from pendant.frames import FrameFile
from pendant.sim import Simulator
from pendant.sim.simulator import find_micropython

HERE = Path(__file__).parent


def make_frame(seed: int, rows: int = 40) -> bytes:
    """A valid 240x240 frame whose first `rows` rows hold random pixels."""
    rnd = random.Random(seed)
    spans = [(0, 240) if y < rows else (0, 0) for y in range(240)]
    pixels = bytes(rnd.getrandbits(8) for _ in range(rows * 240 * 2))
    return frame.pack(240, 240, 0x0000, spans, pixels)


def frame_id(data: bytes) -> str:
    return FrameFile(data).id


def flash_files(sim: Simulator) -> dict[str, tuple[int, str]]:
    """path -> (size, sha256) of every file on the simulated flash (read from
    the littlefs image by micropython itself, outside the firmware)."""
    out = subprocess.run(
        [find_micropython(), str(HERE / "lfs_dump.py"), str(sim.flash_dir / "flash.img")],
        capture_output=True, text=True, timeout=60, check=True).stdout
    files = {}
    for line in out.splitlines():
        path, size, digest = line.split()
        files[path] = (int(size), digest)
    return files


def photos_on_flash(sim: Simulator) -> dict[str, tuple[int, str]]:
    return {p: v for p, v in flash_files(sim).items() if p.startswith("/photos/")}


def check_store(sim: Simulator, expected: dict[str, bytes], maybe: dict | None = None) -> None:
    """The store holds exactly `expected` (id -> frame), each intact, and no
    upload is visible half-done; .part files may remain (they resume).

    `maybe`: a photo whose COMMIT was all sent when the link died, so the
    pendant may have committed it without the host hearing back."""
    photos = photos_on_flash(sim)
    frm = {p[len("/photos/"):-4]: v for p, v in photos.items() if p.endswith(".frm")}
    expected = dict(expected)
    for pid, data in (maybe or {}).items():
        if pid in frm:
            expected[pid] = data
    assert sorted(frm) == sorted(expected), photos
    for pid, (size, digest) in frm.items():
        assert digest[: proto.ID_LEN] == pid, f"{pid} is not intact"
        assert size == len(expected[pid])
    for p in photos:
        assert p.endswith((".frm", ".part")) or p in ("/photos/order",), p


class FaultySerial:
    """A pyserial port between Client and pendant that misbehaves on cue.

    Offsets count every byte the client writes. cut_at: the link dies there
    (the bytes before it go out, then the port closes and writes fail).
    corrupt / drop: bytes at these offsets are inverted / never sent.
    on_cut: called at the cut (e.g. to kill the pendant process).
    """

    def __init__(self, ser, cut_at=None, corrupt=(), drop=(), on_cut=None):
        self.ser = ser
        self.cut_at = cut_at
        self.corrupt = set(corrupt)
        self.drop = set(drop)
        self.on_cut = on_cut
        self.written = 0
        self.cut = False

    def write(self, data: bytes) -> int:
        if self.cut:
            raise serial.SerialException("the link is cut")
        start = self.written
        end = start + len(data)
        if self.cut_at is not None and end > self.cut_at:
            data = data[: self.cut_at - start]
        out = bytearray()
        for i, b in enumerate(data, start):
            if i in self.drop:
                continue
            out.append(b ^ 0xFF if i in self.corrupt else b)
        if out:
            self.ser.write(bytes(out))
            self.ser.flush()
        self.written += len(data)
        if self.cut_at is not None and self.written >= self.cut_at:
            self.cut = True
            if self.on_cut:
                self.on_cut()
            self.ser.close()
            raise serial.SerialException("the link is cut")
        return len(data)

    def read(self, n: int) -> bytes:
        if self.cut:
            raise serial.SerialException("the link is cut")
        return self.ser.read(n)

    def close(self) -> None:
        if not self.cut:
            self.ser.close()


def cli(*args: str) -> subprocess.CompletedProcess:
    """The real `pendant` entry point in a child process."""
    return subprocess.run([sys.executable, "-m", "pendant.cli", *args],
                          capture_output=True, text=True, timeout=120)
