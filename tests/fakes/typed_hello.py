"""HELLOs whose bytes, typed into MicroPython's friendly REPL, leave it in a
chosen state: for replaying what random nonces do to a board that mpremote
left at its REPL (docs/protocol.md, "When HELLO goes unanswered").

The line editor of MicroPython 1.26.1 drops bytes from 0x80, so a nonce
whose other bytes and whose CRC are all from 0x80 types exactly `typed`
(after the header's own "Z" and cursor keys) and nothing else.
"""

from __future__ import annotations

import itertools
import secrets

import proto


def nonce_for(seq: int, typed: bytes = b"") -> int:
    """A nonce whose HELLO (sequence number seq) types `typed` into a REPL."""
    assert len(typed) <= 4
    for tail in itertools.product(range(0x80, 0x100), repeat=4 - len(typed)):
        nonce = int.from_bytes(typed + bytes(tail), "little")
        pkt = proto.hello(seq, nonce)
        if pkt is not None and all(b >= 0x80 for b in pkt[-4:]):
            return nonce
    raise AssertionError(f"no nonce types {typed!r}")


class Nonces:
    """Stands in for pendant.link's `secrets` during open(), whose HELLOs
    have sequence numbers 0, 1 and (after a restart) 2: the first types
    `typed`, the next two type nothing; later draws are random."""

    def __init__(self, typed: bytes):
        self.typed = typed
        self.drawn = 0

    def randbits(self, k: int) -> int:
        seq = self.drawn
        self.drawn += 1
        if seq > 2:
            return secrets.randbits(k)
        return nonce_for(seq, self.typed if seq == 0 else b"")


# What a first HELLO can leave a REPL at, and the prompt its probe then meets.
REPL_STATES = {
    # an open bracket: the probe's Enter meets the continuation prompt
    "bracket": (b"(", b"\n... "),
    # Enter, then Ctrl-E on the empty line: paste mode
    "paste": (b"\r\x05", b"\n=== "),
    # Enter, then Ctrl-A on the empty line: the raw REPL (Ctrl-B leaves it)
    "raw": (b"\r\x01", b">>> "),
}
