"""A storm of back-to-back commands on the emulated chip, as a user types
them: every command, mpremote between them, each must succeed at its first
run (no retry here: a command that needs two tries has failed the user)."""

import re

import pytest
from emu import Installed, make_photos, mpremote, pendant

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
