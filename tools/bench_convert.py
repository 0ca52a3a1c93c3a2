#!/usr/bin/env python3
"""Benchmark: naive Pillow conversion vs pendant.photo.render on a 12 MP JPEG.

Both run side by side in the same process, alternating, over several
repetitions (this machine is shared and noisy: only the ratio means much).
Each picture is saved as Pillow and libjpeg save by default (no restart
markers: one serial Huffman chain), smooth and with grain. Then N photos go
all the way to frame files (render + encode, what `pendant convert` does)
through pendant.batch on a process pool using every core.

    .venv/bin/python tools/bench_convert.py [--reps 7] [--batch 100] [--photo PATH]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from hostinfo import cpu_model
from PIL import Image

from pendant import batch
from pendant.photo import RenderOptions, framing, render

SAMPLE = Path(__file__).resolve().parent.parent / "host" / "pendant" / "samples" / "astronaut.jpg"
MEGAPIXELS_12 = (4032, 3024)  # a 12 MP phone camera's frame


def make_big_jpeg(source: Path, folder: Path, grain: float) -> Path:
    """Upscale a sample to 4032x3024 (cover-crop) and save it like a phone would.

    An upscaled picture is smoother than a real photo, and JPEG decoding time
    grows with the detail in the file (entropy decoding cannot be scaled
    down), so `grain` blends in sensor-like noise: at 0.12 the file weighs
    what a 12 MP phone JPEG weighs (2-4 MB).
    """
    with Image.open(source) as im:
        im = im.convert("RGB")
        w, h = MEGAPIXELS_12
        scale = max(w / im.width, h / im.height)
        big = im.resize((round(im.width * scale), round(im.height * scale)), Image.BICUBIC)
        left, top = (big.width - w) // 2, (big.height - h) // 2
        big = big.crop((left, top, left + w, top + h))
        if grain:
            noise = Image.effect_noise((w, h), 24).convert("RGB")
            big = Image.blend(big, noise, grain)
    out = folder / ("big-12mp-grain%g.jpg" % grain)
    big.save(out, quality=92)  # 4:2:0 chroma, as phone cameras save
    return out


def naive(path: Path) -> bytes:
    """What display-driver converter scripts do: decode everything, resize, done."""
    with Image.open(path) as im:
        return im.convert("RGB").resize((240, 240)).tobytes()


def ours(path: Path) -> bytes:
    """The default: faces found when the `faces` extra (OpenCV) is installed."""
    return render(path, RenderOptions()).rgb565


def ours_no_faces(path: Path) -> bytes:
    return render(path, RenderOptions(faces=False)).rgb565


def _timed(fn, path: Path) -> float:
    start = time.perf_counter()
    fn(path)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--batch", type=int, default=100, help="photos for the pool run")
    parser.add_argument("--photo", type=Path, help="sample photo to upscale")
    args = parser.parse_args()
    sample = args.photo or SAMPLE

    print("date: %s" % datetime.datetime.now().isoformat(timespec="seconds"))
    print("cpu: %s, nproc %d, python %s, Pillow %s, faces extra: %s"
          % (cpu_model(), os.cpu_count() or 1, platform.python_version(), Image.__version__,
             "yes" if framing.faces_available() else "no"))
    with tempfile.TemporaryDirectory() as tmp:
        for grain in (0.0, 0.12):
            big = make_big_jpeg(sample, Path(tmp), grain)
            print("\ninput: %s upscaled to %dx%d JPEG, grain %g, %.1f MB"
                  % (sample.name, *MEGAPIXELS_12, grain, big.stat().st_size / 1e6))
            compare(big, args.reps)
        pool_run(big, args.batch)


def draft_decode_only(path: Path) -> None:
    """The serial floor: one JPEG decode at 1/8 DCT scale (what render() asks), nothing else."""
    with Image.open(path) as im:
        w, h = im.size
        im.draft("RGB", (w // 8, h // 8))
        assert im.size == (-(-w // 8), -(-h // 8)), "not decoding at 1/8"
        im.load()


def compare(big: Path, reps: int) -> None:
    runs = [("naive (open, convert RGB, full decode, resize 240x240)", naive),
            ("render(), faces=False (detail heuristic)", ours_no_faces)]
    if framing.faces_available():
        runs.append(("render(), default (faces via OpenCV)", ours))
    runs.append(("floor: one serial JPEG decode at 1/8 DCT scale", draft_decode_only))
    for _, fn in runs:
        fn(big)  # warm caches (mask, lookup tables, cascade) as a long-running tool would
    times: list[list[float]] = [[] for _ in runs]
    for rep in range(reps):
        # Each repetition starts one run later, so no run always follows the
        # same one (the one before leaves caches and the allocator its way).
        for j in range(len(runs)):
            i = (j + rep) % len(runs)
            times[i].append(_timed(runs[i][1], big))
    medians = [statistics.median(t) for t in times]
    for (label, _), m in zip(runs, medians, strict=True):
        ratio = "" if m is medians[0] else "  %.1fx naive" % (medians[0] / m)
        print("  %-58s median %6.1f ms%s" % (label, m * 1e3, ratio))
    print("  (median of %d runs taken in turn, the order rotated each time)" % reps)


def pool_run(big: Path, count: int) -> None:
    """`pendant convert` of `count` photos: render + frame encoding, on every core."""
    workers = batch.workers_for(count)
    start = time.perf_counter()
    results = batch.convert_all([big] * count, RenderOptions())
    took = time.perf_counter() - start
    assert all(r.frame is not None for r in results)
    print("\nbatch: %d x 12 MP photos (%s) to frame files on %d processes in %.2f s"
          " (%.1f photos/s, incl. the pool's start)"
          % (count, big.name, workers, took, count / took))


if __name__ == "__main__":
    main()
