"""The real firmware booting on the simulated pendant: bad board settings and
the SPI clock it reaches on each board."""

import subprocess
import sys
from pathlib import Path

import pytest

from pendant.firmware import boards
from pendant.install import install
from pendant.link import Client
from pendant.sim import Simulator, bus

MPREMOTE = str(Path(sys.executable).parent / "mpremote")
BAD_BOARD = """
import json
with open('/settings.json', 'w') as f:
    json.dump({'board': 'pico-ili9341', 'brightness': 50}, f)
"""


def mpremote(sim, *args):
    proc = subprocess.run([MPREMOTE, "connect", sim.port, *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (proc.stdout, proc.stderr, sim.console_log)


def test_unknown_board_setting_stops_at_the_repl_with_one_line(tmp_path, read_serial):
    with Simulator(tmp_path / "flash") as sim:
        mpremote(sim, "exec", BAD_BOARD)
        mpremote(sim, "reset")
        out = read_serial(sim, until=b">>> ", timeout=10).decode(errors="replace")
        assert "pendant: cannot start: unknown board 'pico-ili9341'; known boards: " in out
        for name in boards.BOARDS:
            assert name in out
        assert "Traceback" not in out.split("cannot start")[1]  # said, not crashed
        boots = sim.boots
        # no crash loop: the pendant stays at its REPL and answers there
        fd_out = _repl_eval(sim, read_serial, b"2+2\r", b"4\n>>> ")
        assert b"4\n>>> " in fd_out
        assert sim.boots == boots and sim.alive


def _repl_eval(sim, read_serial, line, until):
    import serial

    with serial.Serial(sim.port, timeout=0.05) as port:
        port.write(line)
        return read_serial(sim, until=until, port=port, timeout=5)


@pytest.mark.parametrize("board", sorted(boards.BOARDS))
def test_hello_reports_the_boards_spi_rate_and_dc_is_not_stolen(tmp_path, board):
    want = boards.BOARDS[board]["spi_hz"]
    with Simulator(tmp_path / "flash", board=board) as sim:
        # the pendant learns its board the way an owner sets it
        install(sim.port, board=board, progress=lambda s: None)
        with Client(sim.port) as c:
            assert c.info["spi_hz"] == want
            assert c.info["board"] == board
        assert sim.spi_rates()[-1] == want
        # SPI(1) built before the DC pin (GP8): no warning from the sim's rp2 model,
        # and the DC pin is made an output after the SPI claimed its pads.
        assert sim.warnings == []
        kinds = [(r.kind, r.payload[0]) for r in sim.events]
        dc = boards.BOARDS[board]["dc"]
        assert kinds.index((bus.SPI_INIT, boards.BOARDS[board]["spi"])) \
            < kinds.index((bus.PIN_MODE, dc))


def test_waveshare_reaches_the_rp2040_limit_and_picos_half_of_it():
    # the physical limit: clk_peri / 2 at 125 MHz
    assert boards.BOARDS["waveshare-rp2040-lcd-1.28"]["spi_hz"] == 62_500_000
    assert boards.BOARDS["pico-gc9a01"]["spi_hz"] == 31_250_000
    assert boards.BOARDS["pico-st7789"]["spi_hz"] == 31_250_000
