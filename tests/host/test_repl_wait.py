"""The host's wait for a REPL's answer: a board that keeps echoing is alive
however slowly it goes (an emulated chip on a loaded machine); a silent one
is given up. Time is virtual: the fake port advances it as bytes come.

The bounds are the ones docs/protocol.md ("How long the host waits") states,
written here as numbers: a REPL's prompt within 3 s of quiet and 10 s in all;
after the soft reset, "soft reboot" the same way, then the app's start line
within 15 s of quiet and 30 s in all. Each is checked from both sides, with
a margin of a read's 0.2 s timeout.
"""

from __future__ import annotations

import pytest

from pendant import link

READ_TIMEOUT_S = 0.2  # pyserial's, as pendant.link opens the port


class Clock:
    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class Board:
    """A serial port whose bytes arrive at scripted times (seconds), read as
    pyserial reads: at most READ_TIMEOUT_S of waiting per read()."""

    def __init__(self, clock, arrivals):
        self.clock = clock
        self.arrivals = sorted(arrivals, key=lambda a: a[0])  # (seconds, byte), stable
        self.written = bytearray()

    def read(self, n):
        if not self.arrivals or self.arrivals[0][0] > self.clock.now + READ_TIMEOUT_S:
            self.clock.now += READ_TIMEOUT_S
            return b""
        self.clock.now = max(self.clock.now, self.arrivals[0][0])
        out = bytearray()
        while self.arrivals and self.arrivals[0][0] <= self.clock.now and len(out) < n:
            out.append(self.arrivals.pop(0)[1])
        return bytes(out)

    @property
    def answer(self) -> bytes:
        """What is left unread."""
        return bytes(b for _, b in self.arrivals)

    def write(self, data):
        self.written += data
        return len(data)

    def flush(self):
        pass


def slow(text: bytes, gap: float, start: float = 0.0):
    """Arrivals of text a byte every `gap` seconds after start."""
    return [(start + gap * (i + 1), b) for i, b in enumerate(text)]


def client_on(port, clock, monkeypatch):
    monkeypatch.setattr(link.time, "monotonic", clock.monotonic)
    c = link.Client("fake")
    c.ser = port
    c.notify = lambda line: None
    return c


def test_a_slow_repl_that_keeps_echoing_is_found(monkeypatch):
    clock = Clock()
    # 6 bytes of echo, one every 1.6 s: each gap longer than a REPL needs,
    # all of them within the 10 s a talking board is heard out
    port = Board(clock, slow(b"\x00" * 2 + b">>> ", gap=1.6))
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is True
    assert port.written == link.REPL_PROBE
    assert clock.now >= 9


@pytest.mark.parametrize("before", [b"", b"\r", b"\r\n", b"\r\n\x1b"])
@pytest.mark.parametrize("mark", [b">>> ", b"raw REPL; CTRL-B to exit\r\n>"])
def test_a_prompt_is_found_whatever_comes_before_it(monkeypatch, before, mark):
    clock = Clock()
    port = Board(clock, slow(before + mark, gap=0.01))
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is True


def test_a_prompt_heard_while_waiting_for_hello_counts_at_once(monkeypatch):
    """The REPL answered the OPEN line typed into it while the host hunted
    for HELLO's reply: that prompt counts, with no wait for the probe's."""
    clock = Clock()
    port = Board(clock, [(0.1, b) for b in b"\xa5\x5a\x01\r\nNameError\r\n>>> "])
    c = client_on(port, clock, monkeypatch)
    with pytest.raises(link.Timeout):
        c.recv(1.0)  # nothing in it is a packet
    start = clock.now
    assert c._at_repl() is True
    assert clock.now == start


def test_a_repl_that_answers_within_3_s_is_found(monkeypatch):
    clock = Clock()
    port = Board(clock, [(2.7, b) for b in b"\r\n>>> "])
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is True


def test_a_board_silent_for_3_s_after_the_probe_is_not_a_repl(monkeypatch):
    clock = Clock()
    port = Board(clock, [(3.3, b) for b in b"\r\n>>> "])
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is False
    assert 3 <= clock.now <= 3 + 2 * READ_TIMEOUT_S


def test_a_silent_board_is_not_a_repl(monkeypatch):
    clock = Clock()
    port = Board(clock, [])
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is False
    assert 3 <= clock.now <= 3 + 2 * READ_TIMEOUT_S  # the quiet time, not the 30 s cap


def test_a_board_that_never_stops_talking_is_given_up_at_10_s(monkeypatch):
    clock = Clock()
    port = Board(clock, slow(b"." * 10_000, gap=1.0))
    c = client_on(port, clock, monkeypatch)
    assert c._at_repl() is False
    assert 10 <= clock.now <= 10 + 2 * READ_TIMEOUT_S


def boot_text(reboot_at: float, started_after: float) -> list:
    """The soft reboot line at reboot_at, then the app's start line
    started_after seconds later."""
    return ([(reboot_at, b) for b in b"\r\nMPY: soft reboot\r\n"]
            + [(reboot_at + started_after, b) for b in b"pendant 0.2.0 on x\r\n"])


def test_a_slow_soft_reset_is_waited_for_until_the_app_starts(monkeypatch):
    clock = Clock()
    boot = b"\r\nMPY: soft reboot\r\n" + b"." * 20 + link.APP_STARTED + b"0.2.0 on x\r\n"
    port = Board(clock, slow(boot, gap=0.4))  # 3 s wait before: the reboot line took 7 s
    c = client_on(port, clock, monkeypatch)
    c._restart_app()
    assert port.written == link.SOFT_RESET
    assert port.answer == b"0.2.0 on x\r\n", "it read up to the app's start line"


def test_a_start_line_within_15_s_of_the_reboot_is_waited_for(monkeypatch):
    clock = Clock()
    port = Board(clock, boot_text(1.0, started_after=14.7))
    c = client_on(port, clock, monkeypatch)
    c._restart_app()
    assert port.answer == b"0.2.0 on x\r\n"


def test_a_start_line_after_15_s_of_quiet_is_given_up(monkeypatch):
    clock = Clock()
    port = Board(clock, boot_text(1.0, started_after=15.3))
    c = client_on(port, clock, monkeypatch)
    c._restart_app()
    assert port.answer.startswith(b"pendant"), "it stopped listening before the start line"
    assert 1 + 15 <= clock.now <= 1 + 15 + 2 * READ_TIMEOUT_S


def test_a_board_that_boots_noisily_is_heard_out_for_30_s(monkeypatch):
    clock = Clock()
    port = Board(clock, boot_text(1.0, started_after=10_000)
                 + slow(b"." * 100, gap=1.0, start=1.0))
    c = client_on(port, clock, monkeypatch)
    c._restart_app()
    assert 1 + 30 <= clock.now <= 1 + 30 + 2 * READ_TIMEOUT_S


def test_a_board_that_does_not_reboot_is_given_up_after_3_s(monkeypatch):
    """No "soft reboot" line: the host does not wait for a start line too."""
    clock = Clock()
    port = Board(clock, [])
    c = client_on(port, clock, monkeypatch)
    c._restart_app()
    assert c.restarted is True and port.written == link.SOFT_RESET
    assert 3 <= clock.now <= 3 + 2 * READ_TIMEOUT_S


def test_a_reboot_line_after_3_s_of_quiet_is_given_up(monkeypatch):
    clock = Clock()
    port = Board(clock, boot_text(3.3, started_after=1.0))
    c = client_on(port, clock, monkeypatch)
    c._restart_app()
    assert 3 <= clock.now <= 3 + 2 * READ_TIMEOUT_S
