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
import painter
from painter import FrameReader, RamRows

NONE = "none"
WIPE = "wipe"
FADE = "fade"

FULL = 32  # blend weights are 0..FULL (5 bits: see blend.py)
FADE_STEPS = 7  # frames of a cross-fade, the last the new photo itself (~65 ms each on the chip)
WIPE_MS = 480  # the wipe's edge crosses the panel in this long


def fade_weight(step, steps=FADE_STEPS):
    """Weight of the new photo (0..FULL) in frame `step` (1..steps)."""
    return FULL * step // steps


class Transitions:
    def __init__(self, painter):
        self.painter = painter
        self.old = FrameReader(painter.width, painter.height)
        self._said = False  # the streaming fallback is logged once

    def _ram(self, size):
        """A buffer for the new photo's spans, or None (then the fade streams)."""
        if painter.span_copy is None or size > 0xFFFF:
            return None
        try:
            return bytearray(size)
        except MemoryError:
            if not self._said:
                print("transition: no %d bytes for the fade: decoding both photos each frame"
                      % size)
                self._said = True
            return None

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
            ram = self._ram(RamRows.size(p.reader, hdr[4]))
            if ram is not None:
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

    def _fade_ram(self, new, fo, steps, stop):
        p = self.painter
        new.load(p.mix_strip)  # the new photo decoded once
        for k in range(1, steps):
            if stop is not None and stop():
                return False
            fo.seek(0)
            try:
                self.old.open(fo)
            except ValueError:  # the old file is no frame for this panel: just cut
                break
            new.rewind()
            # the old photo decoded into the strip, the new one blended in from RAM
            if not p.paint(new, FULL - fade_weight(k, steps), stop=stop, reader=self.old):
                return False
        new.rewind()
        p.paint(reader=new)  # the last frame is the new photo exactly, not a blend
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
