"""The latch build's reference day on the emulated RP2040, next to sim-day's.

    python tools/latch_day_chip.py                 # a whole day (slow: see --hours)
    python tools/latch_day_chip.py --hours 2       # a scaled day: every look, gaps shortened

Builds the pendant's flash as `pendant install` + an upload leave it (modules
compiled with mpy-cross -march=armv6m, boot.py and main.py as source, two
sample photos, settings.json naming pico-gc9a01-latch with default timings),
then runs the emulated chip (rp2emu's run.mjs, which models the power latch:
--latch 14,15) for the reference day, with the presses sim-day scripts (the
same wake_marks, the same 150 ms press), and prints the chip's own power
account beside `pendant sim-day --board pico-gc9a01-latch`.

The emulator's run starts at power-on with the button held (it switches the
pendant on), as sim-day's boots before its day: the first SETTLE_S seconds are
left out of both days (the emulator's account is of the whole run, so its
mAh over the settle time is measured by a run that ends there and subtracted).

--hours H < 24 plays every look of the day at its place in a day of H hours
(the gaps between looks shrink; the off time between them is charged at the
latch's off current by both). Days on the cell are always for 24 h: the
mAh of the scaled day plus the missing (24 - H) h at the off current.

The emulator is not part of this repository: --emu (or $RP2EMU) names its
run.mjs; the default is ../shared/rp2emu/run.mjs beside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from pendant.sim.day import PRESS_US, SAMPLES, SETTLE_S, Profile, wake_marks  # noqa: E402

BOARD = "pico-gc9a01-latch"
DEFAULT_EMU = ROOT.parent / "shared" / "rp2emu" / "run.mjs"


def build_fs(out: Path, photos: list[str]) -> None:
    """The flash of an installed pendant with `photos` uploaded."""
    from pendant import install
    from pendant.batch import convert_all
    from pendant.firmware import boards
    from pendant.photo import RenderOptions

    with tempfile.TemporaryDirectory() as tmp:
        files = install.build(install.firmware_dir(), Path(tmp), install.find_mpy_cross(),
                              "armv6m")
    for name, data in files.items():
        (out / name).write_bytes(data)
    conv = convert_all(photos, RenderOptions(panel=boards.get(BOARD)["panel"]))
    bad = [c.error for c in conv if c.error]
    if bad:
        raise SystemExit("error: cannot convert the photos: " + "; ".join(bad))
    (out / "photos").mkdir()
    for c in conv:
        (out / "photos" / f"{c.frame.id}.frm").write_bytes(c.frame.data)
    (out / "photos" / "order").write_text("".join(c.frame.id + "\n" for c in conv))
    (out / "settings.json").write_text(json.dumps({"board": BOARD}))


def run_chip(emu: Path, fs: Path, presses: list[float], until_s: float, work: Path,
             tag: str) -> dict:
    """One emulator run; returns its power JSON."""
    power = work / f"{tag}.json"
    cmd = ["node", str(emu), "--stdio", "--no-usb", "--no-pace", "--latch", "14,15",
           "--fs-dir", str(fs), "--until", f"{until_s:g}", "--power", str(power),
           "--backlight-pin", "13", "--adc-volts", "3=1.33"]  # 3.99 V cell / 3 on GP29
    if presses:
        cmd += ["--press", "15@" + ",".join(f"{t:.3f}" for t in presses)
                + f":{PRESS_US // 1000}"]
    t = time.monotonic()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    wall = time.monotonic() - t
    (work / f"{tag}.stderr").write_text(proc.stderr)
    if proc.returncode != 0 or not power.exists():
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"error: the emulator failed ({proc.returncode}):\n{tail}")
    data = json.loads(power.read_text())
    data["_wall_s"] = wall
    return data


def total_mah(account: dict) -> float:
    return float(account["total"]["mAh"]["total"])


def recost(account: dict, fig) -> float:
    """The chip's timeline (seconds in each state) costed with power.csv's
    figures instead of the emulator's own model: mAh. The table has no WFI
    row; a CPU waiting in WFI is charged as running at its clock, as the
    simulator does (time.sleep there is running time)."""
    t = account["total"]
    st = t["states_s"]
    mas = 0.0  # mA x s
    for row in t["cpu_by_clk_sys"]:
        mas += (row["run_s"] + row["wfi_s"]) * fig.cpu_running(row["clk_sys_MHz"] * 1e6)
    mas += st["cpu"]["lightsleep"] * fig.get("cpu", "lightsleep_usb_off")
    mas += st["cpu"]["dormant"] * fig.get("cpu", "dormant")
    off = st["cpu"]["off"]
    mas += off * (fig.off() or 0.0)
    p = st["panel"]
    mas += (p["on"] + p["display_off"]) * fig.get("panel", "on")
    mas += (p["sleep"] + p["reset"]) * fig.get("panel", "sleep")
    mas += st["backlight"]["full_on_equivalent"] * fig.get("backlight", "full")
    mas += (t["seconds"] - off) * fig.always()
    return mas / 3600


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0,
                    help="length of the played day (its looks all kept); default 24")
    ap.add_argument("--capacity", type=float, default=200.0, help="cell, mAh")
    ap.add_argument("--emu", type=Path, default=Path(os.environ.get("RP2EMU", DEFAULT_EMU)),
                    help="rp2emu's run.mjs")
    ap.add_argument("--keep", type=Path, help="keep the fs dir and the power JSONs here")
    ap.add_argument("--no-sim", action="store_true", help="skip the sim-day run")
    ap.add_argument("--from", dest="reuse", type=Path,
                    help="reuse settle.json and day.json kept by an earlier --keep run")
    args = ap.parse_args(argv)
    if not args.emu.exists():
        print(f"error: no emulator at {args.emu} (give --emu or RP2EMU)", file=sys.stderr)
        return 1
    if not 0 < args.hours <= 24:
        print("error: --hours must be in (0, 24]", file=sys.stderr)
        return 1
    day = Profile()
    played = replace(day, hours=args.hours, worn_hours=day.worn_hours * args.hours / 24)
    marks = [SETTLE_S + m for m in wake_marks(played)]
    if args.reuse:
        settle = json.loads((args.reuse / "settle.json").read_text())
        whole = json.loads((args.reuse / "day.json").read_text())
        whole["_wall_s"] = float("nan")
        played = replace(played, hours=(whole["total"]["seconds"] - SETTLE_S) / 3600)
        played = replace(played, worn_hours=day.worn_hours * played.hours / 24)
    else:
        settle, whole = run_day_on_chip(args, played, marks)
    report(args, played, marks, settle, whole)
    return 0


def run_day_on_chip(args, played, marks) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory(prefix="latch-day-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        fs = work / "fs"
        if fs.exists():
            import shutil

            shutil.rmtree(fs)
        fs.mkdir()
        build_fs(fs, sorted(str(p) for p in SAMPLES.glob("*.jpg")))
        # The switch-on look before the day (as sim-day's settle): measured alone.
        settle = run_chip(args.emu, fs, [], SETTLE_S, work, "settle")
        whole = run_chip(args.emu, fs, marks, SETTLE_S + played.hours * 3600, work, "day")
    return settle, whole


def report(args, played, marks, settle, whole) -> None:
    from pendant.sim.power import Figures, load_table

    fig = Figures(BOARD, load_table(BOARD), False)
    off_ma = float(whole.get("model", {}).get("latch_off_mA", 0.02))
    mah = total_mah(whole) - total_mah(settle) + off_ma * (24 - played.hours)
    t = whole["total"]
    wall = whole["_wall_s"]
    print(f"emulated chip  {played.hours:g} h played ({len(whole['presses']) - 1} presses"
          + (f", {wall:.0f} s wall" if wall == wall else ", an earlier run") + ")")
    cpu = t["states_s"]["cpu"]
    print("  cpu s: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items() if v)
          + f"; RAMWR {t['counts']['RAMWR']}, presses {t['counts']['presses']}")
    print("  mAh: " + ", ".join(f"{k} {v:.3f}" for k, v in t["mAh"].items()))
    print(f"  day, the emulator's own account: {mah:.3f} mAh per 24 h, average "
          f"{mah / 24:.4f} mA, {args.capacity / mah:.1f} days on {args.capacity:g} mAh")
    rmah = recost(whole, fig) - recost(settle, fig) + (fig.off() or 0.0) * (24 - played.hours)
    print(f"  day, its timeline costed with hardware/power.csv: {rmah:.3f} mAh per 24 h, "
          f"average {rmah / 24:.4f} mA, {args.capacity / rmah:.1f} days")
    if not args.no_sim:
        from pendant.sim.day import run_day

        r = run_day(BOARD, played, capacity_mah=args.capacity)
        smah = r.mah + (24 - played.hours) * r.floor_asleep_ma
        print(f"sim-day        {played.hours:g} h played ({r.boots} cold boots)")
        print(f"  day: {smah:.3f} mAh per 24 h, average {smah / 24:.4f} mA, "
              f"{args.capacity / smah:.1f} days on {args.capacity:g} mAh")


if __name__ == "__main__":
    sys.exit(main())
