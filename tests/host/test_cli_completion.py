"""Shell completion (click's) for commands, options and port names."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from pendant import cli, link

PENDANT = str(Path(sys.executable).parent / "pendant")


def complete(words, cword):
    env = dict(os.environ, COMP_WORDS=words, COMP_CWORD=str(cword),
               _PENDANT_COMPLETE="bash_complete")
    out = subprocess.run([PENDANT], env=env, capture_output=True, text=True).stdout
    return [line.split(",", 1)[1] for line in out.splitlines() if "," in line]


def test_bash_script_is_generated():
    env = dict(os.environ, _PENDANT_COMPLETE="bash_source")
    out = subprocess.run([PENDANT], env=env, capture_output=True, text=True).stdout
    assert "_pendant_completion" in out and "complete " in out


def test_commands_complete():
    assert "upload" in complete("pendant up", 1)
    assert set(complete("pendant ", 1)) >= {"upload", "preview", "list", "sim", "demo"}


def test_options_complete():
    assert "--port" in complete("pendant upload --po", 2)


def test_ports_complete_pendants_first(monkeypatch):
    fake = [
        SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None, description="serial"),
        SimpleNamespace(device="/dev/ttyACM0", vid=0x2E8A, pid=0x0005, description="Pico"),
        SimpleNamespace(device="/dev/ttyUSB0", vid=0x0403, pid=0x6001, description="FTDI"),
    ]
    monkeypatch.setattr(link.list_ports, "comports", lambda: fake)
    items = cli.complete_ports(None, None, "/dev/tty")
    assert [i.value for i in items] == ["/dev/ttyACM0", "/dev/ttyS0", "/dev/ttyUSB0"]
    assert [i.value for i in cli.complete_ports(None, None, "/dev/ttyU")] == ["/dev/ttyUSB0"]
