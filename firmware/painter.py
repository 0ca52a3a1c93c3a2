# Draws frame files: a stream from flash to the panel through one strip buffer.
#
# Everything the draw path touches is allocated once here, so showing a photo
# allocates nothing per frame and never holds more than one strip in RAM.
#
# FrameReader turns an open frame file into full panel rows (background plus
# the stored span); Painter sends rows to the display a strip at a time.
# A cross-fade blends a second reader's rows in (Painter.paint's mix).
#
# Encodings: ENC_SPANS rows are copied from the file; ENC_PRED rows are
# decoded by predcodec (viper machine code when the emitter exists) from a
# row-sized read buffer, predicting from the row above, which the reader
# keeps in one of its two row buffers.
import sys
import time
from array import array

import frame
import predcodec

try:
    from predcodec_viper import decode_row
except (ImportError, SyntaxError, ValueError, TypeError) as e:  # no emitter; ViperTypeError
    decode_row = predcodec.decode_row
    if sys.implementation.name == "micropython":  # on CPython (tests) it is expected
        print("painter: viper decoder unavailable (%s): decoding slower" % e)

try:
    from fastcopy import copy
except (ImportError, SyntaxError, ValueError, TypeError) as e:  # no emitter; ViperTypeError
    if sys.implementation.name == "micropython":
        print("painter: viper copy unavailable (%s): drawing slower" % e)

        def copy(dst, doff, src, soff, n):
            for i in range(n):
                dst[doff + i] = src[soff + i]

    else:  # CPython (unit tests): slices are fine there

        def copy(dst, doff, src, soff, n):
            dst[doff : doff + n] = src[soff : soff + n]


if sys.implementation.name == "micropython":

    def _readinto(f, buf, n):
        return f.readinto(buf, n)

else:

    def _readinto(f, buf, n):
        return f.readinto(memoryview(buf)[:n])


try:
    from blend import blend565
except (ImportError, SyntaxError, ValueError, TypeError):  # no emitter; ViperTypeError
    _MASK = 0x07E0F81F  # see blend.py

    def blend565(dst, doff, old, ooff, n, a):
        b = 32 - a
        j = doff
        k = ooff
        end = doff + 2 * n
        while j < end:
            cn = (dst[j] << 8) | dst[j + 1]
            co = (old[k] << 8) | old[k + 1]
            xn = (cn | (cn << 16)) & _MASK
            xo = (co | (co << 16)) & _MASK
            x = ((xn * a + xo * b) >> 5) & _MASK
            c = (x & 0xFFFF) | (x >> 16)
            dst[j] = c >> 8
            dst[j + 1] = c & 0xFF
            j += 2
            k += 2


STRIP_ROWS = 8  # 8 rows of 240 px = 3,840 bytes per SPI burst


