# A 240x240 display for MicroPython test scripts that only counts what it is
# sent: windows opened and pixel bytes. It allocates nothing, so it can run
# with the heap locked.


class CountingDisplay:
    width = 240
    height = 240

    def __init__(self):
        self.bytes = 0
        self.windows = 0

    def window(self, x0, y0, x1, y1):
        self.windows += 1

    def pixels(self, buf):
        self.bytes += len(buf)

    def end(self):
        pass
