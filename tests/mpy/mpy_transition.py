# Transitions on MicroPython: a cross-fade step and a wipe allocate nothing
# (heap locked while they run), the viper blend is the one in use and gives
# the same pixels as the pure-Python fallback.
import gc
import io
import struct

import blend
import frame
import micropython
import painter
import transition
from countdisplay import CountingDisplay
from painter import Painter


def small_frame(color, rows, x0, x1):
    spans = [(x0, x1) if y < rows else (0, 0) for y in range(240)]
    pixels = struct.pack(">H", color) * ((x1 - x0) * rows)
    data = frame.pack(240, 240, 0x8410, spans, pixels)
    return data


# 1. the viper blend is picked, and matches the pure-Python twin
assert painter.blend565 is blend.blend565, "viper blend not in use"
src = bytearray(struct.pack(">4H", 0xF800, 0x07E0, 0x001F, 0xFFFF))
old = bytes(struct.pack(">4H", 0x0000, 0xFFFF, 0x1234, 0x8410))
for a in (0, 5, 16, 27, 32):
    v = bytearray(src)
    blend.blend565(v, 0, old, 0, 4, a)
    b = 32 - a
    for i in range(4):
        cn = src[2 * i] << 8 | src[2 * i + 1]
        co = old[2 * i] << 8 | old[2 * i + 1]
        want = 0
        for shift, m in ((11, 31), (5, 63), (0, 31)):
            want |= ((((cn >> shift) & m) * a + ((co >> shift) & m) * b) >> 5) << shift
        got = v[2 * i] << 8 | v[2 * i + 1]
        assert got == want, (a, i, got, want)

# 2. a fade step and a wipe with the heap locked
new_f = io.BytesIO(small_frame(0xF800, 60, 0, 240))
old_f = io.BytesIO(small_frame(0x001F, 100, 60, 180))
gc.collect()
d = CountingDisplay()
p = Painter(d)
t = transition.Transitions(p)
p.open(new_f)
t.old.open(old_f)
micropython.heap_lock()
try:
    t.fade_step(transition.fade_weight(2))
finally:
    micropython.heap_unlock()
assert d.bytes == 240 * 240 * 2, d.bytes
new_f.seek(0)
p.open(new_f)


def never():
    return False


micropython.heap_lock()
try:
    assert p.paint(strip_ms=transition.WIPE_MS // 30, stop=never)  # pacing allocates nothing either
finally:
    micropython.heap_unlock()
assert d.bytes == 2 * 240 * 240 * 2 and d.windows == 2
print("transition ok without allocating")
