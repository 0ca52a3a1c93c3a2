"""Drawing a frame file: the bytes the panel receives are the picture, with background
outside the spans, streamed through the painter's fixed buffers."""

import io
import struct

import frame
import gc9a01
import pytest
from hw import wired_display
from painter import FrameReader, Painter

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


# -- what the painter knows of the glass: a change sends only what differs ----

RED, GREEN, WHITE = 0xF800, 0x07E0, 0xFFFF


def shape_frame(bg, color, width_at, seed=0):
    """240x240 ENC_SPANS frame: row y stores [120 - w, 120 + w) for
    w = width_at(y) (0: all background), pixels in `color` with a few
    row-dependent ones so rows differ."""
    spans, pixels = [], bytearray()
    for y in range(240):
        w = width_at(y)
        x0, x1 = (120 - w, 120 + w) if w else (0, 0)
        spans.append((x0, x1))
        for x in range(x0, x1):
            pixels += struct.pack(">H", color ^ ((x * 7 + y * 3 + seed) & 0x1F))
    return frame.pack(240, 240, bg, spans, bytes(pixels))


def heart_a(y):  # rows 30..229, widest at 100, a tip 6 px wide at the bottom
    return 0 if not 30 <= y < 230 else max(3, 110 - abs(y - 100) * 110 // 130)


def heart_b(y):  # another photo: rows 20..209, so it leaves rows A drew
    return 0 if not 20 <= y < 210 else max(2, 100 - abs(y - 90) * 100 // 120)


def glass_of(data, dma=True):
    """What a panel shows after one whole paint of data on a fresh panel."""
    panel = PanelModel("gc9a01")
    d, _, _ = wired_display(gc9a01.GC9A01, panel, dma=dma)
    d.init()
    p = Painter(d)
    p.open(io.BytesIO(data))
    p.paint()
    return panel.glass_image().tobytes()


def pixel_bytes(log):
    return sum(len(e[2]) for e in log.events if e[0] == "spi" and e[1] == 1 and len(e[2]) > 4)


@pytest.fixture
def glass_rig(clock):
    panel = PanelModel("gc9a01")
    d, log, _ = wired_display(gc9a01.GC9A01, panel, dma=True)
    d.init()
    p = Painter(d)
    return panel, d, log, p


def test_a_change_sends_only_rows_and_columns_that_can_differ(glass_rig):
    panel, d, log, p = glass_rig
    a = shape_frame(BG, RED, heart_a)
    b = shape_frame(BG, GREEN, heart_b, seed=5)
    p.open(io.BytesIO(a))
    assert p.draw()
    assert p.knows_glass()
    log.events.clear()
    p.open(io.BytesIO(b))
    assert p.draw()
    # exactly B, as a fresh panel shows it: A's rows below B's are background again
    assert panel.glass_image().tobytes() == glass_of(b)
    # rows 0..15 hold no span of either photo (B starts at 20): not sent.
    # From row 16, full rows down to the strips where both photos' spans lie
    # within a quarter of the width (60 columns): there only those columns.
    assert pixel_bytes(log) == bytes_to_send(spans_of(heart_a), spans_of(heart_b))
    casets = [e for e in log.events if e[0] == "spi" and e[1] == 0 and e[2] == b"\x2a"]
    assert len(casets) == 2  # the rows from the first span down, then the tip's columns


def test_the_tip_window_covers_both_photos_columns(glass_rig):
    """B's tip is wider than A's in the narrow rows: the narrow window must
    take the union, or B's edge would be lost."""
    panel, d, log, p = glass_rig
    a = shape_frame(BG, RED, heart_b)
    b = shape_frame(BG, GREEN, lambda y: heart_a(y) + (8 if y > 200 else 0), seed=1)
    p.open(io.BytesIO(a))
    p.draw()
    p.open(io.BytesIO(b))
    p.draw()
    assert panel.glass_image().tobytes() == glass_of(b)
    # and back: A's tip narrower, B's pixels there must go
    p.open(io.BytesIO(a))
    p.draw()
    assert panel.glass_image().tobytes() == glass_of(a)


def spans_of(width_at):
    return [(120 - w, 120 + w) if w else (0, 0) for w in map(width_at, range(240))]


def plan(*tables, box=None):
    """The spec of a trimmed paint, written out: rows from the first 8-row
    strip where any table (or the box, x0, y0, x1, y1 inclusive) has a span;
    then, from the first strip of the bottom run whose spans all lie within
    60 columns, only those columns. (first, that strip's row, its width)."""
    rows = [[s[y] for s in tables] for y in range(240)]
    if box is not None:
        for y in range(box[1], box[3] + 1):
            rows[y].append((box[0], box[2] + 1))
    first = min(y for y in range(240) if any(x0 < x1 for x0, x1 in rows[y])) // 8 * 8
    ny, cols = 240, None
    for y in range(232, first, -8):
        xs = [(x0, x1) for r in rows[y:] for x0, x1 in r if x0 < x1]
        lo, hi = min((x for x, _ in xs), default=0), max((x for _, x in xs), default=0)
        if hi - lo > 60:
            break
        if xs:
            ny, cols = y, hi - lo
    return first, ny, cols or 0


def bytes_to_send(*tables, box=None):
    first, ny, cols = plan(*tables, box=box)
    return (ny - first) * 480 + (240 - ny) * 2 * cols


@pytest.mark.parametrize("between", ["overlay", "tip", "dot", "stopped", "reset", "fill"])
def test_a_change_sends_again_what_was_drawn_since(glass_rig, between):
    """The display's box holds the windows opened since the painter's last
    whole paint: they are sent again, whatever is in them."""
    panel, d, log, p = glass_rig
    a = shape_frame(BG, RED, heart_a)
    b = shape_frame(BG, GREEN, heart_b, seed=2)
    p.open(io.BytesIO(a))
    p.draw()
    box = None
    if between == "overlay":  # a band over the top rows, above both hearts
        box = (0, 0, 239, 7)
    elif between == "tip":  # the status overlay's place, beside the heart's tip
        box = (40, 176, 87, 191)
    elif between == "dot":  # one pixel beside the tip: its own row and column count
        box = (150, 232, 150, 232)
    if box is not None:
        x0, y0, x1, y1 = box
        d.window(x0, y0, x1, y1)
        d.pixels(b"\xff" * (2 * (x1 - x0 + 1) * (y1 - y0 + 1)))
        d.end()
    elif between == "reset":  # the panel's RAM is undefined after one
        d.init()
    elif between == "fill":
        d.fill(WHITE, bytearray(480))
    else:  # a paint a host cut short: B's first strip over A
        p.open(io.BytesIO(b))
        assert not p.draw(stop=lambda: True)
        _, ny, _ = plan(spans_of(heart_a), spans_of(heart_b))
        box = (0, 16, 239, ny - 1)  # its first window: from B's first strip to the tip
    log.events.clear()
    p.open(io.BytesIO(b))
    p.draw()
    assert panel.glass_image().tobytes() == glass_of(b)
    if between in ("reset", "fill"):
        assert pixel_bytes(log) == 240 * 240 * 2
    else:
        assert pixel_bytes(log) == bytes_to_send(spans_of(heart_a), spans_of(heart_b), box=box)
        assert pixel_bytes(log) < 240 * 240 * 2


def test_another_background_is_sent_whole(glass_rig):
    panel, d, log, p = glass_rig
    assert not p.knows_glass()  # nothing painted yet
    p.open(io.BytesIO(shape_frame(BG, RED, heart_a)))
    p.draw()
    b = shape_frame(WHITE, GREEN, heart_b)
    log.events.clear()
    p.open(io.BytesIO(b))
    p.draw()
    assert pixel_bytes(log) == 240 * 240 * 2
    assert panel.glass_image().tobytes() == glass_of(b)


def test_a_fade_frame_is_sent_again(glass_rig):
    """After a blend the glass is neither photo: its window is sent again."""
    panel, d, log, p = glass_rig
    a, b = shape_frame(BG, RED, heart_a), shape_frame(BG, GREEN, heart_b)
    p.open(io.BytesIO(a))
    p.draw()
    mix = FrameReader(240, 240)
    mix.open(io.BytesIO(b))
    p.open(io.BytesIO(a))
    p.paint(mix, 16)  # a whole blend of the two
    log.events.clear()
    p.open(io.BytesIO(a))
    p.draw()
    assert pixel_bytes(log) == 240 * 240 * 2
    assert panel.glass_image().tobytes() == glass_of(a)


def test_a_cleared_panel_is_a_known_glass(glass_rig):
    """An empty pendant's screen (one colour): the first photo on that
    background sends only its own rows and columns."""
    panel, d, log, p = glass_rig
    p.clear(BG)
    assert p.knows_glass()
    b = shape_frame(BG, GREEN, heart_b)
    log.events.clear()
    p.open(io.BytesIO(b))
    p.draw()
    assert panel.glass_image().tobytes() == glass_of(b)
    no_spans = [(0, 0)] * 240
    assert pixel_bytes(log) == bytes_to_send(no_spans, spans_of(heart_b))
