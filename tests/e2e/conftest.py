"""Fixtures for the end-to-end tests (helpers live in e2e_helpers.py)."""

import pytest

from pendant.sim import Simulator


@pytest.fixture
def sim(tmp_path):
    s = Simulator(tmp_path / "flash")
    s.start()
    yield s
    s.stop()
