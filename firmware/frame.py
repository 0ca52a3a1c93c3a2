# The frame file: one photo as the pendant stores and draws it.
#
# This module is the one definition of the format. It is valid MicroPython and
# CPython: the host writes frames with pack(), the pendant reads them with
# parse_header(), and golden test vectors pin both.
#
# Layout (all integers little-endian):
#
#   header, 32 bytes
#     0  4s  magic b"PHRT"
#     4  u8  version (1)
#     5  u8  encoding (ENC_*)
#     6  u16 width            8  u16 height
#    10  u16 background RGB565 (every pixel outside the spans)
#    12  u16 flags (0; reserved for later use, must be 0 in version 1)
#    14  u32 pixel count (stored pixels, the sum of the span widths)
#    18  u32 body size (span table + pixel data, bytes)
#    22  u32 body CRC-32
#    26  u16 reserved (0)
#    28  u32 header CRC-32 of bytes 0..27
#   span table, height rows of (u16 x0, u16 x1): the row's stored pixels are
#     x0 <= x < x1; x0 == x1 means the row is all background
#   pixel data: the stored pixels row by row, RGB565 high byte first (as the
#     panel takes them), in the layout the encoding names:
#     ENC_SPANS (0): each row's span as plain RGB565;
#     ENC_PRED (1): predicted and Rice-coded rows, lossless or near-lossless,
#       defined in predcodec.py (about half the bytes of ENC_SPANS lossless);
#     ENC_RICE (2): the same prediction, Rice parameters chosen per frame,
#       defined in ricecodec.py (~5% smaller than ENC_PRED and about twice as
#       fast to decode on the pendant); what the host writes
#
# Pixels outside the heart are one constant colour, so only the heart's span
# on each row is stored: fewer bytes to store, upload and read back.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


import struct
from binascii import crc32

MAGIC = b"PHRT"
VERSION = const(1)
HEADER_SIZE = const(32)
HEADER_FMT = "<4sBBHHHHIII"  # bytes 0..25; then u16 reserved, u32 header CRC
SPAN_SIZE = const(4)

ENC_SPANS = const(0)  # span pixels stored as plain RGB565
ENC_PRED = const(1)  # span pixels predicted + Rice-coded per row (predcodec.py)
ENC_RICE = const(2)  # the same, Rice parameters fixed per frame (ricecodec.py)
ENCODINGS = (ENC_SPANS, ENC_PRED, ENC_RICE)
ROW_LEN_SIZE = const(2)  # ENC_PRED, ENC_RICE: u16 byte count before each non-empty row

MAX_SIDE = const(480)


class FrameError(ValueError):
    pass


def pack(width, height, background, spans, pixels, encoding=ENC_SPANS):
    """Build a frame file.

    spans: sequence of (x0, x1) per row; pixels: the stored pixel bytes.
    """
    if len(spans) != height:
        raise FrameError("need one span per row")
    table = bytearray(height * SPAN_SIZE)
    count = 0
    for y in range(height):
        x0, x1 = spans[y]
        if not 0 <= x0 <= x1 <= width:
            raise FrameError("bad span on row %d" % y)
        struct.pack_into("<HH", table, y * SPAN_SIZE, x0, x1)
        count += x1 - x0
    if encoding == ENC_SPANS and len(pixels) != count * 2:
        raise FrameError("pixel data does not match spans")
    if encoding not in ENCODINGS:
        raise FrameError("unknown encoding %d" % encoding)
    body_crc = crc32(pixels, crc32(table))
    head = struct.pack(
        HEADER_FMT, MAGIC, VERSION, encoding, width, height, background, 0,
        count, len(table) + len(pixels), body_crc,
    ) + b"\x00\x00"
    return head + struct.pack("<I", crc32(head)) + bytes(table) + bytes(pixels)


def parse_header(buf):
    """Check a 32-byte header; return (encoding, width, height, background,
    pixel_count, body_size, body_crc). Raises FrameError if it is not ours."""
    if len(buf) < HEADER_SIZE:
        raise FrameError("short header")
    magic, version, encoding, width, height, bg, flags, count, size, body_crc = (
        struct.unpack_from(HEADER_FMT, buf, 0)
    )
    if magic != MAGIC:
        raise FrameError("not a frame file")
    if version != VERSION:
        raise FrameError("frame version %d not supported" % version)
    if struct.unpack_from("<I", buf, 28)[0] != crc32(memoryview(buf)[:28]):
        raise FrameError("header CRC mismatch")
    if encoding not in ENCODINGS:
        raise FrameError("unknown encoding %d" % encoding)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or flags:
        raise FrameError("bad geometry")
    if size < height * SPAN_SIZE:
        raise FrameError("body too small")
    return encoding, width, height, bg, count, size, body_crc


def file_size(header):
    """Total file size a parsed header promises."""
    return HEADER_SIZE + header[5]
