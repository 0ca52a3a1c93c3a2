"""The app on the simulated pendant with the free heap an RP2040 has at boot (the
sim's default, see simboot.py): it starts, takes uploads, shows photos with
both transitions, and keeps a margin of free heap."""

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pendant import frames as frames_mod
from pendant.link import Client
from pendant.photo import RenderOptions, render
from pendant.sim import Simulator

MPREMOTE = str(Path(sys.executable).parent / "mpremote")
SAMPLES = Path(__file__).resolve().parents[2] / "host" / "pendant" / "samples"
MIN_FREE = 24 * 1024  # free heap the app must keep after showing photos on the sim
SHOWS = 10

# Run at the raw REPL after mpremote's soft reset: a clean heap, then the app's
# own objects, then photo changes through App.show (fade and wipe).
MEASURE = """
import gc
gc.collect(); boot = gc.mem_free()
import app
gc.collect(); imported = gc.mem_free()
a = app.App()
a.display.init(reset=False)
a.load_rest()
gc.collect(); started = gc.mem_free()
ids = a.store.ids()
after = [0] * %d  # preallocated: a growing list would eat heap itself
for i in range(len(after)):
    a.settings.values['transition'] = ('fade', 'wipe')[i %% 2]
    a.show(ids[i %% len(ids)])
    gc.collect()
    after[i] = gc.mem_free()
print(repr((boot, imported, started, after, a.spi_rate if hasattr(a, 'spi_rate') else 0)))
""" % SHOWS


def panel_settled(sim, quiet_s=1.0, timeout_s=20.0):
    """Until the panel has taken no new frame for quiet_s (wall time bounds a
    wait only; nothing is asserted on it)."""
    deadline = time.monotonic() + timeout_s
    last, since = sim.panel.frames, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if sim.panel.frames != last:
            last, since = sim.panel.frames, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return


@pytest.fixture(scope="module")
def photos():
    return [frames_mod.from_render(render(str(p), RenderOptions()))
            for p in sorted(SAMPLES.glob("*.jpg"))]


def test_app_uploads_and_transitions_within_190k(tmp_path, photos):
    with Simulator(tmp_path / "flash") as sim:  # an RP2040's heap (see simboot.py)
        with Client(sim.port) as c:
            c.set_settings({"transition": "fade"})
            for f in photos:
                assert c.put(f.data, f.id) == "uploaded"
            shown = sim.panel.frames
        # SHOW draws as its session ends (the reply comes first), so one
        # session each: a plain paint, a cross-fade (several frames), a wipe.
        # Each is left to finish before the next session: a host that starts
        # talking stops a transition (the photo is then painted whole).
        for photo, transition in ((photos[0], "fade"), (photos[1], "fade"),
                                  (photos[0], "wipe")):
            with Client(sim.port) as c:
                c.set_settings({"transition": transition})
                c.show(photo.id)
            panel_settled(sim)
        assert sim.panel.frames > shown + 3
        with Client(sim.port) as c:  # still running, still answering
            assert c.info["photos"] == len(photos)
        log = sim.console_log
        assert "MemoryError" not in log and "cannot show" not in log, log

        proc = subprocess.run([MPREMOTE, "connect", sim.port, "exec", MEASURE],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, (proc.stdout, proc.stderr, sim.console_log)
        boot, imported, started, after, _ = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    print(f"\nheap free: boot {boot}, firmware imported {imported}, app started {started}, "
          f"after shows {after}")
    assert min(after) >= MIN_FREE
    # the first changes may allocate once (lazy buffers, dict growth); after
    # that the level holds (the long soak is tests/mpy/test_soak_mpy.py)
    settled = after[SHOWS // 2 :]
    assert max(settled) - min(settled) <= 64
