"""Thousands of photo changes on MicroPython (190 KB heap): the free heap after
collection stays where it started."""

import pytest

from pendant import frames as frames_mod
from pendant.photo import RenderOptions, render

CHANGES = 2000  # about 20 s on the unix port
SAMPLES = 5  # compared at the start and the end
DRIFT = 64  # bytes: two GC blocks of slack; a leak of even 1 byte a change is 2,000


@pytest.fixture(scope="module")
def frame_files(tmp_path_factory):
    from pathlib import Path

    import pendant

    samples = Path(pendant.__file__).parent / "samples"
    out = tmp_path_factory.mktemp("frames")
    paths = []
    for i, jpg in enumerate(sorted(samples.glob("*.jpg"))):
        f = frames_mod.from_render(render(str(jpg), RenderOptions()))
        path = out / f"{i}.frm"
        path.write_bytes(f.data)
        paths.append(path)
    # a third as plain spans (uncompressed), so both row decoders run
    r = render(str(sorted(samples.glob("*.jpg"))[0]), RenderOptions(mask="circle"))
    spans = frames_mod.spans_from_coverage(r.coverage, r.width, r.height)
    (out / "2.frm").write_bytes(
        frames_mod.encode_spans(r.rgb565, spans, r.background, r.width, r.height))
    paths.append(out / "2.frm")
    return paths


def parse(out):
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    first = eval(lines["samples"].split("first")[1].split("last")[0])  # noqa: S307 - our own output
    last = eval(lines["samples"].split("last")[1])  # noqa: S307
    frames = int(lines["changes"].split()[3])
    return first, last, frames


def test_free_heap_does_not_drift_over_thousands_of_changes(run_mpy, frame_files):
    out = run_mpy("mpy_soak.py", CHANGES, *frame_files, timeout=240)
    first, last, frames = parse(out)
    assert frames >= CHANGES  # every change drew (fades draw several frames)
    assert len(first) == len(last) == SAMPLES
    start = sum(first) / SAMPLES
    end = sum(last) / SAMPLES
    assert end >= start - DRIFT, out
