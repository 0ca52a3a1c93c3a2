"""Lossless ENC_PRED encoder with numpy: the same bytes as frames.pred_pixels_reference.

Lossless, the decoder's planes equal the source inside the spans (and the
background outside them), so every prediction, context and mapped residual m
is known up front and computed for the whole picture at once. What is left
sequential is the adaptive Rice parameter: k from each context's statistics
(A, N), which depend on the earlier symbols of that context, and the per-row
choice of a plain row (which leaves the statistics alone).

The statistics are vectorised too. Per context, N follows a fixed schedule (it
counts up to RESET, then halves to RESET / 2), so the updates fall into
segments ending at a halving; inside a segment A is a running sum of m, and
only the A at the start of each segment needs a (short) Python loop:
A' = (A + sum of the segment) >> 1.

Which rows are plain is found by speculation: a "chain" pass assumes every
row of a window is coded (statistics carried from row to row) and is right up
to the first row that comes out plain; a "plain" pass assumes every row of a
window is plain (each row starts from the same statistics) and is right up to
the first row that comes out coded. Photos rarely have a plain row (one long
chain pass); noise has mostly plain rows (plain passes).
"""

from __future__ import annotations

import struct

import numpy as np

from pendant.firmware import predcodec as pc

_LIMIT = pc.LIMIT
_ESC_BITS = pc.ESC_BITS
_RESET = pc.RESET
# Keys pack N (below RESET) into 5 bits, and the code tables assume m <= 127.
if _RESET > 32 or _ESC_BITS > 7:
    raise ImportError("fastpred.py needs updating for predcodec's RESET/ESC_BITS")
_HALF = pc.RESET // 2
_MIN_WINDOW = 2


# context (without the channel's 4 * ch) by local activity d = |a - c| + |b - c|
_CTX = np.array([(d > pc.CTX_T1) + (d > pc.CTX_T2) + (d > pc.CTX_T3) for d in range(128)],
                dtype=np.int8)
# _KEY_K[(a << 5) | n]: the Rice parameter for statistics A = a, N = n
_KEY_K = np.zeros(0, dtype=np.int8)


def _code_tables():
    """Per (m << 4 | k): the code's length and the code left-aligned in 32 bits.

    Lossless, m <= 2 * 63 and k <= 8: A <= 126 * N + 4 holds from the start
    (A 4, N 1), through each update (m <= 126) and each halving (N 32 -> 16),
    so A / N <= 130 < 2 ** 8 (and the codes fit 32 bits for any k < 16).
    """
    m = np.arange(128, dtype=np.int64)[:, None]
    k = np.arange(16, dtype=np.int64)[None, :]
    u = m >> k
    esc = u >= _LIMIT
    length = np.where(esc, _LIMIT + _ESC_BITS, u + 1 + k)
    ones = (1 << np.minimum(u, _LIMIT)) - 1
    code = np.where(esc, (((1 << _LIMIT) - 1) << _ESC_BITS) | m,
                    (ones << (k + 1)) | (m & ((1 << k) - 1)))
    fits = length <= 32
    aligned = np.where(fits, code << np.where(fits, 32 - length, 0), 0)
    return length.astype(np.int16).ravel(), aligned.astype(np.uint32).ravel()


_CODE_LEN, _CODE_ALIGNED = _code_tables()


def _symbols(rgb565, spans, background, width, height):
    """m and context of every span symbol, in bitstream order (pixel, then G R B)."""
    px = np.frombuffer(rgb565, dtype=">u2", count=width * height).reshape(height, width)
    px = px.astype(np.int16)  # >> on int16 sign-extends bit 15: mask R below
    bounds = np.asarray(spans, dtype=np.int32).reshape(height, 2)
    xs = np.arange(width, dtype=np.int32)
    inside = (xs >= bounds[:, :1]) & (xs < bounds[:, 1:])
    bg = ((background >> 5) & 63, background >> 11, background & 31)
    # The decoded planes G, R, B, padded with the background above and to the
    # left: off the spans (and the picture) the decoder sees the background.
    plane = np.empty((3, height + 1, width + 1), dtype=np.int16)
    src = plane[:, 1:, 1:]
    np.bitwise_and(px >> 5, 63, out=src[0])
    np.bitwise_and(px >> 11, 31, out=src[1])
    np.bitwise_and(px, 31, out=src[2])
    outside = ~inside
    for ch in (0, 1, 2):
        plane[ch, 0] = bg[ch]
        plane[ch, :, 0] = bg[ch]
        src[ch][outside] = bg[ch]
    a = plane[:, 1:, :-1]
    b = plane[:, :-1, 1:]
    c = plane[:, :-1, :-1]
    # MED(a, b, c) is a + b - c clamped to [min(a, b), max(a, b)]
    p = a + b
    p -= c
    np.maximum(p, np.minimum(a, b), out=p)
    np.minimum(p, np.maximum(a, b), out=p)
    e = src - p
    # lossless: decoded G - predicted G is G's residual; R and B add half of it
    p[1:] += e[0] >> 1
    np.clip(p[1:], 0, 31, out=p[1:])
    np.subtract(src[1:], p[1:], out=e[1:])
    m = e << 1
    m ^= e >> 15  # zigzag: 2e, or -2e - 1
    d = np.abs(a - c)
    d += np.abs(b - c)
    ctx = _CTX[d]
    ctx[1] += 4
    ctx[2] += 8
    return m.transpose(1, 2, 0)[inside].ravel(), ctx.transpose(1, 2, 0)[inside].ravel()


