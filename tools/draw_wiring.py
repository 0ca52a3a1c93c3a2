"""Draw each build's wiring picture from the board table (firmware/boards.py).

    python tools/draw_wiring.py [--out DIR] [--board NAME ...] [--table NAME]

Writes DIR/<board>.png (default DIR: hardware/wiring). The pictures are
deterministic: Pillow's built-in bitmap font, no system fonts, no timestamps,
so tests can regenerate them and compare pixels with the committed files.
`--table NAME` prints the Markdown pin table that hardware/<board>.md carries.
"""

from __future__ import annotations

import argparse
import os
import sys

from PIL import Image, ImageDraw, ImageFont

from pendant.firmware import boards

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "hardware", "wiring")

# Colours per kind of net.
COLOURS = {
    "spi": (30, 90, 200),
    "ctl": (220, 120, 0),
    "i2c": (0, 140, 60),
    "pwr": (200, 0, 0),
    "gnd": (0, 0, 0),
    "adc": (140, 0, 160),
}
BG = (255, 255, 255)
BOX = (245, 245, 245)
INK = (20, 20, 20)

SCALE = 2  # the picture is drawn at 1x with a bitmap font, then scaled up crisply
ROW = 16
LEFT_X0, LEFT_X1 = 8, 150
RIGHT_X0, RIGHT_X1 = 280, 490
WIDTH = 500


def is_waveshare(name: str) -> bool:
    return name.startswith("waveshare-")


def gp(pin: int) -> str:
    return "GP%d" % pin


def pin_rows(name: str, profile: dict) -> list[tuple[str, str, str, str]]:
    """Every (field, GPIO text, kind, meaning) row for a board, in table order.

    Shared by the wiring picture and the Markdown table (`--table`); the tests
    check the committed docs against firmware/boards.py independently.
    """
    spi = "SPI%d" % profile["spi"]
    rows = [
        ("sck", gp(profile["sck"]), "spi", "%s SCK -> panel SCL/SCK" % spi),
        ("mosi", gp(profile["mosi"]), "spi", "%s TX -> panel SDA/DIN (MOSI); no MISO" % spi),
        ("dc", gp(profile["dc"]), "ctl", "panel DC (command/data)"),
        ("cs", gp(profile["cs"]), "ctl", "panel CS"),
        ("rst", gp(profile["rst"]), "ctl", "panel RST"),
        ("bl", gp(profile["bl"]), "ctl", "backlight (PWM)"),
    ]
    if profile["button"] is not None and profile.get("latch") is not None:
        rows.append(("button", gp(profile["button"]), "ctl",
                     "button to GND through the latch's D1b, internal pull-up; powers on"))
    elif profile["button"] is not None:
        rows.append(("button", gp(profile["button"]), "ctl", "button to GND, internal pull-up"))
    else:
        rows.append(("button", "-", "ctl", "none on board (BOOT/RESET only)"))
    if profile.get("latch") is not None:
        rows.append(("latch", gp(profile["latch"]), "ctl",
                     "holds the power latch on while high (3V3_EN; low = off)"))
    rows.append(
        ("vbat", gp(profile["vbat"]), "adc",
         "battery sense, ADC%d, divider x%g" % (profile["vbat"] - 26, profile["vbat_ratio"]))
    )
    if profile["vbus"] is not None:
        rows.append(("vbus", gp(profile["vbus"]), "adc", "USB power present (high)"))
    else:
        rows.append(("vbus", "-", "adc", "no VBUS sense pin"))
    if profile["imu"] is not None:
        bus, sda, scl, addr, irq = profile["imu"]
        rows += [
            ("imu_sda", gp(sda), "i2c", "I2C%d SDA -> QMI8658 (0x%02X)" % (bus, addr)),
            ("imu_scl", gp(scl), "i2c", "I2C%d SCL -> QMI8658" % bus),
            ("imu_int", gp(irq), "i2c", "QMI8658 INT1 (motion wake)"),
        ]
    return rows


def markdown_table(name: str) -> str:
    profile = boards.get(name)
    lines = [
        "<!-- pins:begin (checked against firmware/boards.py by tests/test_hardware.py) -->",
        "| Signal | GPIO | Use |",
        "|---|---|---|",
    ]
    for field, pin, _kind, meaning in pin_rows(name, profile):
        lines.append("| `%s` | %s | %s |" % (field, pin, meaning))
    lines.append("<!-- pins:end -->")
    return "\n".join(lines)


