"""Upload speed on the emulated RP2040: `pendant`'s upload against `mpremote
fs cp` of the same frame files, in chip time and in wall time, next to the
chip's own floor (reading stdin, erasing and programming flash).

    PENDANT_RP2EMU=DIR .venv/bin/python tools/bench_upload_chip.py [--emu DIR]

DIR is the rp2emu emulator (the official MicroPython 1.26.1 rp2 firmware on
rp2040js; docs/benchmarks.md says where it comes from). One emulated board,
bare, in this order: `pendant install`; our Client puts every frame (the
library path of `pendant upload`, conversion left out); `mpremote fs cp` of
the same frames to another folder; then a small program on the chip reads
64 KiB from stdin and writes 64 KiB to a file, timing both with
time.ticks_us() (the chip's clock).

Chip time comes from the emulator's own clock (`kill -USR1` prints t_ns and
cycles), so it does not depend on how loaded this machine is; wall time
does (the emulator runs at 0.1-0.5x real time here), and is printed only
for comparison. The emulator does not model XIP cache misses: real silicon
can only be slower than these cycle counts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "silicon"))

FLOOR_BYTES = 65536
FLOOR = """
import sys, time, os, micropython
micropython.kbd_intr(-1)
buf = bytearray(4096)
mv = memoryview(buf)
got = 0
print('go')
t0 = time.ticks_us()
while got < %d:
    got += sys.stdin.buffer.readinto(mv[:min(4096, %d - got)])
t1 = time.ticks_us()
f = open('/floor.bin', 'wb')
for i in range(%d // 4096):
    f.write(buf)
f.close()
t2 = time.ticks_us()
os.remove('/floor.bin')
micropython.kbd_intr(3)
print('floor', got, time.ticks_diff(t1, t0), time.ticks_diff(t2, t1))
""" % (FLOOR_BYTES, FLOOR_BYTES, FLOOR_BYTES)


def frames() -> list:
    from pendant import frames as frames_mod
    from pendant.cli import SAMPLES
    from pendant.photo import RenderOptions, render

    return [frames_mod.from_render(render(str(p), RenderOptions()))
            for p in sorted(SAMPLES.glob("*.jpg"))]


def timed(bridge, fn):
    """(chip seconds, chip cycles, wall seconds) of fn()."""
    a = bridge.status()
    w = time.perf_counter()
    fn()
    w = time.perf_counter() - w
    b = bridge.status()
    return (b.t_ns - a.t_ns) / 1e9, b.cycles - a.cycles, w


def ours(port, ffs):
    from pendant.link import Client

    with Client(port) as c:
        for ff in ffs:
            if c.put(ff.data, ff.id) != "uploaded":
                raise SystemExit("error: the board already had a photo: not a bare board")


def floor(port):
    """(stdin s/byte, flash s/byte) measured by the chip itself."""
    from pendant import install as inst

    t = inst.connect(port)
    try:
        t.exec_raw_no_follow(FLOOR)
        t.serial.timeout = 600
        line = t.serial.read_until(b"go\r\n")
        if not line.endswith(b"go\r\n"):
            raise SystemExit(f"error: the floor program did not start: {line[-200:]!r}")
        t.serial.write(os.urandom(FLOOR_BYTES))
        out = t.serial.read_until(b"\x04")
    finally:
        t.close()
    words = out.decode(errors="replace").split("floor", 1)[1].split()
    got, rx_us, flash_us = int(words[0]), int(words[1]), int(words[2])
    assert got == FLOOR_BYTES, out
    return rx_us / 1e6 / FLOOR_BYTES, flash_us / 1e6 / FLOOR_BYTES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--emu", help="the rp2emu folder (default: $PENDANT_RP2EMU)")
    args = ap.parse_args()
    if args.emu:
        os.environ["PENDANT_RP2EMU"] = args.emu
    if not os.environ.get("PENDANT_RP2EMU"):
        raise SystemExit("error: name the emulator: --emu DIR or PENDANT_RP2EMU=DIR")
    import emu  # tests/silicon/emu.py: the bridge the silicon tests use

    why = emu.missing()
    if why:
        raise SystemExit("error: " + why)
    sys.path.insert(0, str(ROOT / "tools"))
    import hostinfo

    ffs = frames()
    payload = sum(len(ff) for ff in ffs)
    with tempfile.TemporaryDirectory(prefix="bench-chip-") as tmp:
        root = Path(tmp)
        paths = []
        for ff in ffs:
            p = root / f"{ff.id}.frm"
            p.write_bytes(ff.data)
            paths.append(p)
        bridge = emu.Bridge(root / "board").start()
        try:
            r = emu.pendant("install", "--port", bridge.port)
            if r.returncode != 0:
                raise SystemExit("error: install failed: " + (r.stderr.strip() or r.stdout))
            time.sleep(2)  # the app settles after its first picture
            o = timed(bridge, lambda: ours(bridge.port, ffs))
            m = timed(bridge, lambda: subprocess.run(
                [emu.MPREMOTE, "connect", bridge.port, "fs", "mkdir", ":cp", "+",
                 "fs", "cp", *map(str, paths), ":cp/"],
                check=True, capture_output=True, timeout=1200))
            rx, flash = floor(bridge.port)
        finally:
            bridge.stop()

    fl = payload * (rx + flash)
    print(f"{len(ffs)} photos, {payload:,} bytes of frames; MicroPython 1.26.1 rp2 on "
          f"rp2040js at 125 MHz; host: {hostinfo.cpu_model()}, {os.cpu_count()} cores; "
          f"{time.strftime('%Y-%m-%d')}")
    print()
    print("| upload of the same frames | chip time | chip cycles | wall time | chip KB/s |")
    print("|---|---|---|---|---|")
    for label, (cs, cyc, ws) in (("`pendant` (Client.put, no conversion)", o),
                                 ("`mpremote fs cp`", m)):
        print(f"| {label} | {cs:.2f} s | {cyc / 1e6:.0f} M | {ws:.1f} s | "
              f"{payload / cs / 1000:.1f} |")
    print(f"| chip floor for these bytes (stdin + flash, below) | {fl:.2f} s | "
          f"{fl * 125:.0f} M | | {payload / fl / 1000:.1f} |")
    print()
    print(f"mpremote / pendant in chip time: {m[0] / o[0]:.1f}x; in wall time: "
          f"{m[2] / o[2]:.1f}x; pendant reaches {fl / o[0]:.0%} of the chip's floor")
    print(f"floor, measured on the chip ({FLOOR_BYTES // 1024} KiB each): "
          f"sys.stdin.buffer.readinto {1 / rx / 1000:.1f} KB/s ({rx * 125e6:.0f} cycles/byte); "
          f"file write to flash {1 / flash / 1000:.1f} KB/s ({flash * 125e6:.0f} cycles/byte)")


if __name__ == "__main__":
    main()
