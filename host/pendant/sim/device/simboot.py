# Boots the simulated pendant inside the MicroPython unix port, the way the
# rp2 port boots: littlefs flash at '/', then /boot.py and /main.py.
#
# When main.py ends or is interrupted (Ctrl-C) the REPL of repl.py takes the
# serial port, as on rp2; its soft reset exits with a code the host Simulator
# reads to start the interpreter again (PENDANT_SIM_REPL: the mode to resume).
#
# Run as `micropython -X heapsize=256K simboot.py`; this file's folder is
# sys.path[0], so the sim's machine.py and time.py shadow the built-ins.
#
# Heap: an RP2040's MicroPython GC heap is about 192 KB, and its machine
# module is C code that takes none of it. Here the sim's own modules (machine,
# time, the REPL) are Python on the heap, so the interpreter gets more and
# simboot pins one block of ballast until the firmware finds FREE_AT_BOOT
# bytes free at boot: the room it would have on the device.
# Everything from the host filesystem (those modules, the bus pipes, the flash
# image) is opened before '/' is swapped for the flash image.
#
# Environment: PENDANT_SIM_FLASH (image path), PENDANT_SIM_FIRMWARE (folder to
# install from, or empty), PENDANT_SIM_SPEED ("real" | "fast"),
# PENDANT_SIM_BUS ("w,r" pipe fds), PENDANT_SIM_BOARD.
import gc
import os
import sys
import time

time.fast = os.getenv("PENDANT_SIM_SPEED") == "fast"

import machine  # noqa: E402, F401  (opens the bus and takes the host's config)
import repl  # noqa: E402  (before '/' becomes the flash: it lives next to this file)
import vfs  # noqa: E402

# Estimate: 192 KB of GC heap less what the rp2 runtime holds at boot (stdio,
# USB, the REPL's state). PENDANT_SIM_FREE overrides it (bytes).
FREE_AT_BOOT = 184 * 1024
BLOCK_SIZE = 4096
BLOCK_COUNT = 352  # 1408 KiB, the filesystem of a 2 MB RP2040 board


class FileBlockDevice:
    """littlefs block device over one host file; erased flash reads 0xFF."""

    def __init__(self, f, count):
        self.f = f
        self.count = count

    def readblocks(self, n, buf, off=0):
        self.f.seek(n * BLOCK_SIZE + off)
        self.f.readinto(buf)

    def writeblocks(self, n, buf, off=None):
        if off is None:  # simple interface: whole blocks, erase first
            for i in range(len(buf) // BLOCK_SIZE):
                self.ioctl(6, n + i)
            off = 0
        self.f.seek(n * BLOCK_SIZE + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.count
        if op == 5:
            return BLOCK_SIZE
        if op == 6:
            self.f.seek(arg * BLOCK_SIZE)
            self.f.write(b"\xff" * BLOCK_SIZE)
            return 0
        if op == 3:
            self.f.flush()
        return 0


def open_image(path):
    try:
        f = open(path, "r+b")
    except OSError:
        f = open(path, "w+b")
        blank = b"\xff" * BLOCK_SIZE
        for _ in range(BLOCK_COUNT):
            f.write(blank)
        f.flush()
    return FileBlockDevice(f, BLOCK_COUNT)


def make_vfs(bdev):
    try:
        return vfs.VfsLfs2(bdev)
    except OSError:
        vfs.VfsLfs2.mkfs(bdev)
        return vfs.VfsLfs2(bdev)


def install(fs, src):
    """Copy the firmware's *.py / *.mpy into the flash where the content differs.

    The host hands over modules compiled like `pendant install` does (see
    Simulator); a module's other form left from an older install is removed,
    since a stale .py would win over the new .mpy on import.
    """
    os.mount(fs, "/flash")
    try:
        for name in sorted(os.listdir(src)):
            if not name.endswith((".py", ".mpy")) or name.startswith("__init__."):
                continue
            stem, ext = name.rsplit(".", 1)
            try:
                os.remove("/flash/" + stem + (".py" if ext == "mpy" else ".mpy"))
            except OSError:
                pass
            with open(src + "/" + name, "rb") as f:
                data = f.read()
            try:
                with open("/flash/" + name, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                with open("/flash/" + name, "wb") as f:
                    f.write(data)
        board = os.getenv("PENDANT_SIM_BOARD")
        if board:
            set_board("/flash/settings.json", board)
    finally:
        os.umount("/flash")


def set_board(path, board):
    """Store the simulated board in the settings, as `pendant install --board`
    does on real hardware; other settings are kept."""
    import json

    try:
        with open(path) as f:
            values = json.load(f)
    except (OSError, ValueError):
        values = {}
    if not isinstance(values, dict):
        values = {}
    if values.get("board") != board:
        values["board"] = board
        with open(path, "w") as f:
            json.dump(values, f)


def pin_ballast(free_at_boot):
    """Hold heap that the device would not have, as one block (see the top)."""
    gc.collect()
    spare = gc.mem_free() - free_at_boot
    return bytearray(spare) if spare > 0 else None


def mount_root(fs):
    os.umount("/")
    os.mount(fs, "/")
    os.chdir("/")
    sys.path[:] = ["", ".frozen", "/lib"]


def run(path, g):
    """exec a script in the REPL's globals like pyexec_file.

    Errors print as on rp2, on the serial port, and also in the console log.
    Returns the exit code of a reset the script asked for, else None.
    """
    try:
        os.stat(path)
    except OSError:
        return None
    try:
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, g)
    except SystemExit as e:
        code = e.args[0] if e.args else 0
        if code == repl.RESET_EXIT:
            raise
        if code in (repl.SOFT_RESET_EXIT, repl.SOFT_RESET_RAW_EXIT):
            return code
    except BaseException as e:  # noqa: BLE001 - the rp2 port prints and carries on
        repl.print_exception(e)
        repl.print_exception(e, sys.stderr)
    return None


def main():
    bdev = open_image(os.getenv("PENDANT_SIM_FLASH") or "flash.img")
    fs = make_vfs(bdev)
    try:
        os.mount(fs, "/flash")
        os.umount("/flash")
    except OSError:  # corrupt image: start over like a fresh board
        vfs.VfsLfs2.mkfs(bdev)
        fs = vfs.VfsLfs2(bdev)
    src = os.getenv("PENDANT_SIM_FIRMWARE")
    if src:
        install(fs, src)
    mount_root(fs)
    ballast = pin_ballast(int(os.getenv("PENDANT_SIM_FREE") or FREE_AT_BOOT))
    # One __main__ namespace for boot.py, main.py and the REPL, as on rp2:
    # after Ctrl-C the app's globals are there to inspect.
    g = {"__name__": "__main__"}
    # After a soft reset from the raw REPL the rp2 port skips main.py.
    mode = os.getenv("PENDANT_SIM_REPL") or repl.FRIENDLY
    code = run("/boot.py", g)
    if code is None and mode == repl.FRIENDLY:
        code = run("/main.py", g)
    if code is None:
        code = repl.main(g, mode)
    else:
        repl.write(b"MPY: soft reboot\r\n")
    bdev.f.flush()
    del ballast  # held to here: the firmware's whole life
    sys.exit(code)


main()
