"""Upload speed: `pendant` (the library path of `pendant upload`) against
`mpremote fs cp`, side by side in one run, on the simulated pendant.

    .venv/bin/python tools/bench_upload.py [--reps 5]

The same frame files (the sample photos, converted once) go to a freshly
booted simulated pendant, alternating between the two tools each repetition,
to the same place (/photos/<id>.frm) over the same kind of pty:

  end to end    our Client: open, put() every photo, close; against the
                `mpremote connect PORT fs cp ... :photos/` command (process
                start, Ctrl-C into the raw REPL, copy).
  transfer      only the copy: our put() calls, against mpremote's own
                transport (SerialTransport.fs_writefile, what `fs cp` calls)
                once the raw REPL is entered.

Wire efficiency = payload bytes / bytes the host wrote (Client.sent_bytes;
mpremote's writes are counted by wrapping its serial port).

Round trips are counted on the host, the same way for both tools: a write
that follows bytes read from the pendant (the host heard an answer before it
sent more). That is an upper bound on the round trips it waited for: an
answer that was already there when read cost no wait.

The simulator's stdin is much faster than an RP2040's, so it also prints an
estimate for real hardware from bytes on the wire and round trips, under the
limits listed in docs/benchmarks.md ("RP2040 limits"): the rp2 reads stdin at
about 120 KB/s and stores to flash at about 80 KB/s; a USB round trip costs
at least 1 ms (one frame).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pendant import frames as frames_mod
from pendant.cli import SAMPLES
from pendant.link import Client
from pendant.photo import RenderOptions, render
from pendant.sim import Simulator

RX_BPS = 120_000  # rp2 reading sys.stdin.buffer (docs/benchmarks.md, RP2040 limits)
FLASH_BPS = 80_000  # rp2 erase + program (docs/benchmarks.md, RP2040 limits)
RTT_S = 0.001  # one USB full-speed frame: the least a request/answer costs
MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def frames() -> list:
    return [frames_mod.from_render(render(str(p), RenderOptions()))
            for p in sorted(SAMPLES.glob("*.jpg"))]


class Turns:
    """Counts turns on a serial port: writes that follow bytes read."""

    def __init__(self, read, write):
        self._read = read
        self._write = write
        self.turns = 0
        self.heard = False

    def read(self, *args, **kw):
        data = self._read(*args, **kw)
        if data:
            self.heard = True
        return data

    def write(self, data):
        if self.heard:
            self.turns += 1
            self.heard = False
        return self._write(data)


class CountingSerial:
    """Our Client's port, with its turns counted (Client's wrap hook)."""

    def __init__(self, ser):
        self.ser = ser
        self.count = Turns(ser.read, ser.write)
        self.read = self.count.read
        self.write = self.count.write

    def __getattr__(self, name):
        return getattr(self.ser, name)


def ours(port: str, ffs) -> dict:
    t0 = time.perf_counter()
    wrapped = []
    c = Client(port, wrap=lambda ser: wrapped.append(CountingSerial(ser)) or wrapped[-1])
    c.open()
    sent0 = c.sent_bytes
    t1 = time.perf_counter()
    turns0 = wrapped[-1].count.turns
    for ff in ffs:
        if c.put(ff.data, ff.id) != "uploaded":
            raise RuntimeError("the pendant already had a photo: not a fresh flash")
    t2 = time.perf_counter()
    sent = c.sent_bytes - sent0
    rounds = wrapped[-1].count.turns - turns0
    c.close()
    t3 = time.perf_counter()
    return {"total": t3 - t0, "transfer": t2 - t1, "sent": sent, "rounds": rounds}


def mpremote_cp(port: str, paths) -> float:
    t0 = time.perf_counter()
    subprocess.run([MPREMOTE, "connect", port, "fs", "cp", *map(str, paths), ":photos/"],
                   check=True, capture_output=True, timeout=600)
    return time.perf_counter() - t0


def mpremote_transfer(port: str, ffs) -> dict:
    from mpremote.transport_serial import SerialTransport

    t = SerialTransport(port)
    counted = {"bytes": 0}
    turns = Turns(t.serial.read, t.serial.write)

    def write(data):
        counted["bytes"] += len(data)
        return turns.write(data)

    t.serial.write = write
    t.serial.read = turns.read
    t.enter_raw_repl()
    counted["bytes"] = turns.turns = 0
    turns.heard = False
    t0 = time.perf_counter()
    for ff in ffs:
        t.fs_writefile("photos/%s.frm" % ff.id, ff.data)
    took = time.perf_counter() - t0
    rounds = turns.turns
    t.exit_raw_repl()
    t.close()
    return {"transfer": took, "sent": counted["bytes"], "rounds": rounds}


def booted(flash_root: Path, name: str) -> Simulator:
    s = Simulator(flash_root / name, speed="real")
    s.start()
    # Time neither tool against the app's boot (panel init, first draw).
    s.wait_frames(1, 10)
    time.sleep(0.2)
    return s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()

    ffs = frames()
    payload = sum(len(ff) for ff in ffs)
    rows = {"ours_total": [], "ours_transfer": [], "mp_total": [], "mp_transfer": []}
    sent_ours = sent_mp = rounds_ours = rounds = 0
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        root = Path(tmp)
        paths = []
        for ff in ffs:
            p = root / f"{ff.id}.frm"
            p.write_bytes(ff.data)
            paths.append(p)
        for rep in range(args.reps):
            # Fresh pendants each time, booted before the clock starts;
            # alternate which tool goes first against drift on a noisy machine.
            order = ("ours", "mp") if rep % 2 == 0 else ("mp", "ours")
            for who in order:
                if who == "ours":
                    with_sim = booted(root, f"ours{rep}")
                    try:
                        r = ours(with_sim.port, ffs)
                    finally:
                        with_sim.stop()
                    rows["ours_total"].append(r["total"])
                    rows["ours_transfer"].append(r["transfer"])
                    sent_ours, rounds_ours = r["sent"], r["rounds"]
                else:
                    s = booted(root, f"mpcp{rep}")
                    try:
                        rows["mp_total"].append(mpremote_cp(s.port, paths))
                    finally:
                        s.stop()
                    s = booted(root, f"mpx{rep}")
                    try:
                        r = mpremote_transfer(s.port, ffs)
                    finally:
                        s.stop()
                    rows["mp_transfer"].append(r["transfer"])
                    sent_mp, rounds = r["sent"], r["rounds"]

    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"{len(ffs)} photos, {payload:,} bytes of frames, {args.reps} repetitions (medians)")
    print(f"machine: {platform.machine()} {platform.processor() or ''} "
          f"{platform.system()} {platform.release()}, Python {platform.python_version()}")
    print()
    print(f"{'':28}{'pendant':>12}{'mpremote':>12}{'ratio':>8}")
    for label, a, b in (("end to end (s)", med["ours_total"], med["mp_total"]),
                        ("transfer only (s)", med["ours_transfer"], med["mp_transfer"])):
        print(f"{label:28}{a:12.3f}{b:12.3f}{b / a:7.1f}x")
    print(f"{'bytes written by the host':28}{sent_ours:12,}{sent_mp:12,}")
    print(f"{'wire efficiency':28}{payload / sent_ours:12.1%}{payload / sent_mp:12.1%}")
    print(f"{'round trips (counted)':28}{rounds_ours:12,}{rounds:12,}")

    # Real rp2 estimate: reading the wire and storing to flash take turns on
    # one core, plus 1 ms per counted round trip (an upper bound for ours:
    # an answer already waiting cost nothing); mpremote also compiles each
    # `w(b'...')` line, which is left out (so its figure is a lower bound).
    ours_s = sent_ours / RX_BPS + payload / FLASH_BPS + rounds_ours * RTT_S
    mp_s = sent_mp / RX_BPS + payload / FLASH_BPS + rounds * RTT_S
    print()
    print("estimate for a real RP2040 (120 KB/s stdin, 80 KB/s flash, 1 ms per round trip):")
    print(f"  pendant  {ours_s:6.2f} s  ({ours_s / len(ffs):.2f} s per photo)")
    print(f"  mpremote {mp_s:6.2f} s  ({mp_s / len(ffs):.2f} s per photo, without compile time)")
    print(f"  ratio    {mp_s / ours_s:6.1f}x")


if __name__ == "__main__":
    main()
