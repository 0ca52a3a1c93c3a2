"""Drawing a frame file: the bytes the panel receives are the picture, with background
outside the spans, streamed through the painter's fixed buffers."""

import io
import struct

import frame
import gc9a01
import pytest
from hw import wired_display
from painter import Painter

from pendant.sim.panel import PanelModel

BG = 0x001F  # blue


def heartish_frame():
    """240x240: each row y stores x in [y//2, 240 - y//2) as red; rows 200+ store nothing."""
    spans, pixels = [], bytearray()
    for y in range(240):
        x0, x1 = (y // 2, 240 - y // 2) if y < 200 else (0, 0)
        spans.append((x0, x1))
        pixels += struct.pack(">H", 0xF800) * (x1 - x0)
    return frame.pack(240, 240, BG, spans, bytes(pixels)), spans


def test_painter_draws_spans_over_background(clock):
    panel = PanelModel("gc9a01")
    d, log, _ = wired_display(gc9a01.GC9A01, panel)
    d.init()
    data, spans = heartish_frame()
    p = Painter(d)
    f = io.BytesIO(data)
    p.open(f)
    p.paint()
    img = panel.glass_image()  # full square, before the round mask
    for y in (0, 50, 199, 200, 239):
        x0, x1 = spans[y]
        for x in (0, x0 - 1, x0, x1 - 1, x1, 239):
            if not 0 <= x < 240:
                continue
            want = (255, 0, 0) if x0 <= x < x1 else (0, 0, 255)
            assert img.getpixel((x, y)) == want, (x, y)


def test_one_window_and_strip_sized_writes(clock):
    d, log, _ = wired_display(gc9a01.GC9A01)
    d.init()
    log.events.clear()
    data, _ = heartish_frame()
    f = io.BytesIO(data)
    p = Painter(d, strip_rows=8)
    p.open(f)
    p.paint()
    pixel_writes = [e[2] for e in log.events if e[0] == "spi" and e[1] == 1 and len(e[2]) > 8]
    assert sum(map(len, pixel_writes)) == 240 * 240 * 2
    assert {len(w) for w in pixel_writes} == {8 * 480}


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b"JUNK" + b[4:], "not a frame"),
    (lambda b: b[:100], "short"),
])
def test_bad_files_are_refused(clock, mutate, message):
    d, _, _ = wired_display(gc9a01.GC9A01)
    data, _ = heartish_frame()
    with pytest.raises(frame.FrameError):
        p = Painter(d)
        f = io.BytesIO(mutate(data))
        p.open(f)
        p.paint()


def test_frame_for_another_size_is_refused(clock):
    d, _, _ = wired_display(gc9a01.GC9A01)
    small = frame.pack(4, 2, 0, [(0, 0), (0, 0)], b"")
    with pytest.raises(frame.FrameError, match="panel is 240x240"):
        Painter(d).open(io.BytesIO(small))
