"""Fixtures for `pendant studio` tests: the real command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PENDANT = str(Path(sys.executable).parent / "pendant")


class Running:
    def __init__(self, proc: subprocess.Popen, first: str, lines: list[str]):
        self.proc = proc
        self.url = first.split(" ", 1)[1]
        self.base, _, query = self.url.partition("/?")
        self.token = query.split("token=", 1)[1]
        self.address = self.base.removeprefix("http://")
        self.lines = lines


def start_studio(tmp_path: Path, *args: str) -> Running:
    pytest.importorskip("starlette")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), BROWSER="true")
    env.pop("PENDANT_PORT", None)
    proc = subprocess.Popen([PENDANT, "studio", "--no-browser", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    first = proc.stdout.readline().strip()
    if not first.startswith("studio: http://127.0.0.1:"):
        proc.kill()
        raise AssertionError(f"first line {first!r}; stderr: {proc.stderr.read()}")
    return Running(proc, first, [first])


def stop_studio(r: Running) -> None:
    r.proc.terminate()
    try:
        r.proc.wait(20)
    except subprocess.TimeoutExpired:
        r.proc.kill()
        r.proc.wait()
    err = r.proc.stderr.read()
    if err:
        print(f"pendant studio's stderr:\n{err}")  # shown when a test fails


@pytest.fixture
def studio_sim(tmp_path):
    r = start_studio(tmp_path, "--sim", "--flash", str(tmp_path / "flash"))
    yield r
    stop_studio(r)


@pytest.fixture(scope="module")
def studio_nodev(tmp_path_factory):
    """A studio with no pendant (a port that does not exist): for the HTTP tests."""
    tmp = tmp_path_factory.mktemp("studio")
    r = start_studio(tmp, "--port", str(tmp / "no-such-port"))
    yield r
    stop_studio(r)
