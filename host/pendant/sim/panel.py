"""Models of the GC9A01 and ST7789 panels: the SPI byte stream in, the glass out.

The model decodes MIPI-DCS as the controllers do (DC low = command byte, DC
high = its parameters or pixels, only while CS is low) into the controller's
RAM, then shows the RAM the way the glass does: mirrored and BGR on the
GC9A01, inverted colours unless INVON, dark while asleep, off or unlit.

Address mapping: CASET/RASET give a window in logical coordinates; MADCTL's
MV exchanges them (logical column c lands in RAM row c), then MX mirrors the
RAM column (c -> 239 - c) and MY the RAM row (r -> RAM height - 1 - r). Pixels
fill the window column first, then row, and RAMWR wraps to the window start.

RAM is a bytearray of big-endian RGB565 in physical order (row * 240 + col);
pixel runs are copied with (strided) slices, never per pixel.
"""

from __future__ import annotations

from PIL import Image, ImageChops

from pendant import glass

SWRESET = 0x01
SLPIN = 0x10
SLPOUT = 0x11
INVOFF = 0x20
INVON = 0x21
DISPOFF = 0x28
DISPON = 0x29
CASET = 0x2A
RASET = 0x2B
RAMWR = 0x2C
MADCTL = 0x36
COLMOD = 0x3A
RAMWRC = 0x3C

MADCTL_MY = 0x80
MADCTL_MX = 0x40
MADCTL_MV = 0x20
MADCTL_BGR = 0x08

# Per controller: RAM size, whether the glass mirrors the RAM left-right, and
# whether its colour filter is BGR (then the BGR bit must be set for true red).
KINDS = {
    "gc9a01": {"ram": (240, 240), "mirror": True, "bgr": True},
    "st7789": {"ram": (240, 320), "mirror": False, "bgr": False},
}
GLASS = 240  # visible rows and columns, from RAM (0, 0)

_PARAM_COUNT = {CASET: 4, RASET: 4, MADCTL: 1, COLMOD: 1}


