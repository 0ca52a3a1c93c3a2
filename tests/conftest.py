"""Shared fixtures. (pyproject.toml puts firmware/ and tests/fakes/ on sys.path.)"""

import pytest
import vclock


@pytest.fixture
def clock(monkeypatch):
    """The firmware's time module on a virtual clock (tests/fakes/vclock.py)."""
    return vclock.install(monkeypatch)
