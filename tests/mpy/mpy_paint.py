# The draw path on MicroPython: painting a frame allocates nothing (the heap is
# locked while it runs) and sends exactly one 240x240 picture's worth of bytes.
import gc
import io
import random
import struct
from array import array

import frame
import micropython
import painter
from countdisplay import CountingDisplay
from painter import Painter
from spans_viper import trim_rows

# Rows 0..99 store x 60..179 (the test keeps the frame small: it is built in RAM).
spans = []
for y in range(240):
    spans.append((60, 180) if y < 100 else (0, 0))
pixels = struct.pack(">H", 0xF800) * (120 * 100)
data = frame.pack(240, 240, 0x001F, spans, pixels)
del pixels
gc.collect()

d = CountingDisplay()
p = Painter(d)
f = io.BytesIO(data)
p.open(f)
micropython.heap_lock()
try:
    p.paint()
finally:
    micropython.heap_unlock()
assert d.bytes == 240 * 240 * 2, d.bytes
assert d.windows == 1
print("paint ok without allocating")

# The next photo, on the glass the painter knows: only the rows from its
# first span's strip are sent (rows 40..139 hold x 80..159; this display has
# no DMA, so there is no narrow window); heap locked.
spans2 = [(80, 160) if 40 <= y < 140 else (0, 0) for y in range(240)]
data2 = frame.pack(240, 240, 0x001F, spans2, struct.pack(">H", 0x07E0) * (80 * 100))
f2 = io.BytesIO(data2)
p.open(f2)
d.bytes = 0
p.draw()
assert d.bytes == (240 - 0) * 480, d.bytes  # A starts at row 0: every row still
p.open(io.BytesIO(data2))
d.bytes = 0
micropython.heap_lock()
try:
    p.paint(first=40)  # B over B: from row 40 on (what draw() picks: B's first strip)
finally:
    micropython.heap_unlock()
assert d.bytes == (240 - 40) * 480, d.bytes
p.open(io.BytesIO(data2))
d.bytes = 0
p.draw()
assert d.bytes == (240 - 40) * 480, d.bytes

# trim_rows: the viper scan (what the pendant runs) and the Python one agree
assert painter.trim_rows is trim_rows  # the emitter is here: the viper scan in use


def table(seed):
    random.seed(seed)
    t = bytearray(4 * 240)
    top = random.randrange(0, 200)
    bottom = random.randrange(top, 241)
    for y in range(top, bottom):
        c = random.randrange(1, 239)
        w = random.randrange(0, 120)
        x0 = max(0, c - w)
        x1 = min(240, c + w)
        t[4 * y : 4 * y + 4] = struct.pack("<HH", x0, x1)
    return t


cases = 0
for seed in range(200):
    a = table(seed)
    b = table(seed + 1000) if seed % 3 else a
    # a box (x0, y0, x1, y1, ends exclusive) of a window opened since, or none
    y0 = random.randrange(0, 240)
    x0 = random.randrange(0, 239)
    box = (x0, y0, random.randrange(x0 + 1, 241), random.randrange(y0 + 1, 241))
    if seed % 4 == 0:
        box = (0xFFFF, 0xFFFF, 1, 1)  # painter.rows_to_send's empty box
    for wide in (0, 30, 60, 120, 240):
        o1 = array("H", (8, wide, 0, 0, 0, 0) + box)
        o2 = array("H", (8, wide, 0, 0, 0, 0) + box)
        trim_rows(a, memoryview(b), 240, o1)
        painter.trim_rows_py(a, memoryview(b), 240, o2)
        assert o1 == o2, (seed, wide, o1, o2)
        cases += 1 if o1[3] else 0
assert cases > 50, cases  # narrow runs were found, not only none
print("trim scans agree")
