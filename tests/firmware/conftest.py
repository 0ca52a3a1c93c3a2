"""Firmware modules imported on CPython, next to fakes of what MicroPython provides."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "tests" / "fakes", ROOT / "firmware"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import time  # noqa: E402

import pytest  # noqa: E402


class FakeClock:
    """MicroPython's time extensions on CPython, on a virtual clock."""

    def __init__(self):
        self.now_ms = 0
        self.sleeps: list[int] = []

    def sleep_ms(self, ms):
        self.sleeps.append(ms)
        self.now_ms += ms

    def ticks_ms(self):
        return self.now_ms

    @staticmethod
    def ticks_add(t, d):
        return t + d

    @staticmethod
    def ticks_diff(a, b):
        return a - b


@pytest.fixture
def clock(monkeypatch):
    c = FakeClock()
    for name in ("sleep_ms", "ticks_ms", "ticks_add", "ticks_diff"):
        monkeypatch.setattr(time, name, getattr(c, name), raising=False)
    return c
