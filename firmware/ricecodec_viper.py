# The ENC_RICE row decoder of ricecodec.py compiled by the viper emitter: the
# same steps line for line (tests decode the same frames with both and
# compare), many times faster than the bytecode fallback. Where there is no
# Thumb assembler (the simulator's unix port) painter.py decodes with it;
# importing it fails where the emitter is missing, and painter.py then uses
# ricecodec.decode_row. Constants are repeated here because viper folds only
# const() names of its own module into machine code.
import micropython
from micropython import const

LIMIT = const(8)  # one-bits that make an escape
ESC_BITS = const(7)  # m of the escape
CTX_T1 = const(2)  # local activity thresholds (channel levels)
CTX_T2 = const(6)
CTX_T3 = const(16)

# State array (ricecodec.ST_*):
ST_X0 = const(0)
ST_X1 = const(1)
ST_LEN = const(2)  # coded bytes of this row
ST_NEAR_R = const(3)
ST_NEAR_G = const(4)
ST_NEAR_B = const(5)
ST_BG_R = const(6)
ST_BG_G = const(7)
ST_BG_B = const(8)
ST_K = const(32)  # k[ch * 4 + ctx], ch 0 = G, 1 = R, 2 = B

# decode_row() results
OK = const(0)
ERR_OVERRUN = const(1)  # the codes need more bits than the row has
ERR_VALUE = const(2)  # a code outside the channel's range
ERR_LENGTH = const(3)  # the row ended with whole bytes unused


@micropython.viper
def decode_row(src, cur, prev, st, hd) -> int:
    s = ptr8(src)  # noqa: F821  (viper builtins)
    o = ptr8(cur)  # noqa: F821
    up = ptr8(prev)  # noqa: F821
    h = ptr8(hd)  # noqa: F821
    t = ptr16(st)  # noqa: F821
    x0 = int(t[ST_X0])
    x1 = int(t[ST_X1])
    nbits = int(t[ST_LEN]) * 8
    pos = 0
    ch = 0
    while ch < 3:
        if ch == 0:
            shift = 5
            mx = 63
            near = int(t[ST_NEAR_G])
            bg = int(t[ST_BG_G])
        elif ch == 1:
            shift = 11
            mx = 31
            near = int(t[ST_NEAR_R])
            bg = int(t[ST_BG_R])
        else:
            shift = 0
            mx = 31
            near = int(t[ST_NEAR_B])
            bg = int(t[ST_BG_B])
        step = 2 * near + 1
        kb = ST_K + 4 * ch
        keep = 0xFFFF ^ (mx << shift)
        a = bg
        if x0:
            i = (x0 - 1) * 2
            c = (((up[i] << 8) | up[i + 1]) >> shift) & mx
        else:
            c = bg
        x = x0
        while x < x1:
            i = x * 2
            b = (((up[i] << 8) | up[i + 1]) >> shift) & mx
            if a < b:
                lo_ = a
                hi_ = b
            else:
                lo_ = b
                hi_ = a
            if c >= hi_:
                p = lo_
            elif c <= lo_:
                p = hi_
            else:
                p = a + b - c
            if ch:
                p += int(h[x]) - 64
                if p < 0:
                    p = 0
                elif p > mx:
                    p = mx
            d = (a - c if a > c else c - a) + (b - c if b > c else c - b)
            ctx = 0
            if d > CTX_T1:
                ctx = 1
                if d > CTX_T2:
                    ctx = 2
                    if d > CTX_T3:
                        ctx = 3
            k = int(t[kb + ctx])
            u = 0
            while u < LIMIT:
                if pos >= nbits:
                    return ERR_OVERRUN
                bit = (s[pos >> 3] >> (7 - (pos & 7))) & 1
                pos += 1
                if not bit:
                    break
                u += 1
            if u == LIMIT:
                n = ESC_BITS
                m = 0
            else:
                n = k
                m = u
            if pos + n > nbits:
                return ERR_OVERRUN
            while n:
                m = (m << 1) | ((s[pos >> 3] >> (7 - (pos & 7))) & 1)
                pos += 1
                n -= 1
            if m > mx * 2 + 1:
                return ERR_VALUE
            if m & 1:
                q = 0 - ((m + 1) >> 1)  # viper before 1.23 has no unary minus
            else:
                q = m >> 1
            v = p + q * step
            if v < 0:
                v = 0
            elif v > mx:
                v = mx
            if ch == 0:
                h[x] = ((v - p) >> 1) + 64
            px = (((o[i] << 8) | o[i + 1]) & keep) | (v << shift)
            o[i] = px >> 8
            o[i + 1] = px & 0xFF
            a = v
            c = b
            x += 1
        ch += 1
    if (pos + 7) >> 3 != int(t[ST_LEN]):
        return ERR_LENGTH
    return OK