def _k_table(amax):
    global _KEY_K
    if len(_KEY_K) <= (amax << 5) | 31:
        size = max(4096, 2 * amax) << 5
        key = np.arange(size, dtype=np.int64)
        a = key >> 5
        n = np.maximum(key & 31, 1)
        q = np.maximum(a - 1, 0) // n  # k is the bit length of (a - 1) // n
        _KEY_K = np.frexp(q.astype(np.float64))[1].astype(np.int8)
    return _KEY_K


def _run(m, grp, ngroups, a0, n0):
    """Rice parameters of symbols m whose statistics groups are grp (0..ngroups-1),
    each group starting from A = a0[g], N = n0[g] (lists).

    Returns k (in symbol order) and what _after needs: per group its offset in
    group order, the keys (A << 5 | N before each update) and m in that order.
    """
    order = np.argsort(grp, kind="stable")
    msort = m[order]
    cnt = np.bincount(grp, minlength=ngroups)
    big = len(m) * 127 * 32 >= 1 << 31
    dt = np.int64 if big else np.int32
    cum = np.zeros(len(m) + 1, dtype=dt)
    np.cumsum(msort, out=cum[1:])
    # Segments: per group, the updates up to its first halving (N reaches
    # RESET), then RESET / 2 at a time.
    cnt_l = cnt.tolist()
    seg_len = []
    seg_n0 = []
    seg_first = []
    for c, n in zip(cnt_l, n0, strict=True):
        if not c:
            continue
        h = _RESET - n
        if c <= h:
            seg_len.append(c)
            seg_n0.append(n)
            seg_first.append(True)
            continue
        rest = c - h
        full, part = divmod(rest, _HALF)
        seg_len.append(h)
        seg_n0.append(n)
        seg_first.append(True)
        seg_len.extend([_HALF] * full)
        if part:
            seg_len.append(part)
        more = full + (part > 0)
        seg_n0.extend([_HALF] * more)
        seg_first.extend([False] * more)
    seg_len_a = np.array(seg_len, dtype=np.int64)
    seg_start = np.zeros(len(seg_len) + 1, dtype=np.int64)
    np.cumsum(seg_len_a, out=seg_start[1:])
    cum_at = cum[seg_start]
    sums = np.diff(cum_at).tolist()
    # A at the start of every segment: the only sequential part.
    starts = []
    push = starts.append
    groups = iter([a for a, c in zip(a0, cnt_l, strict=True) if c])
    a = 0
    for first, s in zip(seg_first, sums, strict=True):
        if first:
            a = next(groups)
        push(a)
        a = (a + s) >> 1
    # key = (A << 5) | N = (start A + m so far in the segment) << 5 | (start N + updates so far)
    st = np.array(starts, dtype=np.int64)
    amax = int((st + np.diff(cum_at)).max())
    per_seg = ((st - cum_at[:-1]) << 5) + np.array(seg_n0, dtype=np.int64) - seg_start[:-1]
    key = cum[:-1] << 5
    key += np.arange(len(m), dtype=dt)
    key += np.repeat(per_seg.astype(dt), seg_len_a)
    ks = _k_table(amax)[key]
    k = np.empty_like(ks)
    k[order] = ks
    off = [0]
    for c in cnt_l:
        off.append(off[-1] + c)
    return k, (off, key, msort)


def _after(state, base, done, a0, n0):
    """Statistics (lists A, N) of groups base .. base + 11 once the first done[g]
    symbols of each are coded, from a0, n0."""
    off, key, msort = state
    a = list(a0)
    n = list(n0)
    for g, d in enumerate(done):
        if d:
            i = off[base + g] + d - 1
            kv = int(key[i])
            aa = (kv >> 5) + int(msort[i])
            nn = (kv & 31) + 1
            if nn >= _RESET:
                aa >>= 1
                nn >>= 1
            a[g] = aa
            n[g] = nn
    return a, n


