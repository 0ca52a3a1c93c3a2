"""The real firmware on the simulated pendant, driven by the real host Client."""

import pytest

from pendant.sim import Simulator


@pytest.fixture
def pendant(tmp_path):
    sim = Simulator(tmp_path / "flash", speed="fast")
    sim.start()
    yield sim
    sim.stop()
