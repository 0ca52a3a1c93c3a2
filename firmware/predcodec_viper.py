# The ENC_PRED row decoder of predcodec.py compiled by the viper emitter: the
# same steps line for line (tests decode the same frames with both and
# compare), about 20-40x faster than the bytecode fallback. Importing this
# module fails where the emitter is missing; painter.py then uses
# predcodec.decode_row. Constants are repeated here because viper folds only
# const() names of its own module into machine code.
import micropython
from micropython import const

LIMIT = const(14)  # unary length that switches to an escape (bounds a bad stream)
ESC_BITS = const(7)  # m of the escape: up to 127 = 2 * 63 + 1
RESET = const(32)  # statistics halve this often: adapts to the picture locally
CTX_T1 = const(2)  # local activity thresholds (channel levels)
CTX_T2 = const(6)
CTX_T3 = const(16)

# State array (predcodec.ST_*):
ST_X0 = const(0)
ST_X1 = const(1)
ST_LEN = const(2)  # coded bytes of this row
ST_NEAR_R = const(3)
ST_NEAR_G = const(4)
ST_NEAR_B = const(5)
ST_BG_R = const(6)
ST_BG_G = const(7)
ST_BG_B = const(8)
ST_A = const(16)  # A[ch * 4 + ctx], ch 0 = G, 1 = R, 2 = B
ST_N = const(32)

# decode_row() results
OK = const(0)
ERR_OVERRUN = const(1)  # the codes need more bits than the row has
ERR_VALUE = const(2)  # a code outside the channel's range
ERR_LENGTH = const(3)  # the row ended with whole bytes unused


@micropython.viper
def decode_row(src, cur, prev, st) -> int:
    s = ptr8(src)  # noqa: F821  (viper builtins)
    o = ptr8(cur)  # noqa: F821
    up = ptr8(prev)  # noqa: F821
    t = ptr16(st)  # noqa: F821
    x0 = int(t[ST_X0])
    x1 = int(t[ST_X1])
    nbits = int(t[ST_LEN]) * 8
    pos = 0
    # left (a) and above-left (c) neighbours, carried along the row
    if x0:
        i = (x0 - 1) * 2
        hi = o[i]
        lo = o[i + 1]
        ar = hi >> 3
        ag = ((hi & 7) << 3) | (lo >> 5)
        ab = lo & 31
        hi = up[i]
        lo = up[i + 1]
        cr = hi >> 3
        cg = ((hi & 7) << 3) | (lo >> 5)
        cb = lo & 31
    else:
        ar = cr = t[ST_BG_R]
        ag = cg = t[ST_BG_G]
        ab = cb = t[ST_BG_B]
    x = x0
    while x < x1:
        i = x * 2
        hi = up[i]
        lo = up[i + 1]
        br = hi >> 3
        bg = ((hi & 7) << 3) | (lo >> 5)
        bb = lo & 31
        ch = 0
        dg = 0
        vr = vg = vb = 0
        while ch < 3:
            if ch == 0:
                a = ag
                b = bg
                c = cg
                mx = 63
                near = t[ST_NEAR_G]
            elif ch == 1:
                a = ar
                b = br
                c = cr
                mx = 31
                near = t[ST_NEAR_R]
            else:
                a = ab
                b = bb
                c = cb
                mx = 31
                near = t[ST_NEAR_B]
            # MED prediction
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
                p += dg >> 1
                if p < 0:
                    p = 0
                elif p > mx:
                    p = mx
            d = (a - c if a > c else c - a) + (b - c if b > c else c - b)
            ctx = ch * 4
            if d > CTX_T1:
                ctx += 1
                if d > CTX_T2:
                    ctx += 1
                    if d > CTX_T3:
                        ctx += 1
            na = t[ST_N + ctx]
            aa = t[ST_A + ctx]
            k = 0
            while (na << k) < aa:
                k += 1
            # Rice code
            u = 0
            while True:
                if pos >= nbits:
                    return ERR_OVERRUN
                bit = (s[pos >> 3] >> (7 - (pos & 7))) & 1
                pos += 1
                if not bit:
                    break
                u += 1
                if u == LIMIT:
                    break
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
            v = p + q * (near * 2 + 1)
            if v < 0:
                v = 0
            elif v > mx:
                v = mx
            aa += m
            na += 1
            if na >= RESET:
                aa >>= 1
                na >>= 1
            t[ST_A + ctx] = aa
            t[ST_N + ctx] = na
            if ch == 0:
                dg = v - p
                vg = v
            elif ch == 1:
                vr = v
            else:
                vb = v
            ch += 1
        o[i] = (vr << 3) | (vg >> 3)
        o[i + 1] = ((vg & 7) << 5) | vb
        ar = vr
        ag = vg
        ab = vb
        cr = br
        cg = bg
        cb = bb
        x += 1
    if (pos + 7) >> 3 != t[ST_LEN]:
        return ERR_LENGTH
    return OK