def devices(name: str, profile: dict) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Right-hand devices: (title, [(left label, right label, kind), ...])."""
    ws = is_waveshare(name)
    onb = " (on board)" if ws else ""
    panel = profile["panel"].upper()
    p = profile
    spi = "SPI%d" % p["spi"]
    panel_rows = [
        (gp(p["sck"]) + " " + spi + " SCK", "SCL/SCK", "spi"),
        (gp(p["mosi"]) + " " + spi + " TX", "SDA/DIN", "spi"),
        (gp(p["dc"]) + " DC", "DC", "ctl"),
        (gp(p["cs"]) + " CS", "CS", "ctl"),
        (gp(p["rst"]) + " RST", "RST", "ctl"),
        (gp(p["bl"]) + " BL PWM", "BL", "ctl"),
    ]
    if not ws:
        panel_rows = [("3V3(OUT) pin 36", "VCC", "pwr"), ("GND pin 38", "GND", "gnd")] + panel_rows
    out = [("%s 240x240 panel%s" % (panel, onb), panel_rows)]
    if p["imu"] is not None:
        bus, sda, scl, addr, irq = p["imu"]
        out.append((
            "QMI8658 IMU 0x%02X%s" % (addr, onb),
            [
                (gp(sda) + " I2C%d SDA" % bus, "SDA", "i2c"),
                (gp(scl) + " I2C%d SCL" % bus, "SCL", "i2c"),
                (gp(irq) + " IRQ", "INT1", "i2c"),
            ],
        ))
    if p.get("latch") is not None:
        # The button and the hold pin go through the latch (tools/draw_latch.py).
        out.append((
            "Power latch (see its circuit)",
            [
                (gp(p["button"]) + " pull-up", "D1b anode (SW1 via D1)", "ctl"),
                (gp(p["latch"]) + " hold", "D2a anode (Q2 gate)", "ctl"),
                ("3V3_EN pin 37", "Q1 drain", "pwr"),
                ("VSYS pin 39", "R1 470k (Q1 gate)", "pwr"),
                ("VBUS pin 40", "D2b anode (Q2 gate)", "pwr"),
                ("GND pin 38", "Q1/Q2 source, SW1, R2", "gnd"),
            ],
        ))
    elif p["button"] is not None:
        out.append((
            "Push button (wake/next)",
            [(gp(p["button"]) + " pull-up", "pin 1", "ctl"), ("GND", "pin 2", "gnd")],
        ))
    if ws:
        out.append((
            "LiPo 3.7 V + slide switch",
            [
                ("BAT+ (MX1.25 conn.)", "switch -> cell +", "pwr"),
                ("BAT- (MX1.25 conn.)", "cell -", "gnd"),
                (gp(p["vbat"]) + " ADC3 BAT sense", "on-board divider", "adc"),
            ],
        ))
    else:
        rows = [
            ("VSYS pin 39 via diode", "OUT+", "pwr"),
            ("GND pin 38", "OUT-", "gnd"),
        ]
        out.append(("LiPo charger TP4056+DW01", rows))
        sense = [(gp(p["vbat"]) + " ADC3", "VSYS/3 divider", "adc")]
        if p["vbus"] is not None:
            sense.append((gp(p["vbus"]), "VBUS sense", "adc"))
        out.append(("Pico on-board (no wires)", sense))
    return out


def draw(name: str) -> Image.Image:
    profile = boards.get(name)
    font = ImageFont.load_default_imagefont()
    devs = devices(name, profile)
    top = 40
    gap = 10
    height = top + sum(len(rows) * ROW + 18 + gap for _t, rows in devs) + 54
    img = Image.new("RGB", (WIDTH, height), BG)
    d = ImageDraw.Draw(img)

    mcu = "RP2040 on the board" if is_waveshare(name) else "Raspberry Pi Pico"
    d.text((8, 6), "%s  -  wiring" % name, fill=INK, font=font)
    d.text((8, 20), "left: %s pins    right: parts" % mcu, fill=INK, font=font)

    y = top
    left_top = top
    for title, rows in devs:
        box_h = len(rows) * ROW + 18
        d.rectangle((RIGHT_X0, y, RIGHT_X1, y + box_h), fill=BOX, outline=INK)
        d.text((RIGHT_X0 + 4, y + 3), title, fill=INK, font=font)
        for i, (left, right, kind) in enumerate(rows):
            ry = y + 18 + i * ROW + ROW // 2
            colour = COLOURS[kind]
            d.line((LEFT_X1, ry, RIGHT_X0, ry), fill=colour, width=1)
            d.rectangle((LEFT_X1 - 2, ry - 2, LEFT_X1 + 2, ry + 2), fill=colour)
            d.rectangle((RIGHT_X0 - 2, ry - 2, RIGHT_X0 + 2, ry + 2), fill=colour)
            d.text((LEFT_X0 + 4, ry - 6), left, fill=colour, font=font)
            d.text((RIGHT_X0 + 8, ry - 6), right, fill=colour, font=font)
        y += box_h + gap
    d.rectangle((LEFT_X0, left_top, LEFT_X1, y - gap), outline=INK)

    legend_y = y + 4
    x = 8
    for kind, label in (("spi", "SPI"), ("ctl", "GPIO"), ("i2c", "I2C"),
                        ("adc", "sense"), ("pwr", "power"), ("gnd", "GND")):
        d.rectangle((x, legend_y + 3, x + 10, legend_y + 9), fill=COLOURS[kind])
        d.text((x + 14, legend_y), label, fill=INK, font=font)
        x += 70
    if not is_waveshare(name):
        d.text((8, legend_y + 16),
               "cell: charger B+ -> slide switch -> cell +;  charger B- -> cell -",
               fill=COLOURS["pwr"], font=font)
        legend_y += 14
    d.text((8, legend_y + 16), "generated by tools/draw_wiring.py from firmware/boards.py",
           fill=(110, 110, 110), font=font)
    return img.resize((WIDTH * SCALE, height * SCALE), Image.Resampling.NEAREST)


def write(name: str, out_dir: str) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".png")
    # No metadata chunks, fixed compression: same bytes on every run.
    draw(name).save(path, format="PNG", optimize=False, compress_level=9)
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory")
    ap.add_argument("--board", action="append", choices=sorted(boards.BOARDS),
                    help="board to draw (repeatable; default: all)")
    ap.add_argument("--table", choices=sorted(boards.BOARDS),
                    help="print the Markdown pin table for a board and exit")
    args = ap.parse_args(argv)
    if args.table:
        print(markdown_table(args.table))
        return 0
    for name in args.board or sorted(boards.BOARDS):
        print(write(name, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
