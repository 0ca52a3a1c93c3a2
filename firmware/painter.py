# Draws frame files: a stream from flash to the panel through one strip buffer.
#
# Everything the draw path touches is allocated once here, so showing a photo
# allocates nothing per frame and never holds more than one strip in RAM.
#
# FrameReader turns an open frame file into full panel rows (background plus
# the stored span); Painter sends rows to the display a strip at a time.
# A cross-fade blends a second reader's rows in (Painter.paint's mix).
#
# Encodings: ENC_SPANS rows are copied from the file; ENC_RICE (what the host
# writes) and ENC_PRED (older photos) rows are decoded a strip at a time by
# Thumb assembly on the pendant (ricecodec_thumb, predcodec_thumb), or row by
# row elsewhere (the simulator: ricecodec.decode_row, predcodec's viper
# decoder) from a row-sized read buffer, predicting from the row above, which
# the reader keeps in one of its two row buffers.
import sys
import time
from array import array

import frame
import predcodec
import ricecodec
from predcodec import ST_LEN, ST_X0, ST_X1

try:  # Thumb assembly on Cortex-M (the RP2040's M0+): a strip of rows per call
    from predcodec_thumb import decode_strip
    from ricecodec_thumb import decode_strip as rice_strip
    from ricecodec_thumb import span_copy
    from ricecodec_thumb import start as rice_start
    from ricecodec_thumb import tables as rice_tables
except (ImportError, SyntaxError, ValueError, TypeError) as e:  # no inline assembler here
    decode_strip = None
    rice_strip = None
    rice_start = None
    span_copy = None
    if sys.platform == "rp2":  # expected elsewhere (the simulator's unix port)
        print("painter: Thumb decoder unavailable (%s): decoding slower" % e)
decode_row = predcodec.decode_row
rice_row = ricecodec.decode_row
if decode_strip is None:  # row by row, in viper where the emitter exists
    try:  # (not imported beside the assembly: loading it costs ~60 ms at boot)
        from predcodec_viper import decode_row
        from ricecodec_viper import decode_row as rice_row
    except (ImportError, SyntaxError, ValueError, TypeError) as e:  # no emitter; ViperTypeError
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


try:  # Thumb assembly on Cortex-M: a narrow window's rows packed together
    from memcopy_thumb import compact
except (ImportError, SyntaxError, ValueError, TypeError):  # no inline assembler here

    def compact(buf, rows, stride, pack):
        """memcopy_thumb.compact with slices (a display with DMA elsewhere
        than the RP2040: the tests' fake)."""
        off = pack >> 16
        nb = pack & 0xFFFF
        for i in range(rows):
            s = i * stride + off
            buf[i * nb : (i + 1) * nb] = buf[s : s + nb]

try:  # Thumb assembly on Cortex-M: a strip blended per call
    from blend_thumb import blend_rows, blend_strip
except (ImportError, SyntaxError, ValueError, TypeError):  # no inline assembler here
    blend_rows = None

    def blend_strip(dst, old, n, a):
        blend565(dst, 0, old, 0, n, a)


def trim_rows_py(a, b, h, out):
    """spans_viper.trim_rows in Python (CPython, or a port with no viper).
    a, b: span tables of h rows (u16 little-endian x0, x1 per row). out: in,
    [0] rows a strip, [1] the widest narrow run, [6] [7] [8] [9] a box x0,
    y0, x1, y1 (ends exclusive; y0 >= y1: none) counted as a span on its
    rows; out, [2] the first row of the first strip with a span (0xFFFF:
    none), [3] the first row of the largest run of strips at the bottom,
    past [2], whose spans all lie within [1] columns (0: none), [4] [5]
    those columns."""
    rows = out[0]
    bx0, by0, bx1, by1 = out[6], out[7], out[8], out[9]
    out[3] = 0

    def spans(y):  # the row's spans: each table's, and the box's
        for t in (a, b):
            yield t[4 * y] | t[4 * y + 1] << 8, t[4 * y + 2] | t[4 * y + 3] << 8
        if by0 <= y < by1:
            yield bx0, bx1

    y = 0
    while y < h and not any(u < v for u, v in spans(y)):
        y += 1
    if y == h:
        out[2] = 0xFFFF
        return
    first = out[2] = y // rows * rows
    x0 = 0x7FFF
    x1 = 0
    y = (h - 1) // rows * rows
    end = h
    while y > first:
        for i in range(y, end):
            for u, v in spans(i):
                if u < v:
                    x0 = min(x0, u)
                    x1 = max(x1, v)
        if x1 - x0 > out[1]:
            break
        if x1 > x0:
            out[3] = y
            out[4] = x0
            out[5] = x1
        end = y
        y -= rows


