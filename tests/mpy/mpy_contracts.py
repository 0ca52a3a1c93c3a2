# MicroPython side of the golden vectors: the firmware's frame.py and proto.py
# produce and accept exactly the bytes in tests/vectors/.
import binascii
import sys

import frame
import proto

vectors = sys.argv[1]


def vector(name):
    with open(vectors + "/" + name) as f:
        return binascii.unhexlify(f.read().strip())


data = vector("frame_4x2.hex")
assert frame.pack(4, 2, 0, [(1, 3), (0, 0)], b"\xf8\x00\xf8\x00") == data
hdr = frame.parse_header(data[:32])
assert hdr[:6] == (frame.ENC_SPANS, 4, 2, 0, 2, 12), hdr
bad = bytearray(data[:32])
bad[6] ^= 1
try:
    frame.parse_header(bad)
    raise SystemExit("corrupt header accepted")
except frame.FrameError:
    pass
pkt = vector("packet_hello.hex")
assert proto.packet(proto.HELLO, 7, b"\x01") == pkt
assert proto.check(pkt[:6], pkt[6:7], pkt[7:])
assert proto.valid_id("0123456789abcdef") and not proto.valid_id("../main.py")
print("contracts ok")
