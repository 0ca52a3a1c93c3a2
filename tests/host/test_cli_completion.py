"""Shell completion (click's) for commands, options and port names."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import click

from pendant import cli, clikit, link

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


FAKE_PORTS = [
    SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None, description="serial"),
    SimpleNamespace(device="/dev/ttyACM0", vid=0x2E8A, pid=0x0005, description="Pico"),
    SimpleNamespace(device="/dev/ttyUSB0", vid=0x0403, pid=0x6001, description="FTDI"),
]


def test_ports_complete_pendants_first(monkeypatch):
    monkeypatch.setattr(link.list_ports, "comports", lambda: FAKE_PORTS)
    items = clikit.complete_ports(None, None, "/dev/tty")
    assert [i.value for i in items] == ["/dev/ttyACM0", "/dev/ttyS0", "/dev/ttyUSB0"]
    assert [i.value for i in clikit.complete_ports(None, None, "/dev/ttyU")] == ["/dev/ttyUSB0"]


def test_every_port_option_completes_ports(monkeypatch):
    monkeypatch.setattr(link.list_ports, "comports", lambda: FAKE_PORTS)
    with_port = []
    for name, command in cli.main.commands.items():
        for param in command.params:
            if param.name == "port":
                with_port.append(name)
                found = param.shell_complete(click.Context(command), "/dev/ttyA")
                assert [i.value for i in found] == ["/dev/ttyACM0"], name
    assert {"upload", "list", "show", "settings", "install"} <= set(with_port)
