"""While a photo uploads, the pendant shows the "uploading" heart and bar, and
the photo comes back whole afterwards."""

from e2e_helpers import SAMPLES
from PIL import ImageChops

from pendant import frames, link
from pendant.photo import render

# Where firmware/overlay.py draws: a 48x16 window at (40, 176).
BOX = (40, 176, 88, 192)


def pinkish(img):
    px = img.crop(BOX).tobytes()
    rgb = zip(px[0::3], px[1::3], px[2::3], strict=True)
    return sum(1 for r, g, b in rgb if r > 200 and b > 150 and g < 80)


def test_progress_heart_during_upload_then_the_photo(sim):
    ff = frames.from_render(render(SAMPLES / "chelsea.jpg"))
    seen = []

    def progress(done):
        if done >= len(ff) // 2 and not seen:
            # The pendant draws after it ACKs: give it a moment.
            seen.append(sim.wait_for(lambda: pinkish(sim.panel.render(1.0)) > 20, 5))

    with link.Client(sim.port) as c:
        assert c.put(ff.data, ff.id, progress=progress) == "uploaded"
    assert seen == [True]
    # After the session the photo is repainted: no trace of the overlay.
    preview = frames.decode(ff.data)[2]
    from pendant import glass

    want = glass.preview(preview, "gc9a01")
    assert sim.wait_for(
        lambda: ImageChops.difference(sim.panel.render(1.0), want).getbbox() is None, 10)
