"""The simulated pendant's power model: current per component state, integrated
over the device's virtual time from the bus records the simulator receives.

The figures come from power.csv beside this module (one row per component
state, with its source; hardware/power.md explains it). It lives in the
package so that `pendant sim-day` works from an installed wheel. The model
follows the hardware, not the firmware's intentions:

- CPU: running at the clock FREQ last set (linear between the table's
  run_<N>mhz rows), in lightsleep between SLEEP and WAKE (USB on/off), or
  dormant (a SLEEP with no timeout);
- panel: on or asleep as the panel model decoded SLPIN/SLPOUT/DISPOFF;
- backlight: PWM duty (or the pin level) on the board's bl pin; during a
  lightsleep PWM is frozen, counted as fully on if the duty was not 0
  (the sim's worst case, as in Wiring.lightsleep);
- IMU: motion detect unless the firmware switched every sensor off;
- always-on: regulator/charger quiescent, battery divider, touch standby;
- off (a power-latch build between looks, POWER_OFF to POWER_ON): the
  table's latch/off row alone, which is everything the cell still feeds.

    model = PowerModel.for_simulator(sim)   # registers itself as a listener
    ...
    model.finish(t_us); print(model.report())
"""

from __future__ import annotations

import csv
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

from pendant.sim import bus

TABLE = Path(__file__).with_name("power.csv")
FOREVER = 0xFFFFFFFF
IMU_CTRL7 = 0x08  # QMI8658 sensor enables (firmware/imu.py)


def load_table(board: str, path: Path | str = TABLE) -> dict[tuple[str, str], float]:
    """(component, state) -> mA for one board: its own rows over the `*` rows."""
    out: dict[tuple[str, str], float] = {}
    own: dict[tuple[str, str], float] = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["component"], r["state"])
            if r["board"] == "*":
                out[key] = float(r["current_ma"])
            elif r["board"] == board:
                own[key] = float(r["current_ma"])
    out.update(own)
    return out


@dataclass
class Figures:
    """The currents the model needs for one board, from the table."""

    board: str
    table: dict[tuple[str, str], float]
    has_imu: bool
    run_points: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for (comp, state), ma in self.table.items():
            m = re.fullmatch(r"run_(\d+)mhz", state)
            if comp == "cpu" and m:
                self.run_points.append((float(m.group(1)) * 1e6, ma))
        self.run_points.sort()

    def get(self, comp: str, state: str) -> float:
        return self.table.get((comp, state), 0.0)

    def cpu_running(self, hz: float) -> float:
        """Linear in the clock through the table's points (extrapolated)."""
        pts = self.run_points
        if len(pts) == 1:
            return pts[0][1] * hz / pts[0][0]
        (f0, a0), (f1, a1) = (pts[0], pts[1]) if hz <= pts[1][0] else (pts[-2], pts[-1])
        for (fa, ma), (fb, mb) in zip(pts, pts[1:], strict=False):
            if fa <= hz <= fb:
                (f0, a0), (f1, a1) = (fa, ma), (fb, mb)
                break
        return max(0.0, a0 + (a1 - a0) * (hz - f0) / (f1 - f0))

    def always(self) -> float:
        """Always-on draws: regulator/charger, the VBAT divider, touch standby."""
        return (self.get("regulator", "quiescent") + self.get("divider", "vbat_sense")
                + self.get("touch", "standby"))

    def imu_floor(self) -> float:
        return self.get("imu", "motion_detect") if self.has_imu else 0.0

    def off(self) -> float | None:
        """A latch build switched off: all the cell feeds (None: no latch row)."""
        return self.table.get(("latch", "off"))

    def floor_asleep(self) -> float:
        """Nobody looking: dormant CPU, panel SLPIN, backlight off, IMU wake-on-motion;
        on a latch build, switched off."""
        off = self.off()
        if off is not None:
            return off
        return (self.get("cpu", "dormant") + self.get("panel", "sleep") + self.imu_floor()
                + self.always())

    def floor_looking(self) -> float:
        """Someone looking: CPU in lightsleep, panel on, backlight full (a lightsleep
        keeps only fully on or off), IMU wake-on-motion."""
        return (self.get("cpu", "lightsleep_usb_off") + self.get("panel", "on")
                + self.get("backlight", "full") + self.imu_floor() + self.always())


