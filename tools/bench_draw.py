"""Timing budget of a photo change: bytes from flash, bytes over SPI, wire time
and the painter's CPU work, measured on the MicroPython unix port.

    .venv/bin/python tools/bench_draw.py

Renders the sample photos into frame files (spans = lossless rows as stored,
pred = the compressed encoding), then runs the firmware's painter and
transitions on the real micropython binary against a display that only counts
bytes, timing each path (median of several runs). Wire times are computed
from the byte counts at the boards' SPI clocks. Prints a markdown table for
docs/firmware.md.

The CPU figures are for this host's unix port. The RP2040 estimate scales
them by an assumed factor (see ASSUMED_SLOWDOWN): a ratio measured here, an
absolute number only once measured on a pendant.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from hostinfo import cpu_model, host_mhz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from pendant import frames as frames_mod  # noqa: E402
from pendant.photo import RenderOptions, render  # noqa: E402
from pendant.sim.simulator import find_micropython  # noqa: E402

W = H = 240
FRAME_BYTES = W * H * 2  # 115,200
WINDOW_OVERHEAD = 3 + 4 + 4  # CASET, RASET, RAMWR command bytes + 8 parameter bytes
SPI_HZ = {"waveshare (62.5 MHz)": 62_500_000, "pico (31.25 MHz)": 31_250_000}
RUNS = 7
# RP2040 (Cortex-M0+, 125 MHz, code from XIP flash) against this host's core
# running the same MicroPython: the clock ratio times an assumed 2x for the
# M0+'s simpler pipeline and flash cache misses. An assumption, not a measure.
ASSUMED_IPC_FACTOR = 2.0
RP2040_HZ = 125_000_000

INNER = r"""
import sys, time, gc, json
import transition
import painter
from painter import Painter

class Null:
    width = 240
    height = 240
    def __init__(self):
        self.bytes = 0
    def window(self, x0, y0, x1, y1):
        self.bytes += 11
    def pixels(self, buf):
        self.bytes += len(buf)
    def end(self):
        pass

def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]

runs = int(sys.argv[1])
spans_a, spans_b, pred_a, pred_b = sys.argv[2:6]
d = Null()
p = Painter(d)
t = transition.Transitions(p)
out = {}

def timed(name, fn):
    ts = []
    for _ in range(runs):
        d.bytes = 0
        gc.collect()
        t0 = time.ticks_us()
        fn()
        ts.append(time.ticks_diff(time.ticks_us(), t0))
    out[name] = {"us": median(ts), "spi": d.bytes}

def ref():
    i = 0
    while i < 100000:
        i += 1

timed("ref_loop_100k", ref)
timed("paint_spans", lambda: p.show(spans_a))
timed("paint_pred", lambda: p.show(pred_a))
timed("wipe_pred_unpaced", lambda: t.wipe(pred_a, 0))
timed("fade_spans", lambda: t.show("fade", spans_a, spans_b))
timed("fade_pred", lambda: t.show("fade", pred_a, pred_b))
try:
    import blend
    out["viper"] = "viper" if painter.blend565 is blend.blend565 else "pure Python"
except ImportError:
    out["viper"] = "pure Python"
print(json.dumps(out))
"""


def main() -> None:
    samples = sorted((ROOT / "host" / "pendant" / "samples").glob("*.jpg"))[:2]
    with tempfile.TemporaryDirectory(prefix="bench-draw-") as tmp:
        tmpd = Path(tmp)
        files = {}
        for i, jpg in enumerate(samples):
            r = render(str(jpg), RenderOptions())
            spans = frames_mod.spans_from_coverage(r.coverage, W, H)
            encoded = {
                # plain spans: the heart's pixels as stored, no compression
                "spans": frames_mod.encode_spans(r.rgb565, spans, r.background, W, H),
                # what `pendant upload` sends by default (quality "auto")
                "pred": frames_mod.from_render(r).data,
            }
            for enc, data in encoded.items():
                path = tmpd / f"{enc}{i}.frm"
                path.write_bytes(data)
                files[(enc, i)] = path
        script = tmpd / "inner.py"
        script.write_text(INNER)
        env = dict(os.environ, MICROPYPATH=os.pathsep.join([str(ROOT / "firmware"), ".frozen"]))
        args = [find_micropython(), "-X", "heapsize=190K", str(script), str(RUNS),
                str(files[("spans", 0)]), str(files[("spans", 1)]),
                str(files[("pred", 0)]), str(files[("pred", 1)])]
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        sizes = {k: v.stat().st_size for k, v in files.items()}

    mhz = host_mhz()
    slowdown = (mhz * 1e6 / RP2040_HZ) * ASSUMED_IPC_FACTOR if mhz else 0.0
    print(f"# bench_draw: {datetime.date.today()} on {cpu_model()} "
          f"({mhz:.0f} MHz), {platform.system()} {platform.release()}")
    print(f"# micropython unix port, heap 190K, median of {RUNS} runs; "
          f"blend: {res['viper']}")
    print()
    rows = [
        ("plain paint, spans file", "paint_spans", sizes[("spans", 0)], 1),
        ("plain paint, pred file", "paint_pred", sizes[("pred", 0)], 1),
        ("wipe, pred file (unpaced)", "wipe_pred_unpaced", sizes[("pred", 0)], 1),
        ("cross-fade, spans files", "fade_spans",
         (sizes[("spans", 0)] + sizes[("spans", 1)]) * 5 + sizes[("spans", 0)], 6),
        ("cross-fade, pred files", "fade_pred",
         (sizes[("pred", 0)] + sizes[("pred", 1)]) * 5 + sizes[("pred", 0)], 6),
    ]
    hdr = ("| photo change | flash read (B) | SPI sent (B) | wire @62.5 MHz | wire @31.25 MHz "
           "| CPU unix port | CPU RP2040 est. |")
    print(hdr)
    print("|---|---|---|---|---|---|---|")
    for label, key, flash, _frames in rows:
        spi = res[key]["spi"]
        w1 = spi * 8 / 62_500_000 * 1000
        w2 = spi * 8 / 31_250_000 * 1000
        us = res[key]["us"]
        est = us * slowdown / 1000 if slowdown else float("nan")
        print(f"| {label} | {flash:,} | {spi:,} | {w1:.1f} ms | {w2:.1f} ms "
              f"| {us / 1000:.2f} ms | ~{est:.0f} ms |")
    print()
    ref = res["ref_loop_100k"]["us"]
    print(f"reference: `while i < 100000: i += 1` takes {ref / 1000:.2f} ms here "
          f"(RP2040 est. ~{ref * slowdown / 1000:.0f} ms with the assumed slowdown "
          f"{slowdown:.0f}x = {mhz:.0f} MHz / 125 MHz x {ASSUMED_IPC_FACTOR})")
    print(f"physical limit: one full frame, {FRAME_BYTES + WINDOW_OVERHEAD:,} SPI bytes, "
          f"{(FRAME_BYTES + WINDOW_OVERHEAD) * 8 / 62_500_000 * 1000:.2f} ms at 62.5 MHz")


if __name__ == "__main__":
    main()