try:  # viper where the emitter exists: ~2 ms of chip time less a photo change
    from spans_viper import trim_rows
except (ImportError, SyntaxError, ValueError, TypeError):  # no emitter; ViperTypeError
    trim_rows = trim_rows_py


STRIP_ROWS = 8  # 8 rows of 240 px = 3,840 bytes per SPI burst
CHUNK = 4096  # decode_strip reads the file this much at a time (> one row record)
NEED = 1  # decode_strip: refill the chunk


class FrameReader:
    """Rows of one frame file, decoded into caller's buffers without allocating."""

    def __init__(self, width, height):
        self.width = width
        self.height = height
        rb = self.row_bytes = width * 2
        self.scratch = bytearray(rb + frame.ROW_LEN_SIZE)
        if decode_strip is not None:
            # one buffer for the assembly: the file chunk, the background row,
            # the last row decoded (ENC_PRED), the span table, the column
            # records and tables (ENC_RICE); offsets in its state
            spans_end = CHUNK + 2 * rb + height * frame.SPAN_SIZE
            rec_size = (width + 1) * ricecodec.REC_BYTES
            self._recoff = spans_end
            self._taboff = spans_end + rec_size
            self._mem = bytearray(self._taboff + ricecodec.TAB_SIZE)
            mv = memoryview(self._mem)
            self._chunk = mv[:CHUNK]
            self.bgrow = mv[CHUNK : CHUNK + rb]
            self._last = mv[CHUNK + rb : CHUNK + 2 * rb]
            self.spans = mv[CHUNK + 2 * rb : spans_end]
            rice_tables(mv[self._taboff :])
            self._hd = None
        else:
            self.bgrow = bytearray(rb)
            self.spans = bytearray(height * frame.SPAN_SIZE)
            self._hd = bytearray(width)  # ricecodec.decode_row's scratch
        self.header = bytearray(frame.HEADER_SIZE)
        # ENC_PRED: the row being decoded and the row above it (swapped each
        # row), the codec's state, and small reads (row length, parameters).
        self._cur = bytearray(self.row_bytes)
        self._prev = bytearray(self.row_bytes)
        self._st = array("H", bytes(2 * predcodec.ST_SIZE))
        if decode_strip is not None:
            predcodec.thumb_tables(self._st)
        self._small = bytearray(ricecodec.PARAMS_SIZE)
        self._params1 = memoryview(self._small)[: predcodec.PARAMS_SIZE]
        self._enc = frame.ENC_SPANS
        self._next = -1  # ENC_PRED: the next row's length, read ahead (-1: not yet)
        self._fpos = 0  # decode_strip: file offset of the chunk
        self._bg = -1
        self.f = None
        self.y = 0

    def _set_background(self, color):
        if color != self._bg:
            row = memoryview(self.bgrow)
            row[0] = color >> 8
            row[1] = color & 0xFF
            n = 2
            rb = self.row_bytes
            while n < rb:  # doubling: 8 copies for 240 pixels, not a loop of 240 (~2.5 ms)
                m = n if 2 * n <= rb else rb - n
                row[n : n + m] = row[:m]
                n += m
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
        enc = self._enc
        if enc != frame.ENC_SPANS:
            st = self._st
            if enc == frame.ENC_PRED:
                p = self._params1
                if f.readinto(p) != predcodec.PARAMS_SIZE:
                    raise frame.FrameError("short codec parameters")
                nmax = predcodec.MAX_NEAR
                if p[0] > nmax or p[1] > nmax or p[2] > nmax or p[3]:
                    raise frame.FrameError("bad codec parameters")
                predcodec.reset_state(st, p[0], p[1], p[2], hdr[3])
                psize = predcodec.PARAMS_SIZE
            else:
                p = self._small
                if f.readinto(p) != ricecodec.PARAMS_SIZE:
                    raise frame.FrameError("short codec parameters")
                if not ricecodec.params_ok(p):
                    raise frame.FrameError("bad codec parameters")
                ricecodec.reset_state(st, p, hdr[3])
                psize = ricecodec.PARAMS_SIZE
            self._prev[:] = self.bgrow  # row -1: background
            self._next = -1
            if decode_strip is not None:
                rb = self.row_bytes
                st[predcodec.ST_POS] = 0
                st[predcodec.ST_GOT] = 0
                st[predcodec.ST_Y] = 0
                st[predcodec.ST_RB] = rb
                st[predcodec.ST_BGOFF] = CHUNK
                st[predcodec.ST_LASTOFF] = CHUNK + rb
                st[predcodec.ST_SPANOFF] = CHUNK + 2 * rb
                if enc == frame.ENC_PRED:
                    self._last[:] = self.bgrow
                else:
                    st[ricecodec.ST_RECOFF] = self._recoff
                    st[ricecodec.ST_TABOFF] = self._taboff
                    st[ricecodec.ST_DX0] = 0
                    st[ricecodec.ST_DX1] = 0
                    rice_start(self._mem, st)  # records: background; k by activity
                self._fpos = frame.HEADER_SIZE + len(self.spans) + psize
        self.f = f
        self.y = 0
        return hdr

    def rewind(self):
        """Back to row 0 of the frame open(): allocation-free, and for an
        ENC_RICE frame on the Thumb path without reading the header and span
        table again (a fade re-reads the old photo every frame)."""
        if self._enc != frame.ENC_RICE or rice_start is None:
            self.f.seek(0)
            self.open(self.f)
            return
        st = self._st
        st[predcodec.ST_POS] = 0
        st[predcodec.ST_GOT] = 0
        st[predcodec.ST_Y] = 0
        st[ricecodec.ST_DX0] = 0
        st[ricecodec.ST_DX1] = 0
        rice_start(self._mem, st)
        self._fpos = frame.HEADER_SIZE + len(self.spans) + ricecodec.PARAMS_SIZE
        self.y = 0

    def rows_into(self, dst, n):
        """The next n rows into dst[0 : n * row_bytes] (a strip)."""
        enc = self._enc
        if enc == frame.ENC_SPANS or decode_strip is None:
            rb = self.row_bytes
            for k in range(n):
                self.row_into(dst, k * rb)
            return
        st = self._st
        mem = self._mem
        dec = rice_strip if enc == frame.ENC_RICE else decode_strip
        r = dec(mem, dst, n, st)
        fresh = False
        while r == NEED:  # the next row is not all in the chunk: read on from it
            pos = st[predcodec.ST_POS]
            if fresh and pos == 0:  # a whole chunk and still no row: the file ends
                raise frame.FrameError("truncated pixel data")
            self._fpos += pos
            f = self.f
            f.seek(self._fpos)
            st[predcodec.ST_GOT] = f.readinto(self._chunk)
            st[predcodec.ST_POS] = 0
            fresh = True
            r = dec(mem, dst, 0, st)
        if r:
            raise frame.FrameError("corrupt pixel data on row %d" % st[predcodec.ST_Y])
        self.y += n

    def row_into(self, dst, off):
        """Write the next row's RGB565 bytes into dst[off:off + row_bytes]."""
        spans = self.spans
        y = self.y
        i = y * 4
        x0 = spans[i] | (spans[i + 1] << 8)
        x1 = spans[i + 2] | (spans[i + 3] << 8)
        if x0 > x1 or x1 > self.width:
            raise frame.FrameError("bad span on row %d" % y)
        self.y = y + 1
        raw = (x1 - x0) * 2
        f = self.f
        scratch = self.scratch
        enc = self._enc
        if enc == frame.ENC_SPANS:
            # whole-buffer slice stores are a memcpy in C and allocate nothing
            dst[off : off + self.row_bytes] = self.bgrow
            if raw:
                if _readinto(f, scratch, raw) != raw:
                    raise frame.FrameError("truncated pixel data")
                copy(dst, off + x0 * 2, scratch, 0, raw)
            return
        cur = self._cur
        cur[:] = self.bgrow  # outside the span; inside, the decoder writes
        if raw:
            # each read takes the row and the next row's length with it:
            # one file read per row (they cost ~20 us each on the RP2040)
            n = self._next
            if n < 0:
                small = self._small
                if _readinto(f, small, frame.ROW_LEN_SIZE) != frame.ROW_LEN_SIZE:
                    raise frame.FrameError("truncated pixel data")
                n = small[0] | (small[1] << 8)
            if n > raw:
                raise frame.FrameError("bad row length on row %d" % y)
            got = _readinto(f, scratch, n + frame.ROW_LEN_SIZE)
            if got < n:
                raise frame.FrameError("truncated pixel data")
            self._next = scratch[n] | (scratch[n + 1] << 8) if got > n + 1 else -1
            if n == raw:  # stored plain
                copy(cur, x0 * 2, scratch, 0, n)
            else:
                st = self._st
                st[ST_X0] = x0
                st[ST_X1] = x1
                st[ST_LEN] = n
                if enc == frame.ENC_RICE:
                    err = rice_row(scratch, cur, self._prev, st, self._hd)
                else:
                    err = decode_row(scratch, cur, self._prev, st)
                if err:
                    raise frame.FrameError("corrupt pixel data on row %d" % y)
        dst[off : off + self.row_bytes] = cur
        self._cur = self._prev
        self._prev = cur


