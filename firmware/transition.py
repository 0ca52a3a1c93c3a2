# Transitions from the photo on screen to the next: a wipe and a cross-fade.
#
# The panel cannot be read back, and the heap cannot hold a frame (115,200
# bytes) even once more, so a cross-fade re-reads both frame files from flash
# with two FrameReaders, row by row, and blends each row of the new photo with
# the same row of the old one into the painter's strip buffer. Every buffer is
# allocated here, once: a step of a transition allocates nothing.
#
# The wipe is a moving edge from top to bottom: the painter's own strips,
# paced over WIPE_MS. It reads the new photo once and the old one not at all,
# which is why it runs top-down rather than sideways (a sideways edge would
# re-read the whole file for every step).
from painter import FrameReader

NONE = "none"
WIPE = "wipe"
FADE = "fade"

FULL = 32  # blend weights are 0..FULL (5 bits: see blend.py)
FADE_STEPS = 6  # frames of a cross-fade, the last being the new photo itself
WIPE_MS = 480  # the wipe's edge crosses the panel in this long


def fade_weight(step, steps=FADE_STEPS):
    """Weight of the new photo (0..FULL) in frame `step` (1..steps)."""
    return FULL * step // steps


class Transitions:
    def __init__(self, painter):
        self.painter = painter
        self.old = FrameReader(painter.width, painter.height)

    def show(self, kind, new_path, old_path=None):
        """Bring new_path on screen with transition `kind` (settings.TRANSITIONS).

        A fade needs the old photo's file; without one (first photo, or it was
        just deleted) the new photo is simply painted.
        """
        if kind == FADE and old_path is not None and old_path != new_path:
            try:
                fo = open(old_path, "rb")
            except OSError:
                fo = None
            if fo is not None:
                with fo:
                    self.fade(new_path, fo)
                return
        if kind == WIPE:
            self.wipe(new_path)
            return
        self.painter.show(new_path)

    def fade(self, new_path, fo, steps=FADE_STEPS):
        p = self.painter
        with open(new_path, "rb") as fn:
            p.open(fn)  # a frame this panel cannot show fails before anything is drawn
            for k in range(1, steps):
                fn.seek(0)
                fo.seek(0)
                p.open(fn)
                try:
                    self.old.open(fo)
                except ValueError:  # the old file is no frame for this panel: just cut
                    break
                self.fade_step(fade_weight(k, steps))
            fn.seek(0)
            p.open(fn)
            p.paint()  # the last frame is the new photo exactly, not a blend

    def fade_step(self, weight):
        """One cross-fade frame from the two open readers: allocation-free."""
        self.painter.paint(self.old, weight)

    def wipe(self, new_path, ms=WIPE_MS):
        """Paint the new photo strip by strip, paced so the edge is seen moving."""
        p = self.painter
        with open(new_path, "rb") as f:
            p.open(f)
            p.paint(pause_ms=ms * p.strip_rows // p.height)
