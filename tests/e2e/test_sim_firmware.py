"""`pendant sim --firmware DIR`: the simulator runs someone's changed copy of
firmware/ (e.g. in their CI), not the firmware the tool installs."""

import shutil
import subprocess

from click.testing import CliRunner
from e2e_helpers import PENDANT, ROOT, one_line_error, pendant

from pendant import cli
from pendant import link as link_mod


def test_sim_runs_the_given_firmware(tmp_path):
    fw = tmp_path / "my-firmware"
    shutil.copytree(ROOT / "firmware", fw, ignore=shutil.ignore_patterns("__pycache__"))
    (fw / "version.py").write_text('VERSION = "0.0.0+mine"\n')
    proc = subprocess.Popen([PENDANT, "sim", "--firmware", fw, "--flash", tmp_path / "flash"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("port: "), (first, proc.poll())
        with link_mod.Client(first.split(" ", 1)[1]) as client:
            assert client.info["fw"] == "0.0.0+mine"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_folder_without_main_py_is_one_line(tmp_path):
    proc = pendant("sim", "--firmware", tmp_path, "--flash", tmp_path / "flash")
    assert one_line_error(proc) == (f"error: {tmp_path} has no main.py: give a copy of the "
                                    "firmware/ folder")


def test_help_names_the_option():
    assert "--firmware DIR" in CliRunner().invoke(cli.main, ["sim", "--help"]).output