class PowerModel:
    """Integrates current over virtual time; feed it every bus record."""

    def __init__(self, figures: Figures, bl_pin: int, usb: bool = False,
                 panel=None, imu_addr: int | None = None) -> None:
        self.f = figures
        self.bl_pin = bl_pin
        self.usb = usb
        self.panel = panel  # the sim's PanelModel: sleeping / display_on
        self.imu_addr = imu_addr
        self.hz = 125_000_000.0
        self.cpu = "running"  # running | lightsleep | dormant
        self.duty = 0.0  # backlight 0..1 while the clocks run
        self.imu_on = figures.has_imu
        self.off = False  # a latch build, switched off
        self.t_us: int | None = None
        self.start_us: int | None = None
        self.count_from = 0  # virtual us: time before this is not counted (boot)
        self.by_state: dict[str, float] = {}  # label -> mA*us
        self.by_part: dict[str, float] = {}
        self.time_in: dict[str, int] = {}  # label -> us

    @classmethod
    def for_simulator(cls, sim, table: Path | str = TABLE) -> PowerModel:
        imu = sim.board.get("imu")
        fig = Figures(sim.board_name, load_table(sim.board_name, table), imu is not None)
        model = cls(fig, sim.board["bl"], usb=sim.usb, panel=sim.panel,
                    imu_addr=imu[3] if imu else None)
        sim.listeners.append(model.record)
        return model

    # -- state ------------------------------------------------------------------

    def panel_on(self) -> bool:
        p = self.panel
        return p is not None and not p.sleeping and p.display_on

    def light(self) -> float:
        if self.cpu != "running" and self.duty > 0:
            return 1.0  # PWM frozen: the worst case, fully on
        return self.duty

    def parts(self) -> dict[str, float]:
        f = self.f
        if self.off:
            return {"latch off": f.off() or 0.0}
        if self.cpu == "running":
            cpu = f.cpu_running(self.hz)
        elif self.cpu == "dormant":
            cpu = f.get("cpu", "dormant")
        else:
            cpu = f.get("cpu", "lightsleep_usb_on" if self.usb else "lightsleep_usb_off")
        return {
            "cpu": cpu,
            "panel": f.get("panel", "on" if self.panel_on() else "sleep"),
            "backlight": f.get("backlight", "full") * self.light(),
            "imu": f.imu_floor() if self.imu_on else 0.0,
            "always-on": f.always(),
        }

    def label(self) -> str:
        if self.off:
            return "switched off (latch)"
        if self.panel_on() and self.light() > 0:
            screen = "screen lit" if self.light() >= 0.999 else "screen dimmed"
        elif self.panel_on():
            screen = "panel on, dark"
        else:
            screen = "panel asleep"
        return f"{screen}, cpu {self.cpu}"

    def current(self) -> float:
        return sum(self.parts().values())

    # -- integration --------------------------------------------------------------

    def advance(self, t_us: int) -> None:
        if self.t_us is None:
            self.t_us = t_us
        if self.start_us is None and t_us >= self.count_from:
            self.start_us = max(self.t_us, self.count_from)
        dt = t_us - max(self.t_us, self.count_from)
        if dt <= 0:
            self.t_us = max(self.t_us, t_us)
            return
        label = self.label()
        parts = self.parts()
        total = sum(parts.values())
        self.by_state[label] = self.by_state.get(label, 0.0) + total * dt
        self.time_in[label] = self.time_in.get(label, 0) + dt
        for k, v in parts.items():
            self.by_part[k] = self.by_part.get(k, 0.0) + v * dt
        self.t_us = t_us

    def record(self, rec: bus.Record) -> None:
        """Listener for Simulator.listeners: every record, after the sim handled it."""
        k, p = rec.kind, rec.payload
        if k == bus.SPI_WRITE:
            return  # SPI traffic costs nothing beyond the running CPU it needs
        self.advance(rec.t_us)
        if k == bus.FREQ:
            self.hz = float(struct.unpack("<II", p)[0])
        elif k == bus.SLEEP:
            _kind, ms = struct.unpack("<BI", p)
            self.cpu = "dormant" if ms == FOREVER else "lightsleep"
        elif k == bus.WAKE:
            self.cpu = "running"
        elif k == bus.PWM_SET:
            gpio, _freq, duty = struct.unpack("<BIH", p)
            if gpio == self.bl_pin:
                self.duty = duty / 65535
        elif k == bus.PWM_DEINIT and p[0] == self.bl_pin:
            self.duty = 0.0
        elif k == bus.PIN_SET and p[0] == self.bl_pin:
            self.duty = float(p[1])
        elif k == bus.I2C_REQ and self.imu_addr is not None:
            _id, op, addr, _n = struct.unpack_from("<BBBH", p)
            data = p[5:]
            if op == bus.I2C_XFER and addr == self.imu_addr and len(data) >= 2 \
                    and data[0] == IMU_CTRL7:
                self.imu_on = data[1] != 0
        elif k == bus.RESET:
            self.cpu = "running"
            self.hz = 125_000_000.0
        elif k == bus.POWER_OFF:
            self.off = True
        elif k == bus.POWER_ON:  # a cold boot: everything at its power-on state
            self.off = False
            self.cpu = "running"
            self.hz = 125_000_000.0
            self.duty = 0.0
            self.imu_on = self.f.has_imu

    def finish(self, t_us: int) -> None:
        """Count the current state up to t_us (e.g. the end of the day)."""
        self.advance(t_us)

    # -- results ------------------------------------------------------------------

    @property
    def elapsed_s(self) -> float:
        if self.t_us is None or self.start_us is None:
            return 0.0
        return (self.t_us - self.start_us) / 1e6

    @property
    def mah(self) -> float:
        return sum(self.by_state.values()) / 3.6e9

    @property
    def average_ma(self) -> float:
        s = self.elapsed_s
        return self.mah * 3600 / s if s else 0.0
