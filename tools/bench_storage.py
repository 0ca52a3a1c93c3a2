#!/usr/bin/env python3
"""Benchmark: bytes per photo, photos per flash, quality and device work per storage mode.

    .venv/bin/python tools/bench_storage.py

Photos: the two samples, each rendered five ways so the numbers are not about
two pictures only: default framing; --zoom 2 (detail magnified, smoother);
--zoom 3 off-centre; with sensor-like grain blended in (noisier than most
phone photos at 240 px: a worst case); turned 15 degrees.

Modes: spans (ENC_SPANS, plain RGB565, the old default), lossless, visual
(near 1), strong (near 2), auto (the default), and deflate of the span pixels
(zlib level 9, 1 KiB window, as deflate.DeflateIO could read on the device;
for comparison only, not a frame encoding).

Quality: PSNR inside the heart (coverage 255) between each mode's decoded
picture and the lossless render, both widened to 8 bits as the panel does and
blurred with a 1-pixel Gaussian (what the eye integrates at 240 px on a 1.28"
panel), plus the largest per-channel error in RGB565 levels.

Capacity: photos a pendant takes, counted by filling one. A simulated
pendant (littlefs, 352 blocks of 4 KiB: the 1,408 KiB filesystem of a 2 MB
RP2040 board) gets the firmware installed as `pendant install` puts it, then
distinct photos of the sample mix (the ten frames in turn, each round with
another background colour so that every upload is a new photo) until it
refuses one for lack of room: the firmware files, the settings, littlefs's
own blocks and the store's reserve are all in place, as on a real pendant.

Device work per photo: the bytes read from flash are the file's; the time the
pendant takes to decode and draw each mode is measured on the emulated chip by
tools/bench_chip_draw.py (docs/firmware.md), not estimated here.
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import statistics
import tempfile
import zlib
from pathlib import Path

from PIL import Image, ImageFilter

from pendant import frames, glass
from pendant.firmware import proto
from pendant.link import Client, DeviceError
from pendant.photo import RenderOptions, render
from pendant.sim import Simulator

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "host" / "pendant" / "samples"
SPI_BYTES = 240 * 240 * 2 + 11
MODES = ("spans", "lossless", "visual", "strong", "auto")


def photos():
    out = []
    for sample in sorted(SAMPLES.glob("*.jpg")):
        with Image.open(sample) as im:
            base = im.convert("RGB")
        noise = Image.effect_noise(base.size, 40).convert("RGB")
        grainy = Image.blend(base, noise, 0.12)
        for label, src, opts in (
            ("default", base, RenderOptions()),
            ("zoom2", base, RenderOptions(zoom=2.0)),
            ("zoom3-corner", base, RenderOptions(zoom=3.0, focus=(0.35, 0.35))),
            ("grain", grainy, RenderOptions()),
            ("rot15", base, RenderOptions(rotate=15)),
        ):
            out.append(("%s/%s" % (sample.stem, label), render(src, opts)))
    return out


def to8(rgb565: bytes) -> Image.Image:
    return glass.rgb565_to_image(rgb565)


def blurred_psnr(a: bytes, b: bytes, coverage: bytes) -> float:
    ia = to8(a).filter(ImageFilter.GaussianBlur(1)).tobytes()
    ib = to8(b).filter(ImageFilter.GaussianBlur(1)).tobytes()
    se = n = 0
    for i, c in enumerate(coverage):
        if c == 255:
            for k in (3 * i, 3 * i + 1, 3 * i + 2):
                d = ia[k] - ib[k]
                se += d * d
            n += 3
    return 99.0 if se == 0 else 10 * math.log10(255 * 255 * n / se)


def max_error(a: bytes, b: bytes) -> int:
    worst = 0
    for i in range(0, len(a), 2):
        p, q = a[i] << 8 | a[i + 1], b[i] << 8 | b[i + 1]
        worst = max(worst, abs((p >> 11) - (q >> 11)), abs((p >> 5 & 63) - (q >> 5 & 63)),
                    abs((p & 31) - (q & 31)))
    return worst


def encode(r, mode: str, background: int) -> bytes:
    if mode == "spans":
        spans = frames.spans_from_coverage(r.coverage, 240, 240)
        return frames.encode_spans(r.rgb565, spans, background, 240, 240)
    return frames.encode(r.rgb565, r.coverage, background, 240, 240, mode).data


def fill(samples, mode: str) -> tuple[int, str]:
    """Photos of the sample mix a freshly installed simulated pendant takes
    before it refuses one; and its refusal."""
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp, \
            Simulator(Path(tmp) / "flash") as sim, Client(sim.port) as client:
        n = 0
        while True:
            _, r = samples[n % len(samples)]
            data = encode(r, mode, (r.background + n // len(samples)) & 0xFFFF)
            try:
                client.put(data, frames.FrameFile(data).id)
            except DeviceError as e:
                if e.code in (proto.E_NO_SPACE, proto.E_STORE_FULL):
                    return n, str(e)
                raise
            n += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args()
    print("date: %s" % datetime.datetime.now().isoformat(timespec="seconds"))
    print("machine: %s, python %s, Pillow %s" % (platform.machine(), platform.python_version(),
                                                  Image.__version__))
    samples = photos()
    rows = {m: [] for m in (*MODES, "deflate")}
    for name, r in samples:
        spans = frames.spans_from_coverage(r.coverage, 240, 240)
        line = [name]
        for mode in MODES:
            if mode == "spans":
                data = frames.encode_spans(r.rgb565, spans, r.background, 240, 240)
            else:
                data = frames.from_render(r, mode).data
            _, _, pix = frames.decode(data)
            rows[mode].append((len(data), blurred_psnr(pix, r.rgb565, r.coverage),
                               max_error(pix, r.rgb565), data[5]))
            line.append("%s %d" % (mode, len(data)))
        raw = frames._span_bytes(r.rgb565, spans, 240)
        z = zlib.compressobj(9, zlib.DEFLATED, 10)
        dsize = 32 + 960 + len(z.compress(raw) + z.flush())
        rows["deflate"].append((dsize, 99.0, 0, -1))
        print("  " + ", ".join(line) + ", deflate %d" % dsize)
    print()
    print("| mode | mean bytes | max bytes | photos on a filled pendant "
          "| blurred PSNR dB (min) | max error (levels) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    refusals = []
    for mode, vals in rows.items():
        sizes = [v[0] for v in vals]
        mean = statistics.mean(sizes)
        psnr = min(v[1] for v in vals)
        if mode == "deflate":
            held = "n/a"  # not a frame encoding: the pendant cannot store it
        else:
            count, why = fill(samples, mode)
            held = str(count)
            refusals.append("%s: refused photo %d: %s" % (mode, count + 1, why))
        print("| %s | %s | %s | %s | %s | %d |" % (
            mode, f"{mean:,.0f}", f"{max(sizes):,}", held,
            "lossless" if psnr >= 99 else "%.1f" % psnr, max(v[2] for v in vals)))
    print()
    print("\n".join(refusals))
    auto = rows["auto"]
    print("\nauto chose lossless for %d of %d photos" % (
        sum(1 for v in auto if v[2] == 0), len(auto)))
    print("SPI per photo: %d bytes (%.1f ms at 62.5 MHz) in every mode"
          % (SPI_BYTES, SPI_BYTES * 8 / 62.5e6 * 1e3))


if __name__ == "__main__":
    main()
