"""The board table: lookups, and refusing hardware a profile does not fit."""

import boards
import pytest


def test_unknown_board_names_the_choices():
    with pytest.raises(ValueError, match="known boards: .*pico-gc9a01"):
        boards.get("toaster")


@pytest.mark.parametrize("name", ["pico-gc9a01", "pico-st7789"])
def test_pico_profiles_refuse_a_pico_w(name):
    assert boards.get(name, "Raspberry Pi Pico with RP2040")["panel"]
    with pytest.raises(ValueError, match="Pico W"):
        boards.get(name, "Raspberry Pi Pico W with RP2040")


def test_waveshare_board_is_not_refused_by_the_pico_w_rule():
    assert boards.get(boards.DEFAULT, "Waveshare RP2040-LCD-1.28 with RP2040")
