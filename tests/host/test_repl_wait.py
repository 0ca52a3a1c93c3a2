"""The host's wait for a REPL's answer: a board that keeps echoing is alive
however slowly it goes (an emulated chip on a loaded machine); a silent one
is given up. Time is virtual: the fake port advances it as bytes come."""

from __future__ import annotations

from pendant import link


class Clock:
    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class SlowRepl:
    """A serial port whose board answers a byte every `gap` seconds."""

    def __init__(self, clock, answer: bytes, gap: float):
        self.clock = clock
        self.answer = bytearray(answer)
        self.gap = gap
        self.written = bytearray()

    def read(self, n):
        self.clock.now += self.gap if self.answer else 0.2  # pyserial's read timeout
        if not self.answer:
            return b""
        out = bytes(self.answer[:1])
        del self.answer[:1]
        return out

    def write(self, data):
        self.written += data
        return len(data)

    def flush(self):
        pass


def client_on(port, clock, monkeypatch):
    monkeypatch.setattr(link.time, "monotonic", clock.monotonic)
    c = link.Client("fake")
    c.ser = port
    return c


def test_a_slow_repl_that_keeps_echoing_is_found(monkeypatch):
    clock = Clock()
    # 6 bytes of echo, one every 1.6 s: each gap longer than a REPL needs,
    # all of them within the 10 s a talking board is heard out
    port = SlowRepl(clock, b"\x00" * 2 + b">>> ", gap=1.6)
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is True
    assert port.written == link.REPL_PROBE
    assert clock.now >= 9


def test_a_silent_board_is_not_a_repl(monkeypatch):
    clock = Clock()
    port = SlowRepl(clock, b"", gap=1.0)
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is False
    assert clock.now < link.REPL_QUIET_S + 1  # given up after the quiet time, not ALIVE_MAX_S


def test_a_board_that_never_stops_talking_is_given_up_at_the_cap(monkeypatch):
    clock = Clock()
    port = SlowRepl(clock, b"." * 10_000, gap=1.0)
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is False
    assert link.REPL_TALK_MAX_S <= clock.now <= link.REPL_TALK_MAX_S + 2


def test_a_slow_soft_reset_is_waited_for_until_the_app_starts(monkeypatch):
    clock = Clock()
    boot = b"\r\nMPY: soft reboot\r\n" + b"." * 20 + link.APP_STARTED + b"0.2.0 on x\r\n"
    port = SlowRepl(clock, boot, gap=0.4)  # 3 s wait before: the reboot line took 7 s
    c = client_on(port, clock, monkeypatch)
    c.notify = lambda line: None
    c._restart_app()
    assert port.written == link.SOFT_RESET
    assert bytes(port.answer) == b"0.2.0 on x\r\n", "it read up to the app's start line"

