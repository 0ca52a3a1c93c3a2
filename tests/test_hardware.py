"""hardware/ agrees with firmware/boards.py, and its pictures and tables are sound."""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from pendant.firmware import boards

ROOT = Path(__file__).resolve().parents[1]
HW = ROOT / "hardware"
BOARD_NAMES = sorted(boards.BOARDS)


def load_tool():
    spec = importlib.util.spec_from_file_location("draw_wiring", ROOT / "tools" / "draw_wiring.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def expected_pins(profile: dict) -> dict[str, int | None]:
    """What a build's pin table must say, derived here independently of the tool."""
    pins: dict[str, int | None] = {
        k: profile[k] for k in ("sck", "mosi", "dc", "cs", "rst", "bl", "button", "vbat", "vbus")
    }
    if profile.get("latch") is not None:
        pins["latch"] = profile["latch"]
    if profile["imu"] is not None:
        _bus, sda, scl, _addr, irq = profile["imu"]
        pins.update(imu_sda=sda, imu_scl=scl, imu_int=irq)
    return pins


def doc_pins(text: str) -> dict[str, int | None]:
    m = re.search(r"<!-- pins:begin.*?-->(.*?)<!-- pins:end -->", text, re.S)
    assert m, "no <!-- pins:begin --> ... <!-- pins:end --> table"
    pins: dict[str, int | None] = {}
    for line in m.group(1).strip().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        row = re.fullmatch(r"`(\w+)`", cells[0])
        if not row:
            continue  # header and separator
        key = row.group(1)
        assert key not in pins, "%s listed twice" % key
        gpio = cells[1]
        if gpio in ("-", "—", "none"):
            pins[key] = None
        else:
            g = re.fullmatch(r"GP(\d+)", gpio)
            assert g, "bad GPIO cell %r for %s" % (gpio, key)
            pins[key] = int(g.group(1))
    return pins


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_doc_pin_table_matches_boards(name):
    text = (HW / (name + ".md")).read_text()
    assert doc_pins(text) == expected_pins(boards.BOARDS[name])


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_every_board_has_doc_and_picture(name):
    text = (HW / (name + ".md")).read_text()
    png = HW / "wiring" / (name + ".png")
    assert png.is_file()
    assert "wiring/%s.png" % name in text, "wiring picture not embedded"
    for section in ("## Bill of materials", "## Pin map", "## Battery and switch"):
        assert section in text
    assert "`%s`" % name in (HW / "README.md").read_text()


def test_doc_parser_catches_a_wrong_pin():
    good = (
        "<!-- pins:begin -->\n| Signal | GPIO | Use |\n|---|---|---|\n"
        "| `dc` | GP8 | x |\n<!-- pins:end -->"
    )
    assert doc_pins(good) == {"dc": 8}
    assert doc_pins(good.replace("GP8", "GP9")) != {"dc": 8}


# RP2040 datasheet, GPIO function table (F1 = SPI, F3 = I2C): GPIO n is on
# SPI (n // 8) % 2 as RX, CSn, SCK, TX for n % 4 = 0..3, and on
# I2C (n // 2) % 2 as SDA (even) / SCL (odd). ADC inputs are GP26-GP29.
def spi_function(pin: int) -> tuple[int, str]:
    return (pin // 8) % 2, ("RX", "CSN", "SCK", "TX")[pin % 4]


def i2c_function(pin: int) -> tuple[int, str]:
    return (pin // 2) % 2, ("SDA", "SCL")[pin % 2]


def test_pin_function_table_spot_checks():
    assert spi_function(10) == (1, "SCK") and spi_function(11) == (1, "TX")
    assert spi_function(8) == (1, "RX")  # why the firmware passes miso=None
    assert spi_function(18) == (0, "SCK") and spi_function(3) == (0, "TX")
    assert i2c_function(6) == (1, "SDA") and i2c_function(7) == (1, "SCL")
    assert i2c_function(4) == (0, "SDA")


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_pins_valid_and_unique(name):
    p = boards.BOARDS[name]
    used = [v for v in expected_pins(p).values() if v is not None]
    assert all(isinstance(v, int) and 0 <= v <= 29 for v in used), used
    assert len(used) == len(set(used)), "a GPIO is used twice: %s" % sorted(used)
    assert spi_function(p["sck"]) == (p["spi"], "SCK")
    assert spi_function(p["mosi"]) == (p["spi"], "TX")
    assert 26 <= p["vbat"] <= 29, "battery sense must be an ADC pin"
    assert p["panel"] in ("gc9a01", "st7789")
    assert 0 < p["spi_hz"] <= 62_500_000
    if p["imu"] is not None:
        bus, sda, scl, addr, _irq = p["imu"]
        assert i2c_function(sda) == (bus, "SDA")
        assert i2c_function(scl) == (bus, "SCL")
        assert 0x08 <= addr <= 0x77


def test_power_csv():
    rows = list(csv.DictReader((ROOT / "host" / "pendant" / "sim" / "power.csv").open()))
    assert rows
    for r in rows:
        assert r["source"].strip(), r
        assert float(r["current_ma"]) >= 0, r
        assert r["kind"] in ("measured", "datasheet", "estimate"), r
        assert r["board"] == "*" or r["board"] in boards.BOARDS, r
    have = {(r["component"], r["state"]) for r in rows}
    for need in [
        ("cpu", "run_125mhz"), ("cpu", "run_48mhz"), ("cpu", "lightsleep_usb_off"),
        ("cpu", "lightsleep_usb_on"), ("cpu", "dormant"), ("panel", "on"), ("panel", "sleep"),
        ("backlight", "full"), ("backlight", "off"), ("imu", "active_6axis"),
        ("imu", "motion_detect"), ("regulator", "quiescent"),
    ]:
        assert need in have, need
    # every board has a full-backlight figure (it differs per build)
    full = {r["board"] for r in rows if (r["component"], r["state"]) == ("backlight", "full")}
    assert full == set(boards.BOARDS) or "*" in full
    # no (component, state, board) twice
    keys = [(r["component"], r["state"], r["board"]) for r in rows]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_wiring_png_is_current(name, tmp_path):
    tool = load_tool()
    fresh = Image.open(tool.write(name, str(tmp_path))).convert("RGB")
    committed = Image.open(HW / "wiring" / (name + ".png")).convert("RGB")
    assert fresh.size == committed.size, "stale picture: run `make wiring`"
    assert ImageChops.difference(fresh, committed).getbbox() is None, (
        "stale picture: run `make wiring`"
    )


def load_latch_tool():
    spec = importlib.util.spec_from_file_location("draw_latch", ROOT / "tools" / "draw_latch.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_latch_circuit_png_is_current(tmp_path):
    tool = load_latch_tool()
    fresh = Image.open(tool.write(str(tmp_path))).convert("RGB")
    committed = Image.open(HW / "wiring" / (tool.NAME + ".png")).convert("RGB")
    assert fresh.size == committed.size, "stale picture: run `make wiring`"
    assert ImageChops.difference(fresh, committed).getbbox() is None, (
        "stale picture: run `make wiring`"
    )


@pytest.mark.parametrize("name", [n for n in BOARD_NAMES if boards.BOARDS[n].get("latch")])
def test_latch_page_shows_the_circuit_and_its_parts(name):
    tool = load_latch_tool()
    text = (HW / (name + ".md")).read_text()
    assert "wiring/%s-circuit.png" % name in text, "latch schematic not embedded"
    # every part the schematic names has its BOM row, with the same value
    bom = text.split("## Bill of materials")[1].split("\n## ")[0]
    for ref, part in tool.PARTS.items():
        rows = [r for r in bom.splitlines() if re.search(r"\|\s*%s\s*\|" % ref, r)]
        assert len(rows) == 1 and part in rows[0], (ref, part, rows)
    for section in ("## Currents", "## Testing it with a multimeter"):
        assert section in text


def test_enclosure_sources_present():
    scad = (HW / "enclosure" / "heart_case.scad").read_text()
    for param in ("pcb_d", "view_d", "cell", "usb_w", "bail_r", "heart_s"):
        assert re.search(r"^%s\s*=" % param, scad, re.M), param
    assert (HW / "enclosure" / "heart_case.stl").is_file()
    assert (HW / "enclosure" / "heart_case.png").is_file()
