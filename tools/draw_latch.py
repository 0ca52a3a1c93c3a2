"""Draw the power-latch schematic of the *-latch builds (hardware/pico-gc9a01-latch.md).

    python tools/draw_latch.py [--out DIR]

Writes DIR/pico-gc9a01-latch-circuit.png (default DIR: hardware/wiring). Like
tools/draw_wiring.py the picture is deterministic (Pillow's built-in bitmap
font, no system fonts, no metadata), so a test regenerates it and compares
pixels with the committed file. The hold and button GPIOs come from
firmware/boards.py; the parts are the page's BOM (PARTS below).
"""

from __future__ import annotations

import argparse
import os
import sys

from PIL import Image, ImageDraw, ImageFont

from pendant.firmware import boards

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "hardware", "wiring")
BOARD = "pico-gc9a01-latch"
NAME = BOARD + "-circuit"

# Reference -> (part, value): the page's BOM says why each was chosen.
PARTS = {
    "Q1": "BSS138", "Q2": "BSS138",
    "D1": "BAT54C", "D2": "BAT54C",
    "R1": "470k", "R2": "100k",
    "SW1": "button",
}

BG = (255, 255, 255)
INK = (20, 20, 20)
NET = (200, 0, 0)  # power nets
SIG = (220, 120, 0)  # GPIO nets
GREY = (110, 110, 110)
SCALE = 2
W, H = 560, 440


