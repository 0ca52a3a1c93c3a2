"""Power manager and battery gauge on CPython, with fakes on a virtual clock."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "tests" / "fakes", ROOT / "firmware"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import time  # noqa: E402

import pytest  # noqa: E402


class Clock:
    def __init__(self):
        self.now_ms = 0

    def ticks_ms(self):
        return self.now_ms

    @staticmethod
    def ticks_add(t, d):
        return t + d

    @staticmethod
    def ticks_diff(a, b):
        return a - b

    def sleep_ms(self, ms):
        self.now_ms += ms


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    for name in ("sleep_ms", "ticks_ms", "ticks_add", "ticks_diff"):
        monkeypatch.setattr(time, name, getattr(c, name), raising=False)
    return c
