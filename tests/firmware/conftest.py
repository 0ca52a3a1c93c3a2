"""Firmware modules imported on CPython, next to fakes of what MicroPython provides."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "tests" / "fakes", ROOT / "firmware"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import pytest  # noqa: E402
import vclock  # noqa: E402


@pytest.fixture
def clock(monkeypatch):
    return vclock.install(monkeypatch)
