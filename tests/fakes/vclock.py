"""MicroPython's time extensions (ticks_*, sleep_ms) on CPython, on a virtual
clock, for firmware modules under test."""

import time

NAMES = ("sleep_ms", "ticks_ms", "ticks_add", "ticks_diff")


class FakeClock:
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


def install(monkeypatch):
    """Patch the time module for one test; returns the clock."""
    c = FakeClock()
    for name in NAMES:
        monkeypatch.setattr(time, name, getattr(c, name), raising=False)
    return c
