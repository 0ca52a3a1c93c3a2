"""A simulated day: a usage profile played against the real firmware.

The pendant runs with speed="fast" (sleeps advance a virtual clock at once) and
no USB host. Every look is scripted up front as pin changes stamped with the
virtual time they happen at (Simulator.set_pin(at_us=...)): a button press on
builds with a button (on a latch build each first press is a cold boot),
an IMU INT1 toggle (motion) on builds with an IMU. The
power model integrates the current over the day; the theoretical best is the
same day with every part at its floor except while someone looks.

    result = run_day("waveshare-rp2040-lcd-1.28", PROFILES["worn"])
    print(format_result(result))
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pendant.firmware import boards, settings
from pendant.sim import bus
from pendant.sim.power import PowerModel
from pendant.sim.simulator import Simulator

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SETTLE_S = 300  # boot, first photo and the first fall asleep: before the day starts
KEEPALIVE_S = 20  # someone watching moves the pendant at least this often
# A press of the button, down to up. On a latch build it powers the board
# until boot.py holds it: the unix port's boot is host wall time inside the
# virtual clock (about 60 ms here, slower on a loaded host), so the press is
# a relaxed human one. The chip's own time to the hold is rp2emu's to show.
PRESS_US = 250_000


@dataclass
class Profile:
    """A day of wearing: looks spread evenly over the worn hours."""

    name: str = "worn"
    hours: float = 24.0
    worn_hours: float = 16.0
    glances: int = 12
    glance_s: float = 30.0
    viewings: int = 2
    viewing_s: float = 300.0

    @property
    def looking_s(self) -> float:
        return self.glances * self.glance_s + self.viewings * self.viewing_s

    def looks(self) -> list[tuple[float, float]]:
        """(start s, duration s) of every look, in order."""
        n = self.glances + self.viewings
        if not n:
            return []
        gap = self.worn_hours * 3600 / n
        # the viewings fall at evenly spaced places among the glances
        kinds = [self.glance_s] * self.glances
        for i in range(self.viewings):
            kinds.insert((i + 1) * n // (self.viewings + 1), self.viewing_s)
        return [(gap * (i + 0.5), d) for i, d in enumerate(kinds[:n])]

    @classmethod
    def load(cls, text: str) -> Profile:
        """A built-in name or a JSON file with any of the fields."""
        if text in PROFILES:
            return PROFILES[text]
        data = json.loads(Path(text).read_text())
        return cls(**{"name": Path(text).stem, **data})


PROFILES = {
    "worn": Profile(),
    "idle": Profile(name="idle", glances=0, viewings=0),
    "busy": Profile(name="busy", glances=40, viewings=6),
}


@dataclass
class DayResult:
    board: str
    profile: Profile
    capacity_mah: float
    hours: float
    mah: float
    by_state: dict[str, float] = field(default_factory=dict)  # label -> mAh
    time_in: dict[str, float] = field(default_factory=dict)  # label -> s
    by_part: dict[str, float] = field(default_factory=dict)  # component -> mAh
    best_mah: float = 0.0
    floor_looking_ma: float = 0.0
    floor_asleep_ma: float = 0.0
    wakes: int = 0
    boots: int = 0  # cold boots by a press (latch builds)
    photos: int = 0

    @property
    def average_ma(self) -> float:
        return self.mah / self.hours

    @property
    def days(self) -> float:
        return self.capacity_mah / (self.mah * 24 / self.hours)

    @property
    def best_days(self) -> float:
        return self.capacity_mah / (self.best_mah * 24 / self.hours)

    @property
    def ratio(self) -> float:
        """Battery life reached, as a fraction of the board's best."""
        return self.best_mah / self.mah if self.mah else 0.0


def wake_marks(profile: Profile, dim_s: float | None = None) -> list[float]:
    """Seconds (from the start of the day) of every wake: a look's first press
    or motion, then keep-alives until the screen has been lit for its length
    (the last one lands at start + duration - dim_after_s). Also the press
    schedule of tools/latch_day_chip.py's day on the emulated chip."""
    dim = settings.SPEC["dim_after_s"][0] if dim_s is None else dim_s
    out: list[float] = []
    for start, dur in profile.looks():
        marks = [start]
        t = start + KEEPALIVE_S
        while t < start + dur - dim:
            marks.append(t)
            t += KEEPALIVE_S
        if dur > dim and start + dur - dim > marks[-1]:
            marks.append(start + dur - dim)
        out += marks
    return out


def schedule(sim: Simulator, profile: Profile, t0_us: int) -> list[int]:
    """Send every look's pin changes, stamped; returns their times (us)."""
    board = sim.board
    times = [t0_us + int(m * 1e6) for m in wake_marks(profile)]
    level = {}
    for at in times:
        if board.get("button") is not None:
            gpio = board["button"]
            sim.set_pin(gpio, 0, at_us=at)  # pressed (to GND)
            sim.set_pin(gpio, 1, at_us=at + PRESS_US)  # released
        elif board.get("imu") is not None:
            gpio = board["imu"][4]
            level[gpio] = 1 - level.get(gpio, 0)  # WoM toggles INT1
            sim.set_pin(gpio, level[gpio], at_us=at)
        else:
            raise ValueError(f"{sim.board_name} has no wake source to script")
    return times


