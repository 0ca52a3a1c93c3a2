"""The latch's hold pin: boot.py drives the pin the app recorded, and the app
keeps that record true to the board table (firmware/latch.py)."""

import latch
import pytest


class Pin:
    OUT = 1
    made: list = []

    def __init__(self, gpio, mode, value=None):
        self.gpio, self.mode, self.level = gpio, mode, value
        Pin.made.append(self)

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v


@pytest.fixture
def board(tmp_path, monkeypatch):
    import sys
    import types

    machine = types.ModuleType("machine")
    machine.Pin = Pin
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.setattr(latch, "PIN_FILE", str(tmp_path / "latch_pin"))
    Pin.made = []
    return tmp_path


def test_boot_holds_the_recorded_pin(board):
    assert latch.hold_at_boot() is None and Pin.made == []  # nothing recorded yet
    latch.remember(14)
    pin = latch.hold_at_boot()
    assert (pin.gpio, pin.mode, pin.level) == (14, Pin.OUT, 1)


def test_other_build_chosen_removes_the_record(board):
    latch.remember(14)
    latch.remember(None)  # e.g. `pendant install --board pico-gc9a01`
    assert latch.hold_at_boot() is None and Pin.made == []


def test_record_written_only_on_a_change(board):
    latch.remember(14)
    path = board / "latch_pin"
    stamp = path.stat().st_mtime_ns
    path.touch()
    import os

    os.utime(path, ns=(stamp, stamp))
    latch.remember(14)
    assert path.stat().st_mtime_ns == stamp
    latch.remember(7)
    assert path.read_text() == "7"


def test_release_drops_the_pin(board):
    pin = latch.hold(14)
    latch.release(pin)
    assert pin.level == 0


def test_latch_board_names_its_pin():
    import boards

    b = boards.BOARDS["pico-gc9a01-latch"]
    assert b["latch"] == 14 and b["button"] == 15
    others = [n for n in boards.BOARDS if n != "pico-gc9a01-latch"]
    assert all(boards.BOARDS[n].get("latch") is None for n in others)
