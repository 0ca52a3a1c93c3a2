# A 240x240 display for MicroPython test scripts that only counts what it is
# sent: windows opened and pixel bytes. It keeps dcs.DCS's box (the windows
# opened since mark(), the whole panel at first) as the real drivers do. It
# allocates nothing, so it can run with the heap locked.
from array import array


class CountingDisplay:
    width = 240
    height = 240

    def __init__(self):
        self.bytes = 0
        self.windows = 0
        self.box = array("H", (0, 0, 239, 239))

    def mark(self):
        self.box[0] = self.box[1] = 0xFFFF
        self.box[2] = self.box[3] = 0

    def window(self, x0, y0, x1, y1):
        self.windows += 1
        b = self.box
        b[0] = min(b[0], x0)
        b[1] = min(b[1], y0)
        b[2] = max(b[2], x1)
        b[3] = max(b[3], y1)

    def pixels(self, buf):
        self.bytes += len(buf)

    def end(self):
        pass
