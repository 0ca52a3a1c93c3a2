# Encoding 2 of the frame file (frame.ENC_RICE): span pixels predicted from
# their decoded neighbours as in encoding 1 (predcodec.py), but Rice-coded
# with parameters the encoder chose for the whole frame, one row's channels
# one after the other. This is the definition of the bitstream and its
# reference decoder in plain Python (valid MicroPython and CPython: the host's
# preview and the simulator decode with this very function);
# ricecodec_thumb.py is the pendant's decoder, in Thumb assembly.
#
# Why a second encoding: encoding 1 adapts its Rice parameter symbol by
# symbol (statistics per context, a search for k, bit-serial unary codes),
# ~130 cycles a channel value on the Cortex-M0+ even in assembly. Here k is a
# byte per (channel, context) in the frame, chosen by the encoder from the
# whole picture (the files come out ~5% smaller than encoding 1's), the unary
# part is read with one table lookup (at most LIMIT = 8 one-bits), and each
# channel of a row is one tight loop: ~60 cycles a channel value.
#
# Pixel data layout (after the span table):
#   4 bytes   near_r, near_g, near_b, 0: the error bound per channel in its
#             own units (0 = lossless, at most MAX_NEAR)
#   12 bytes  k for channel G contexts 0..3, then R, then B (each <= KMAX)
#   then, for every row whose span is not empty:
#     u16 LE L   bytes that follow for this row
#     L bytes    if L == 2 * span width: the span as plain big-endian RGB565;
#                else (L must be smaller) the coded row, bits MSB first,
#                ending in the last byte (zero padding).
#   Coded row: all of G (x0 <= x < x1), then all of R, then all of B. For
#   each value:
#     neighbours: a left (this row, this channel), b above, c above-left,
#       from the decoded rows; off the picture or the spans (row -1, column
#       x0 - 1 of this row, column -1) they are the background colour;
#     p = MED(a, b, c) (LOCO-I's median edge detector);
#       R and B: p = clamp(p + (dG >> 1), 0, max), dG = decoded G - predicted
#       G of the same pixel;
#     context = how many of CTX_T1..3 are below |a - c| + |b - c| (0..3);
#     k = the frame's k of (channel, context);
#     m: u = m >> k as u one-bits, a zero bit, then the low k bits of m; or,
#       when u would reach LIMIT, LIMIT one-bits then m in ESC_BITS bits;
#       m <= 2 * max + 1 (max = 31 for R and B, 63 for G) or the data is bad;
#     q = m >> 1 if m is even else -((m + 1) >> 1) (zigzag);
#     value = clamp(p + q * (2 * near + 1), 0, max).
#   Nothing carries from row to row but the decoded pixels.
#
# Near-lossless: the encoder picks q = round((x - p) / (2 * near + 1)), so
# every channel is within `near` levels of the source; near = 0 is lossless.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


LIMIT = const(8)  # one-bits that make an escape (a byte table reads them at once)
ESC_BITS = const(7)  # m of the escape: up to 127 = 2 * 63 + 1
KMAX = const(7)
CTX_T1 = const(2)  # local activity thresholds (channel levels), as encoding 1
CTX_T2 = const(6)
CTX_T3 = const(16)
MAX_NEAR = const(3)
NEAR_SIZE = const(4)
K_COUNT = const(12)  # 3 channels x 4 contexts
PARAMS_SIZE = const(16)  # NEAR_SIZE + K_COUNT

# State array (array("H"), predcodec.ST_SIZE entries), shared with painter.py
# and ricecodec_thumb.py. Entries 0..15 and 28..30 as in predcodec.py (X0,
# X1, LEN, near, background, the Thumb decoder's progress through the file).
ST_X0 = const(0)
ST_X1 = const(1)
ST_LEN = const(2)
ST_NEAR_R = const(3)
ST_NEAR_G = const(4)
ST_NEAR_B = const(5)
ST_BG_R = const(6)
ST_BG_G = const(7)
ST_BG_B = const(8)
ST_RAMPOS = const(14)  # ricecodec_thumb.span_copy: the next row's offset in ram
ST_RECOFF = const(16)  # Thumb: offset in the reader's buffer of the pixel records
ST_TABOFF = const(17)  # Thumb: offset of its tables (TAB_SIZE bytes)
ST_STEP = const(18)  # 2 * near + 1 for G, R, B
ST_DX0 = const(21)  # Thumb: columns whose records hold the row above: [DX0, DX1)
ST_DX1 = const(22)
ST_BG = const(23)  # background G, R, B (channel order)
ST_DIR = const(26)  # ricecodec_thumb.span_copy: 0 ram -> strip, 1 strip -> ram, 2 spans only
ST_LOSSLESS = const(27)  # Thumb: 1 when near is 0 on every channel
ST_K = const(32)  # the frame's k[12] (the reference decoder reads them here)

