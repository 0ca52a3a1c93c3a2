# Transitions from the photo on screen to the next: a wipe and a cross-fade.
#
# The panel cannot be read back, and the heap cannot hold a frame (115,200
# bytes) even once more. On the pendant a cross-fade keeps one photo's span
# pixels (~56-63 KB for the heart) in RAM and decodes the other from flash
# each frame, strip by strip: one decode a frame instead of two. A fade ends
# with the new photo's spans in that RAM, so the next fade (a slideshow's)
# blends the old photo in from RAM and decodes the new one each frame, its
# last frame keeping the new one there again. Where the RAM holds another
# photo (it was lent to an upload, or at start) the app fills it with the
# photo on the glass while nothing waits (keep()); a fade that finds it so
# anyway decodes both photos in frame 1, keeping the new one in RAM, and
# only the old photo in the others. Where that buffer cannot be had (no Thumb
# decoder, the heap too fragmented) it re-reads both frame files with two
# FrameReaders each frame. The readers and strips are allocated here, once:
# a step of a transition allocates nothing.
#
# The wipe is a moving edge from top to bottom: the painter's own strips,
# paced over WIPE_MS. It reads the new photo once and the old one not at all,
# which is why it runs top-down rather than sideways (a sideways edge would
# re-read the whole file for every step).
import frame
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
        # which photo's spans the RAM holds, by its header's (body CRC, body
        # size), or None: a fade from it decodes one photo a frame, not two
        self._held = None
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
        if ram is None or len(ram) < size:
            return None
        self._held = None  # the photo kept there for the next fade is lost
        return ram

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
        return self.painter.show(new_path)

    def keep(self, path, stop=None):
        """Decode the photo at path into the fade's RAM, sending nothing, unless
        the RAM holds it already: the next fade from it (the photo on the
        glass) then decodes one photo a frame. The app calls it while nothing
        waits (transition.py's header). stop: polled between strips; True
        ends it, the RAM then holding no photo. Returns True when the RAM
        holds this photo."""
        ram = self._ram
        if ram is None:
            return False
        r = self.old
        with open(path, "rb") as f:
            hdr = r.open(f)
            if self._held == (hdr[6], hdr[5]):
                return True
            if hdr[0] == frame.ENC_SPANS or RamRows.size(r, hdr[4]) > min(len(ram), 0xFFFF):
                return False  # (ENC_SPANS rows are copied, not decoded by the Thumb path)
            self._held = None
            rows = RamRows(r, ram)
            rows.start_loading()
            strip = self.painter.mix_strip
            n = self.painter.strip_rows
            h = r.height
            y = 0
            while y < h:
                k = n if h - y >= n else h - y
                rows.rows_into(strip, k)
                y += k
                if stop is not None and y < h and stop():
                    return False
        self._held = (hdr[6], hdr[5])
        return True

    def fade(self, new_path, fo, steps=FADE_STEPS, stop=None):
        p = self.painter
        with open(new_path, "rb") as fn:
            hdr = p.open(fn)  # a frame this panel cannot show fails before anything is drawn
            ram = self._ram
            if ram is not None and RamRows.size(p.reader, hdr[4]) <= min(len(ram), 0xFFFF):
                return self._fade_ram(RamRows(p.reader, ram), fo, steps, stop, hdr)
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
        if a.spans == b.spans:  # the usual case: one mask for both (by content)
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

    def _fade_ram(self, new, fo, steps, stop, hdr):
        p = self.painter
        try:
            ohdr = self.old.open(fo)
        except ValueError:  # the old file is no frame for this panel: just cut
            steps = 1
        if steps < 2:
            p.draw()  # the new photo, its reader still at row 0
            return True
        union, same = self._spans_union(new.reader, self.old)
        # Rows with no span in either photo show their common background
        # already and are not sent again, nor the columns beside a narrow tip:
        # in frame 1 where the painter knows the glass, after it always.
        top = 0
        narrow = None
        top1 = 0  # frame 1's
        narrow1 = None
        if union is not None:
            spans = memoryview(union)[12:]
            top, narrow = p.rows_to_send(spans, spans)
            top1, narrow1 = p.trim(spans, self.old._bg)
        # The RAM still holds the old photo's spans (the fade before left
        # them there): each frame decodes only the new photo and blends the
        # old one in from RAM, and the last keeps the new one there.
        old = None
        if self._held == (ohdr[6], ohdr[5]):
            old = RamRows(self.old, self._ram)
        else:  # frame 1 decodes both, keeping the new photo in RAM
            self._held = None
            new.start_loading()
        for k in range(1, steps):
            if stop is not None and stop():
                return False
            if union is not None:
                union[8] = 0  # blend_rows' offset in the RAM photo's spans
                union[9] = 0
            first = top if k > 1 else top1
            nar = narrow if k > 1 else narrow1
            if old is not None:
                if k > 1:
                    p.reader.rewind()
                old.rewind(same)
                if union is not None:
                    union[6] = 1 if same else 0  # blend straight from RAM
                done = p.paint(old, fade_weight(k, steps), stop=stop, union=union, first=first,
                               narrow=nar)
            else:
                if k > 1:
                    self.old.rewind()
                    new.rewind(same)
                if union is not None:
                    union[6] = 1 if same and k > 1 else 0
                # the old photo decoded, the new one blended in from RAM
                done = p.paint(new, FULL - fade_weight(k, steps), stop=stop, reader=self.old,
                               union=union, first=first, narrow=nar)
            if not done:
                return False
        # the last frame: the new photo exactly, not a blend
        if old is not None:  # decoded once more, and kept in RAM for the next fade
            self._held = None
            p.reader.rewind()
            new.start_loading()
        else:
            new.rewind()
        if not p.paint(reader=new, first=top, narrow=narrow, stop=stop):
            return False
        self._held = (hdr[6], hdr[5])  # (body CRC, body size): which photo the RAM holds
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
