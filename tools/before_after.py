#!/usr/bin/env python3
"""Make docs/img/before-after.png: a naive display-driver conversion next to `pendant`'s.

    .venv/bin/python tools/before_after.py [--photo PATH] [-o docs/img/before-after.png]

Left: what display-driver converter scripts do (centre square crop, resize,
truncate to RGB565: 115,200 bytes), as the round GC9A01 glass shows it.
Right: `pendant` with default options (face-aware heart framing when the
`faces` extra is installed, linear-light resize, dithering, only the heart
stored at the default quality), decoded from the frame file's bytes, as the
glass shows it. This is the only script that makes that picture.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from pendant import frames, glass
from pendant.photo import RenderOptions, framing, render

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "host" / "pendant" / "samples" / "astronaut.jpg"
OUTPUT = ROOT / "docs" / "img" / "before-after.png"
SIZE = 240
LABEL = 18


def naive_rgb565(path: Path) -> bytes:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    side = min(rgb.size)
    left, top = (rgb.width - side) // 2, (rgb.height - side) // 2
    square = rgb.crop((left, top, left + side, top + side)).resize((SIZE, SIZE))
    data = square.tobytes()
    out = bytearray()
    for i in range(0, len(data), 3):
        r, g, b = data[i], data[i + 1], data[i + 2]
        v = (r >> 3) << 11 | (g >> 2) << 5 | b >> 3
        out += bytes((v >> 8, v & 0xFF))
    return bytes(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", type=Path, default=SAMPLE)
    ap.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = ap.parse_args()

    naive = glass.preview(naive_rgb565(args.photo), "gc9a01")
    ff = frames.from_render(render(args.photo, RenderOptions()))
    _, _, pixels = frames.decode(ff.data)
    ours = glass.preview(pixels, "gc9a01")
    framed = "faces" if framing.faces_available() else "detail"

    sheet = Image.new("RGB", (2 * SIZE + 12, SIZE + LABEL), "#202020")
    draw = ImageDraw.Draw(sheet)
    for i, (im, text) in enumerate((
        (naive, "naive: square crop, resize, truncate (%s B)" % f"{SIZE * SIZE * 2:,}"),
        (ours, "pendant: heart (%s), dithered (%s B)" % (framed, f"{len(ff.data):,}")),
    )):
        x = 4 + i * (SIZE + 4)
        sheet.paste(im, (x, 0))
        draw.text((x + 2, SIZE + 3), text, fill="#e0e0e0")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, optimize=True)
    print("%s: naive %d B, pendant %d B (%s framing)"
          % (args.output, SIZE * SIZE * 2, len(ff.data), framed))


if __name__ == "__main__":
    main()
