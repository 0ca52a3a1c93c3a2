"""The tool as people install it: build the sdist and, from it, the wheel (as a
release would), install the wheel into a fresh virtual environment outside
the checkout, and run the commands there. Nothing comes from the repository.

The venv has no system site-packages and no pip of its own: this venv's pip
installs into it (`pip --python`), without compiling .pyc files. Neither
hides a missing dependency; they only save ~25 s on a 2-core machine.
Packages come from PyPI through pip's cache. First the wheel goes in without
extras (the one-line errors of a missing extra are checked then), then
`[sim]` is added, as the error line tells a user to.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "host" / "pendant" / "samples"
VERSION = re.search(r'^VERSION = "([^"]+)"', (ROOT / "firmware" / "version.py").read_text(),
                    re.M).group(1)
SIM_HINT = "error: this needs the 'sim' extra: pip install 'heart-pendant[sim]'"
HEIF_HINT = "this needs the 'heif' extra: pip install 'heart-pendant[heif]'"

# Files the commands open by path at run time, so a wheel without them
# imports fine and fails later (the demo once uploaded nothing).
OPENED_BY_PATH = {
    "pendant/samples/astronaut.jpg": "pendant demo, sim-day (cli.SAMPLES, sim/day.py)",
    "pendant/samples/chelsea.jpg": "pendant demo, sim-day",
    "pendant/samples/LICENSE.txt": "the photos' licence travels with them",
    "pendant/sim/power.csv": "sim-day's power model (sim/power.py TABLE)",
    "pendant/sim/device/simboot.py": "the simulator's micropython entry (DEVICE_DIR)",
    "pendant/sim/device/machine.py": "imported by the firmware inside the simulator",
    "pendant/firmware/main.py": "pendant install / the simulator copy firmware/*.py",
    "pendant/firmware/version.py": "pendant install checks the version it installed",
}
NOT_SHIPPED = {"firmware/mypy.ini"}  # make typecheck's, not the pendant's


def git_files(*tops: str) -> list[str] | None:
    """Files git knows (tracked, or new and not ignored); None outside a checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              *tops], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [f for f in out.stdout.splitlines() if (ROOT / f).is_file()]


def source_files(top: str) -> set[str]:
    files = git_files(top)
    if files is None:  # an unpacked sdist: skip caches and other dot-folders
        files = [str(p.relative_to(ROOT)) for p in (ROOT / top).rglob("*") if p.is_file()
                 and not any(part.startswith(".") or part == "__pycache__"
                             for part in p.relative_to(ROOT).parts)]
    return {f for f in files if not f.endswith(".pyc")}


def run(cmd, cwd, env, timeout=300, check=True):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check:
        assert "Traceback" not in proc.stderr, f"{cmd}\n{proc.stderr}"
        assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(sdist, wheel): the wheel is built from the unpacked sdist, the sdist from a
    copy of the source files (setuptools reuses the checkout's *.egg-info and
    build/, so a stale one there could hide a file the config leaves out)."""
    src = tmp_path_factory.mktemp("src")
    files = git_files()
    if files is None:
        shutil.copytree(ROOT, src, dirs_exist_ok=True, ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "*.egg-info", "build", "dist", "*.pyc"))
    for f in files or ():
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, src / f)
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, src], cwd=src, env=os.environ)
    (sdist,) = out.glob("heart_pendant-*.tar.gz")
    (wheel,) = out.glob("heart_pendant-*.whl")
    return sdist, wheel


def test_the_wheel_holds_the_package_tree_and_nothing_else(dists):
    names = set(zipfile.ZipFile(dists[1]).namelist())
    shipped = {n for n in names if not n.startswith("heart_pendant-")}
    want = {"pendant/" + f[len("host/pendant/"):] for f in source_files("host/pendant")}
    want |= {"pendant/" + f for f in source_files("firmware") - NOT_SHIPPED}
    missing, extra = sorted(want - shipped), sorted(shipped - want)
    assert not missing, ("not in the wheel (a new subpackage goes into pyproject.toml's "
                         f"packages, a data file into its package-data): {missing}")
    assert not extra, f"in the wheel but not in the source tree: {extra}"
    for name, why in OPENED_BY_PATH.items():
        assert name in names, f"{name} is missing ({why})"
    assert f"heart_pendant-{VERSION}.dist-info/licenses/LICENSE" in names


def test_the_sdist_holds_every_tracked_file(dists):
    tracked = git_files()
    if tracked is None:
        pytest.skip("not a git checkout: no list of tracked files to compare with")
    with tarfile.open(dists[0]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = sorted(f for f in tracked if f not in names and f != ".gitignore")
    assert not missing, f"tracked but not in the sdist (see MANIFEST.in): {missing}"


def clean_env(venv: Path) -> dict:
    """What a shell with only this venv (and the system's tools) on PATH has."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PENDANT_PORT", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/bin", "/bin"])
    return env


def make_heic(path: Path) -> bool:
    """A real HEIC photo (pillow-heif is part of dev), or False if it cannot encode."""
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        Image.open(SAMPLES / "chelsea.jpg").save(path, format="HEIF", quality=80)
    except Exception:  # noqa: BLE001 - an encoder-less build: skip that check
        return False
    return True


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory):
    """The wheel in a fresh venv; returns (venv, env, work dir, bare-install results)."""
    home = tmp_path_factory.mktemp("user")  # outside the checkout
    venv = home / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=home, env=os.environ)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
           "--no-compile"]
    t0 = time.monotonic()
    run([*pip, dists[1]], cwd=home, env=os.environ)
    env = clean_env(venv)
    work = home / "photos"
    work.mkdir()
    # Without [sim] (and without heif): what the user meets first.
    bare = {
        "sim": run(["pendant", "sim"], work, env, check=False),
        "demo": run(["pendant", "demo"], work, env, check=False),
        "version": run(["pendant", "--version"], work, env),
    }
    if make_heic(work / "IMG_0001.HEIC"):
        bare["heic"] = run(["pendant", "preview", "IMG_0001.HEIC", "-o", "p.png"], work, env,
                           check=False)
    run([*pip, f"{dists[1]}[sim]"], cwd=home, env=os.environ)
    print(f"\ninstalling the wheel and its dependencies took {time.monotonic() - t0:.1f} s")
    yield venv, env, work, bare
    shutil.rmtree(venv, ignore_errors=True)  # ~150 MB; pytest keeps its last 3 runs


