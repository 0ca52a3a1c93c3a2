# Encoding 1 of the frame file (frame.ENC_PRED): span pixels predicted from
# their decoded neighbours and Rice-coded, a row at a time, lossless or
# near-lossless. This is the definition of the bitstream and its reference
# decoder in plain Python (valid MicroPython and CPython: the host's preview
# decodes with this very function). predcodec_viper.py is the same decoder
# compiled to machine code; painter.py picks it when the emitter exists.
#
# Why this and not deflate: deflate.DeflateIO allocates a window and an
# object per stream (per photo), deflate of dithered RGB565 saves only ~37%,
# and its window costs RAM; a predictive coder needs no window, only the row
# above (which the reader keeps anyway), and saves ~50% lossless.
#
# Pixel data layout (after the span table):
#   4 bytes  near_r, near_g, near_b, 0: the error bound per channel in its
#            own units (0 = lossless; RGB565 levels, so 1 means +-1 of 31/63)
#   then, for every row whose span is not empty:
#     u16 LE L   bytes that follow for this row
#     L bytes    if L == 2 * span width: the span as plain big-endian RGB565
#                (the encoder's fallback when coding would not save anything);
#                else (L must be smaller) the coded row, bits MSB first,
#                ending in the last byte (zero padding).
#   Coded row: for each pixel x0 <= x < x1, channels G, R, B (G first so
#   red and blue can use green's surprise):
#     neighbours from the decoded panel rows: a left, b above, c above-left;
#       off the picture (row -1, column -1) they are the background colour;
#     p = MED(a, b, c) (LOCO-I's median edge detector);
#       R and B: p = clamp(p + (dG >> 1)), dG = decoded G - predicted G;
#     context = how many of CTX_T1..3 exceed |a - c| + |b - c| (0..3);
#     k = smallest k >= 0 with N[ch][ctx] << k >= A[ch][ctx];
#     m: u = m >> k as u one-bits, a zero bit, then the low k bits of m; or,
#       when u would reach LIMIT, LIMIT one-bits then m in ESC_BITS bits;
#       m <= 2 * max + 1 (max = 31 for R and B, 63 for G) or the data is bad;
#     q = m >> 1 if m is even else -((m + 1) >> 1) (zigzag);
#     value = clamp(p + q * (2 * near + 1), 0, max);
#     A += m, N += 1; when N reaches RESET both halve.
#   A starts at A_INIT and N at 1 for each of the 3 x 4 contexts, once per
#   frame (plain rows leave them alone).
#
# Near-lossless: the encoder picks q = round((x - p) / (2 * near + 1)), so
# every channel is within `near` levels of the source; near = 0 is lossless.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


LIMIT = const(14)  # unary length that switches to an escape (bounds a bad stream)
ESC_BITS = const(7)  # m of the escape: up to 127 = 2 * 63 + 1
RESET = const(32)  # statistics halve this often: adapts to the picture locally
A_INIT = const(4)  # first k is 2
CTX_T1 = const(2)  # local activity thresholds (channel levels)
CTX_T2 = const(6)
CTX_T3 = const(16)
MAX_NEAR = const(3)
PARAMS_SIZE = const(4)

# State array (array("H"), ST_SIZE entries) shared with the viper decoder:
ST_X0 = const(0)
ST_X1 = const(1)
ST_LEN = const(2)  # coded bytes of this row
ST_NEAR_R = const(3)
ST_NEAR_G = const(4)
ST_NEAR_B = const(5)
ST_BG_R = const(6)
ST_BG_G = const(7)
ST_BG_B = const(8)
# predcodec_thumb.decode_strip's progress through a frame (see there)
ST_POS = const(9)  # next row record in the file chunk
ST_GOT = const(10)  # bytes in the chunk
ST_Y = const(11)  # next row
ST_LEFT = const(12)  # rows left in this strip
ST_ROWOFF = const(13)  # byte offset of the next row in the strip
ST_RB = const(15)  # bytes per row
ST_BGOFF = const(28)  # the reader's buffer: background row, last row, span table
ST_LASTOFF = const(29)
ST_SPANOFF = const(30)
ST_A = const(16)  # A[ch * 4 + ctx], ch 0 = G, 1 = R, 2 = B
ST_N = const(32)
# predcodec_thumb.py's blocks, one per channel (G, R, B) of ST_BLOCK entries:
# a, b, c, max, step, max m, 64 + G's surprise / 2, p; a context table (bytes:
# activity d -> offset of the context's statistics); A, N per context
ST_TH = const(48)
ST_BLOCK = const(80)
ST_TH_CTX = const(8)  # the table's first entry in a block
ST_TH_AN = const(72)  # A of context 0 (then N, A of context 1, ...)
ST_SIZE = const(288)

