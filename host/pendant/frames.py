"""Rendered photo -> frame file bytes (format defined in firmware/frame.py).

Encodings (see docs/frame-format.md):

- ENC_SPANS: each row's heart span as plain RGB565;
- ENC_RICE, what the host writes: the same pixels predicted from their
  neighbours and Rice-coded with parameters chosen per frame
  (firmware/ricecodec.py), lossless or near-lossless with a per-channel error
  bound. The encoder here mirrors the firmware decoder step for step; decode()
  runs the firmware's own decoder, so a preview made from the frame's bytes is
  exactly what the panel receives.
- ENC_PRED: the older adaptive coding (firmware/predcodec.py). The host no
  longer writes it (pred_pixels_reference remains, to make test frames of
  it); pendants still show the photos they hold in it, and decode() reads it.

Quality levels (`pendant convert --quality`):

- "lossless": ENC_RICE with no error (ENC_SPANS if that is ever smaller);
- "visual": near-lossless, every channel within one RGB565 level;
- "auto" (default): lossless when the frame fits AUTO_BUDGET (enough for 40
  photos in the 1,408 KiB filesystem), else "visual".
"""

from __future__ import annotations

import hashlib
import struct
from array import array
from dataclasses import dataclass

from pendant.firmware import frame as fmt
from pendant.firmware import predcodec as pc
from pendant.firmware import proto
from pendant.firmware import ricecodec as rc

FS_BYTES = 1408 * 1024  # flash filesystem of a 2 MB RP2040 board
TARGET_PHOTOS = 40
# Per-photo share of the filesystem for TARGET_PHOTOS, leaving 4 KiB per file
# for littlefs metadata and the settings/order files: 1,441,792 / 40 - 4,096.
AUTO_BUDGET = FS_BYTES // TARGET_PHOTOS - 4096

NEAR = {"lossless": (0, 0, 0), "visual": (1, 1, 1), "strong": (2, 2, 2)}
QUALITIES = ("auto", "lossless", "visual", "strong")
DEFAULT_QUALITY = "auto"


@dataclass(frozen=True)
class FrameFile:
    data: bytes

    @property
    def id(self) -> str:
        """The pendant's name for this photo: the start of its SHA-256."""
        return proto.photo_id(hashlib.sha256(self.data).digest())

    def __len__(self) -> int:
        return len(self.data)

    @property
    def encoding(self) -> int:
        return self.data[5]


def spans_from_coverage(coverage: bytes, width: int, height: int) -> list[tuple[int, int]]:
    """Per row, the smallest [x0, x1) holding every pixel with coverage > 0."""
    spans = []
    for y in range(height):
        row = coverage[y * width : (y + 1) * width]
        stripped = row.lstrip(b"\x00")
        if not stripped:
            spans.append((0, 0))
            continue
        x0 = width - len(stripped)
        x1 = len(row.rstrip(b"\x00"))
        spans.append((x0, x1))
    return spans


def _span_bytes(rgb565: bytes, spans, width: int) -> bytes:
    stride = width * 2
    return b"".join(
        rgb565[y * stride + x0 * 2 : y * stride + x1 * 2] for y, (x0, x1) in enumerate(spans)
    )


def encode_spans(rgb565: bytes, spans, background: int, width: int, height: int) -> bytes:
    return fmt.pack(width, height, background, spans, _span_bytes(rgb565, spans, width))


