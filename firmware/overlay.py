# Status overlay: a battery icon when low, the last warning, upload progress.
#
# Drawn with framebuf into one small window (never a whole frame: the heap
# cannot hold one) and sent to the panel as its own RAMWR window, so the photo
# beneath is touched only inside that rectangle. Placed where a heart-masked
# photo shows background: the lower left of the circle, beside the heart's
# point. clear() asks the app to repaint the photo from its frame file.
from micropython import const

W = const(48)  # window size: a battery glyph and 3 digits
H = const(16)
X = const(40)  # lower left, inside the round glass, outside the heart
Y = const(176)
# RGB565 colours, byte-swapped: framebuf stores pixels little-endian, the
# panel takes them high byte first.
BLACK = const(0x0000)
WHITE = const(0xFFFF)
RED = const(0x00F8)  # 0xF800
GREEN = const(0xE007)  # 0x07E0
AMBER = const(0xE0FD)  # 0xFDE0
PINK = const(0x19F8)  # 0xF819


class Overlay:
    def __init__(self, display, repaint=None):
        self.display = display
        self.repaint = repaint  # app: redraw the photo under the window
        # Allocated at start-up, while the heap is still whole: the first
        # low-battery warning comes when it is most fragmented.
        import framebuf

        self.buf = bytearray(W * H * 2)
        self.fb = framebuf.FrameBuffer(self.buf, W, H, framebuf.RGB565)
        self.shown = False

    def _canvas(self):
        return self.fb

    def _blit(self, x=X, y=Y):
        d = self.display
        d.window(x, y, x + W - 1, y + H - 1)
        d.pixels(self.buf)
        d.end()
        self.shown = True

    def battery(self, percent, charging=False):
        """Battery glyph filled to percent, and the number beside it."""
        fb = self._canvas()
        fb.fill(BLACK)
        colour = RED if percent <= 5 else AMBER
        if charging:
            colour = GREEN
        fb.rect(0, 3, 18, 10, WHITE)
        fb.fill_rect(18, 6, 2, 4, WHITE)  # the terminal
        fill = max(1, 16 * min(100, percent) // 100)
        fb.fill_rect(1, 4, fill, 8, colour)
        fb.text("%d" % percent, 22, 4, colour)
        self._blit()

    def warning(self, text):
        """One line of the last warning, e.g. "charge me"."""
        fb = self._canvas()
        fb.fill(BLACK)
        fb.text(text[: W // 8], 0, 4, RED)
        self._blit()

    def progress(self, fraction):
        """Upload progress: a small heart and a bar."""
        fb = self._canvas()
        fb.fill(BLACK)
        # A 7x6 heart from two circles' worth of pixels and a point.
        fb.fill_rect(1, 5, 3, 3, PINK)
        fb.fill_rect(5, 5, 3, 3, PINK)
        fb.fill_rect(0, 6, 9, 3, PINK)
        fb.fill_rect(1, 9, 7, 1, PINK)
        fb.fill_rect(2, 10, 5, 1, PINK)
        fb.fill_rect(3, 11, 3, 1, PINK)
        fb.pixel(4, 12, PINK)
        fb.rect(12, 5, W - 13, 7, WHITE)
        fb.fill_rect(13, 6, int((W - 15) * max(0.0, min(1.0, fraction))), 5, PINK)
        self._blit()

    def clear(self):
        """Take the overlay away by repainting the photo beneath it."""
        if self.shown:
            self.shown = False
            if self.repaint is not None:
                self.repaint()
