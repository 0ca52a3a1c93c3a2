# Transitions from the photo on screen to the next: a wipe and a cross-fade.
#
# The panel cannot be read back, and the heap cannot hold a frame (115,200
# bytes) even once more. On the pendant a cross-fade decodes the new photo's
# span pixels (~56 KB for the heart) into RAM once, then each frame decodes the
# old photo from flash and blends the new one's rows from RAM into it, strip
# by strip: one decode a frame instead of two. Where that buffer cannot be had
# (no Thumb decoder, the heap too fragmented) it re-reads both frame files
# with two FrameReaders each frame. The readers and strips are allocated here,
# once: a step of a transition allocates nothing.
#
# The wipe is a moving edge from top to bottom: the painter's own strips,
# paced over WIPE_MS. It reads the new photo once and the old one not at all,
# which is why it runs top-down rather than sideways (a sideways edge would
# re-read the whole file for every step).
import painter as draw
from painter import FrameReader, RamRows

NONE = "none"
WIPE = "wipe"
FADE = "fade"

FULL = 32  # blend weights are 0..FULL (5 bits: see blend.py)
FADE_STEPS = 7  # frames of a cross-fade, the last the new photo itself (~65 ms each on the chip)
WIPE_MS = 480  # the wipe's edge crosses the panel in this long
# RAM for a fade's new photo, per panel: its default heart's spans take
# 56,396 B on the round GC9A01 and 62,958 B on the square ST7789, whose heart
# is larger (RamRows.size of the host's default render). Taken by
# App.load_rest straight after a collection (see there for why).
# Photos whose spans take more (a circle, the full panel, a heart scaled up)
# fade by decoding both.
FADE_RAM = {"gc9a01": 60 * 1024, "st7789": 62 * 1024}


def _blend_rows():
    return draw.blend_rows is not None


def fade_weight(step, steps=FADE_STEPS):
    """Weight of the new photo (0..FULL) in frame `step` (1..steps)."""
    return FULL * step // steps


