"""Many photos convert on every core, in order, with bad ones reported not raised."""

from pathlib import Path

from pendant import batch
from pendant.photo import RenderOptions

SAMPLES = Path(__file__).resolve().parents[2] / "host" / "pendant" / "samples"


def test_pool_keeps_order_and_reports_bad_photos(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    paths = [SAMPLES / "chelsea.jpg", bad, SAMPLES / "astronaut.jpg", tmp_path / "gone.jpg"]
    opts = RenderOptions()
    seen = []
    got = batch.convert_all(paths, opts, progress=seen.append)
    assert [c.path for c in got] == [str(p) for p in paths]
    assert [c.error is None for c in got] == [True, False, True, False]
    assert "bad.jpg" in got[1].error and "gone.jpg" in got[3].error
    assert len(seen) == len(paths)
    # The same bytes as converting one by one in this process.
    for c in (got[0], got[2]):
        alone = batch.convert_one(c.path, opts)
        assert c.frame.data == alone.frame.data


def test_one_photo_needs_no_pool():
    assert batch.workers_for(1) == 1
    assert batch.workers_for(100) >= 1
