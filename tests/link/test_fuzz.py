"""Fuzzing the pendant's receiver (firmware/link.py): thousands of random and
mutated messages on CPython, and a shorter run on the real micropython."""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import fuzzgen
import link  # firmware/link.py (on sys.path: see pyproject.toml)
import pytest
from settings import Settings
from store import Store

from pendant.sim.simulator import find_micropython

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ticks(monkeypatch):
    """A virtual clock: link.py times sessions with time.ticks_ms()."""
    monkeypatch.setattr(time, "ticks_ms", lambda: 0, raising=False)
    monkeypatch.setattr(time, "ticks_add", lambda t, d: t + d, raising=False)
    monkeypatch.setattr(time, "ticks_diff", lambda a, b: a - b, raising=False)


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_on_cpython(tmp_path, ticks, seed):
    rnd = random.Random(seed)
    root = tmp_path / "flash"
    root.mkdir()
    store = Store(str(root / "photos"))
    port = fuzzgen.Port()
    lk = link.Link(port, store, fuzzgen.App(Settings(str(root / "settings.json"))))
    for _ in range(25):
        fuzzgen.fuzz_round(lk, port, rnd, 40)  # 1,000 messages per seed
    fuzzgen.check_tree(str(root), str(root / "photos"))
    assert port.replies > 500  # the receiver answered, it did not just skip
    assert store.ids(), "some fuzzed uploads were valid and must have landed"
    assert lk.upload is None or port.left() == 0


def test_fuzz_on_micropython(tmp_path):
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), str(ROOT / "firmware"), ".frozen"])
    proc = subprocess.run(
        [find_micropython(), "-X", "heapsize=190K", str(Path(__file__).parent / "mpy_fuzz.py"),
         str(tmp_path), "40", "25", "7"],
        capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "fuzz ok" in proc.stdout, proc.stdout
