"""Run stand-in firmware (never the real one) on the simulated pendant."""

import os
import select
import textwrap
import time

import pytest

from pendant.sim import Simulator


def drain_port(sim, timeout=5.0, until=None, port=None):
    """Bytes the firmware wrote to the serial link, read on the client side.

    Without `port` it reads the slave with plain os.read: pyserial flushes
    unread input when it opens a port, which would race the firmware's first
    prints. Pass an open pyserial `port` to read through it instead.
    """
    own = port is None
    fd = os.open(sim.port, os.O_RDWR | os.O_NOCTTY) if own else port.fileno()
    out = bytearray()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if select.select([fd], [], [], 0.05)[0]:
                out += os.read(fd, 4096)
            elif until is None and not sim.alive:
                break
            if until is not None and until in out:
                break
    finally:
        if own:
            os.close(fd)
    return bytes(out)


@pytest.fixture
def sim_with(tmp_path):
    """sim_with(main_code, **Simulator kwargs) -> a started Simulator."""
    sims = []

    def make(code, flash=None, **kw):
        fw = tmp_path / "fw"
        fw.mkdir(exist_ok=True)
        (fw / "main.py").write_text(textwrap.dedent(code))
        sim = Simulator(flash or tmp_path / "flash", firmware_dir=fw, **kw)
        sims.append(sim)
        sim.start()
        return sim

    yield make
    for sim in sims:
        sim.stop()


REPL_BANNER = b"MicroPython v"
PROMPT = b">>> "


@pytest.fixture
def run_main(sim_with):
    """run_main(main_code, **kw) -> (sim, serial output) once main.py has ended.

    When main.py ends the pendant sits at the REPL, as on rp2: the output is
    what came before the REPL's banner, and the sim is stopped (so its events
    are complete and its flash is free for the next one).
    """

    def run(code, **kw):
        sim = sim_with(code, **kw)
        out = drain_port(sim, timeout=8, until=PROMPT)
        sim.stop()
        return sim, out.split(REPL_BANNER)[0].decode(errors="replace")

    return run


@pytest.fixture
def read_serial():
    """read_serial(sim, until=b"...") -> bytes the firmware wrote so far."""
    return drain_port
