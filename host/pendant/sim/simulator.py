"""The simulated pendant: the real MicroPython binary, a pty, a panel model.

    with Simulator(tmp / "flash", screen=tmp / "screen.png") as sim:
        serial.Serial(sim.port)        # talk to the firmware like a USB port
        sim.wait_screen_change(5)
        sim.screenshot().save("now.png")

micropython runs device/simboot.py with stdin/stdout on the master side of a
pseudo-terminal; clients open the slave (`port`). Hardware events come back
over a pipe (see bus.py) to a thread that drives the panel model through the
board's wiring and keeps the screen PNG current.

A board with a power latch ("latch" in its profile) is powered only while the
firmware drives that GPIO high, its button is down or USB is present. With
none of them the process is stopped (RAM lost, flash kept; listeners get a
POWER_OFF record) and the next press starts a fresh one, boot.py then main.py,
with the virtual clock running on (POWER_ON). start() switches such a board
on with a LATCH_ON_US press, as a wearer would.
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

from pendant.extras import MissingExtra
from pendant.firmware import boards
from pendant.sim import bus
from pendant.sim.panel import PanelModel

DEVICE_DIR = Path(__file__).parent / "device"
RESET_EXIT = 75  # machine.reset()/deepsleep() exit code: boot again
# A soft reset from the REPL (device/repl.py): boot again without resetting the
# panel, resuming the friendly REPL (boot.py, main.py) or the raw REPL.
SOFT_RESET_MODES = {76: "friendly", 77: "raw"}
QUIET_S = 0.05  # SPI silence that means "the frame is done"
# A latch build is switched on by a press: the button is held this long at
# start() (as rp2emu's --latch-on-ms), so boot.py must take over the hold by then.
LATCH_ON_US = 300_000


def find_micropython() -> str:
    """The unix port: the `sim` extra's, beside this Python, else one on PATH."""
    local = Path(sys.executable).parent / "micropython"
    if local.exists():
        return str(local)
    found = shutil.which("micropython")
    if not found:
        raise MissingExtra("sim")
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
        # Power latch (board "latch" key): the board has power while the
        # firmware drives that pin high, the button is down or USB is present.
        # Without, the process is stopped (RAM lost, flash kept) and the next
        # press boots it cold. Levels scripted for later virtual times are
        # kept (script) to know the button at any moment and replay the rest
        # after a cold boot.
        self.latch = self.board.get("latch")
        self.driven: dict[int, int] = {}  # gpio -> level the firmware drives
        self.script: list[tuple[int, int, int]] = []  # (at_us, gpio, level), sorted
        self._base: dict[int, int] = {}  # levels before the script
        self.powered = True
        self.power_offs: list[int] = []  # virtual us of each switch-off
        self.power_ons: list[int] = []  # virtual us of each press-driven cold boot
        self._t_last = 0  # virtual time of the last record (or of the boot)
        self._t_last_wall = 0.0
        self._cuts = 0
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
        find_micropython()  # without the unix port, say so before opening anything
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
        self._base = dict(self.pins)
        if self.latch is not None and not self._held_by_input(0):
            # Switched on by the wearer: the button held, released later.
            b = self.board["button"]
            self._base[b] = 0
            if self.speed == "fast":
                self._script(LATCH_ON_US, b, 1)
            else:
                timer = threading.Timer(LATCH_ON_US / 1e6, self.set_pin, (b, 1))
                timer.daemon = True
                timer.start()
        self._t_last_wall = time.monotonic()
        self._spawn(install=self.install, pins=self._levels_at(0))
        if self.latch is not None and self.speed == "fast":
            for at, gpio, level in self.script:
                self._send(bus.pin_level(gpio, level, at))
        self._thread = threading.Thread(target=self._run, name="pendant-sim-bus", daemon=True)
        self._thread.start()
        if not self._hello.wait(10):
            self.stop()
            raise RuntimeError("simulated pendant did not boot:\n" + self.console_log)

    def _spawn(self, install: bool, reset_cause: int = 1, repl: str = "",
               pins: dict[int, int] | None = None, t0_us: int = 0) -> None:
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
        extra = {"t0_us": t0_us} if t0_us else {}
        bus.write_all(host_w, bus.config(self.pins if pins is None else pins, adc,
                                         reset_cause=reset_cause,
                                         usb=1 if self.usb else 0, **extra))
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
            if self.latch is None:
                self._send(bus.pin_level(gpio, level, at_us))
                return
            if at_us:
                self._script(at_us, gpio, self.pins[gpio])
            else:
                self._base[gpio] = self.pins[gpio]
            if self.powered:
                self._send(bus.pin_level(gpio, level, at_us))
                if not at_us:
                    now = self._now_us()
                    if not self._held(now):
                        self._power_off(now)
            elif not at_us and self._held_by_input(0):
                self._power_on(self._now_us())
            else:
                self._next_press()

    # ------------------------------------------------------------ power latch

    def _script(self, at_us: int, gpio: int, level: int) -> None:
        i = len(self.script)
        while i and self.script[i - 1][0] > at_us:
            i -= 1
        self.script.insert(i, (at_us, gpio, level))

    def _level_at(self, gpio: int, t_us: int) -> int | None:
        level = self._base.get(gpio)
        for at, g, lv in self.script:
            if at > t_us:
                break
            if g == gpio:
                level = lv
        return level

    def _levels_at(self, t_us: int) -> dict[int, int]:
        gpios = set(self._base) | {g for _at, g, _lv in self.script}
        out = {}
        for g in gpios:
            lv = self._level_at(g, t_us)
            if lv is not None:
                out[g] = lv
        return out

    def _held_by_input(self, t_us: int) -> bool:
        """Power through the latch's other inputs: the button down, or USB."""
        b, v = self.board.get("button"), self.board.get("vbus")
        if b is not None and self._level_at(b, t_us) == 0:
            return True
        if v is not None:
            return self._level_at(v, t_us) == 1
        return self.usb

    def _held(self, t_us: int) -> bool:
        return self.driven.get(self.latch) == 1 or self._held_by_input(t_us)

    def _now_us(self) -> int:
        """The device's virtual time now, from the last record (real speed)."""
        return self._t_last + int((time.monotonic() - self._t_last_wall) * 1e6)

    def _cut_at(self, t_us: int) -> int | None:
        """The first moment in [last record, t_us] with nothing holding the
        power (the level the firmware drives is constant between records)."""
        if self.latch is None or not self.powered or self.driven.get(self.latch) == 1:
            return None
        moments = [self._t_last] + [at for at, _g, _lv in self.script
                                    if self._t_last < at <= t_us]
        for m in moments:
            if not self._held_by_input(m):
                return m
        return None

    def _power_off(self, t_us: int) -> None:
        """Nothing holds the latch: the board is off (RAM and panel lost)."""
        with self._lock:
            self.powered = False
            self._cuts += 1
            self.power_offs.append(t_us)
            proc = self.proc
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            for fd in (self._to_dev, self._from_dev):
                if fd >= 0:
                    os.close(fd)
            self._to_dev = self._from_dev = -1
            self.driven.clear()
            self._t_last = t_us
            self._t_last_wall = time.monotonic()
            # Listeners see the glass as it was at the cut, then it goes dark.
            self._emit(bus.Record(bus.POWER_OFF, t_us, b""))
            self.panel.unpower()
            self.wiring = Wiring(self.board, self.panel)
            self._next_press()

    def _next_press(self) -> None:
        """Off, with the script holding a later press: it boots the board then."""
        b = self.board.get("button")
        if self.powered or b is None:
            return
        for at, g, lv in self.script:
            if at > self._t_last and g == b and lv == 0:
                self._power_on(at)
                return

    def _power_on(self, t_us: int) -> None:
        """A press powers the board: a fresh process, boot.py then main.py."""
        with self._lock:
            self.powered = True
            self.power_ons.append(t_us)
            self._t_last = t_us
            self._t_last_wall = time.monotonic()
            self._spawn(install=False, reset_cause=1, pins=self._levels_at(t_us),
                        t0_us=t_us)
            for at, gpio, level in self.script:
                if at > t_us:
                    self._send(bus.pin_level(gpio, level, at))
            self._emit(bus.Record(bus.POWER_ON, t_us, b""))
            self._changed.notify_all()

    def _emit(self, rec: bus.Record) -> None:
        self.events.append(rec)
        for listener in self.listeners:
            listener(rec)

    def wait_off(self, timeout: float, after_us: int = 0) -> bool:
        """Wait until the board is switched off (after virtual time after_us)."""
        return self.wait_for(lambda: not self.powered and self._t_last >= after_us, timeout)

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

    def wait_screen_change(self, timeout: float, since: int | None = None) -> bool:
        """Wait for the picture to change (from panel.version `since`, default
        now) and the SPI stream to go quiet."""
        start = self.panel.version if since is None else since
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
            if not self.powered:  # a latch build, switched off: wait for a press
                if self._stopping:
                    break
                with self._changed:
                    self._changed.wait(0.05)
                reader = bus.RecordReader()
                continue
            fd = self._from_dev
            gen = self._cuts
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
                if self.latch is not None and (not self.powered or fd != self._from_dev):
                    # switched off (maybe on again) from another thread: a set_pin
                    reader = bus.RecordReader()
                    continue
                if not self._rebooted():
                    break
                reader = bus.RecordReader()
                continue
            with self._changed:
                cuts = self._cuts
                if cuts != gen:  # read from a process switched off meanwhile
                    reader = bus.RecordReader()
                    continue
                for rec in reader.feed(data):
                    if self.latch is not None:
                        cut = self._cut_at(rec.t_us)
                        if cut is not None:
                            self._power_off(cut)
                            break
                    self._handle(rec)
                    for listener in self.listeners:
                        listener(rec)
                    if self._cuts != cuts:  # the firmware let go of the latch
                        break
                    # HELLO goes out before CONFIG sets a cold boot's clock
                    self._t_last = max(self._t_last, rec.t_us)
                    self._t_last_wall = time.monotonic()
                if self._cuts != cuts:
                    reader = bus.RecordReader()  # the rest was never sent
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
                if self.latch is not None:  # its clock runs on, as the script's
                    self._spawn(install=False, reset_cause=self._reset_cause, repl=soft,
                                pins=self._levels_at(self._t_last), t0_us=self._t_last)
                    for at, gpio, level in self.script:
                        if at > self._t_last:
                            self._send(bus.pin_level(gpio, level, at))
                    return True
                self._spawn(install=False, reset_cause=self._reset_cause, repl=soft)
                return True
            self.panel.reset()
            self.wiring = Wiring(self.board, self.panel)
            if self.latch is not None:
                # A reset lets every pad go, the hold pin too: on battery with
                # the button up, the board is off before boot.py can hold it.
                self.driven.clear()
                self._spawn(install=False, reset_cause=3 if deep else 1,
                            pins=self._levels_at(self._t_last), t0_us=self._t_last)
                for at, gpio, level in self.script:
                    if at > self._t_last:
                        self._send(bus.pin_level(gpio, level, at))
                return True
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
            self._drive(p[0], p[1], rec.t_us)
        elif k == bus.PIN_MODE:
            self.wiring.pin(p[0], p[3])
            self._drive(p[0], p[3], rec.t_us)
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

    def _drive(self, gpio: int, level: int, t_us: int) -> None:
        if level == bus.NONE_PIN:
            self.driven.pop(gpio, None)
        else:
            self.driven[gpio] = level
        if gpio == self.latch and self.powered and not self._held(t_us):
            self._power_off(t_us)

    # ------------------------------------------------------------ queries

    def spi_rates(self) -> list[int]:
        """Real SPI clock after each SPI init or clock change, in order."""
        return [struct.unpack_from("<BII", r.payload)[2]
                for r in self.events if r.kind == bus.SPI_INIT]
