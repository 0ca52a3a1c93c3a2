# Board profiles: every pin and bus the firmware touches, one row per build.
#
# This table is the single source of truth for wiring. hardware/ documents it
# (tests check the docs against it) and the simulator wires its panel model
# from it, so a pin changes here or nowhere.
#
# Keys of a profile:
#   panel      "gc9a01" (round 240x240) or "st7789" (240x240 in 240x320 RAM)
#   spi        SPI peripheral id; sck/mosi pins; dc/cs/rst/bl pins
#   spi_hz     highest SPI clock the wiring is trusted with (RP2040 SPI is
#              capped at clk_peri/2 = 62.5 MHz at 125 MHz)
#   rotation   default degrees (0/90/180/270); where a pendant hangs decides
#              what is up, so the "rotation" setting overrides it
#   button     wake/next button to GND (internal pull-up), or None
#   vbat       ADC pin reading the battery through a divider, and its ratio
#   vbus       pin that is high while USB power is present, or None
#   latch      pin that holds a power latch on while driven high (latch.py);
#              absent on builds without one
#   imu        (i2c id, sda, scl, address, int pin) or None
#   not_on     refuse to start when sys.implementation._machine contains this
#              (a Pico W routes GP24/GP29 to its radio chip: no VBUS/VSYS sense)
DEFAULT = "waveshare-rp2040-lcd-1.28"

BOARDS = {
    # Waveshare RP2040-LCD-1.28: pins from Waveshare's schematic and demo.
    "waveshare-rp2040-lcd-1.28": {
        "panel": "gc9a01",
        "spi": 1, "sck": 10, "mosi": 11, "dc": 8, "cs": 9, "rst": 12, "bl": 25,
        "spi_hz": 62_500_000,
        "rotation": 0,  # the glass's own up (MX|BGR); Waveshare's demo uses 180
        "button": None,  # only BOOT/RESET on board; wire one to a free pad
        # BAT through two equal resistors to GP29: x2, as Waveshare's own demo
        # (3.3 / 4096 * 2) and hardware/waveshare-rp2040-lcd-1.28.md say.
        "vbat": 29, "vbat_ratio": 2.0,
        "vbus": None,
        "imu": (1, 6, 7, 0x6B, 23),
    },
    # Waveshare RP2040-Touch-LCD-1.28: same panel, reset moved to GP13.
    "waveshare-rp2040-touch-lcd-1.28": {
        "panel": "gc9a01",
        "spi": 1, "sck": 10, "mosi": 11, "dc": 8, "cs": 9, "rst": 13, "bl": 25,
        "spi_hz": 62_500_000,
        "rotation": 0,
        "button": None,
        "vbat": 29, "vbat_ratio": 2.0,  # as the LCD-1.28 (Waveshare's demo)
        "vbus": None,
        "imu": (1, 6, 7, 0x6B, 23),
    },
    # Raspberry Pi Pico + GC9A01 round module on SPI1 (see hardware/).
    "pico-gc9a01": {
        "panel": "gc9a01",
        "spi": 1, "sck": 10, "mosi": 11, "dc": 8, "cs": 9, "rst": 12, "bl": 13,
        "spi_hz": 31_250_000,  # flying leads: stay well under the limit
        "rotation": 0,
        "button": 15,
        "vbat": 29, "vbat_ratio": 3.0,  # Pico: VSYS/3 on GP29
        "vbus": 24,  # Pico: VBUS sense on GP24
        "imu": None,
        "not_on": "Pico W",
    },
    # Pico + GC9A01 with a power latch on 3V3_EN (hardware/pico-gc9a01-latch.md):
    # GP15's button powers it on, GP14 held high keeps it on, released = off.
    "pico-gc9a01-latch": {
        "panel": "gc9a01",
        "spi": 1, "sck": 10, "mosi": 11, "dc": 8, "cs": 9, "rst": 12, "bl": 13,
        "spi_hz": 31_250_000,
        "rotation": 0,
        "button": 15,
        "latch": 14,
        "vbat": 29, "vbat_ratio": 3.0,
        "vbus": 24,
        "imu": None,
        "not_on": "Pico W",
    },
    # Raspberry Pi Pico + ST7789 240x240 IPS module on SPI1 (see hardware/).
    "pico-st7789": {
        "panel": "st7789",
        "spi": 1, "sck": 10, "mosi": 11, "dc": 8, "cs": 9, "rst": 12, "bl": 13,
        "spi_hz": 31_250_000,
        "rotation": 0,
        "button": 15,
        "vbat": 29, "vbat_ratio": 3.0,
        "vbus": 24,
        "imu": None,
        "not_on": "Pico W",
    },
}


def get(name, machine=""):
    """Return the profile for a board name, or raise ValueError naming the
    choices. machine: sys.implementation._machine, to refuse wrong hardware."""
    try:
        board = BOARDS[name]
    except KeyError:
        raise ValueError(
            "unknown board %r; known boards: %s" % (name, ", ".join(sorted(BOARDS)))
        )
    wrong = board.get("not_on")
    if wrong and wrong in machine:
        raise ValueError("board %r does not fit a %s (%s)" % (name, wrong, machine))
    return board
