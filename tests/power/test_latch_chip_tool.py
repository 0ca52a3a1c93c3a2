"""tools/latch_day_chip.py's sums: the emulated chip's timeline costed with
hardware/power.csv (the emulator run itself is tools' business: 13 min wall)."""

import importlib.util
from pathlib import Path

import pytest

from pendant.sim.power import Figures, load_table

ROOT = Path(__file__).resolve().parents[2]
BOARD = "pico-gc9a01-latch"


def tool():
    spec = importlib.util.spec_from_file_location("latch_day_chip",
                                                  ROOT / "tools" / "latch_day_chip.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def account(off=0.0, run125=0.0, sleep=0.0, lit=0.0):
    """A power JSON shaped as rp2emu writes it (README "Power account")."""
    seconds = off + run125 + sleep
    return {"total": {
        "seconds": seconds,
        "states_s": {
            "cpu": {"run": run125, "wfi": 0.0, "lightsleep": sleep, "dormant": 0.0, "off": off},
            "panel": {"on": run125 + sleep, "display_off": 0.0, "sleep": 0.0, "reset": 0.0,
                      "unpowered": off},
            "backlight": {"full_on_equivalent": lit},
        },
        "cpu_by_clk_sys": [{"clk_sys_MHz": 125, "run_s": run125, "wfi_s": 0.0,
                            "lightsleep_s": sleep}],
    }}


def test_recost_charges_each_state_at_the_tables_figure():
    t = tool()
    table = load_table(BOARD)
    fig = Figures(BOARD, table, False)
    # an hour switched off: the latch row alone
    assert t.recost(account(off=3600), fig) == pytest.approx(table["latch", "off"])
    # an hour looking: lightsleep + panel on + backlight + the always-on parts
    want = (table["cpu", "lightsleep_usb_off"] + table["panel", "on"]
            + table["backlight", "full"] + table["regulator", "quiescent"]
            + table["divider", "vbat_sense"])
    assert t.recost(account(sleep=3600, lit=3600), fig) == pytest.approx(want)
    # a minute drawing at 125 MHz
    got = t.recost(account(run125=60), fig)
    assert got == pytest.approx((table["cpu", "run_125mhz"] + table["panel", "on"]
                                 + fig.always()) / 60)
