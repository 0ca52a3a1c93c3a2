"""Decode a big JPEG on several cores when its restart markers allow it.

A JPEG's entropy-coded data is one serial chain of Huffman codes, and
decoding that chain is most of what a reduced (draft) decode costs: it cannot
be scaled down. A file with a restart interval (DRI) breaks the chain at
every RSTn marker: the DC predictors reset and the bits restart on a byte
boundary, so each interval decodes without the ones before it. When a marker
also falls at the start of a row of MCUs, the file can be cut there into
horizontal bands; each band is a valid JPEG of its own (the file's tables,
the band's height, its slice of the scan) and the bands decode at once on
threads, as Pillow lets go of the GIL while libjpeg works.

This is only done where the result is bit for bit the single decode's:
one baseline or extended Huffman scan holding every component, grey or three
components, and a DCT scale of 1/2 to 1/8. At those scales libjpeg scales the
chroma in the IDCT instead of upsampling it, so no output row depends on a
neighbouring band (at full scale its "fancy" upsampling would). Bands start
at every eighth interval, where the decoder expects RST0 anyway, so each
band's bytes are the file's own from there on and libjpeg treats them, even
damaged ones, exactly as in one pass. Anything else returns None and the
caller decodes the file the ordinary way.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from . import cores

# JPEG markers (ITU-T T.81, table B.1).
SOI, EOI, SOS, DRI = 0xD8, 0xD9, 0xDA, 0xDD
SOF_BASELINE, SOF_EXTENDED = 0xC0, 0xC1
RST0 = 0xD0
APP0, APP14 = 0xE0, 0xEE
# Segments a decoder needs; the rest (Exif, ICC, XMP, comments) stay with the
# caller's image. APP0 (JFIF) and APP14 (Adobe) say which colour space the
# components are in, so they stay.
_KEPT = frozenset({0xC4, 0xDB, DRI, APP0, APP14})
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT/JPG/DAC)

_RST_BYTES = tuple(bytes((0xFF, RST0 + n)) for n in range(8))

# Not worth threads below this size (a few ms of decoding). Also what is read
# first: enough for any header (Exif with its thumbnail, ICC, XMP), so a file
# without restart markers costs one small read.
MIN_BYTES = 256 * 1024


@dataclass(frozen=True)
class Layout:
    """What cutting a single-scan JPEG into bands needs to know."""

    header: bytes  # SOI, the kept segments, SOF and SOS
    sof_height_at: int  # offset of the frame height in `header`
    width: int
    height: int
    mcu_height: int  # in pixels
    mcus_per_row: int
    interval: int  # MCUs per restart interval
    scan: int  # offset in the file of the first entropy-coded byte

    @property
    def intervals(self) -> int:
        rows = -(-self.height // self.mcu_height)
        return -(-rows * self.mcus_per_row // self.interval)


def _segments(data: bytes):
    """(marker, start, end) of each header segment, up to and including SOS."""
    pos = 2
    while True:
        while data[pos + 1] == 0xFF:  # 0xFF fill bytes may precede a marker
            pos += 1
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        marker = data[pos + 1]
        if marker in (SOI, EOI) or RST0 <= marker <= RST0 + 7:
            raise ValueError("marker without a segment before the scan")
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end <= pos + 3 or end > len(data):
            raise ValueError("bad segment length")
        yield marker, pos, end
        if marker == SOS:
            return
        pos = end


def parse(data: bytes) -> Layout | None:
    """The layout of a single-scan Huffman JPEG with a restart interval, else None."""
    if data[:2] != b"\xff\xd8":
        return None
    kept = [b"\xff\xd8"]
    interval, frame, frame_at = 0, b"", 0
    try:
        for marker, start, end in _segments(data):
            segment = data[start:end]
            if marker in _SOF:
                if marker not in (SOF_BASELINE, SOF_EXTENDED) or frame:
                    return None  # progressive, lossless, arithmetic or hierarchical
                frame, frame_at = segment, sum(len(k) for k in kept)
            elif marker == DRI:
                interval = int.from_bytes(segment[4:6], "big")
            elif marker != SOS and marker not in _KEPT:
                continue
            kept.append(segment)
    except (IndexError, ValueError):
        return None
    scan_header = kept[-1]
    if not frame or not interval or len(frame) < 10:
        return None
    height = int.from_bytes(frame[5:7], "big")
    width = int.from_bytes(frame[7:9], "big")
    ncomp = frame[9]
    if height == 0 or width == 0 or ncomp not in (1, 3) or len(frame) != 10 + 3 * ncomp:
        return None  # a height of 0 is set later by a DNL marker
    if scan_header[4] != ncomp:
        return None  # one scan per component: not one stream to cut
    if ncomp == 1:
        mcu_w = mcu_h = 8  # a lone component is coded block by block
    else:
        h = [frame[11 + 3 * i] >> 4 for i in range(3)]
        v = [frame[11 + 3 * i] & 15 for i in range(3)]
        if h[0] not in (1, 2) or v[0] not in (1, 2) or h[1:] != [1, 1] or v[1:] != [1, 1]:
            return None  # luma 1x1, 2x1, 1x2 or 2x2 over 1x1 chroma: what cameras write
        mcu_w, mcu_h = 8 * h[0], 8 * v[0]
    return Layout(b"".join(kept), frame_at + 5, width, height, mcu_h, -(-width // mcu_w),
                  interval, end)


def starts(layout: Layout, bands: int) -> list[int]:
    """Restart intervals at which bands start, the first 0: about equal in rows.

    A band starts at an interval k that begins a row of MCUs (k * interval a
    multiple of the row's MCUs) and is a multiple of 8 (the decoder then
    expects RST0 there, as it would in a band file of its own).
    """
    row = layout.mcus_per_row // math.gcd(layout.interval, layout.mcus_per_row)
    step = row * 8 // math.gcd(row, 8)
    rows = -(-layout.height // layout.mcu_height)
    out = [0]
    for b in range(1, bands):
        first = -(-rows * b // bands) * layout.mcus_per_row  # ideal first MCU of band b
        k = round(first / layout.interval / step) * step
        if out[-1] < k < layout.intervals:
            out.append(k)
    return out


# A band: its first pixel row, its height, and its JPEG file in pieces to join.
Band = tuple[int, int, tuple[bytes, memoryview, bytes]]


def band_files(data: bytes, layout: Layout, first: list[int]) -> list[Band] | None:
    """Each band starting at the given intervals; None if the markers are not there.

    Only the markers before the last band are looked for: the last band runs
    to the file's end (libjpeg stops at its EOI, and ignores what follows).
    """
    cut_at = [layout.scan]
    at = layout.scan
    # In entropy-coded data 0xFF is followed by 0x00 (stuffing) or a marker,
    # and the markers run RST0..RST7 in turn, so each is one fast search for
    # its two bytes from the one before.
    for j in range(first[-1]):
        at = data.find(_RST_BYTES[j & 7], at)
        if at < 0:
            return None
        if j + 1 in first:
            cut_at.append(at)
        at += 2
    view = memoryview(data)
    out = []
    for n, k in enumerate(first):
        y0 = k * layout.interval // layout.mcus_per_row * layout.mcu_height
        last = n + 1 == len(first)
        y1 = layout.height if last else (
            first[n + 1] * layout.interval // layout.mcus_per_row * layout.mcu_height)
        header = bytearray(layout.header)
        header[layout.sof_height_at : layout.sof_height_at + 2] = (y1 - y0).to_bytes(2, "big")
        begin = cut_at[n] + (2 if n else 0)  # after the RSTn marker the band starts at
        body = view[begin:] if last else view[begin : cut_at[n + 1]]
        out.append((y0, y1 - y0, (bytes(header), body, b"" if last else b"\xff\xd9")))
    return out


def _decode_band(parts, scale: int) -> Image.Image:
    # A join this size copies without holding the GIL, so bands copy in parallel too.
    band = Image.open(io.BytesIO(b"".join(parts)))
    w, h = band.size
    # Asking for (w // scale, h // scale) makes draft() pick exactly 1/scale.
    band.draft("RGB", (max(1, w // scale), max(1, h // scale)))
    band.load()
    return band


def has_restarts(head: bytes) -> bool:
    """Whether a file starting with `head` may have a restart interval before its scan.

    True when the header does not fit in `head` (only the whole file can tell).
    """
    interval = 0
    try:
        for marker, start, _ in _segments(head):
            if marker == DRI:
                interval = int.from_bytes(head[start + 4 : start + 6], "big")
    except (IndexError, ValueError):
        return True
    return interval > 0


def decode_file(fp, scale: int, mode: str, size: tuple[int, int]) -> Image.Image | None:
    """decode() on an open JPEG file, read only as far as needed to say no."""
    if cores.threads() < 2 or scale not in (2, 4, 8):
        return None
    try:
        fp.seek(0)
        head = fp.read(MIN_BYTES)
        if len(head) < MIN_BYTES or not has_restarts(head):
            return None
        fp.seek(0)
        data = fp.read()  # reading the head again is cheaper than copying it all
    except (OSError, ValueError):
        return None
    return decode(data, scale, mode, size)


def decode(data: bytes, scale: int, mode: str, size: tuple[int, int]) -> Image.Image | None:
    """The file decoded at 1/scale in bands on threads, or None when that cannot be done.

    `mode` and `size` are what Pillow's draft() chose for the whole file; the
    result has exactly those (else None).
    """
    n = cores.threads()
    if n < 2 or scale not in (2, 4, 8) or len(data) < MIN_BYTES:
        return None
    layout = parse(data)
    if layout is None:
        return None
    first = starts(layout, n)
    if len(first) < 2:
        return None
    bands = band_files(data, layout, first)
    if bands is None:
        return None
    try:
        images = cores.map_all(lambda band: _decode_band(band[2], scale), bands)
    except Exception:  # noqa: BLE001 - any trouble: the ordinary decode decides
        return None
    out = Image.new(mode, size)
    for (y0, h, _), image in zip(bands, images, strict=True):
        if image.mode != mode or image.size != (size[0], -(-h // scale)):
            return None
        out.paste(image, (0, y0 // scale))
    return out
