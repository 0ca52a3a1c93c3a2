"""Rendered photo -> frame file bytes (format defined in firmware/frame.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pendant.firmware import frame as fmt
from pendant.firmware import proto


@dataclass(frozen=True)
class FrameFile:
    data: bytes

    @property
    def id(self) -> str:
        """The pendant's name for this photo: the start of its SHA-256."""
        return hashlib.sha256(self.data).hexdigest()[: proto.ID_LEN]

    def __len__(self) -> int:
        return len(self.data)


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


def encode(rgb565: bytes, coverage: bytes, background: int, width: int, height: int) -> FrameFile:
    """Keep only each row's covered span of pixels; the rest is background."""
    spans = spans_from_coverage(coverage, width, height)
    stride = width * 2
    pixels = b"".join(
        rgb565[y * stride + x0 * 2 : y * stride + x1 * 2] for y, (x0, x1) in enumerate(spans)
    )
    return FrameFile(fmt.pack(width, height, background, spans, pixels))


def from_render(rendered) -> FrameFile:
    return encode(
        rendered.rgb565, rendered.coverage, rendered.background, rendered.width, rendered.height
    )


def decode(data: bytes) -> tuple[int, int, bytes]:
    """Frame file -> (width, height, full RGB565 picture), checking every CRC."""
    import binascii

    header = fmt.parse_header(data[: fmt.HEADER_SIZE])
    _enc, width, height, background, count, size, body_crc = header
    body = data[fmt.HEADER_SIZE :]
    if len(body) != size:
        raise fmt.FrameError("frame body is %d bytes, header says %d" % (len(body), size))
    if binascii.crc32(body) != body_crc:
        raise fmt.FrameError("frame body CRC mismatch")
    table = body[: height * fmt.SPAN_SIZE]
    pixels = body[height * fmt.SPAN_SIZE :]
    bg = background.to_bytes(2, "big")
    out = bytearray(bg * (width * height))
    pos = 0
    for y in range(height):
        x0 = int.from_bytes(table[y * 4 : y * 4 + 2], "little")
        x1 = int.from_bytes(table[y * 4 + 2 : y * 4 + 4], "little")
        n = (x1 - x0) * 2
        out[(y * width + x0) * 2 : (y * width + x1) * 2] = pixels[pos : pos + n]
        pos += n
    if pos != len(pixels):
        raise fmt.FrameError("pixel data does not match the span table")
    return width, height, bytes(out)
