"""A broken optional part says so once, in one line, and the rest carries on:
the pendant's viper decoder (MicroPython unix port, a decoder that fails to
load put first on its path) and the host's extras (faces, heif)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = Path(sys.executable).parent / "micropython"


@pytest.mark.skipif(not MICROPYTHON.exists(), reason="no micropython binary in the venv")
def test_pendant_says_once_when_the_viper_decoder_does_not_load(tmp_path):
    broken = tmp_path / "lib"
    broken.mkdir()
    # What an rp2 build without the native emitter does: the module fails to load.
    (broken / "predcodec_viper.py").write_text("raise ImportError('no native emitter')\n")
    script = tmp_path / "boot.py"
    script.write_text("import painter\nimport painter\n"
                      "print('decoder', painter.decode_row is painter.predcodec.decode_row)\n")
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([str(broken), str(ROOT / "firmware")]))
    out = subprocess.run([str(MICROPYTHON), str(script)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    said = [line for line in lines if "viper decoder unavailable" in line]
    assert len(said) == 1 and "no native emitter" in said[0]
    assert lines[-1] == "decoder True"  # carried on with the portable decoder


def test_pendant_is_quiet_when_the_viper_decoder_loads(tmp_path):
    if not MICROPYTHON.exists():
        pytest.skip("no micropython binary in the venv")
    script = tmp_path / "boot.py"
    script.write_text("import painter\nprint('decoder', painter.decode_row is "
                      "painter.predcodec.decode_row)\n")
    env = dict(os.environ, MICROPYPATH=str(ROOT / "firmware"))
    out = subprocess.run([str(MICROPYTHON), str(script)], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["decoder False"]


SAMPLE = ROOT / "host" / "pendant" / "samples" / "astronaut.jpg"
RENDER_TWICE = f"""
from pendant.photo import RenderOptions, render
for _ in range(2):
    render({str(SAMPLE)!r}, RenderOptions(mask="heart"))
print("rendered")
"""


def host_python(tmp_path, code, broken=None, absent=()):
    """Run code in a fresh interpreter where the package `broken` (name, its
    __init__ source) shadows the installed one and `absent` are uninstalled."""
    path = []
    if broken:
        name, source = broken
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(source)
        path.append(str(tmp_path))
    block = "".join(f"import sys; sys.modules[{n!r}] = None\n" for n in absent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    env.pop("PENDANT_EXTRAS_REPORTED", None)
    return subprocess.run([sys.executable, "-c", block + code], capture_output=True,
                          text=True, timeout=120, env=env)


def warnings_in(stderr):
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_a_broken_faces_extra_is_said_once_and_photos_still_render(tmp_path):
    out = host_python(tmp_path, RENDER_TWICE,
                      broken=("cv2", "raise ImportError('libGL.so.1: cannot open shared object')"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "rendered"
    said = warnings_in(out.stderr)
    assert len(said) == 1 and "'faces'" in said[0] and "libGL.so.1" in said[0]
    assert out.stderr.strip() == said[0]


def test_a_broken_heif_extra_is_said_once_and_jpegs_still_render(tmp_path):
    out = host_python(tmp_path, RENDER_TWICE,
                      broken=("pillow_heif", "raise OSError('libheif.so.1: bad ELF')"))
    assert out.returncode == 0, out.stderr
    said = warnings_in(out.stderr)
    assert len(said) == 1 and "'heif'" in said[0] and "libheif.so.1" in said[0]
    assert out.stderr.strip() == said[0]


def test_extras_that_are_not_installed_are_not_an_error(tmp_path):
    out = host_python(tmp_path, RENDER_TWICE, absent=("cv2", "pillow_heif"))
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == ""


def test_the_batch_pool_says_it_once_not_once_per_worker(tmp_path):
    code = f"""
from pendant import batch
from pendant.photo import RenderOptions
import pendant.batch
pendant.batch.workers_for = lambda n: 2  # a pool even on one core
got = batch.convert_all([{str(SAMPLE)!r}] * 3, RenderOptions(mask="heart"))
print(sum(c.error is None for c in got))
"""
    out = host_python(tmp_path, code, broken=("cv2", "raise ImportError('libGL.so.1')"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3"
    assert len(warnings_in(out.stderr)) == 1
