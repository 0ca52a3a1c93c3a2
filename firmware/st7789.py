# ST7789: 240x240 IPS modules. The controller has 240x320 RAM and the glass
# shows 240 of its rows, so turning the picture half a turn (MY) needs a row
# offset of 80: the offsets live in the rotation table with the MADCTL value.
import dcs
from dcs import MADCTL_MV, MADCTL_MX, MADCTL_MY
from micropython import const

PORCTRL = const(0xB2)  # porch setting
GCTRL = const(0xB7)  # gate control (VGH/VGL)
VCOMS = const(0xBB)  # VCOM setting
LCMCTRL = const(0xC0)  # LCM control
VDVVRHEN = const(0xC2)  # VDV and VRH command enable
VRHS = const(0xC3)  # VRH set
VDVS = const(0xC4)  # VDV set
FRCTRL2 = const(0xC6)  # frame rate in normal mode
PWCTRL1 = const(0xD0)  # power control 1

INIT = (
    (PORCTRL, b"\x0c\x0c\x00\x33\x33", 0),  # default porches
    (GCTRL, b"\x35", 0),  # VGH 13.26 V, VGL -10.43 V
    (VCOMS, b"\x19", 0),  # VCOM 0.725 V (module makers' value)
    (LCMCTRL, b"\x2c", 0),  # default
    (VDVVRHEN, b"\x01", 0),  # VDV/VRH from registers
    (VRHS, b"\x12", 0),  # VRH 4.45 V
    (VDVS, b"\x20", 0),  # VDV 0 V
    (FRCTRL2, b"\x0f", 0),  # 60 Hz
    (PWCTRL1, b"\xa4\xa1", 0),  # AVDD 6.8 V, AVCL -4.8 V, VDDS 2.3 V
    (dcs.NORON, None, 0),  # normal display mode
)

# degrees: (MADCTL, column offset, row offset); the glass is RGB and unmirrored.
ROTATIONS = {
    0: (0x00, 0, 0),
    90: (MADCTL_MV | MADCTL_MX, 0, 0),
    180: (MADCTL_MX | MADCTL_MY, 0, 80),
    270: (MADCTL_MV | MADCTL_MY, 80, 0),
}


class ST7789(dcs.DCS):
    INIT = INIT
    ROTATIONS = ROTATIONS
    width = 240
    height = 240
    round = False