class PanelModel:
    def __init__(self, kind: str = "gc9a01") -> None:
        if kind not in KINDS:
            raise ValueError("unknown panel %r; known: %s" % (kind, ", ".join(KINDS)))
        self.kind = kind
        spec = KINDS[kind]
        self.width, self.height = spec["ram"]
        self._glass_mirror = spec["mirror"]
        self._glass_bgr = spec["bgr"]
        self.ram = bytearray(self.width * self.height * 2)
        self.backlight = 1.0  # the wiring sets it from the board's bl pin
        self.cs_low = True  # a bare model listens; wiring drives CS
        self.dc = 0
        # counters for tests and benchmarks
        self.bytes_received = 0
        self.pixels_written = 0
        self.frames = 0  # RAMWR windows filled to the end
        self.commands = 0
        self.version = 0  # bumps on every change a person could see
        self.reset()

    # ------------------------------------------------------------ pins

    def reset(self) -> None:
        """Hardware or software reset: registers to defaults, RAM kept (undefined)."""
        self.sleeping = True
        self.display_on = False
        self.inverted = False
        self.madctl = 0
        self.colmod = 0x66
        self.xs, self.xe = 0, self.width - 1
        self.ys, self.ye = 0, self.height - 1
        self._cmd: int | None = None
        self._params = bytearray()
        self._writing = False
        self._odd: int | None = None
        self._c = self._r = 0
        self.version += 1

    def unpower(self) -> None:
        """Its supply cut (a latch build switched off): the picture goes with it."""
        self.reset()
        self.ram[:] = bytes(len(self.ram))

    def set_cs(self, level: int) -> None:
        self.cs_low = not level
        if level:
            self._odd = None  # a transaction never carries half a pixel over

    def set_rst(self, level: int) -> None:
        if not level:
            self.reset()

    def set_dc(self, level: int) -> None:
        self.dc = 1 if level else 0

    def set_backlight(self, level: float) -> None:
        level = max(0.0, min(1.0, float(level)))
        if level != self.backlight:
            self.backlight = level
            self.version += 1

    # ------------------------------------------------------------ SPI

    def write(self, dc: int | None, data: bytes) -> None:
        """Bytes clocked in with DC at `dc` (None: the last set_dc level)."""
        if not self.cs_low or not data:
            return
        if dc is None:
            dc = self.dc
        self.bytes_received += len(data)
        if not dc:
            for b in data:
                self._command(b)
        elif self._writing:
            self._pixels(memoryview(data))
        elif self._cmd is not None:
            self._params += data
            need = _PARAM_COUNT.get(self._cmd)
            if need is not None and len(self._params) >= need:
                self._apply(self._cmd, bytes(self._params[:need]))
                self._cmd = None  # extra parameters are ignored

    def _command(self, cmd: int) -> None:
        self.commands += 1
        self._cmd = cmd
        self._params = bytearray()
        self._writing = False
        self._odd = None
        if cmd == SWRESET:
            self.reset()
        elif cmd == SLPIN:
            self._flag("sleeping", True)
        elif cmd == SLPOUT:
            self._flag("sleeping", False)
        elif cmd == INVOFF:
            self._flag("inverted", False)
        elif cmd == INVON:
            self._flag("inverted", True)
        elif cmd == DISPOFF:
            self._flag("display_on", False)
        elif cmd == DISPON:
            self._flag("display_on", True)
        elif cmd == RAMWR:
            self._writing = True
            self._c, self._r = self.xs, self.ys
        elif cmd == RAMWRC:
            self._writing = True

    def _flag(self, name: str, value: bool) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.version += 1

    def _apply(self, cmd: int, p: bytes) -> None:
        if cmd == CASET:
            self.xs, self.xe = (p[0] << 8) | p[1], (p[2] << 8) | p[3]
        elif cmd == RASET:
            self.ys, self.ye = (p[0] << 8) | p[1], (p[2] << 8) | p[3]
        elif cmd == MADCTL:
            if p[0] != self.madctl:
                self.madctl = p[0]
                self.version += 1
        elif cmd == COLMOD:
            self.colmod = p[0]

    # ------------------------------------------------------------ pixels

    def _logical_size(self) -> tuple[int, int]:
        if self.madctl & MADCTL_MV:
            return self.height, self.width
        return self.width, self.height

    def _pixels(self, data: memoryview) -> None:
        if self._odd is not None:
            first = bytes((self._odd, data[0]))
            self._odd = None
            self._run(memoryview(first))
            data = data[1:]
        if len(data) & 1:
            self._odd = data[-1]
            data = data[:-1]
        if data:
            self._run(data)
            self.version += 1

    def _run(self, data: memoryview) -> None:
        """Store whole pixels at the write pointer, a window row at a time."""
        xs, xe, ys, ye = self.xs, self.xe, self.ys, self.ye
        if xe < xs or ye < ys:
            return
        pos = 0
        total = len(data) // 2
        self.pixels_written += total
        while pos < total:
            n = min(xe - self._c + 1, total - pos)
            self._segment(self._r, self._c, n, data[2 * pos:2 * (pos + n)])
            pos += n
            self._c += n
            if self._c > xe:
                self._c = xs
                self._r += 1
                if self._r > ye:
                    self._r = ys
                    self.frames += 1

    def _segment(self, r: int, c0: int, n: int, seg: memoryview) -> None:
        """n pixels of logical row r from column c0: a straight line in RAM."""
        lw, lh = self._logical_size()
        c1 = c0 + n - 1
        if r >= lh or c0 >= lw:
            return  # outside the RAM: the controller drops them
        if c1 >= lw:
            n = lw - c0
            c1 = lw - 1
            seg = seg[:2 * n]
        first = self._address(c0, r)
        last = self._address(c1, r)
        if n == 1:
            self.ram[2 * first:2 * first + 2] = seg
            return
        step = (last - first) // (n - 1)
        if step < 0:  # store in ascending RAM order with the pixels reversed
            first, step = last, -step
            hi, lo = bytes(seg[0::2])[::-1], bytes(seg[1::2])[::-1]
        else:
            hi = lo = None
        if step == 1 and hi is None:
            self.ram[2 * first:2 * first + 2 * n] = seg
            return
        if hi is None:
            hi, lo = seg[0::2], seg[1::2]
        end = 2 * (first + step * (n - 1)) + 2
        self.ram[2 * first:end:2 * step] = hi
        self.ram[2 * first + 1:end:2 * step] = lo

    def _address(self, c: int, r: int) -> int:
        """RAM pixel index of logical (column, row) under MADCTL."""
        m = self.madctl
        if m & MADCTL_MV:
            c, r = r, c
        # The mirror bits reverse the physical address counters, after the
        # exchange: that is why an ST7789 at MY needs a row offset of 80
        # (its 320-row RAM is mirrored as a whole) and at MX|MV needs none.
        if m & MADCTL_MX:
            c = self.width - 1 - c
        if m & MADCTL_MY:
            r = self.height - 1 - r
        return r * self.width + c

    # ------------------------------------------------------------ glass

    @property
    def lit(self) -> bool:
        """Would a person see any light from the glass?"""
        return not self.sleeping and self.display_on and self.backlight > 0

    def glass_image(self) -> Image.Image:
        """The picture on the glass at full light, before the round mask."""
        visible = bytes(self.ram[:GLASS * self.width * 2])
        img = glass.rgb565_to_image(visible, self.width, GLASS)
        if GLASS != self.width:
            img = img.crop((0, 0, GLASS, GLASS))
        if bool(self.madctl & MADCTL_BGR) != self._glass_bgr:
            r, g, b = img.split()
            img = Image.merge("RGB", (b, g, r))
        if not self.inverted:  # IPS: true colours only under INVON
            img = ImageChops.invert(img)
        if self._glass_mirror:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return img

    def render(self, brightness: float | None = None) -> Image.Image:
        """What a person sees: 240x240 RGB, round mask and backlight applied."""
        if brightness is None:
            brightness = self.backlight
        if not self.lit or brightness <= 0:
            img = Image.new("RGB", (GLASS, GLASS))
        else:
            img = self.glass_image()
        return glass.view(img, self.kind, brightness)

    def pixel(self, col: int, row: int) -> int:
        """RGB565 value stored at RAM (col, row)."""
        i = 2 * (row * self.width + col)
        return (self.ram[i] << 8) | self.ram[i + 1]