class FrameReader:
    """Rows of one frame file, decoded into caller's buffers without allocating."""

    def __init__(self, width, height):
        self.width = width
        self.height = height
        self.row_bytes = width * 2
        self.scratch = bytearray(self.row_bytes)
        self.bgrow = bytearray(self.row_bytes)
        self.spans = bytearray(height * frame.SPAN_SIZE)
        self.header = bytearray(frame.HEADER_SIZE)
        # ENC_PRED: the row being decoded and the row above it (swapped each
        # row), the codec's state, and small reads (row length, parameters).
        self._cur = bytearray(self.row_bytes)
        self._prev = bytearray(self.row_bytes)
        self._st = array("H", bytes(2 * predcodec.ST_SIZE))
        self._small = bytearray(predcodec.PARAMS_SIZE)
        self._enc = frame.ENC_SPANS
        self._bg = -1
        self.f = None
        self.y = 0

    def _set_background(self, color):
        if color != self._bg:
            hi = color >> 8
            lo = color & 0xFF
            row = self.bgrow
            for i in range(0, self.row_bytes, 2):
                row[i] = hi
                row[i + 1] = lo
            self._bg = color

    def open(self, f):
        """Check a frame's header and span table; rows follow with row_into().

        Raises frame.FrameError for a file this panel cannot show.
        """
        if f.readinto(self.header) != frame.HEADER_SIZE:
            raise frame.FrameError("short file")
        hdr = frame.parse_header(self.header)
        if hdr[1] != self.width or hdr[2] != self.height:
            raise frame.FrameError("frame is %dx%d, panel is %dx%d" % (
                hdr[1], hdr[2], self.width, self.height))
        if f.readinto(self.spans) != len(self.spans):
            raise frame.FrameError("short span table")
        self._set_background(hdr[3])
        self._enc = hdr[0]
        if self._enc == frame.ENC_PRED:
            p = self._small
            if f.readinto(p) != predcodec.PARAMS_SIZE:
                raise frame.FrameError("short codec parameters")
            nmax = predcodec.MAX_NEAR
            if p[0] > nmax or p[1] > nmax or p[2] > nmax or p[3]:
                raise frame.FrameError("bad codec parameters")
            predcodec.reset_state(self._st, p[0], p[1], p[2], hdr[3])
            copy(self._prev, 0, self.bgrow, 0, self.row_bytes)  # row -1: background
        self.f = f
        self.y = 0
        return hdr

    def row_into(self, dst, off):
        """Write the next row's RGB565 bytes into dst[off:off + row_bytes]."""
        spans = self.spans
        i = self.y * 4
        w = self.width
        x0 = spans[i] | (spans[i + 1] << 8)
        x1 = spans[i + 2] | (spans[i + 3] << 8)
        if x0 > x1 or x1 > w:
            raise frame.FrameError("bad span on row %d" % self.y)
        if self._enc == frame.ENC_PRED:
            self._pred_row(dst, off, x0, x1)
            self.y += 1
            return
        if x0:
            copy(dst, off, self.bgrow, 0, x0 * 2)
        k = (x1 - x0) * 2
        if k:
            if _readinto(self.f, self.scratch, k) != k:
                raise frame.FrameError("truncated pixel data")
            copy(dst, off + x0 * 2, self.scratch, 0, k)
        if x1 < w:
            copy(dst, off + x1 * 2, self.bgrow, 0, (w - x1) * 2)
        self.y += 1

    def _pred_row(self, dst, off, x0, x1):
        cur = self._cur
        w = self.width
        if x0:
            copy(cur, 0, self.bgrow, 0, x0 * 2)
        if x1 < w:
            copy(cur, x1 * 2, self.bgrow, 0, (w - x1) * 2)
        raw = (x1 - x0) * 2
        if raw:
            small = self._small
            if _readinto(self.f, small, frame.ROW_LEN_SIZE) != frame.ROW_LEN_SIZE:
                raise frame.FrameError("truncated pixel data")
            n = small[0] | (small[1] << 8)
            if n > raw:
                raise frame.FrameError("bad row length on row %d" % self.y)
            if _readinto(self.f, self.scratch, n) != n:
                raise frame.FrameError("truncated pixel data")
            if n == raw:  # stored plain
                copy(cur, x0 * 2, self.scratch, 0, n)
            else:
                st = self._st
                st[predcodec.ST_X0] = x0
                st[predcodec.ST_X1] = x1
                st[predcodec.ST_LEN] = n
                if decode_row(self.scratch, cur, self._prev, st):
                    raise frame.FrameError("corrupt pixel data on row %d" % self.y)
        copy(dst, off, cur, 0, self.row_bytes)
        self._cur = self._prev
        self._prev = cur


class Painter:
    def __init__(self, display, strip_rows=STRIP_ROWS):
        w = display.width
        h = display.height
        self.display = display
        self.width = w
        self.height = h
        self.row_bytes = w * 2
        self.strip_rows = strip_rows
        self.strip = bytearray(self.row_bytes * strip_rows)
        tail = h % strip_rows
        self._tail = memoryview(self.strip)[: tail * self.row_bytes] if tail else None
        self.reader = FrameReader(w, h)
        self.mix_row = bytearray(self.row_bytes)  # the other photo's row in a fade

    def open(self, f):
        return self.reader.open(f)

    def paint(self, mix=None, weight=0, pause_ms=0):
        """Stream the frame opened with open() to the panel: allocation-free.

        mix: a second open FrameReader blended under it (a cross-fade frame),
        the opened frame weighing `weight` of 32; pause_ms: sleep between
        strips so a wipe's edge is seen moving (the CPU idles meanwhile).
        """
        d = self.display
        w = self.width
        h = self.height
        rb = self.row_bytes
        strip = self.strip
        rows = self.strip_rows
        reader = self.reader
        mix_row = self.mix_row
        d.window(0, 0, w - 1, h - 1)
        try:
            y = 0
            while y < h:
                n = rows if h - y >= rows else h - y
                o = 0
                for _ in range(n):
                    reader.row_into(strip, o)
                    if mix is not None:
                        mix.row_into(mix_row, 0)
                        blend565(strip, o, mix_row, 0, w, weight)
                    o += rb
                d.pixels(strip if n == rows else self._tail)
                y += n
                if pause_ms and y < h:
                    time.sleep_ms(pause_ms)
        finally:
            d.end()

    def show(self, path):
        with open(path, "rb") as f:
            self.open(f)
            self.paint()
