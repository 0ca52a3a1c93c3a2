"""Optional parts of heart-pendant (pyproject.toml's extras) and the one-line
error a command gives when the one it needs is not installed.

    cv2 = require("faces", "cv2")      # the module, or MissingExtra

MissingExtra is a click exception: raised anywhere under a `pendant`
command, click prints its one line and exits 1, never a traceback.
"""

from __future__ import annotations

import importlib
import re
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import click

DIST = "heart-pendant"
DEV_ONLY = frozenset({"dev", "mutants"})  # extras for working on the project, not using it


def install_command(extra: str) -> str:
    """The command that adds `extra` to the environment this tool runs in."""
    if (Path(sys.prefix) / "pipx_metadata.json").exists():
        # pip inside a pipx venv is not on the user's PATH; pipx reinstalls.
        return f"pipx install --force '{DIST}[{extra}]'"
    return f"pip install '{DIST}[{extra}]'"


def hint(extra: str) -> str:
    return f"this needs the '{extra}' extra: {install_command(extra)}"


class MissingExtra(click.ClickException):
    """An optional part is not installed; str() is the one line for the user."""

    exit_code = 1

    def __init__(self, extra: str) -> None:
        self.extra = extra
        super().__init__(hint(extra))

    def show(self, file=None) -> None:  # the CLI's own "error: ..." style
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def require(extra_name: str, module_name: str) -> ModuleType:
    """Import `module_name`, which the extra `extra_name` installs, or raise
    MissingExtra (also when the module is there but cannot import, e.g. a
    half-installed extra: reinstalling it is the fix either way)."""
    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise MissingExtra(extra_name) from None


def installed() -> dict[str, bool] | None:
    """Each user-facing extra of the installed distribution -> whether all its
    requirements are installed; None when running from a bare checkout."""
    try:
        requires = metadata.requires(DIST) or []
        extras = metadata.metadata(DIST).get_all("Provides-Extra") or []
    except metadata.PackageNotFoundError:
        return None
    out = {name: True for name in extras if name not in DEV_ONLY}
    for req in requires:
        marker = re.search(r"""extra\s*==\s*["']([^"']+)["']""", req)
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        if not marker or not name or marker.group(1) not in out:
            continue
        try:
            metadata.distribution(name.group(0))
        except metadata.PackageNotFoundError:
            out[marker.group(1)] = False
    return out
