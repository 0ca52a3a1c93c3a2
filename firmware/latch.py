# The power latch of the *-latch builds (hardware/pico-gc9a01-latch.md): the
# button powers the board only while it is held, until the firmware drives
# the hold pin high; driving it low again switches the board off for good,
# until the next press (a cold boot). USB power keeps the board on through
# the latch's other input, whatever the pin does.
#
# boot.py calls hold() first thing, before the wearer can let go of the
# button: everything here is small and allocation-light for that reason.
import boards
import settings


def pin_number():
    """The hold GPIO of the board in the settings, or None (no latch)."""
    name = settings.Settings()["board"] or boards.DEFAULT
    board = boards.BOARDS.get(name)
    return board.get("latch") if board else None


def hold(gpio=None):
    """Keep the power on; returns the Pin (None on builds without a latch)."""
    if gpio is None:
        gpio = pin_number()
    if gpio is None:
        return None
    from machine import Pin

    return Pin(gpio, Pin.OUT, value=1)


def release(pin):
    """Switch the board off (when on battery with the button up, power goes at
    once; with USB or the button held it stays on, and the caller carries on
    as if it had not asked)."""
    pin.value(0)