def extras_line(version_out: str) -> tuple[set[str], set[str]]:
    """`pendant --version`'s extras line -> (installed, not installed)."""
    line = next(ln for ln in version_out.splitlines() if ln.startswith("extras: "))
    m = re.fullmatch(r"extras: (.*?)(?: \(not installed: (.*)\))?", line)
    on = set() if m.group(1) == "none" else set(m.group(1).split(", "))
    return on, set(m.group(2).split(", ")) if m.group(2) else set()


def one_error_line(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc
    assert "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    return lines[0]


def test_it_runs_from_the_venv_not_the_checkout(installed):
    venv, env, work, _ = installed
    where = run(["python", "-c", "import pendant; print(pendant.__file__)"], work, env)
    assert where.stdout.startswith(str(venv)), where.stdout
    assert not where.stdout.startswith(str(ROOT))


def test_without_the_sim_extra_the_simulator_commands_say_how_to_get_it(installed):
    bare = installed[3]
    if shutil.which("micropython", path="/usr/bin:/bin"):
        pytest.skip("this machine has a micropython of its own on PATH")
    assert one_error_line(bare["sim"]) == SIM_HINT
    assert one_error_line(bare["demo"]) == SIM_HINT
    on, off = extras_line(bare["version"].stdout)
    assert not on and {"sim", "heif", "faces"} <= off


def test_without_the_heif_extra_a_heic_photo_says_how_to_get_it(installed):
    bare = installed[3]
    if "heic" not in bare:
        pytest.skip("pillow-heif cannot encode HEIC here")
    assert one_error_line(bare["heic"]) == f"error: IMG_0001.HEIC: a HEIC/HEIF photo; {HEIF_HINT}"


def test_version(installed):
    _, env, work, _ = installed
    out = run(["pendant", "--version"], work, env).stdout.splitlines()
    assert re.fullmatch(rf"pendant {re.escape(VERSION)}: installs firmware "
                        rf"{re.escape(VERSION)} \(link protocol \d+\)", out[0]), out
    on, off = extras_line("\n".join(out))
    assert on == {"sim"} and {"heif", "faces"} <= off, out


def test_demo_shows_the_sample_photos(installed):
    _, env, work, _ = installed
    proc = run(["pendant", "demo", "--screen", "demo.png"], work, env)
    assert "the pendant's screen is in demo.png" in proc.stdout
    shown = Image.open(work / "demo.png").convert("RGB")
    # The picture the README shows (tests/e2e/test_demo.py keeps it current).
    readme = Image.open(ROOT / "docs" / "img" / "demo-screen.png").convert("RGB")
    assert ImageChops.difference(shown, readme).getbbox() is None
    # ...which is the installed tool's own preview of the last sample, as the
    # glass shows it at the default brightness (70%).
    run(["pendant", "preview", SAMPLES / "chelsea.jpg", "-o", "preview.png"], work, env)
    preview = Image.open(work / "preview.png").convert("RGB")
    dimmed = ImageChops.multiply(preview, Image.new("RGB", preview.size, (178, 178, 178)))
    assert ImageChops.difference(shown, dimmed).getbbox() is None


def test_sim_with_upload(installed):
    _, env, work, _ = installed
    ImageOps.mirror(Image.open(SAMPLES / "astronaut.jpg")).save(work / "photo.jpg")
    sim = subprocess.Popen(["pendant", "sim", "--screen", "screen.png", "--flash", "flash"],
                           cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, stdin=subprocess.DEVNULL)
    try:
        first = sim.stdout.readline().strip()
        assert first.startswith("port: /dev/"), (first, sim.stderr.read() if sim.poll() else "")
        port = first.split(" ", 1)[1]
        up = run(["pendant", "upload", "--port", port, "photo.jpg"], work, env)
        assert "photo.jpg: uploaded" in up.stdout
        listed = run(["pendant", "list", "--port", port], work, env).stdout
        assert len([ln for ln in listed.splitlines() if ln.strip()[:1].isdigit()]) == 1
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the sim keeps screen.png current
            try:
                if Image.open(work / "screen.png").getcolors(1) is None:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the simulated pendant's screen.png stayed blank")
    finally:
        sim.terminate()
        _, err = sim.communicate(timeout=30)
    assert sim.returncode == 0 and "Traceback" not in err, err
    assert (work / "flash" / "flash.img").is_file()


def test_sim_day_reads_its_power_table(installed):
    _, env, work, _ = installed
    out = run(["pendant", "sim-day", "--board", "pico-gc9a01"], work, env).stdout
    assert re.search(r"battery\s+\d+\.\d+ days on 200 mAh", out), out


def test_install_help(installed):
    _, env, work, _ = installed
    out = run(["pendant", "install", "--help"], work, env).stdout
    assert "--board" in out and "--port" in out