class Sheet:
    def __init__(self) -> None:
        self.img = Image.new("RGB", (W, H), BG)
        self.d = ImageDraw.Draw(self.img)
        self.font = ImageFont.load_default_imagefont()

    def wire(self, *pts, colour=INK) -> None:
        self.d.line(list(pts), fill=colour, width=1)

    def dot(self, x, y) -> None:
        self.d.rectangle((x - 2, y - 2, x + 2, y + 2), fill=INK)

    def text(self, x, y, s, colour=INK) -> None:
        self.d.text((x, y), s, fill=colour, font=self.font)

    def gnd(self, x, y) -> None:
        self.wire((x, y), (x, y + 6))
        for i, half in enumerate((7, 4, 1)):
            self.wire((x - half, y + 6 + 3 * i), (x + half, y + 6 + 3 * i))

    def resistor(self, x, y0, y1, label, left=False) -> None:
        """Vertical, a box between y0 + 12 and y1 - 12 (IEC symbol)."""
        self.wire((x, y0), (x, y0 + 12))
        self.d.rectangle((x - 4, y0 + 12, x + 4, y1 - 12), outline=INK)
        self.wire((x, y1 - 12), (x, y1))
        self.text(x - 8 - 6 * len(label) if left else x + 8, (y0 + y1) // 2 - 5, label)

    def diode(self, x0, y0, x1, y1, label, lx, ly) -> None:
        """Anode (x0, y0) to cathode (x1, y1); horizontal or vertical, 20 px body."""
        if y0 == y1:  # horizontal
            s = 1 if x1 > x0 else -1
            xm = (x0 + x1) // 2
            a, k = xm - 5 * s, xm + 5 * s
            self.wire((x0, y0), (a, y0))
            self.d.polygon([(a, y0 - 5), (a, y0 + 5), (k, y0)], outline=INK, fill=INK)
            self.wire((k, y0 - 5), (k, y0 + 5))
            self.wire((k, y0), (x1, y1))
        else:  # vertical
            s = 1 if y1 > y0 else -1
            ym = (y0 + y1) // 2
            a, k = ym - 5 * s, ym + 5 * s
            self.wire((x0, y0), (x0, a))
            self.d.polygon([(x0 - 5, a), (x0 + 5, a), (x0, k)], outline=INK, fill=INK)
            self.wire((x0 - 5, k), (x0 + 5, k))
            self.wire((x0, k), (x1, y1))
        self.text(lx, ly, label)

    def nmos(self, cx, cy, label, gate_left=True, at=None):
        """N-channel enhancement MOSFET; returns (gate, drain, source) points."""
        s = 1 if gate_left else -1
        gx = cx - 8 * s  # gate plate
        chx = cx - 3 * s  # channel
        tx = cx + 10 * s  # drain/source leads
        self.wire((gx, cy - 10), (gx, cy + 10))
        for y in (cy - 10, cy, cy + 10):
            self.wire((chx, y - 3), (chx, y + 3))  # the broken channel: enhancement
        self.wire((chx, cy - 10), (tx, cy - 10), (tx, cy - 30))
        self.wire((chx, cy + 10), (tx, cy + 10), (tx, cy + 30))
        self.wire((chx, cy), (tx, cy), (tx, cy + 10))  # body tied to source
        ax = chx + 2 * s  # arrow into the channel: N-channel
        self.d.polygon([(ax, cy), (ax + 5 * s, cy - 3), (ax + 5 * s, cy + 3)], fill=INK)
        gate = (cx - 25 * s, cy)
        self.wire(gate, (gx, cy))
        self.text(*(at or (cx + 14, cy - 24)), label)
        return gate, (tx, cy - 30), (tx, cy + 30)

    def button(self, x, y0, y1, label) -> None:  # label on the left
        """Vertical push button (normally open) between y0 and y1."""
        ym = (y0 + y1) // 2
        self.wire((x, y0), (x, ym - 8))
        self.wire((x, ym + 8), (x, y1))
        self.dot(x, ym - 8)
        self.dot(x, ym + 8)
        self.wire((x - 8, ym - 12), (x - 8, ym + 12))  # the plunger bar
        self.wire((x - 8, ym), (x - 16, ym))
        self.text(x - 20 - 6 * len(label), ym - 5, label)


def part(ref: str) -> str:
    return "%s %s" % (ref, PARTS[ref])


def draw() -> Image.Image:
    p = boards.get(BOARD)
    hold, btn = p["latch"], p["button"]
    s = Sheet()
    s.text(8, 6, "%s  -  power latch on 3V3_EN" % BOARD)
    s.text(8, 18, "off: R1 turns Q1 on, Q1 pulls 3V3_EN low, the Pico's 3.3 V is off", GREY)

    # VSYS rail and Q1 gate pull-up
    s.wire((40, 44), (470, 44), colour=NET)
    s.text(40, 32, "VSYS (Pico pin 39: cell via charger, or VBUS)", NET)
    s.dot(150, 44)
    s.resistor(150, 44, 150, part("R1"))
    # Q1: holds 3V3_EN low unless its gate is pulled down
    g1, d1, s1 = s.nmos(245, 150, part("Q1"))
    s.wire((150, 150), g1)
    s.dot(150, 150)
    s.wire(d1, (d1[0], 92), (470, 92), colour=NET)
    s.text(330, 80, "3V3_EN (Pico pin 37)", NET)
    s.text(330, 96, "100k to VSYS on the Pico;", GREY)
    s.text(330, 106, "low = RT6150 off = 3.3 V off", GREY)
    s.gnd(*s1)
    # Q2: GP14 or VBUS on its gate turns Q1 off
    g2, d2, s2 = s.nmos(215, 250, part("Q2"), gate_left=False, at=(222, 214))
    s.wire(d2, (d2[0], 150))
    s.dot(d2[0], 150)
    s.gnd(*s2)
    s.wire(g2, (300, 250))
    s.dot(270, 250)
    s.resistor(270, 250, 320, part("R2"), left=True)
    s.gnd(270, 320)
    s.diode(350, 250, 310, 250, "D2a", 320, 234)
    s.wire((310, 250), (300, 250))
    s.wire((350, 250), (400, 250), colour=SIG)
    s.text(404, 245, "GP%d (hold)" % hold, SIG)
    s.diode(350, 290, 310, 290, "D2b", 320, 274)
    s.wire((310, 290), (300, 290), (300, 250))
    s.dot(300, 250)
    s.wire((350, 290), (400, 290), colour=NET)
    s.text(404, 285, "VBUS (pin 40)", NET)
    s.text(322, 304, "D2 " + PARTS["D2"] + ": common cathode", GREY)
    # The button: D1a pulls Q1's gate down, D1b lets GP15 read it
    s.diode(150, 150, 150, 250, "D1a", 112, 196)
    s.dot(150, 250)
    s.diode(90, 250, 150, 250, "D1b", 108, 236)
    s.wire((40, 250), (90, 250), colour=SIG)
    s.text(8, 256, "GP%d (button," % btn, SIG)
    s.text(8, 266, "pull-up)", SIG)
    s.button(150, 250, 320, part("SW1"))
    s.gnd(150, 320)
    s.text(8, 320, "D1 " + PARTS["D1"], GREY)
    s.text(8, 330, "common cathode", GREY)

    notes = [
        "on:   SW1 pulls Q1's gate to ~0.3 V through D1a: Q1 off, 3V3_EN rises, the Pico boots;",
        "      boot.py drives GP%d high: Q2 holds Q1's gate low after SW1 is let go." % hold,
        "USB:  VBUS on Q2's gate through D2b: on while plugged in, whatever GP%d does." % hold,
        "read: GP%d (pull-up) sees SW1 through D1b as ~0.3 V = low; D1b blocks VSYS" % btn,
        "      from the unpowered RP2040's pad while off.",
        "off:  GP%d low: R1 turns Q1 on; R2 keeps Q2 off while the RP2040 is unpowered." % hold,
    ]
    for i, line in enumerate(notes):
        s.text(8, 356 + 11 * i, line)
    s.text(8, H - 12, "generated by tools/draw_latch.py", GREY)
    return s.img.resize((W * SCALE, H * SCALE), Image.Resampling.NEAREST)


def write(out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, NAME + ".png")
    draw().save(path, format="PNG", optimize=False, compress_level=9)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory")
    args = ap.parse_args(argv)
    print(write(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
