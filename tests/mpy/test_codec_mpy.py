"""ENC_PRED on the real MicroPython interpreter: viper and bytecode decoders give
the host's pixels with the heap locked, and corrupt data raises FrameError."""

from pathlib import Path

from pendant import frames
from pendant.photo import RenderOptions, render

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def test_pred_frames_decode_on_micropython(run_mpy, tmp_path):
    names = []
    r = render(ROOT / "host" / "pendant" / "samples" / "astronaut.jpg", RenderOptions())
    for quality in ("lossless", "visual"):
        ff = frames.from_render(r, quality)
        name = "astronaut-" + quality
        (tmp_path / (name + ".frm")).write_bytes(ff.data)
        (tmp_path / (name + ".rgb")).write_bytes(frames.decode(ff.data)[2])
        names.append(name)
    out = run_mpy("mpy_codec.py", VECTORS, tmp_path, *names)
    assert "viper decoder: True" in out  # the x64 unix port has the emitter
    assert "viper decoder matches the host" in out
    assert "bytecode decoder matches the host" in out
    assert "codec ok" in out