# Thumb decoder's tables (ricecodec_thumb.py): the code table (8 x 256
# halfwords: by k and the next 8 bits, a short code's length and m), the
# unary table (256 bytes: the number of leading one-bits of a byte), then
# per channel a ktab (128 bytes: activity d -> k, filled by
# ricecodec_thumb.start when a frame is opened).
TAB_SIZE = const(4736)
REC_BYTES = const(8)  # per column: G, R, B of the row above, then G's surprise twice

# decode_row() results
OK = const(0)
ERR_OVERRUN = const(1)  # the codes need more bits than the row has
ERR_VALUE = const(2)  # a code outside the channel's range
ERR_LENGTH = const(3)  # the row ended with whole bytes unused


def params_ok(p):
    """The 16 parameter bytes are valid: near 0..MAX_NEAR, a zero, k 0..KMAX."""
    if p[0] > MAX_NEAR or p[1] > MAX_NEAR or p[2] > MAX_NEAR or p[3]:
        return False
    for i in range(NEAR_SIZE, PARAMS_SIZE):
        if p[i] > KMAX:
            return False
    return True


def reset_state(st, p, background):
    """Start a frame from its parameter bytes p (checked with params_ok)."""
    st[ST_NEAR_R] = p[0]
    st[ST_NEAR_G] = p[1]
    st[ST_NEAR_B] = p[2]
    st[ST_BG_R] = background >> 11
    st[ST_BG_G] = (background >> 5) & 0x3F
    st[ST_BG_B] = background & 0x1F
    st[ST_STEP] = 2 * p[1] + 1
    st[ST_STEP + 1] = 2 * p[0] + 1
    st[ST_STEP + 2] = 2 * p[2] + 1
    st[ST_BG] = st[ST_BG_G]
    st[ST_BG + 1] = st[ST_BG_R]
    st[ST_BG + 2] = st[ST_BG_B]
    st[ST_LOSSLESS] = 0 if p[0] or p[1] or p[2] else 1
    for i in range(K_COUNT):
        st[ST_K + i] = p[NEAR_SIZE + i]


def decode_row(src, cur, prev, st, hd):
    """Decode one coded row from src[:st[ST_LEN]] into the span of cur.

    cur and prev are full panel rows (big-endian RGB565); prev is the row
    above as decoded, cur holds the background outside the span (and, when
    called, inside it). hd: a scratch buffer of at least the row's width
    (G's surprise per pixel, for R and B). Returns OK or an ERR_ code.
    Allocates nothing (small ints only).
    """
    x0 = st[ST_X0]
    x1 = st[ST_X1]
    nbits = st[ST_LEN] * 8
    pos = 0
    ch = 0
    while ch < 3:
        if ch == 0:
            shift = 5
            mx = 63
            near = st[ST_NEAR_G]
            bg = st[ST_BG_G]
        elif ch == 1:
            shift = 11
            mx = 31
            near = st[ST_NEAR_R]
            bg = st[ST_BG_R]
        else:
            shift = 0
            mx = 31
            near = st[ST_NEAR_B]
            bg = st[ST_BG_B]
        step = 2 * near + 1
        kb = ST_K + 4 * ch
        a = bg  # left of x0: the background (outside the span)
        if x0:
            i = (x0 - 1) * 2
            c = (((prev[i] << 8) | prev[i + 1]) >> shift) & mx
        else:
            c = bg
        x = x0
        while x < x1:
            i = x * 2
            b = (((prev[i] << 8) | prev[i + 1]) >> shift) & mx
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
                p += hd[x] - 64
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
            k = st[kb + ctx]
            u = 0
            while u < LIMIT:
                if pos >= nbits:
                    return ERR_OVERRUN
                bit = (src[pos >> 3] >> (7 - (pos & 7))) & 1
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
                m = (m << 1) | ((src[pos >> 3] >> (7 - (pos & 7))) & 1)
                pos += 1
                n -= 1
            if m > mx * 2 + 1:
                return ERR_VALUE
            if m & 1:
                q = -((m + 1) >> 1)
            else:
                q = m >> 1
            v = p + q * step
            if v < 0:
                v = 0
            elif v > mx:
                v = mx
            if ch == 0:
                hd[x] = ((v - p) >> 1) + 64
            px = (cur[i] << 8) | cur[i + 1]
            px = (px & ~(mx << shift)) | (v << shift)
            cur[i] = px >> 8
            cur[i + 1] = px & 0xFF
            a = v
            c = b
            x += 1
        ch += 1
    if (pos + 7) >> 3 != st[ST_LEN]:
        return ERR_LENGTH
    return OK
