"""The simulated pendant's REPL (host/pendant/sim/device/repl.py) against what
mpremote and a terminal expect of an rp2 board."""

import subprocess
import sys
from pathlib import Path

import pytest
import serial
from repl_lines import REPL_LINES

from pendant.sim import Simulator

MPREMOTE = str(Path(sys.executable).parent / "mpremote")
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"

PRINT_THEN_END = """
    print("main ran")
"""


def talk(sim, read_serial, port, send, until, timeout=5.0):
    port.write(send)
    got = read_serial(sim, until=until, port=port, timeout=timeout)
    assert until in got, (got, sim.console_log)
    return got


@pytest.fixture
def repl(sim_with, read_serial):
    """A sim whose main.py has ended, and an open port at its `>>> ` prompt."""
    sim = sim_with(PRINT_THEN_END)
    port = serial.Serial(sim.port, timeout=0.05)
    # a marker, not the banner: opening the port may race the banner's prompt
    talk(sim, read_serial, port, b"'ready'\r", b"'ready'\n>>> ")
    yield sim, port, lambda send, until, **kw: talk(sim, read_serial, port, send, until, **kw)
    port.close()


def test_main_ending_leaves_banner_and_prompt(sim_with, read_serial):
    sim = sim_with(PRINT_THEN_END)
    out = read_serial(sim, until=b">>> ")
    assert out.startswith(b"main ran\n"), out
    assert b"\nMicroPython v1." in out and out.endswith(b'for more information.\r\n>>> ')
    assert sim.alive


def test_friendly_repl_evaluates_echoes_and_continues_blocks(repl):
    sim, _port, say = repl
    assert say(b"1+2\r", b">>> ").endswith(b"1+2\r\n3\n>>> ")
    say(b"def f(x):\r", b"... ")
    say(b"    return x * 2\r", b"... ")
    say(b"\r", b">>> ")
    assert b"42" in say(b"f(21)\r", b">>> ")
    # backspace edits the line
    assert b"7\n>>> " in say(b"8\x08\b7\r", b">>> ")


def test_friendly_repl_prints_errors_and_survives(repl):
    _sim, _port, say = repl
    out = say(b"1/0\r", b">>> ")
    assert b'File "<stdin>", line 1, in <module>\nZeroDivisionError' in out
    assert b"simboot" not in out and b"repl.py" not in out  # the sim's frames stay hidden
    assert b"3\n" in say(b"len('abc')\r", b">>> ")


def test_ctrl_c_cancels_a_half_typed_line(repl):
    _sim, _port, say = repl
    say(b"for i in range(3):\r", b"... ")
    out = say(b"\x03", b">>> ")
    assert out.endswith(b"\r\n>>> ")
    assert b"5\n" in say(b"5\r", b">>> ")


def test_ctrl_d_soft_reset_runs_main_again(repl):
    sim, _port, say = repl
    out = say(b"\x04", b">>> ")
    assert b"MPY: soft reboot\r\n" in out
    assert b"main ran" in out.split(b"soft reboot")[1]
    assert sim.boots == 2 and sim.alive


def test_raw_repl_exec_output_and_errors(repl):
    _sim, _port, say = repl
    say(b"\x01", RAW_BANNER)
    assert say(b"print(6 * 7)\x04", b"\x04>") == b"OK42\n\x04\x04>"
    out = say(b"import os\nos.stat('/nope')\x04", b"\x04>")
    head, err, tail = out.split(b"\x04")
    assert head == b"OK" and tail == b">"
    assert err.startswith(b"Traceback") and b"OSError" in err
    # names persist between commands, as mpremote's file transfer relies on
    say(b"x = 5\x04", b"\x04>")
    assert say(b"print(x)\x04", b"\x04>") == b"OK5\n\x04\x04>"
    # Ctrl-B: back to the friendly REPL with its banner
    assert b"MicroPython v" in say(b"\x02", b">>> ")


def test_raw_repl_empty_command_is_a_soft_reset_into_raw(repl):
    sim, _port, say = repl
    say(b"\x01", RAW_BANNER)
    out = say(b"\x04", RAW_BANNER)
    assert out.startswith(b"OK\r\nMPY: soft reboot\r\n")
    assert b"main ran" not in out  # rp2 skips main.py after a raw-REPL soft reset
    assert say(b"print(x if 'x' in dir() else 'fresh')\x04", b"\x04>") == b"OKfresh\n\x04\x04>"
    assert sim.boots == 2


