"""A storm of back-to-back commands on the emulated chip, as a user types
them: every command, mpremote between them, each must succeed at its first
run (no retry here: a command that needs two tries has failed the user).
Then what mpremote leaves behind, case by case: the chip's REPL edits typed
keys as the simulator's does, and a command finds that REPL and restarts
the app whatever state its HELLOs left it in."""

import re
import time

import pytest
import serial
from emu import Installed, make_photos, mpremote, pendant
from repl_lines import REPL_LINES
from typed_hello import REPL_STATES, Nonces

from pendant import link

BOARD = "waveshare-rp2040-lcd-1.28"


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = Installed(tmp_path_factory.mktemp("storm"), BOARD)
    yield b
    b.bridge.stop()


def test_storm_of_back_to_back_commands(board, tmp_path):
    board.check()
    a, b, c, d = make_photos(tmp_path / "in", 4, seed=21)
    port = board.port
    ids = {}

    def up(name, path):
        def run():
            r = pendant("upload", "--port", port, path)
            m = re.search(r"\(id ([0-9a-f]+)\)", r.stdout)
            if m:
                ids[name] = m.group(1)
            return r
        return run

    def pd(*args):
        return lambda: pendant(*[a if not callable(a) else a() for a in args], "--port", port)

    def mp(*args):
        return lambda: mpremote(port, *args)

    def pid(name):
        return lambda: ids.get(name, "ffff")

    steps = [
        ("upload A", up("A", a)),
        ("upload B", up("B", b)),
        ("status", pd("status")),
        ("list", pd("list")),
        ("show A", pd("show", pid("A"))),
        ("settings", pd("settings")),
        ("settings interval_s=20", pd("settings", "interval_s=20")),
        ("upload C", up("C", c)),
        ("mpremote fs ls", mp("fs", "ls")),
        ("status", pd("status")),
        ("remove B", pd("remove", pid("B"))),
        ("list", pd("list")),
        ("order C A", pd("order", pid("C"), pid("A"))),
        ("show C", pd("show", pid("C"))),
        ("mpremote fs ls", mp("fs", "ls")),
        ("list", pd("list")),
        ("settings transition=fade", pd("settings", "transition=fade")),
        ("show A (fade)", pd("show", pid("A"))),
        ("upload D", up("D", d)),
        ("status", pd("status")),
        ("mpremote fs ls", mp("fs", "ls")),
        ("settings", pd("settings")),
        ("remove D", pd("remove", pid("D"))),
        ("install (nothing to copy)", lambda: pendant("install", "--port", port)),
        ("list", pd("list")),
        ("status", pd("status")),
    ]
    assert len(steps) >= 20
    failed = []
    for i, (name, step) in enumerate(steps, 1):
        r = step()
        if r.returncode != 0:
            why = (r.stderr.strip().splitlines() or r.stdout.strip().splitlines() or ["?"])[-1]
            failed.append(f"{i:2d} {name}: {why}")
    final = pendant("list", "--port", port)
    assert not failed, f"{len(failed)} of {len(steps)} commands failed at their first run:\n" \
        + "\n".join(failed)
    # What the storm did is what the pendant has: A and C, in that order.
    listed = re.findall(r"^\s*\d+\s+([0-9a-f]+)", final.stdout, re.M)
    assert listed == [ids["C"], ids["A"]]


def read_until(port: serial.Serial, tail: bytes, timeout: float = 60) -> bytes:
    got = bytearray()
    end = time.monotonic() + timeout
    while not got.endswith(tail) and time.monotonic() < end:
        got += port.read(1)
    return bytes(got)


def test_repl_edits_typed_keys_as_the_simulator_does(board):
    """tests/fakes/repl_lines.py, on the chip (the simulator is held to the
    same table in tests/sim/test_repl.py)."""
    board.check()
    ls = mpremote(board.port, "fs", "ls")
    assert ls.returncode == 0, ls.stderr
    wrong = []
    with serial.Serial(board.port, timeout=0.2) as port:
        port.write(b"\x03")  # a fresh line at the friendly REPL mpremote left
        read_until(port, b">>> ")
        for case in sorted(REPL_LINES):
            for send, tail in REPL_LINES[case]:
                port.write(send)
                got = read_until(port, tail[-4:]).replace(b"\r\n", b"\n")
                if not got.endswith(tail):
                    wrong.append(f"{case}: {send!r} -> {got[-60:]!r}")
                    port.write(b"\x03")
                    read_until(port, b">>> ")
                    break
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("state", sorted(REPL_STATES))
def test_app_restarted_whatever_the_hello_typed_into_its_repl(board, monkeypatch, state):
    """A HELLO's random bytes can leave the REPL mid-bracket ("... ") or in
    paste mode ("=== "): on the chip, 7 of 12 restarts after mpremote met
    the first, before the host knew that prompt."""
    board.check()
    typed, prompt = REPL_STATES[state]
    ls = mpremote(board.port, "fs", "ls")
    assert ls.returncode == 0, ls.stderr
    monkeypatch.setattr(link, "secrets", Nonces(typed))
    with link.Client(board.port) as c:
        assert c.restarted is True
        assert c.settings()["brightness"] >= 0
        heard = bytes(c.heard)
    assert prompt in heard.split(b"soft reboot")[0], heard[-300:]
