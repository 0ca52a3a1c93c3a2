"""The host refuses, before sending it, a frame the pendant's firmware
cannot show, and says how to update it."""

from __future__ import annotations

from pendant import link


class Port:
    def __init__(self):
        self.written = bytearray()

    def write(self, data):
        self.written += data
        return len(data)

def frame_with_encoding(enc: int) -> bytes:
    data = bytearray(64)
    data[:4] = b"PHRT"
    data[4] = 1
    data[5] = enc
    return bytes(data)


def test_a_photo_older_firmware_cannot_show_is_refused_before_sending():
    """Firmware 0.2.0 (no `encodings` in HELLO) shows encodings 0 and 1 only:
    an ENC_RICE frame is refused naming the fix, with nothing sent."""
    port = Port()
    c = link.Client("PORT")
    c.ser = port
    c.info = {"fw": "0.2.0", "proto": 2}
    try:
        c.put(frame_with_encoding(2), "0123456789abcdef")
    except link.TooOld as e:
        assert "firmware 0.2.0" in str(e) and "pendant install --port PORT" in str(e)
    else:
        raise AssertionError("an ENC_RICE frame was sent to firmware that cannot show it")
    assert port.written == b""


def test_firmware_that_lists_an_encoding_gets_it():
    c = link.Client("PORT")
    c.info = {"fw": "0.3.0", "proto": 2, "encodings": [0, 1, 2]}
    c._check_encoding(frame_with_encoding(2))  # no refusal
    c.info = {"fw": "0.2.0", "proto": 2}
    c._check_encoding(frame_with_encoding(0))  # what firmware 0.2.0 shows: 0 and 1
    c._check_encoding(frame_with_encoding(1))


def test_the_encoding_byte_is_read_from_the_shortest_file_that_has_one():
    """Byte 5 (docs/frame-format.md) of a 6-byte file is its encoding: one
    the pendant cannot show is refused before anything is sent."""
    port = Port()
    c = link.Client("PORT")
    c.ser = port
    c.info = {"fw": "0.3.0", "proto": 2, "encodings": [0, 1, 2]}
    try:
        c.put(b"PHRT\x01\x09", "0123456789abcdef")
    except link.TooOld as e:
        assert "frame encoding 9" in str(e)
    else:
        raise AssertionError("a frame of an unknown encoding was sent")
    assert port.written == b""