def _put_photos(flash: Path, board: str, photos: list[str], firmware_dir=None) -> None:
    """Upload photos over the link (USB connected, real speed) into the flash.

    The Simulator stores `board` in the settings as `pendant install --board`
    would, so the day's boot drives the right panel."""
    from pendant.batch import convert_all
    from pendant.link import Client
    from pendant.photo import RenderOptions

    panel = boards.get(board)["panel"]
    converted = convert_all(photos, RenderOptions(panel=panel))
    bad = [c.error for c in converted if c.error]
    if bad:
        raise RuntimeError("cannot convert the day's photos: " + "; ".join(bad))
    with Simulator(flash, board=board, firmware_dir=firmware_dir) as sim:
        with Client(sim.port) as c:
            for conv in converted:
                c.put(conv.frame.data, conv.frame.id)


def run_day(board: str, profile: Profile, capacity_mah: float = 200.0,
            photos: list[str] | None = None, flash: Path | None = None,
            timeout_s: float = 300.0, firmware_dir=None) -> DayResult:
    """Play `profile` on the firmware for `board`; return the energy figures."""
    if photos is None:
        photos = sorted(str(p) for p in SAMPLES.glob("*.jpg"))
    with tempfile.TemporaryDirectory(prefix="pendant-day-") as tmp:
        flash = Path(flash) if flash else Path(tmp) / "flash"
        _put_photos(flash, board, photos, firmware_dir)
        # unplugged: no USB host, so the firmware may go dormant
        sim = Simulator(flash, board=board, speed="fast", usb=False,
                        firmware_dir=firmware_dir)
        b = sim.board
        if b.get("imu") is not None:
            sim.pins[b["imu"][4]] = 0  # INT1 idles low; its first toggle is an edge
        model = PowerModel.for_simulator(sim)
        # Boot, first photo, falling asleep: not part of the day.
        model.count_from = SETTLE_S * 1_000_000
        sim.start()
        try:
            t0 = SETTLE_S * 1_000_000
            end = t0 + int(profile.hours * 3600e6)
            times = schedule(sim, profile, t0)
            last = times[-1] if times else t0
            if b.get("latch") is not None:
                # a latch build ends its day switched off
                done = sim.wait_off(timeout_s, after_us=last)
            else:
                done = _wait_dormant_after(sim, last, timeout_s)
            if not done:
                raise RuntimeError("the simulated day did not finish:\n" + sim.console_log)
            with sim._lock:
                model.finish(end)
                wakes = sum(1 for r in sim.events if r.kind in (bus.WAKE, bus.POWER_ON)
                            and r.t_us >= t0)
                boots = sum(1 for t in sim.power_ons if t >= t0)
        finally:
            sim.stop()
    fig = model.f
    best = (profile.looking_s * fig.floor_looking()
            + (profile.hours * 3600 - profile.looking_s) * fig.floor_asleep()) / 3600
    return DayResult(
        board=board, profile=profile, capacity_mah=capacity_mah, hours=profile.hours,
        mah=model.mah,
        by_state={k: v / 3.6e9 for k, v in model.by_state.items()},
        time_in={k: v / 1e6 for k, v in model.time_in.items()},
        by_part={k: v / 3.6e9 for k, v in model.by_part.items()},
        best_mah=best, floor_looking_ma=fig.floor_looking(),
        floor_asleep_ma=fig.floor_asleep(), wakes=wakes, boots=boots, photos=len(photos),
    )


def _wait_dormant_after(sim: Simulator, t_us: int, timeout_s: float) -> bool:
    """The day is over when, after the last scripted push, the device went
    dormant again (nothing but a pin can move it on)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sim._lock:
            for r in reversed(sim.events):
                if r.t_us < t_us:
                    break
                if r.kind == bus.SLEEP and r.payload[1:] == b"\xff\xff\xff\xff":
                    # and it is still asleep: nothing after the SLEEP
                    if sim.events[-1] is r:
                        return True
                    break
        if not sim.alive:
            return False
        time.sleep(0.05)
    return False


def format_result(r: DayResult) -> str:
    p = r.profile
    lines = [
        f"board      {r.board}",
        f"profile    {p.name}: {p.hours:g} h, worn {p.worn_hours:g} h, {p.glances} glances "
        f"of {p.glance_s:g} s, {p.viewings} viewings of {p.viewing_s:g} s "
        f"({r.photos} photos, {r.wakes} wakes"
        + (f", {r.boots} of them cold boots" if r.boots else "") + ")",
        "",
        f"{'state':<34} {'time':>10} {'mAh':>8} {'share':>6}",
    ]
    for label, mah in sorted(r.by_state.items(), key=lambda kv: -kv[1]):
        secs = r.time_in.get(label, 0.0)
        t = f"{secs / 3600:.2f} h" if secs >= 3600 else f"{secs:.1f} s"
        lines.append(f"{label:<34} {t:>10} {mah:8.3f} {100 * mah / r.mah:5.1f}%")
    lines.append("")
    lines.append("by part    " + ", ".join(
        f"{k} {v:.2f}" for k, v in sorted(r.by_part.items(), key=lambda kv: -kv[1])) + " mAh")
    lines += [
        f"total      {r.mah:.2f} mAh per {r.hours:g} h, average {r.average_ma:.3f} mA",
        f"battery    {r.days:.2f} days on {r.capacity_mah:g} mAh",
        f"best       {r.best_mah:.2f} mAh ({r.best_days:.2f} days): looking at "
        f"{r.floor_looking_ma:.2f} mA, asleep at {r.floor_asleep_ma:.3f} mA",
        f"reached    {100 * r.ratio:.1f}% of the best",
    ]
    return "\n".join(lines)
