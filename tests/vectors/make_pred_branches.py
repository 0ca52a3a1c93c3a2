"""Run once to write frame_pred_branches_*.hex and picture_branches_24x12.hex.

    .venv/bin/python tests/vectors/make_pred_branches.py

Kept for the record, not run by the tests: the vectors are frozen. The picture
is made here, independently of the codec (noise, hard edges, green ramps on
both sides of every context threshold, flat spans starting past x = 0, an
empty row), so the lossless vector must decode to it exactly; the
near-lossless one must stay within its per-channel bound of it.
Together they reach every line of predcodec.decode_row but its error returns
(tests/host/test_frames_codec.py checks that).
"""

import random
import struct
from pathlib import Path

from pendant import frames
from pendant.firmware import frame as fmt

HERE = Path(__file__).resolve().parent
W, H = 24, 12
BG = 0x18C3


def picture():
    rnd = random.Random(2026)
    px = bytearray()
    spans = []
    for y in range(H):
        if y == 0:
            spans.append((0, 0))  # all background
        elif y >= 9:
            spans.append((y - 6, W - (y - 9)))  # starts past x = 0, ends before W
        else:
            spans.append((0, W))
        for x in range(W):
            if y in (1, 2):
                v = rnd.getrandbits(16)  # noise: stored plain
            elif y in (3, 4, 5):
                v = 0xFFFF if (x // 2 + y) % 2 else 0x0000  # hard edges: escapes, busy contexts
            elif y in (6, 7, 8):
                # green ramps whose activity |a - c| + |b - c| = kx + ky sits on
                # each side of every context threshold (2, 6, 16)
                kx, ky = ((1, 1), (2, 1), (3, 3), (4, 3), (8, 8), (9, 8))[x // 4]
                g = kx * (x % 4) + ky * (y - 6)
                v = (10 + (x + y) % 4) << 11 | g << 5 | (31 - x % 16)
            else:
                v = 0x7BEF if x < 14 else 0x7BEF + (x & 3)  # flat: k falls to 0, statistics halve
            px += struct.pack(">H", v & 0xFFFF)
    return bytes(px), spans


def main():
    px, spans = picture()
    # outside the spans the decoder shows the background
    shown = bytearray(struct.pack(">H", BG) * (W * H))
    for y, (x0, x1) in enumerate(spans):
        shown[(y * W + x0) * 2 : (y * W + x1) * 2] = px[(y * W + x0) * 2 : (y * W + x1) * 2]
    (HERE / "picture_branches_24x12.hex").write_text(bytes(shown).hex() + "\n")
    for near, name in (((0, 0, 0), "lossless"), ((2, 1, 3), "near213")):
        data = frames.pred_pixels_reference(px, spans, BG, W, near)
        frame = fmt.pack(W, H, BG, spans, data, fmt.ENC_PRED)
        (HERE / f"frame_pred_branches_{name}_24x12.hex").write_text(frame.hex() + "\n")
        print(name, len(frame), "bytes")


if __name__ == "__main__":
    main()
