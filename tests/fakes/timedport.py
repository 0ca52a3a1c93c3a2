"""The pendant's USB port on the virtual clock (vclock), for link.Link.

Bytes arrive at scripted times. wait(ms) lets virtual time pass until bytes
are on hand or the ms are up, as the chip's poll does. A readinto() that asks
for more than has arrived would block the real pendant (the rp2's stdin waits
until a read is full), so here it fails the test. Every read is recorded as
(stream offset, length), so a test can check where reads start and end.
"""

from __future__ import annotations

HOUR_MS = 3_600_000


class Hang(AssertionError):
    """A read the bytes on hand cannot fill: the real pendant would hang in it."""


class TimedPort:
    def __init__(self, clock):
        self.clock = clock
        self.events: list[tuple[int, bytes]] = []  # (arrival ms, bytes), in time order
        self.inp = bytearray()
        self.out = bytearray()
        self.pos = 0  # stream offset of self.inp[0]
        self.reads: list[tuple[int, int]] = []  # (stream offset, bytes) per readinto
        self.writes: list[tuple[int, bytes]] = []  # (ms, bytes) per write
        self.last = 0  # arrival time of the last scripted bytes

    def at(self, ms: int, data: bytes) -> TimedPort:
        """Bytes that arrive at virtual time ms."""
        self.events.append((ms, bytes(data)))
        self.events.sort(key=lambda e: e[0])
        self.last = max(self.last, ms)
        return self

    def then(self, data: bytes, after: int = 0) -> TimedPort:
        """Bytes that arrive `after` ms after the last scripted ones."""
        return self.at(self.last + after, data)

    def _arrive(self) -> None:
        now = self.clock.now_ms
        while self.events and self.events[0][0] <= now:
            self.inp += self.events.pop(0)[1]

    def wait(self, ms: int) -> bool:
        # An hour of virtual time past the last scripted bytes: the receiver
        # would wait forever (fail now rather than spin the test run).
        assert self.clock.now_ms <= self.last + HOUR_MS, "the receiver waits forever"
        self._arrive()
        if self.inp:
            return True
        if self.events and self.events[0][0] <= self.clock.now_ms + ms:
            self.clock.now_ms = self.events[0][0]
            self._arrive()
            return True
        self.clock.now_ms += ms
        return False

    def readinto(self, buf, n: int) -> int:
        self._arrive()
        assert n <= len(buf), f"a read of {n} bytes into a buffer of {len(buf)}"
        if n > len(self.inp):
            raise Hang(f"a read of {n} bytes with {len(self.inp)} on hand hangs the pendant")
        buf[:n] = self.inp[:n]
        del self.inp[:n]
        self.reads.append((self.pos, n))
        self.pos += n
        return n

    def write(self, buf) -> None:
        self.out += bytes(buf)
        self.writes.append((self.clock.now_ms, bytes(buf)))
