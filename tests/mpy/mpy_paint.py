# The draw path on MicroPython: painting a frame allocates nothing (the heap is
# locked while it runs) and sends exactly one 240x240 picture's worth of bytes.
import gc
import io
import struct

import frame
import micropython
from countdisplay import CountingDisplay
from painter import Painter

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
