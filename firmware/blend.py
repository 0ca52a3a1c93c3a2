# Per-pixel RGB565 blend for transitions, compiled to machine code by viper
# on the device. Importing this module fails where the native emitter is
# missing (CPython, ports without it); transition.py then uses its
# pure-Python twin, which computes the very same values.
import micropython

# RGB565 spread over 32 bits, green moved up: 00000GGGGGG00000RRRRR000000BBBBB.
# Each field then has 5 free bits above it, so a weight of up to 32 multiplies
# all three channels at once without one spilling into the next.
SPREAD_MASK = 0x07E0F81F


@micropython.viper
def blend565(dst, doff: int, old, ooff: int, n: int, a: int):
    """n pixels of dst (big-endian RGB565 from byte doff) become
    (old * (32 - a) + dst * a) / 32, old read from byte ooff; a in 0..32."""
    d = ptr8(dst)  # noqa: F821  (viper builtin)
    s = ptr8(old)  # noqa: F821
    b = 32 - a
    j = doff
    k = ooff
    end = doff + 2 * n
    while j < end:
        cn = (d[j] << 8) | d[j + 1]
        co = (s[k] << 8) | s[k + 1]
        xn = (cn | (cn << 16)) & 0x07E0F81F
        xo = (co | (co << 16)) & 0x07E0F81F
        # weights sum to 32: the total stays under 2**32, and the mask drops
        # whatever an arithmetic shift smears into the top bits
        x = ((xn * a + xo * b) >> 5) & 0x07E0F81F
        c = (x & 0xFFFF) | (x >> 16)
        d[j] = c >> 8
        d[j + 1] = c
        j += 2
        k += 2
