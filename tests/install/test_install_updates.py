"""`pendant install` run again after an update must copy what changed: a file
is skipped only when the pendant holds the same bytes under its name, never
merely because the name is there (simulated pendant, read back with mpremote)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pendant import install as inst
from pendant.sim import Simulator

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def on_pendant(port, code):
    out = subprocess.run([MPREMOTE, "connect", port, "exec", code],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def read_hex(port, name):
    return on_pendant(port, "import binascii\n"
                            f"print(binascii.hexlify(open('/{name}','rb').read()).decode())")


@pytest.fixture
def sim(tmp_path):
    with Simulator(tmp_path / "flash", install=False) as s:
        yield s


def quiet(_line):
    pass


def test_a_file_changed_on_the_pendant_is_copied_again(sim):
    inst.install(sim.port, progress=quiet)
    good = read_hex(sim.port, "blend.mpy")
    size = len(good) // 2
    on_pendant(sim.port, "with open('/blend.mpy', 'wb') as f:\n"
                         f" f.write(b'M' + bytes({size - 1}))")
    assert read_hex(sim.port, "blend.mpy") != good  # same name, same size, other bytes
    res = inst.install(sim.port, progress=quiet)
    assert res.copied == ["blend.mpy"]
    assert "blend.mpy" not in res.unchanged
    assert read_hex(sim.port, "blend.mpy") == good


def test_a_module_changed_on_the_host_is_copied_on_the_next_install(sim, tmp_path):
    src = tmp_path / "firmware"
    shutil.copytree(inst.firmware_dir(), src, ignore=shutil.ignore_patterns("__pycache__"))
    mark = b"audit-second-install".hex()
    inst.install(sim.port, src=src, progress=quiet)
    assert mark not in read_hex(sim.port, "blend.mpy")
    with open(src / "blend.py", "a") as f:
        f.write('\nUPDATED = "audit-second-install"\n')
    res = inst.install(sim.port, src=src, progress=quiet)
    assert res.copied == ["blend.mpy"]
    assert mark in read_hex(sim.port, "blend.mpy")