class Transitions:
    def __init__(self, painter, ram=FADE_RAM["gc9a01"]):
        self.painter = painter
        # The new photo's spans during a fade, taken first and while the heap
        # is young: later the free memory is there but not in one piece.
        self._ram = None
        if draw.span_copy is not None:
            try:
                self._ram = bytearray(ram)
            except MemoryError:
                print("transition: no %d bytes for fades: each decodes both photos a frame"
                      % ram)
        self.old = FrameReader(painter.width, painter.height)
        # per row, the columns where a fade's two photos can differ (blend_rows)
        # (blend_thumb.blend_rows' table: a header of 12 bytes, then x0, x1 per row)
        h = painter.height
        self._union = bytearray(12 + 4 * h) if _blend_rows() else None

    def lend(self, size):
        """The fade's RAM for `size` bytes while no fade runs, or None. A
        photo arriving over USB is held there until it is stored (link.py):
        no fade runs during a session, and each fade fills it afresh."""
        ram = self._ram
        return ram if ram is not None and len(ram) >= size else None

    def show(self, kind, new_path, old_path=None, stop=None):
        """Bring new_path on screen with transition `kind` (settings.TRANSITIONS).

        A fade needs the old photo's file; without one (first photo, or it was
        just deleted) the new photo is simply painted. stop: an optional
        callable polled between fade frames and wipe strips (the app serves
        the link there); when it returns True the transition ends at once and
        show() returns False, leaving the screen part-way (the caller repaints
        the photo later). Returns True when the new photo is fully on screen.
        """
        if kind == FADE and old_path is not None and old_path != new_path:
            try:
                fo = open(old_path, "rb")
            except OSError:
                fo = None
            if fo is not None:
                with fo:
                    return self.fade(new_path, fo, stop=stop)
        if kind == WIPE:
            return self.wipe(new_path, stop=stop)
        self.painter.show(new_path)
        return True

    def fade(self, new_path, fo, steps=FADE_STEPS, stop=None):
        p = self.painter
        with open(new_path, "rb") as fn:
            hdr = p.open(fn)  # a frame this panel cannot show fails before anything is drawn
            ram = self._ram
            if ram is not None and RamRows.size(p.reader, hdr[4]) <= min(len(ram), 0xFFFF):
                return self._fade_ram(RamRows(p.reader, ram), fo, steps, stop)
            for k in range(1, steps):
                if stop is not None and stop():
                    return False
                fn.seek(0)
                fo.seek(0)
                p.open(fn)
                try:
                    self.old.open(fo)
                except ValueError:  # the old file is no frame for this panel: just cut
                    break
                if not self.fade_step(fade_weight(k, steps), stop):
                    return False
            fn.seek(0)
            p.open(fn)
            p.paint()  # the last frame is the new photo exactly, not a blend
        return True

    def _spans_union(self, a, b):
        """For blend_rows, per row the columns where the photos of readers a
        and b can differ (the union of their spans), or None when their
        backgrounds differ (then every column blends). The second result:
        the spans are the same (the new photo's background is not needed)."""
        u = self._union
        if u is None or a._bg != b._bg:
            return None, False
        u[2] = a.row_bytes & 0xFF
        u[3] = a.row_bytes >> 8
        u[6] = 0
        if bytes(a.spans) == bytes(b.spans):  # the usual case: one mask for both
            u[12:] = a.spans
            u[6] = 1  # blend from the new photo's RAM directly
            return u, True
        sa = a.spans
        sb = b.spans
        for y in range(a.height):
            i = 4 * y
            a0 = sa[i] | (sa[i + 1] << 8)
            a1 = sa[i + 2] | (sa[i + 3] << 8)
            b0 = sb[i] | (sb[i + 1] << 8)
            b1 = sb[i + 2] | (sb[i + 3] << 8)
            if a0 == a1:
                a0 = b0
                a1 = b1
            elif b0 != b1:
                if b0 < a0:
                    a0 = b0
                if b1 > a1:
                    a1 = b1
            u[12 + i] = a0 & 0xFF
            u[13 + i] = a0 >> 8
            u[14 + i] = a1 & 0xFF
            u[15 + i] = a1 >> 8
        return u, False

    def _first_row(self, union):
        """The first strip's row where blend_rows' table has a span (0 when
        none has)."""
        p = self.painter
        rows = p.strip_rows
        for y in range(0, p.height, rows):
            if draw.span_box(union, y, min(y + rows, p.height)) & 0xFFFF:
                return y
        return 0

    def _narrow(self, union, top):
        """(y, x0, x1) for Painter.paint's narrow: the largest run of strips
        at the bottom, past top, whose spans all lie within a quarter of the
        panel's width (a heart's tip), or None. There a strip decodes in
        less time than its full rows take on the wire (1 ms at 31.25 MHz)."""
        p = self.painter
        rows = p.strip_rows
        h = p.height
        best = None
        y = (h - 1) // rows * rows  # the last strip's first row
        while y > top:
            box = draw.span_box(union, y, h)
            x0 = box >> 16
            x1 = box & 0xFFFF
            if x1 - x0 > p.width // 4:
                break
            if x1 > x0:
                best = (y, x0, x1)
            y -= rows
        return best

    def _fade_ram(self, new, fo, steps, stop):
        p = self.painter
        try:
            self.old.open(fo)
        except ValueError:  # the old file is no frame for this panel: just cut
            steps = 1
        if steps < 2:
            p.paint()  # the new photo, its reader still at row 0
            return True
        union, same = self._spans_union(new.reader, self.old)
        # Frame 1 paints every row; after it, rows with no span in either
        # photo show their common background already and are not sent again.
        top = 0 if union is None else self._first_row(union)
        narrow = None if union is None or not p.can_narrow else self._narrow(union, top)
        new.start_loading()
        for k in range(1, steps):
            if stop is not None and stop():
                return False
            if k > 1:
                self.old.rewind()
                new.rewind(same)
            if union is not None:
                union[6] = 1 if same and k > 1 else 0  # blend straight from RAM
                union[8] = 0  # blend_rows' offset in the new photo's RAM
                union[9] = 0
            # Frame 1 decodes both photos, keeping the new one's spans in RAM;
            # the others decode the old photo and blend the new one from RAM.
            if not p.paint(new, FULL - fade_weight(k, steps), stop=stop, reader=self.old,
                           union=union, first=top if k > 1 else 0,
                           narrow=narrow if k > 1 else None):
                return False
        new.rewind()
        p.paint(reader=new, first=top, narrow=narrow)  # the new photo exactly, not a blend
        return True

    def fade_step(self, weight, stop=None):
        """One cross-fade frame from the two open readers: allocation-free.
        False when stop() ended it part-way."""
        return self.painter.paint(self.old, weight, stop=stop)

    def wipe(self, new_path, ms=WIPE_MS, stop=None):
        """Paint the new photo strip by strip, paced so the edge moves steadily."""
        p = self.painter
        with open(new_path, "rb") as f:
            p.open(f)
            return p.paint(strip_ms=ms * p.strip_rows // p.height, stop=stop)