# decode_row() results
OK = const(0)
ERR_OVERRUN = const(1)  # the codes need more bits than the row has
ERR_VALUE = const(2)  # a code outside the channel's range
ERR_LENGTH = const(3)  # the row ended with whole bytes unused


def reset_state(st, near_r, near_g, near_b, background):
    """Start a frame: parameters and fresh statistics in the state array."""
    st[ST_NEAR_R] = near_r
    st[ST_NEAR_G] = near_g
    st[ST_NEAR_B] = near_b
    st[ST_BG_R] = background >> 11
    st[ST_BG_G] = (background >> 5) & 0x3F
    st[ST_BG_B] = background & 0x1F
    for i in range(12):
        st[ST_A + i] = A_INIT
        st[ST_N + i] = 1
    for ch in range(3):
        b = ST_TH + ch * ST_BLOCK
        mx = 63 if ch == 0 else 31
        st[b + 3] = mx
        st[b + 4] = 2 * (near_g, near_r, near_b)[ch] + 1
        st[b + 5] = 2 * mx + 1
        st[b + 6] = 64  # no adjustment until G is decoded
        for ctx in range(4):
            st[b + ST_TH_AN + 2 * ctx] = A_INIT
            st[b + ST_TH_AN + 1 + 2 * ctx] = 1


def thumb_tables(st):
    """predcodec_thumb.py's context tables (once per state array): for each
    activity d = 0..127, the byte offset of its context's A in the block."""
    for ch in range(3):
        b = ST_TH + ch * ST_BLOCK + ST_TH_CTX
        for d in range(0, 128, 2):
            lo = 2 * ST_TH_AN + 4 * ((d > CTX_T1) + (d > CTX_T2) + (d > CTX_T3))
            e = d + 1
            hi = 2 * ST_TH_AN + 4 * ((e > CTX_T1) + (e > CTX_T2) + (e > CTX_T3))
            st[b + d // 2] = lo | (hi << 8)  # little-endian: entry d, then d + 1


def decode_row(src, cur, prev, st):
    """Decode one coded row from src[:st[ST_LEN]] into the span of cur.

    cur and prev are full panel rows (big-endian RGB565); prev is the row
    above as decoded, cur holds the background outside the span. Returns OK
    or an ERR_ code. Allocates nothing (small ints only), so it is also the
    MicroPython fallback where viper is missing.
    """
    x0 = st[ST_X0]
    x1 = st[ST_X1]
    nbits = st[ST_LEN] * 8
    pos = 0
    # left (a) and above-left (c) neighbours, carried along the row
    if x0:
        i = (x0 - 1) * 2
        hi = cur[i]
        lo = cur[i + 1]
        ar = hi >> 3
        ag = ((hi & 7) << 3) | (lo >> 5)
        ab = lo & 31
        hi = prev[i]
        lo = prev[i + 1]
        cr = hi >> 3
        cg = ((hi & 7) << 3) | (lo >> 5)
        cb = lo & 31
    else:
        ar = cr = st[ST_BG_R]
        ag = cg = st[ST_BG_G]
        ab = cb = st[ST_BG_B]
    x = x0
    while x < x1:
        i = x * 2
        hi = prev[i]
        lo = prev[i + 1]
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
                near = st[ST_NEAR_G]
            elif ch == 1:
                a = ar
                b = br
                c = cr
                mx = 31
                near = st[ST_NEAR_R]
            else:
                a = ab
                b = bb
                c = cb
                mx = 31
                near = st[ST_NEAR_B]
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
            na = st[ST_N + ctx]
            aa = st[ST_A + ctx]
            k = 0
            while (na << k) < aa:
                k += 1
            # Rice code
            u = 0
            while True:
                if pos >= nbits:
                    return ERR_OVERRUN
                bit = (src[pos >> 3] >> (7 - (pos & 7))) & 1
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
                m = (m << 1) | ((src[pos >> 3] >> (7 - (pos & 7))) & 1)
                pos += 1
                n -= 1
            if m > mx * 2 + 1:
                return ERR_VALUE
            if m & 1:
                q = -((m + 1) >> 1)
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
            st[ST_A + ctx] = aa
            st[ST_N + ctx] = na
            if ch == 0:
                dg = v - p
                vg = v
            elif ch == 1:
                vr = v
            else:
                vb = v
            ch += 1
        cur[i] = (vr << 3) | (vg >> 3)
        cur[i + 1] = ((vg & 7) << 5) | vb
        ar = vr
        ag = vg
        ab = vb
        cr = br
        cg = bg
        cb = bb
        x += 1
    if (pos + 7) >> 3 != st[ST_LEN]:
        return ERR_LENGTH
    return OK
