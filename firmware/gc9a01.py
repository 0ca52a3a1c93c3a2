# GC9A01: the round 240x240 IPS panel (Waveshare RP2040-LCD-1.28, round modules).
#
# The vendor init sequence below is the one every known-good driver plays
# (Waveshare's demo for this board, TFT_eSPI, LVGL ports); the registers past
# the standard DCS set are undocumented in the public datasheet, so they are
# kept exactly, one row per command.
import dcs
from dcs import MADCTL_BGR, MADCTL_MV, MADCTL_MX, MADCTL_MY
from micropython import const

# Vendor commands.
INREGEN1 = const(0xFE)  # inter-register enable 1
INREGEN2 = const(0xEF)  # inter-register enable 2
DFC = const(0xB6)  # display function control
PWR2 = const(0xC3)  # power control 2 (VREG1A)
PWR3 = const(0xC4)  # power control 3 (VREG1B)
PWR4 = const(0xC9)  # power control 4 (VREG2A)
GAMMA1 = const(0xF0)
GAMMA2 = const(0xF1)
GAMMA3 = const(0xF2)
GAMMA4 = const(0xF3)
FRAMERATE = const(0xE8)

INIT = (
    (INREGEN2, None, 0),
    (0xEB, b"\x14", 0),  # undocumented, required
    (INREGEN1, None, 0),
    (INREGEN2, None, 0),
    (0xEB, b"\x14", 0),
    (0x84, b"\x40", 0),  # 0x84..0x8F: undocumented panel tuning
    (0x85, b"\xff", 0),
    (0x86, b"\xff", 0),
    (0x87, b"\xff", 0),
    (0x88, b"\x0a", 0),
    (0x89, b"\x21", 0),
    (0x8A, b"\x00", 0),
    (0x8B, b"\x80", 0),
    (0x8C, b"\x01", 0),
    (0x8D, b"\x01", 0),
    (0x8E, b"\xff", 0),
    (0x8F, b"\xff", 0),
    (DFC, b"\x00\x20", 0),  # gate scan direction: S1->S360, G1->G32
    (0x90, b"\x08\x08\x08\x08", 0),
    (0xBD, b"\x06", 0),
    (0xBC, b"\x00", 0),
    (0xFF, b"\x60\x01\x04", 0),
    (PWR2, b"\x13", 0),  # VREG1A voltage
    (PWR3, b"\x13", 0),  # VREG1B voltage
    (PWR4, b"\x22", 0),  # VREG2A voltage
    (0xBE, b"\x11", 0),
    (0xE1, b"\x10\x0e", 0),
    (0xDF, b"\x21\x0c\x02", 0),
    (GAMMA1, b"\x45\x09\x08\x08\x26\x2a", 0),
    (GAMMA2, b"\x43\x70\x72\x36\x37\x6f", 0),
    (GAMMA3, b"\x45\x09\x08\x08\x26\x2a", 0),
    (GAMMA4, b"\x43\x70\x72\x36\x37\x6f", 0),
    (0xED, b"\x1b\x0b", 0),
    (0xAE, b"\x77", 0),
    (0xCD, b"\x63", 0),
    (0x70, b"\x07\x07\x04\x0e\x0f\x09\x07\x08\x03", 0),
    (FRAMERATE, b"\x34", 0),  # 4-dot inversion
    (0x62, b"\x18\x0d\x71\xed\x70\x70\x18\x0f\x71\xef\x70\x70", 0),
    (0x63, b"\x18\x11\x71\xf1\x70\x70\x18\x13\x71\xf3\x70\x70", 0),
    (0x64, b"\x28\x29\xf1\x01\xf1\x00\x07", 0),
    (0x66, b"\x3c\x00\xcd\x67\x45\x45\x10\x00\x00\x00", 0),
    (0x67, b"\x00\x3c\x00\x00\x00\x01\x54\x10\x32\x98", 0),
    (0x74, b"\x10\x85\x80\x00\x00\x4e\x00", 0),
    (0x98, b"\x3e\x07", 0),
    (dcs.TEON, b"\x00", 0),  # tearing-effect line on, V-blank only
)

# The glass is mirrored against RAM and its colour filter is BGR, so an upright
# unmirrored picture needs exactly one of MX/MY, plus BGR. MV turns a quarter.
# degrees: (MADCTL, column offset, row offset)
ROTATIONS = {
    0: (MADCTL_MX | MADCTL_BGR, 0, 0),
    90: (MADCTL_MV | MADCTL_BGR, 0, 0),
    180: (MADCTL_MY | MADCTL_BGR, 0, 0),
    270: (MADCTL_MV | MADCTL_MX | MADCTL_MY | MADCTL_BGR, 0, 0),
}


class GC9A01(dcs.DCS):
    INIT = INIT
    ROTATIONS = ROTATIONS
    width = 240
    height = 240
    round = True