class RamRows:
    """A frame's rows from RAM: its span pixels, decoded once by its reader
    (a cross-fade's new photo, so each fade frame decodes only the old one).
    Pixels on the Thumb path only (span_copy); allocation-free.
    """

    def __init__(self, reader, ram):
        self.reader = reader  # opened on the frame: its spans and background stay there
        self.ram = ram
        self._loading = False

    @staticmethod
    def size(reader, pixel_count):
        """Bytes of RAM a frame's spans take (rows padded to a word boundary)."""
        return 2 * pixel_count + 2 * reader.height

    def start_loading(self):
        """From row 0, rows_into() decodes the frame (its reader at row 0)
        and keeps each row's span in RAM as well: the first pass."""
        st = self.reader._st
        st[ricecodec.ST_RAMPOS] = 0
        self._loading = True

    def rewind(self, spans_only=False):
        """Back to row 0, now from RAM. spans_only: leave dst outside the
        spans alone."""
        self._loading = False
        st = self.reader._st
        st[predcodec.ST_Y] = 0
        st[ricecodec.ST_RAMPOS] = 0
        st[ricecodec.ST_DIR] = 2 if spans_only else 0

    def rows_into(self, dst, n):
        """The next n rows into dst (a strip), as FrameReader.rows_into."""
        r = self.reader
        st = r._st
        if self._loading:
            y = st[predcodec.ST_Y]
            r.rows_into(dst, n)
            st[predcodec.ST_Y] = y  # the same rows, now into RAM
            st[ricecodec.ST_DIR] = 1
        st[predcodec.ST_LEFT] = n
        span_copy(r._mem, dst, self.ram, st)


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
        # Two strips where the display sends by DMA: one on the wire while the
        # next is decoded into the other. Elsewhere pixels_start() blocks and
        # one strip is enough.
        # The DMA's own send() where there is one (it waits for the strip
        # before, then starts this one): it runs 30 times a frame, and each
        # call through the driver costs ~15 us of chip time.
        dma = getattr(display, "dma", None)
        two = dma is not None
        self._start = dma.send if two else getattr(display, "pixels_start", display.pixels)
        self._wait = dma.wait if two else getattr(display, "pixels_wait", None)
        # paint()'s narrow rows: packed in the strip, sent as one block by DMA
        self.can_narrow = two
        self._part = dma.send_part if two else None
        self._strips = (self.strip, bytearray(len(self.strip)) if two else self.strip)
        tail = (h % strip_rows) * self.row_bytes
        self._tails = tuple(memoryview(b)[:tail] if tail else b for b in self._strips)
        self.reader = FrameReader(w, h)
        self.mix_strip = bytearray(self.row_bytes * strip_rows)  # the other photo in a fade
        # What the glass shows, as far as the painter knows: the frame it last
        # painted whole, as its span table over its background (-1: not
        # known), except inside the display's box (dcs.DCS.box: the windows
        # opened since, such as an overlay's or a fade frame's, or the whole
        # panel after a reset). A paint then sends only what can change (trim()).
        self._glass_spans = bytearray(4 * h)
        self._glass_bg = -1
        self._box = getattr(display, "box", None)  # None: a display that keeps none
        self._trim = array("H", (strip_rows, w // 4, 0, 0, 0, 0, 0, 0, 0, 0))  # trim_rows' in/out

    def open(self, f):
        return self.reader.open(f)

    def knows_glass(self):
        """True once a frame was painted whole (or the panel cleared) on a
        display that keeps a box: the glass shows that frame outside the box."""
        return self._glass_bg >= 0 and self._box is not None

    def rows_to_send(self, a, b, box=None):
        """(first, narrow) for paint() from span tables a and b (memoryviews
        or bytearrays of x0, x1 per row) and a box (x0, y0, x1, y1 inclusive,
        x0 > x1 when empty; its rows count as spans of its columns): the
        first strip with a span (0 when none has), and where can_narrow the
        run of strips at the bottom whose spans all lie within a quarter of
        the panel's width (a heart's tip, where a strip decodes in less time
        than its full rows take on the wire: 1 ms at 31.25 MHz), else None."""
        o = self._trim
        o[7] = 0
        o[9] = 0  # no box (an empty one has y0 = 0xFFFF: empty here too)
        if box is not None:
            o[6] = box[0]
            o[7] = box[1]
            o[8] = box[2] + 1
            o[9] = box[3] + 1
        trim_rows(a, b, self.height, o)
        first = 0 if o[2] == 0xFFFF else o[2]
        narrow = (o[3], o[4], o[5]) if self.can_narrow and o[3] else None
        return first, narrow

    def trim(self, spans, bg):
        """(first, narrow) for paint(): what the glass already shows of a
        frame with these spans (a span table) over background bg. Where the
        painter knows the glass and it has that background, the strips above
        both frames' spans and the display's box are not sent again, nor,
        where all three narrow at the bottom (can_narrow), the columns beside
        them. Else (0, None): all."""
        if not self.knows_glass() or bg != self._glass_bg:
            return 0, None
        return self.rows_to_send(self._glass_spans, spans, self._box)

    def clear(self, color):
        """Fill the panel with one RGB565 colour (no photo to show) and
        remember it as a frame with no spans: the next photo on that
        background sends only its own rows (an empty pendant's first)."""
        d = self.display
        d.fill(color, self.strip)
        if self._box is not None:
            self._glass_spans[:] = bytes(len(self._glass_spans))
            self._glass_bg = color
            d.mark()

    def draw(self, stop=None):
        """Paint the frame opened with open() whole, sending only what
        changes on the glass (trim()). False if stop() ended it part-way."""
        r = self.reader
        first, narrow = self.trim(r.spans, r._bg)
        return self.paint(stop=stop, first=first, narrow=narrow)

    def paint(self, mix=None, weight=0, strip_ms=0, stop=None, reader=None, union=None,
              first=0, narrow=None):
        """Stream the frame opened with open() to the panel: allocation-free.

        mix: a second open FrameReader blended under it (a cross-fade frame),
        the opened frame weighing `weight` of 32. strip_ms: a wipe's pace,
        each strip ends no sooner than strip_ms after the one before (a
        deadline, so the edge moves steadily however long a strip takes to
        decode; the CPU sleeps meanwhile). stop: polled between strips (a
        fade frame takes ~200 ms: a host must not wait for one); when it
        returns True the paint ends there. reader: where the rows come from
        (default: the painter's own, opened with open()). union: with mix,
        blend only the columns blend_rows' table names per row (where the two
        photos can differ); its byte 6 set: mix is a RamRows rewound at row 0
        whose spans are those columns, blended from its RAM. first: a row
        at a strip boundary; the rows above it are decoded (the readers go
        top-down) but not sent, because the panel already shows them (a fade
        frame's rows with no span in either photo). narrow: (y, x0, x1),
        where can_narrow: from row y (a strip boundary past first) on, only
        the columns [x0, x1) are sent, in a window of their own (the panel
        shows the rest already): the narrow tip of a heart, where the wire,
        not the decoder, sets the pace. first and narrow are the caller's
        word that the rows and columns left out show this frame's background
        already. Returns True when the whole frame was sent, False when
        stop() ended it. After a whole frame with no mix the painter knows
        the glass (knows_glass(), trim()); the windows of anything else
        (a blend, a paint cut short) are in the display's box.
        """
        d = self.display
        w = self.width
        h = self.height
        rows = self.strip_rows
        if reader is None:
            reader = self.reader
        mix_strip = self.mix_strip
        start = self._start
        wait = self._wait
        ny = h
        if narrow is not None:
            ny = narrow[0]
            nx = narrow[1]
            nb = 2 * (narrow[2] - nx)
            pack = (2 * nx) << 16 | nb
        d.window(0, first, w - 1, ny - 1)
        due = time.ticks_ms()
        k = 0
        done = False
        try:
            y = 0
            while y < h:
                n = rows if h - y >= rows else h - y
                strip = self._strips[k]
                reader.rows_into(strip, n)
                if mix is not None:
                    if union is not None:
                        union[0] = n
                        union[4] = y & 0xFF
                        union[5] = y >> 8
                        if union[6]:  # the mix's pixels straight from its RAM
                            blend_rows(strip, mix.ram, union, weight)
                        else:
                            mix.rows_into(mix_strip, n)
                            blend_rows(strip, mix_strip, union, weight)
                    else:
                        mix.rows_into(mix_strip, n)
                        blend_strip(strip, mix_strip, w * n, weight)
                if y >= ny:
                    if y == ny:  # the narrow window, once the wire is free
                        wait()
                        d.window(nx, ny, nx + nb // 2 - 1, h - 1)
                    compact(strip, n, self.row_bytes, pack)
                    self._part(strip, n * nb)
                    k ^= 1
                elif y >= first:
                    # (by DMA, start() first waits for the other strip to leave)
                    start(strip if n == rows else self._tails[k])
                    k ^= 1
                y += n
                if stop is not None and y < h and stop():
                    return False
                if strip_ms and y < h:
                    due = time.ticks_add(due, strip_ms)
                    left = time.ticks_diff(due, time.ticks_ms())
                    if left > 0:
                        time.sleep_ms(left)
            done = True
        finally:
            if wait is not None:
                wait()
            d.end()
            if done and mix is None and self._box is not None:  # the glass: this frame
                src = reader.reader if isinstance(reader, RamRows) else reader
                self._glass_spans[:] = src.spans
                self._glass_bg = src._bg
                d.mark()
        return True

    def show(self, path, stop=None):
        """Paint a frame file whole (draw()); False if stop() ended it part-way."""
        with open(path, "rb") as f:
            self.open(f)
            return self.draw(stop=stop)
