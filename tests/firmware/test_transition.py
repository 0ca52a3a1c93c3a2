"""Transitions (firmware/transition.py) on CPython: what reaches the panel,
frame by frame, for a cross-fade and a wipe between two real frame files."""

import struct

import frame
import painter
import pytest
import transition
from painter import Painter

W = H = 240


class FrameGrabber:
    """A display that keeps every full-screen window it is sent as one frame."""

    width = W
    height = H

    def __init__(self):
        self.frames: list[bytes] = []
        self._cur = bytearray()
        self.open = False

    def window(self, x0, y0, x1, y1):
        assert (x0, y0, x1, y1) == (0, 0, W - 1, H - 1)
        self._cur = bytearray()
        self.open = True

    def pixels(self, buf):
        assert self.open
        self._cur += bytes(buf)

    def end(self):
        self.frames.append(bytes(self._cur))
        self.open = False


def write_frame(path, bg, color_at, rows=range(H), x0=0, x1=W):
    spans, pixels = [], bytearray()
    for y in range(H):
        if y in rows:
            spans.append((x0, x1))
            for x in range(x0, x1):
                pixels += struct.pack(">H", color_at(x, y))
        else:
            spans.append((0, 0))
    path.write_bytes(frame.pack(W, H, bg, spans, bytes(pixels)))
    return path


@pytest.fixture
def photos(tmp_path):
    # old: a red/green gradient everywhere; new: a blue band on a grey background
    old = write_frame(tmp_path / "old.frm", 0x0000,
                      lambda x, y: ((x * 31 // 239) << 11) | ((y * 63 // 239) << 5))
    new = write_frame(tmp_path / "new.frm", 0x8410, lambda x, y: 0x001F | ((x & 31) << 11),
                      rows=range(40, 200), x0=30, x1=210)
    return old, new


def plain(path):
    d = FrameGrabber()
    Painter(d).show(str(path))
    return d.frames[0]


def ref_blend(new_px, old_px, a):
    """Per channel, independently of the packed arithmetic under test."""
    out = 0
    for shift, bits in ((11, 5), (5, 6), (0, 5)):
        m = (1 << bits) - 1
        n, o = (new_px >> shift) & m, (old_px >> shift) & m
        out |= ((n * a + o * (32 - a)) >> 5) << shift
    return out


def pixels(data):
    return struct.unpack(">%dH" % (len(data) // 2), data)


def test_fade_ends_on_the_new_photo_through_blends(photos, clock):
    old, new = photos
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))
    t.show(transition.FADE, str(new), str(old))
    assert len(d.frames) == transition.FADE_STEPS
    assert d.frames[-1] == plain(new)  # exactly the new photo, not a near blend
    want_new, want_old = pixels(plain(new)), pixels(plain(old))
    for k in (1, transition.FADE_STEPS // 2):
        a = transition.fade_weight(k)
        assert 0 < a < transition.FULL
        got = pixels(d.frames[k - 1])
        for i in range(0, W * H, 997):  # a spread of pixels across the frame
            assert got[i] == ref_blend(want_new[i], want_old[i], a), (k, i)
        assert got != want_new and got != want_old
    assert clock.sleeps == []  # the fade's pace is the frames themselves


def test_fade_weights_rise_to_full():
    ws = [transition.fade_weight(k) for k in range(1, transition.FADE_STEPS + 1)]
    assert ws == sorted(ws) and ws[-1] == transition.FULL and ws[0] > 0


def test_blend_extremes_are_the_inputs():
    new = bytearray(struct.pack(">4H", 0xF800, 0x07E0, 0x001F, 0xFFFF))
    old = bytes(struct.pack(">4H", 0x0000, 0xFFFF, 0x1234, 0x8410))
    keep = bytearray(new)
    painter.blend565(keep, 0, old, 0, 4, transition.FULL)
    assert keep == new
    gone = bytearray(new)
    painter.blend565(gone, 0, old, 0, 4, 0)
    assert gone == old


def test_wipe_is_one_paced_pass_of_the_new_photo(photos, clock):
    old, new = photos
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))
    t.show(transition.WIPE, str(new), str(old))
    assert d.frames == [plain(new)]
    strips = H // 8
    assert len(clock.sleeps) == strips - 1  # between strips, not after the last
    assert sum(clock.sleeps) == pytest.approx(transition.WIPE_MS, rel=0.1)


def test_none_and_a_missing_old_photo_just_paint(photos, tmp_path, clock):
    old, new = photos
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))
    t.show(transition.NONE, str(new), str(old))
    t.show(transition.FADE, str(new), str(tmp_path / "deleted.frm"))
    t.show(transition.FADE, str(new), None)
    assert d.frames == [plain(new)] * 3


def test_fade_into_a_bad_frame_draws_nothing(photos, tmp_path, clock):
    old, _ = photos
    bad = tmp_path / "bad.frm"
    bad.write_bytes(b"not a frame")
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))
    with pytest.raises(ValueError):
        t.show(transition.FADE, str(bad), str(old))
    assert d.frames == []


class SlowGrabber(FrameGrabber):
    """Each strip costs ms_per_strip of (virtual) time to send."""

    def __init__(self, clock, ms_per_strip):
        super().__init__()
        self.clock = clock
        self.ms = ms_per_strip

    def pixels(self, buf):
        super().pixels(buf)
        self.clock.now_ms += self.ms


def test_wipe_keeps_a_steady_pace_however_long_a_strip_takes(photos, clock):
    old, new = photos
    d = SlowGrabber(clock, 10)
    t = transition.Transitions(Painter(d))
    assert t.show(transition.WIPE, str(new), str(old)) is True
    step = transition.WIPE_MS * 8 // H
    # the sleeps fill each strip up to its deadline, not a fixed pause on top
    assert clock.sleeps == [step - 10] * (H // 8 - 1)
    assert clock.now_ms == step * (H // 8 - 1) + 10


def test_stop_ends_a_wipe_at_once_and_closes_the_window(photos, clock):
    old, new = photos
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))
    calls = []

    def stop():
        calls.append(len(d._cur))
        return len(calls) == 3

    assert t.show(transition.WIPE, str(new), str(old), stop=stop) is False
    assert len(calls) == 3
    assert len(d.frames) == 1 and not d.open  # the window was ended
    assert d.frames[0] == plain(new)[: 3 * 8 * W * 2]  # three strips, then nothing
    assert len(clock.sleeps) == 2


def test_stop_ends_a_fade_between_frames(photos, clock):
    old, new = photos
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))
    polls = []

    def stop():
        polls.append(len(d.frames))
        return len(d.frames) == 2

    assert t.show(transition.FADE, str(new), str(old), stop=stop) is False
    # Polled before each blended frame and between its strips (a host must
    # not wait a whole ~200 ms frame), and it stopped at the first poll after
    # the second frame.
    assert polls[:1] == [0] and polls.count(2) == 1 and polls[-1] == 2
    assert polls.count(1) > 2
    assert len(d.frames) == 2
    # not stopped: every frame, and True
    d2 = FrameGrabber()
    t2 = transition.Transitions(Painter(d2))
    assert t2.show(transition.FADE, str(new), str(old), stop=lambda: False) is True
    assert len(d2.frames) == transition.FADE_STEPS and d2.frames[-1] == plain(new)


def test_a_plain_change_completes_without_polling(photos, clock):
    old, new = photos
    d = FrameGrabber()
    t = transition.Transitions(Painter(d))

    def stop():
        raise AssertionError("a single frame is not interrupted")

    assert t.show(transition.NONE, str(new), str(old), stop=stop) is True
    assert d.frames == [plain(new)]
