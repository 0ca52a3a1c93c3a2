# Byte copy between buffers at offsets, without allocating: the inner loop of
# the draw path. Viper compiles it to machine code on the device; importing
# this module fails where the emitter is missing, and painter.py falls back.
import micropython


@micropython.viper
def copy(dst, doff: int, src, soff: int, n: int):
    d = ptr8(dst)  # noqa: F821  (viper builtin)
    s = ptr8(src)  # noqa: F821
    i = 0
    while i < n:
        d[doff + i] = s[soff + i]
        i += 1