def _pack(m, k, counts):
    """The coded rows' bytes, concatenated, and each row's length: the codes of
    symbols m with parameters k, rows of counts symbols, each row from a byte."""
    idx = m << 4
    idx |= k
    length = _CODE_LEN[idx]
    aligned = _CODE_ALIGNED[idx]
    nrows = len(counts)
    starts = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    cum = np.zeros(len(m) + 1, dtype=np.int64)
    np.cumsum(length, out=cum[1:])
    row_bytes = (np.diff(cum[starts]) + 7) >> 3
    row_off = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(row_bytes, out=row_off[1:])
    total = int(row_off[-1])
    # bit position of every code in the stream
    pos = cum[:-1]
    pos += np.repeat(row_off[:-1] * 8 - cum[starts[:-1]], counts)
    # into 32-bit words: each code ends in its word or runs into the next one
    word = pos >> 5
    shift = (pos & 31).astype(np.uint32)
    first = aligned >> shift
    np.subtract(np.uint32(32), shift, out=shift)
    second = aligned << shift  # shifts of 32 give 0
    runs = np.flatnonzero(word[1:] != word[:-1])
    runs += 1
    runs = np.concatenate(([0], runs))
    at = word[runs]
    words = np.zeros((total + 3) // 4 + 1, dtype=np.uint32)
    # the codes' bits do not overlap: a sum is their OR
    words[at] = np.add.reduceat(first, runs)
    words[at + 1] += np.add.reduceat(second, runs)
    return words.astype(">u4").tobytes()[:total], row_bytes.tolist()


def _row_bytes(m, k, local):
    """Bytes of each coded row: rows start at the offsets local into m."""
    idx = m << 4
    idx |= k
    return (np.add.reduceat(_CODE_LEN[idx], local, dtype=np.int64) + 7) >> 3


def pred_pixels_lossless(rgb565: bytes, spans, background: int, width: int) -> bytes:
    """frames.pred_pixels(rgb565, spans, background, width, (0, 0, 0)), byte for byte."""
    height = len(spans)
    out = bytearray(4)  # near 0, 0, 0 and the zero byte
    rows = [y for y, (x0, x1) in enumerate(spans) if x1 > x0]
    if not rows:
        return bytes(out)
    m, ctx = _symbols(rgb565, spans, background, width, height)
    nrows = len(rows)
    widths = np.array([spans[y][1] - spans[y][0] for y in rows], dtype=np.int64)
    raw = 2 * widths
    counts = 3 * widths
    ss = np.zeros(nrows + 1, dtype=np.int64)
    np.cumsum(counts, out=ss[1:])
    ss_l = ss.tolist()
    ks = np.zeros(len(m), dtype=np.int8)
    coded = np.zeros(nrows, dtype=bool)
    a = [pc.A_INIT] * 12
    n = [1] * 12
    i = 0
    chain = True
    window = nrows
    while i < nrows:
        j = min(nrows, i + window)
        lo, hi = ss_l[i], ss_l[j]
        mm = m[lo:hi]
        local = ss[i : j + 1] - lo
        if chain:  # every row coded, statistics carried along
            k, state = _run(mm, ctx[lo:hi], 12, a, n)
            nbytes = _row_bytes(mm, k, local[:-1])
            plain = np.flatnonzero(nbytes >= raw[i:j])
            f = j if len(plain) == 0 else i + int(plain[0])  # rows i .. f - 1 coded
            end = ss_l[f] - lo
            ks[lo : ss_l[f]] = k[:end]
            coded[i:f] = True
            done = np.bincount(ctx[lo : ss_l[f]], minlength=12).tolist()
            a, n = _after(state, 0, done, a, n)
            if f == j:
                window *= 2
                i = j
            else:  # row f plain
                chain = False
                window = max(_MIN_WINDOW, 2 * (f - i))
                i = f + 1
        else:  # every row plain: each starts from the same statistics
            nr = j - i
            gtype = np.int16 if 12 * nr < 1 << 15 else np.int32
            row_of = np.repeat(np.arange(nr, dtype=gtype), counts[i:j])
            grp = row_of * 12 + ctx[lo:hi]
            k, state = _run(mm, grp, 12 * nr, a * nr, n * nr)
            nbytes = _row_bytes(mm, k, local[:-1])
            good = np.flatnonzero(nbytes < raw[i:j])
            if len(good) == 0:
                i = j
                window *= 2
                continue
            r = int(good[0])  # rows i .. f - 1 plain, row f coded
            f = i + r
            ks[ss_l[f] : ss_l[f + 1]] = k[local[r] : local[r + 1]]
            coded[f] = True
            off = state[0]
            a, n = _after(state, 12 * r,
                          [off[g + 1] - off[g] for g in range(12 * r, 12 * r + 12)], a, n)
            chain = True
            window = max(_MIN_WINDOW, 2 * r)
            i = f + 1
    if coded.any():
        sym_coded = np.repeat(coded, counts)
        packed, row_bytes = _pack(m[sym_coded], ks[sym_coded], counts[coded])
    else:
        packed, row_bytes = b"", []
    ci = 0
    at = 0
    pack = struct.Struct("<H").pack
    for y, c, r in zip(rows, coded.tolist(), raw.tolist(), strict=True):
        if c:
            size = row_bytes[ci]
            out += pack(size)
            out += packed[at : at + size]
            at += size
            ci += 1
        else:
            x0, x1 = spans[y]
            out += pack(r)
            out += rgb565[(y * width + x0) * 2 : (y * width + x1) * 2]
    return bytes(out)
