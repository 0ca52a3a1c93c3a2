# The power latch of the *-latch builds (hardware/pico-gc9a01-latch.md): the
# button powers the board only while it is held, until the firmware drives
# the hold pin high; driving it low again switches the board off, until the
# next press (a cold boot). USB power keeps the board on through the latch's
# other input, whatever the pin does.
#
# boot.py must hold the pin within 50 ms of power-on, before the wearer lets
# go of the button. Loading the board table and the settings takes the chip
# ~40 ms, so the app keeps the pin's number in a one-line file (PIN_FILE) that
# boot.py reads instead: ~10 ms. The board table stays the only source of it.
import os

PIN_FILE = "/latch_pin"


def hold(gpio):
    """Keep the power on; returns the Pin (None for gpio None: no latch)."""
    if gpio is None:
        return None
    from machine import Pin

    return Pin(gpio, Pin.OUT, value=1)


def hold_at_boot():
    """boot.py: hold the pin the app last recorded (remember)."""
    try:
        with open(PIN_FILE) as f:
            gpio = int(f.read())
    except (OSError, ValueError):
        return None  # no latch on this build, or not started on it yet (USB)
    return hold(gpio)


def remember(gpio):
    """The app, at every start: record the board's hold pin for boot.py, or
    remove a stale record (another build chosen). Writes only on a change."""
    try:
        with open(PIN_FILE) as f:
            old = f.read()
    except OSError:
        old = None
    if gpio is None:
        if old is not None:
            os.remove(PIN_FILE)
    elif old != str(gpio):
        with open(PIN_FILE, "w") as f:
            f.write(str(gpio))


def release(pin):
    """Switch the board off. On battery with the button up the power goes at
    once; with USB or the button held it stays, and the caller goes on."""
    pin.value(0)
