# QMI8658 wake-on-motion: the accelerometer alone, at its low-power rate,
# toggles INT1 when the pendant is raised or tilted. That is the Waveshare
# board's only wake source (it has no user button), and it costs microamps.
#
# Register map and the wake-on-motion procedure from the QMI8658A datasheet
# (QST, rev. C, section "Wake on Motion"); not yet checked on a real board.
# On builds without the IMU every I2C call raises OSError: the caller treats
# that as "no motion wake" and carries on.
from micropython import const

WHO_AM_I = const(0x00)
CTRL1 = const(0x02)  # serial interface and interrupt enables
CTRL2 = const(0x03)  # accelerometer range and output rate
CTRL7 = const(0x08)  # sensor enables
CTRL9 = const(0x0A)  # host command
CAL1_L = const(0x0B)  # command arguments
CAL1_H = const(0x0C)

CHIP_ID = const(0x05)
CTRL1_ADDR_AI = const(0x40)  # auto-increment register address
CTRL1_INT1_EN = const(0x08)  # INT1 pin is a push-pull output
CTRL2_LP_21HZ = const(0x0C)  # +-2 g, low-power 21 Hz: the WoM mode's rate
CTRL7_OFF = const(0x00)
CTRL7_ACC = const(0x01)
CMD_WOM = const(0x08)  # CTRL_CMD_WRITE_WOM_SETTING
# CAL1_H: bits 7:6 = 0b10 -> interrupt on INT1, initial level low; bits 5:0
# blanking samples after enabling (ignore the first few readings).
WOM_INT1_LOW = const(0x80)
WOM_BLANKING = const(0x04)
WOM_MG = const(120)  # threshold in mg: a pendant raised to be looked at

# INT1 toggles on every motion event, so the pin IRQ takes both edges.


class Imu:
    def __init__(self, i2c, addr):
        self.i2c = i2c
        self.addr = addr
        self.one = bytearray(1)
        if self.read(WHO_AM_I) != CHIP_ID:
            raise OSError("no QMI8658 at 0x%02x" % addr)

    def read(self, reg):
        self.i2c.readfrom_mem_into(self.addr, reg, self.one)
        return self.one[0]

    def write(self, reg, value):
        self.one[0] = value
        self.i2c.writeto_mem(self.addr, reg, self.one)

    def wake_on_motion(self, mg=WOM_MG):
        """Accelerometer in low-power wake-on-motion mode, INT1 armed."""
        self.write(CTRL7, CTRL7_OFF)  # settings change only with sensors off
        self.write(CTRL1, CTRL1_ADDR_AI | CTRL1_INT1_EN)
        self.write(CTRL2, CTRL2_LP_21HZ)
        self.write(CAL1_L, min(255, mg))
        self.write(CAL1_H, WOM_INT1_LOW | WOM_BLANKING)
        self.write(CTRL9, CMD_WOM)
        self.write(CTRL7, CTRL7_ACC)

    def off(self):
        """Every sensor off: the IMU's floor (used at the battery cut-off)."""
        self.write(CTRL7, CTRL7_OFF)


def for_board(board):
    """(Imu, int pin number) with motion wake armed, or None if absent."""
    spec = board.get("imu")
    if spec is None:
        return None
    i2c_id, sda, scl, addr, int_pin = spec
    from machine import I2C, Pin

    try:
        imu = Imu(I2C(i2c_id, sda=Pin(sda), scl=Pin(scl), freq=400_000), addr)
        imu.wake_on_motion()
    except OSError as e:
        print("imu: none (%s): no motion wake" % e)
        return None
    return imu, int_pin
