"""Run once to write frame_rice_branches_*.hex (ENC_RICE).

    .venv/bin/python tests/vectors/make_rice_branches.py

Kept for the record, not run by the tests: the vectors are frozen. The picture
is picture_branches_24x12.hex, made by make_pred_branches.py independently of
either codec, so the lossless vector must decode to it exactly; the
near-lossless one must stay within its per-channel bound of it. Together they
reach every line of ricecodec.decode_row but its error returns
(tests/host/test_frames_rice.py checks that).
"""

from pathlib import Path

from make_pred_branches import BG, H, W, picture

from pendant import frames
from pendant.firmware import frame as fmt

HERE = Path(__file__).resolve().parent


def main():
    px, spans = picture()
    for near, name in (((0, 0, 0), "lossless"), ((2, 1, 3), "near213")):
        data = frames.rice_pixels_reference(px, spans, BG, W, near)
        frame = fmt.pack(W, H, BG, spans, data, fmt.ENC_RICE)
        (HERE / f"frame_rice_branches_{name}_24x12.hex").write_text(frame.hex() + "\n")
        print(name, len(frame), "bytes")


if __name__ == "__main__":
    main()