def pred_pixels(rgb565: bytes, spans, background: int, width: int,
                near: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """The ENC_PRED (encoding 1) pixel data for a full RGB565 picture."""
    return pred_pixels_reference(rgb565, spans, background, width, near)


def pred_pixels_reference(rgb565: bytes, spans, background: int, width: int,
                          near: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """pred_pixels in plain Python, symbol by symbol (any `near`).

    A mirror of predcodec.decode_row: same neighbours, prediction, contexts,
    statistics; it picks each q so the decoded value stays within `near`.
    """
    if not all(0 <= n <= pc.MAX_NEAR for n in near):
        raise ValueError("near must be 0..%d per channel" % pc.MAX_NEAR)
    height = len(spans)
    n_r, n_g, n_b = near
    bgr, bgg, bgb = background >> 11, (background >> 5) & 63, background & 31
    # Source planes, then decoded planes that start as the background (what
    # the decoder sees off the spans and above the first row).
    hi = rgb565[0::2]
    lo = rgb565[1::2]
    src_r = [h >> 3 for h in hi]
    src_g = [((h & 7) << 3) | (v >> 5) for h, v in zip(hi, lo, strict=True)]
    src_b = [v & 31 for v in lo]
    npx = width * height
    dec = ([bgg] * npx, [bgr] * npx, [bgb] * npx)
    src = (src_g, src_r, src_b)
    spec = ((63, n_g, 2 * n_g + 1), (31, n_r, 2 * n_r + 1), (31, n_b, 2 * n_b + 1))
    bg = (bgg, bgr, bgb)
    stats_a = [pc.A_INIT] * 12
    stats_n = [1] * 12
    out = bytearray(bytes((n_r, n_g, n_b, 0)))
    limit, esc_bits, reset = pc.LIMIT, pc.ESC_BITS, pc.RESET
    t1, t2, t3 = pc.CTX_T1, pc.CTX_T2, pc.CTX_T3
    for y in range(height):
        x0, x1 = spans[y]
        if x0 == x1:
            continue
        saved = (stats_a[:], stats_n[:])
        acc = 0
        nbits = 0
        base = y * width
        for x in range(x0, x1):
            i = base + x
            dg = 0
            for ch in (0, 1, 2):
                plane = dec[ch]
                mx, near_c, step = spec[ch]
                if x:
                    a = plane[i - 1]
                    c = plane[i - width - 1] if y else bg[ch]
                else:
                    a = c = bg[ch]
                b = plane[i - width] if y else bg[ch]
                if a < b:
                    lo_, hi_ = a, b
                else:
                    lo_, hi_ = b, a
                if c >= hi_:
                    p = lo_
                elif c <= lo_:
                    p = hi_
                else:
                    p = a + b - c
                if ch:
                    p += dg >> 1
                    p = 0 if p < 0 else mx if p > mx else p
                d = abs(a - c) + abs(b - c)
                ctx = ch * 4 + (d > t1) + (d > t2) + (d > t3)
                e = src[ch][i] - p
                q = (e + near_c) // step  # e / step to the nearest: step is odd, no ties
                v = p + q * step
                v = 0 if v < 0 else mx if v > mx else v
                plane[i] = v
                if ch == 0:
                    dg = v - p
                m = 2 * q if q >= 0 else -2 * q - 1
                aa = stats_a[ctx]
                na = stats_n[ctx]
                k = 0
                while (na << k) < aa:
                    k += 1
                u = m >> k
                if u < limit:
                    # u ones, a zero, then the low k bits of m
                    acc = (((acc << (u + 1)) | (((1 << u) - 1) << 1)) << k) | (m & ((1 << k) - 1))
                    nbits += u + 1 + k
                else:
                    acc = (acc << (limit + esc_bits)) | (((1 << limit) - 1) << esc_bits) | m
                    nbits += limit + esc_bits
                aa += m
                na += 1
                if na >= reset:
                    aa >>= 1
                    na >>= 1
                stats_a[ctx] = aa
                stats_n[ctx] = na
        raw_len = (x1 - x0) * 2
        pad = -nbits % 8
        coded_len = (nbits + pad) // 8
        if coded_len < raw_len:
            out += struct.pack("<H", coded_len)
            out += (acc << pad).to_bytes(coded_len, "big")
        else:  # plain row: the decoder then sees the source values, stats untouched
            stats_a, stats_n = saved
            for x in range(x0, x1):
                i = base + x
                for ch in (0, 1, 2):
                    dec[ch][i] = src[ch][i]
            out += struct.pack("<H", raw_len)
            out += rgb565[(base + x0) * 2 : (base + x1) * 2]
    return bytes(out)


def _rice_row(dec, src, spec, bg, y, x0, x1, width, syms):
    """The symbols (m, group) of row y coded, appended to syms, and its decoded
    values written into the planes dec (ricecodec.decode_row's steps)."""
    base = y * width
    hd = [0] * (x1 - x0)
    for ch in (0, 1, 2):
        plane = dec[ch]
        sp = src[ch]
        mx, near_c, step = spec[ch]
        a = bg[ch]  # left of x0: outside the span
        for x in range(x0, x1):
            i = base + x
            b = plane[i - width] if y else bg[ch]
            c = (plane[i - width - 1] if y else bg[ch]) if x else bg[ch]
            lo_, hi_ = (a, b) if a < b else (b, a)
            if c >= hi_:
                p = lo_
            elif c <= lo_:
                p = hi_
            else:
                p = a + b - c
            if ch:
                p += hd[x - x0]
                p = 0 if p < 0 else mx if p > mx else p
            d = abs(a - c) + abs(b - c)
            grp = ch * 4 + (d > rc.CTX_T1) + (d > rc.CTX_T2) + (d > rc.CTX_T3)
            e = sp[i] - p
            q = (e + near_c) // step  # e / step to the nearest (step = 1: q = e)
            v = p + q * step
            v = 0 if v < 0 else mx if v > mx else v
            plane[i] = v
            if ch == 0:
                hd[x - x0] = (v - p) >> 1
            syms.append((2 * q if q >= 0 else -2 * q - 1, grp))
            a = v


def _rice_code_len(m: int, k: int) -> int:
    u = m >> k
    return u + 1 + k if u < rc.LIMIT else rc.LIMIT + rc.ESC_BITS


def rice_pixels_reference(rgb565: bytes, spans, background: int, width: int,
                          near: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """rice_pixels in plain Python, value by value (any `near`).

    Two passes: the first codes every row to count each (channel, context)'s
    residuals and pick its k (the one giving the fewest bits, the smallest of
    equals); the second codes the rows with those k in order, storing a row
    plain when its codes would not save a byte (the decoder then sees the
    source values there, which the rows below predict from).
    """
    if not all(0 <= n <= rc.MAX_NEAR for n in near):
        raise ValueError("near must be 0..%d per channel" % rc.MAX_NEAR)
    from pendant import fastpred  # choose_k and the code lengths (numpy)

    height = len(spans)
    n_r, n_g, n_b = near
    bg = ((background >> 5) & 63, background >> 11, background & 31)
    hi = rgb565[0::2]
    lo = rgb565[1::2]
    src = ([((h & 7) << 3) | (v >> 5) for h, v in zip(hi, lo, strict=True)],
           [h >> 3 for h in hi], [v & 31 for v in lo])
    spec = ((63, n_g, 2 * n_g + 1), (31, n_r, 2 * n_r + 1), (31, n_b, 2 * n_b + 1))
    npx = width * height

    def planes():  # decoded planes: the background until a row is decoded
        return ([bg[0]] * npx, [bg[1]] * npx, [bg[2]] * npx)

    dec = planes()
    hist = [[0] * 128 for _ in range(12)]
    for y, (x0, x1) in enumerate(spans):
        syms: list[tuple[int, int]] = []
        _rice_row(dec, src, spec, bg, y, x0, x1, width, syms)
        for m, g in syms:
            hist[g][m] += 1
    ks = fastpred.choose_k(hist)
    out = bytearray(bytes((n_r, n_g, n_b, 0)) + bytes(ks))
    dec = planes()
    for y, (x0, x1) in enumerate(spans):
        if x0 == x1:
            continue
        syms = []
        _rice_row(dec, src, spec, bg, y, x0, x1, width, syms)
        acc = 0
        nbits = 0
        for m, g in syms:
            k = ks[g]
            u = m >> k
            if u < rc.LIMIT:  # u one-bits, a zero, then the low k bits of m
                acc = (((acc << (u + 1)) | (((1 << u) - 1) << 1)) << k) | (m & ((1 << k) - 1))
            else:
                acc = (acc << rc.LIMIT | ((1 << rc.LIMIT) - 1)) << rc.ESC_BITS | m
            nbits += _rice_code_len(m, k)
        raw_len = (x1 - x0) * 2
        pad = -nbits % 8
        coded_len = (nbits + pad) // 8
        if coded_len < raw_len:
            out += struct.pack("<H", coded_len)
            out += (acc << pad).to_bytes(coded_len, "big")
        else:  # plain row: the decoder sees the source values
            for x in range(y * width + x0, y * width + x1):
                for ch in (0, 1, 2):
                    dec[ch][x] = src[ch][x]
            out += struct.pack("<H", raw_len)
            out += rgb565[(y * width + x0) * 2 : (y * width + x1) * 2]
    return bytes(out)


def rice_pixels(rgb565: bytes, spans, background: int, width: int,
                near: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    """The ENC_RICE pixel data for a full RGB565 picture (ricecodec.py's bitstream).

    Lossless goes to the numpy encoder (fastpred.py, the same bytes as
    rice_pixels_reference, many times faster); near-lossless, where each
    prediction uses decoded neighbours, to rice_pixels_reference.
    """
    if tuple(near) == (0, 0, 0):
        from pendant import fastpred  # numpy: imported with the first photo

        return fastpred.rice_pixels_lossless(rgb565, spans, background, width)
    return rice_pixels_reference(rgb565, spans, background, width, near)


def encode(rgb565: bytes, coverage: bytes, background: int, width: int, height: int,
           quality: str = DEFAULT_QUALITY) -> FrameFile:
    """Keep only each row's covered span of pixels (the rest is background) and
    compress them at `quality` (QUALITIES)."""
    if quality not in QUALITIES:
        raise ValueError("quality must be one of %s" % ", ".join(QUALITIES))
    spans = spans_from_coverage(coverage, width, height)
    plain = encode_spans(rgb565, spans, background, width, height)
    order = ("lossless", "visual") if quality == "auto" else (quality,)
    best = plain
    for q in order:
        pixels = rice_pixels(rgb565, spans, background, width, NEAR[q])
        data = fmt.pack(width, height, background, spans, pixels, fmt.ENC_RICE)
        if q == "lossless" and len(data) >= len(plain):
            data = plain  # plain span pixels are lossless too, and smaller here
        best = data
        if quality != "auto" or len(best) <= AUTO_BUDGET:
            break
    return FrameFile(best)


def from_render(rendered, quality: str = DEFAULT_QUALITY) -> FrameFile:
    return encode(
        rendered.rgb565, rendered.coverage, rendered.background, rendered.width,
        rendered.height, quality,
    )


def decode(data: bytes) -> tuple[int, int, bytes]:
    """Frame file -> (width, height, full RGB565 picture), checking every CRC.

    ENC_RICE and ENC_PRED rows go through the firmware's own reference
    decoders (ricecodec.decode_row, predcodec.decode_row), so this is the
    picture the pendant draws, bit for bit.
    """
    import binascii

    header = fmt.parse_header(data[: fmt.HEADER_SIZE])
    enc, width, height, background, count, size, body_crc = header
    body = data[fmt.HEADER_SIZE :]
    if len(body) != size:
        raise fmt.FrameError("frame body is %d bytes, header says %d" % (len(body), size))
    if binascii.crc32(body) != body_crc:
        raise fmt.FrameError("frame body CRC mismatch")
    table = body[: height * fmt.SPAN_SIZE]
    pixels = body[height * fmt.SPAN_SIZE :]
    bg = background.to_bytes(2, "big")
    stride = width * 2
    out = bytearray(bg * (width * height))
    spans = [struct.unpack_from("<HH", table, y * 4) for y in range(height)]  # u16s: >= 0
    if any(not x0 <= x1 <= width for x0, x1 in spans):
        raise fmt.FrameError("bad span table")
    if enc == fmt.ENC_SPANS:
        pos = 0
        for y, (x0, x1) in enumerate(spans):
            n = (x1 - x0) * 2
            out[y * stride + x0 * 2 : y * stride + x1 * 2] = pixels[pos : pos + n]
            pos += n
        if pos != len(pixels):
            raise fmt.FrameError("pixel data does not match the span table")
        return width, height, bytes(out)
    # ENC_RICE or ENC_PRED
    rice = enc == fmt.ENC_RICE
    psize = rc.PARAMS_SIZE if rice else pc.PARAMS_SIZE
    if len(pixels) < psize:
        raise fmt.FrameError("truncated pixel data")
    st = array("H", bytes(2 * pc.ST_SIZE))
    params = pixels[:psize]
    if rice:
        if not rc.params_ok(params):
            raise fmt.FrameError("bad codec parameters")
        rc.reset_state(st, params, background)
        hd = bytearray(width)
    else:
        near_r, near_g, near_b, zero = params
        if max(near_r, near_g, near_b) > pc.MAX_NEAR or zero:
            raise fmt.FrameError("bad codec parameters")
        pc.reset_state(st, near_r, near_g, near_b, background)
    prev = bytearray(bg * width)
    pos = psize
    for y, (x0, x1) in enumerate(spans):
        cur = bytearray(out[y * stride : (y + 1) * stride])
        if x1 > x0:
            if pos + 2 > len(pixels):
                raise fmt.FrameError("truncated pixel data")
            n = pixels[pos] | pixels[pos + 1] << 8
            pos += 2
            raw = (x1 - x0) * 2
            if n > raw or pos + n > len(pixels):
                raise fmt.FrameError("bad row length on row %d" % y)
            if n == raw:
                cur[x0 * 2 : x1 * 2] = pixels[pos : pos + n]
            else:
                st[pc.ST_X0], st[pc.ST_X1], st[pc.ST_LEN] = x0, x1, n
                src = pixels[pos : pos + n]
                err = rc.decode_row(src, cur, prev, st, hd) if rice else pc.decode_row(
                    src, cur, prev, st)
                if err != pc.OK:
                    raise fmt.FrameError("corrupt pixel data on row %d" % y)
            pos += n
        out[y * stride : (y + 1) * stride] = cur
        prev = cur
    if pos != len(pixels):
        raise fmt.FrameError("pixel data does not match the span table")
    return width, height, bytes(out)
