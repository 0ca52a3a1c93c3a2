"""Every command shown in the README runs, in order, against a simulated pendant.

`make test` itself is the command that runs this file, so it is the one left
out. Placeholders are filled in the way a reader would: /dev/pts/N is the
simulator's port, a photo id (or its first digits) is one `pendant list`
printed, photo.jpg and more/*.jpg are sample photos in the working folder.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from pendant.sim import Simulator

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "host" / "pendant" / "samples"
BIN = Path(sys.executable).parent
TOOLS = ("pendant", "make", "mpremote")
HEX = re.compile(r"^[0-9a-f]{4,16}$")


def readme_commands():
    """Command lines from the README's code blocks, comments stripped."""
    commands = []
    in_fence = False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue
        if not (in_fence or line.startswith("    ")):
            continue
        text = line.split("  #")[0].strip()
        if text.split(" ", 1)[0] in TOOLS:
            commands.append(text)
    return commands


def test_readme_has_the_two_quick_start_commands_first():
    assert readme_commands()[:2] == ["make demo", "make test"]


@pytest.fixture
def workdir(tmp_path):
    shutil.copy(SAMPLES / "chelsea.jpg", tmp_path / "photo.jpg")
    (tmp_path / "more").mkdir()
    shutil.copy(SAMPLES / "astronaut.jpg", tmp_path / "more" / "astronaut.jpg")
    ImageOps.mirror(Image.open(SAMPLES / "chelsea.jpg")).save(tmp_path / "more" / "mirror.jpg")
    return tmp_path


def run(cmd, cwd, env, timeout=180):
    proc = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stderr, f"{cmd}\n{proc.stderr}"
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def listed_ids(cwd, env):
    out = run("pendant list", cwd, env)
    return [ln.split()[1] for ln in out.splitlines() if ln.strip()[:1].isdigit()]


def test_every_readme_command_runs(workdir):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    with Simulator(workdir / "pendant-flash") as sim:
        env["PENDANT_PORT"] = sim.port
        ids: dict[str, str] = {}
        ran = []
        for cmd in readme_commands():
            if cmd == "make test":
                continue  # the command that runs this test
            words = cmd.replace("/dev/pts/N", sim.port).split()
            if words[:2] == ["pendant", "studio"]:  # a server: its first line is enough
                first = start_sim_and_read_first_line(words, workdir, dict(env, BROWSER="true"))
                assert first.startswith("studio: http://127.0.0.1:"), first
                ran.append(cmd)
                continue
            if words[:2] == ["pendant", "sim"]:
                first = start_sim_and_read_first_line(words, workdir, env)
                assert first.startswith("port: /dev/pts/"), first
                ran.append(cmd)
                continue
            if words[0] == "pendant" and words[1] in ("show", "order", "remove"):
                have = listed_ids(workdir, env)
                for i, w in enumerate(words[2:], 2):
                    if HEX.match(w):
                        if w not in ids:
                            ids[w] = next(x for x in have if x not in ids.values())
                        words[i] = ids[w]
            cwd = ROOT if words[0] == "make" else workdir
            run(" ".join(words), cwd, env)
            ran.append(cmd)
        assert any(c.startswith("pendant upload") for c in ran)
        assert any(c.startswith("pendant install") for c in ran)


def start_sim_and_read_first_line(words, cwd, env):
    proc = subprocess.Popen(words, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        return proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_relative_links_in_the_docs_resolve():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
            *sorted((ROOT / "hardware").glob("*.md"))]
    broken = []
    for md in docs:
        for link in re.findall(r"\]\(([^)#\s]+)", md.read_text()):
            if not link.startswith(("http://", "https://")) and not (md.parent / link).exists():
                broken.append(f"{md.relative_to(ROOT)} -> {link}")
    assert not broken, broken


# A file named in prose or code: a path with a directory (docs/protocol.md,
# ../x/y.py) or a bare Markdown file name (DESIGN.md).
FILE_REF = re.compile(r"(?<![\w/.-])((?:\.\.?/)*[\w.-]+(?:/[\w.-]+)*\.(?:md|py|toml|scad))\b")


def test_files_named_in_docs_and_tools_are_in_the_repository():
    """Every file the README, docs/, hardware/ or tools/ names resolves inside
    the repository (relative to the naming file or to the root): the repo
    stands alone, so no reference to notes kept elsewhere."""
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "hardware").rglob("*.md")), *sorted((ROOT / "tools").glob("*.py"))]
    names = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    broken = []
    for path in texts:
        for ref in FILE_REF.findall(path.read_text()):
            if "/" in ref:
                ok = any((base / ref).exists() and (base / ref).resolve().is_relative_to(ROOT)
                         for base in (path.parent, ROOT))
            else:
                ok = not ref.endswith(".md") or ref in names
            if not ok:
                broken.append(f"{path.relative_to(ROOT)} -> {ref}")
    assert not broken, broken
