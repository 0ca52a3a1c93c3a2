"""Lossless ENC_RICE encoder with numpy: the same bytes as frames.rice_pixels_reference.

Lossless, the decoder's planes equal the source inside the spans (and the
background outside them), so every prediction, context and mapped residual m
is known up front and computed for the whole picture at once; the Rice
parameters are fixed per frame (ricecodec.py), so nothing is sequential: the
encoder counts m per (channel, context), picks each k, decides which rows go
plain (their codes would not save a byte) and packs the rest.
"""

from __future__ import annotations

import struct

import numpy as np

from pendant.firmware import ricecodec as rc

# context (without the channel's 4 * ch) by local activity d = |a - c| + |b - c|
_CTX = np.array([(d > rc.CTX_T1) + (d > rc.CTX_T2) + (d > rc.CTX_T3) for d in range(128)],
                dtype=np.int8)


def _code_tables():
    """Per (m << 3 | k): the code's length and the code left-aligned in 32 bits."""
    m = np.arange(128, dtype=np.int64)[:, None]
    k = np.arange(rc.KMAX + 1, dtype=np.int64)[None, :]
    u = m >> k
    esc = u >= rc.LIMIT
    length = np.where(esc, rc.LIMIT + rc.ESC_BITS, u + 1 + k)
    ones = (1 << np.minimum(u, rc.LIMIT)) - 1
    code = np.where(esc, (((1 << rc.LIMIT) - 1) << rc.ESC_BITS) | m,
                    (ones << (k + 1)) | (m & ((1 << k) - 1)))
    aligned = code << (32 - length)
    return length.astype(np.int16), aligned.astype(np.uint32).ravel()


CODE_LEN, _CODE_ALIGNED = _code_tables()  # CODE_LEN[m, k]


def choose_k(hist) -> list[int]:
    """Per (channel, context) group, the k (0..KMAX) that codes the group's
    residuals m in the fewest bits (the smallest such k). hist: 12 x 128
    counts of m per group."""
    cost = np.asarray(hist, dtype=np.int64) @ CODE_LEN.astype(np.int64)
    return [int(k) for k in np.argmin(cost, axis=1)]


def _symbols(rgb565, spans, background, width, height):
    """m and group (4 * channel + context) of every span value, in bitstream
    order: row by row, in each row all G, then all R, then all B."""
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
    grp = _CTX[d]
    grp[1] += 4
    grp[2] += 8
    sel = np.broadcast_to(inside[:, None, :], (height, 3, width))
    return m.transpose(1, 0, 2)[sel], grp.transpose(1, 0, 2)[sel]


def _pack(m, k, counts):
    """The coded rows' bytes, concatenated: the codes of symbols m with
    parameters k, rows of counts symbols, each row from a byte."""
    idx = m << 3
    idx |= k
    length = CODE_LEN.ravel()[idx]
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
    return words.astype(">u4").tobytes()[:total]


def rice_pixels_lossless(rgb565: bytes, spans, background: int, width: int) -> bytes:
    """frames.rice_pixels(rgb565, spans, background, width, (0, 0, 0)), byte for byte."""
    height = len(spans)
    rows = [y for y, (x0, x1) in enumerate(spans) if x1 > x0]
    if not rows:
        return bytes(rc.PARAMS_SIZE)  # near 0, k 0: nothing is coded
    m, grp = _symbols(rgb565, spans, background, width, height)
    hist = np.bincount(grp.astype(np.int64) * 128 + m, minlength=12 * 128).reshape(12, 128)
    ks = choose_k(hist)
    k = np.array(ks, dtype=np.int64)[grp]
    widths = np.array([spans[y][1] - spans[y][0] for y in rows], dtype=np.int64)
    counts = 3 * widths
    starts = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    bits = np.add.reduceat(CODE_LEN[m, k].astype(np.int64), starts[:-1])
    coded = ((bits + 7) >> 3) < 2 * widths
    if coded.any():
        sym_coded = np.repeat(coded, counts)
        packed = _pack(m[sym_coded].astype(np.int64), k[sym_coded], counts[coded])
    else:
        packed = b""
    out = bytearray(bytes((0, 0, 0, 0)) + bytes(ks))
    at = 0
    pack = struct.Struct("<H").pack
    for y, c, nb in zip(rows, coded.tolist(), ((bits + 7) >> 3).tolist(), strict=True):
        x0, x1 = spans[y]
        if c:
            out += pack(nb)
            out += packed[at : at + nb]
            at += nb
        else:
            out += pack(2 * (x1 - x0))
            out += rgb565[(y * width + x0) * 2 : (y * width + x1) * 2]
    return bytes(out)
