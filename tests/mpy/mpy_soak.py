# Soak: change photo thousands of times the way App.show does (plain paints,
# cross-fades and wipes between real frame files) on the MicroPython heap, and
# sample gc.mem_free() after gc.collect(): it must not drift.
#
# usage: micropython mpy_soak.py CHANGES FRAME_FILE...
import gc
import sys

import transition
from countdisplay import CountingDisplay
from painter import Painter

SAMPLE_EVERY = 50  # changes between heap samples
KINDS = (transition.NONE,) * 8 + (transition.FADE, transition.WIPE)


def main():
    changes = int(sys.argv[1])
    paths = sys.argv[2:]
    d = CountingDisplay()
    p = Painter(d)
    t = transition.Transitions(p)
    # preallocated: a growing list would itself eat heap as it samples
    samples = [0] * (changes // SAMPLE_EVERY + 2)
    n = 0
    current = None
    for i in range(changes):
        new = paths[i % len(paths)]
        kind = KINDS[i % len(KINDS)]
        # App.show: a transition only from a different photo on screen
        if current is None or current == new:
            p.show(new)
        elif kind == transition.WIPE:
            t.wipe(new, 0)  # unpaced: the soak is about memory, not looks
        else:
            t.show(kind, new, current)
        current = new
        if i % SAMPLE_EVERY == 0:
            gc.collect()
            samples[n] = gc.mem_free()
            n += 1
    gc.collect()
    samples[n] = gc.mem_free()
    samples = samples[: n + 1]
    print("changes", changes, "frames", d.windows, "bytes", d.bytes)
    print("samples", len(samples), "first", samples[:5], "last", samples[-5:])
    print("min", min(samples), "max", max(samples))


main()