def test_raw_paste_mode_with_flow_control(repl):
    _sim, port, say = repl
    say(b"\x01", RAW_BANNER)
    window = say(b"\x05A\x01", b"R\x01", timeout=5)
    # then the window size (little-endian) and a first "window free"
    more = window.split(b"R\x01")[1]
    while len(more) < 3:
        more += port.read(3 - len(more))
    size = more[0] | more[1] << 8
    assert more[2] == 1 and size > 0
    code = b"s = 0\n" + b"s += 1\n" * 100 + b"print(s)\n"  # longer than two windows
    sent = 0
    credit = 2 * size
    while sent < len(code):
        n = min(credit, len(code) - sent)
        port.write(code[sent : sent + n])
        sent += n
        credit -= n
        while credit == 0 or (port.in_waiting and sent < len(code)):
            b = port.read(1)
            if b == b"\x01":
                credit += size
    out = say(b"\x04", b"\x04>")
    assert out.endswith(b"\x04100\n\x04\x04>"), (window, out)


@pytest.fixture
def pendant_sim(tmp_path):
    """The real firmware on the simulated pendant."""
    with Simulator(tmp_path / "flash") as sim:
        yield sim


def mpremote(sim, *args, check=True):
    proc = subprocess.run([MPREMOTE, "connect", sim.port, *args],
                          capture_output=True, text=True, timeout=60)
    if check:
        assert proc.returncode == 0, (proc.stdout, proc.stderr, sim.console_log)
    return proc


def test_mpremote_breaks_into_the_app_and_manages_files(pendant_sim, tmp_path):
    sim = pendant_sim
    listing = mpremote(sim, "fs", "ls").stdout
    assert "app.mpy" in listing and "main.py" in listing
    # Ctrl-C stopped the running app the way rp2 reports it
    assert "KeyboardInterrupt" in sim.console_log
    blob = bytes(range(256)) * 80
    (tmp_path / "blob.bin").write_bytes(blob)
    mpremote(sim, "fs", "cp", str(tmp_path / "blob.bin"), ":blob.bin")
    mpremote(sim, "fs", "cp", ":blob.bin", str(tmp_path / "back.bin"))
    assert (tmp_path / "back.bin").read_bytes() == blob
    assert mpremote(sim, "exec", "import os; print(os.stat('blob.bin')[6])").stdout.strip() \
        == str(len(blob))
    mpremote(sim, "fs", "rm", ":blob.bin")


def test_mpremote_exec_errors_do_not_break_the_sim(pendant_sim):
    sim = pendant_sim
    bad = mpremote(sim, "exec", "raise MemoryError('pretend')", check=False)
    assert bad.returncode == 1 and "MemoryError: pretend" in bad.stdout + bad.stderr
    mpremote(sim, "exec", "import sys; sys.exit()")
    mpremote(sim, "exec", "1/0", check=False)
    assert mpremote(sim, "exec", "print('still here')").stdout.strip() == "still here"
    assert sim.alive


def test_mpremote_resume_keeps_state_and_soft_reset_clears_it(pendant_sim):
    sim = pendant_sim
    mpremote(sim, "exec", "kept = 17")
    assert mpremote(sim, "resume", "exec", "print(kept)").stdout.strip() == "17"
    mpremote(sim, "soft-reset")
    gone = mpremote(sim, "resume", "exec", "print(kept)", check=False)
    assert "NameError" in gone.stdout + gone.stderr


def test_mpremote_reset_boots_the_app_again(pendant_sim):
    from pendant.link import Client
    from pendant.sim import bus

    sim = pendant_sim
    mpremote(sim, "reset")  # a soft reset into the raw REPL, then machine.reset()
    assert sim.wait_for(lambda: any(r.kind == bus.RESET for r in sim.events), 10)
    assert sim.wait_for(lambda: sim.boots == 3, 10)
    with Client(sim.port) as c:  # the app answers the link again
        assert c.info["fw"]


@pytest.mark.parametrize("case", sorted(REPL_LINES))
def test_line_editing_as_the_chip_does_it(repl, read_serial, case):
    """The keys a host's packet holds are edited as rp2's readline edits them
    (tests/fakes/repl_lines.py; the silicon suite checks the chip on the same)."""
    sim, port, _say = repl
    for send, tail in REPL_LINES[case]:
        port.write(send)
        got = read_serial(sim, until=tail[-4:], port=port, timeout=5.0)
        assert got.replace(b"\r\n", b"\n").endswith(tail), (send, got)
