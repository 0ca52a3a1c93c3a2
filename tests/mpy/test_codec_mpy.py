"""ENC_RICE and ENC_PRED on the real MicroPython interpreter: viper and bytecode
decoders give the host's pixels with the heap locked, and corrupt data raises
FrameError."""

from pathlib import Path

from pendant import frames
from pendant.firmware import frame as fmt
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
    # a photo stored by an older host, in encoding 1
    spans = frames.spans_from_coverage(r.coverage, 240, 240)
    data = fmt.pack(240, 240, r.background, spans,
                    frames.pred_pixels_reference(r.rgb565, spans, r.background, 240),
                    fmt.ENC_PRED)
    (tmp_path / "astronaut-enc1.frm").write_bytes(data)
    (tmp_path / "astronaut-enc1.rgb").write_bytes(frames.decode(data)[2])
    names.append("astronaut-enc1")
    out = run_mpy("mpy_codec.py", VECTORS, tmp_path, *names)
    assert "viper decoder: True" in out  # the x64 unix port has the emitter
    assert "viper decoder matches the host" in out
    assert "bytecode decoder matches the host" in out
    assert "codec ok" in out
