# Receiving a full DATA packet's payload on MicroPython, read in 64-byte
# pieces as on the device, allocates nothing (the heap is locked meanwhile).
import link
import micropython
import proto


class ArrayPort:
    """Serves preset bytes through readinto(buf, n) without allocating."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def wait(self, ms):
        return self.pos < len(self.data)

    def readinto(self, buf, n):
        data = self.data
        p = self.pos
        for i in range(n):
            buf[i] = data[p + i]
        self.pos = p + n
        return n


n = proto.MAX_PAYLOAD
data = bytearray(n + proto.CRC_SIZE)
for i in range(len(data)):
    data[i] = (i * 7) & 0xFF
port = ArrayPort(data)
lk = link.Link(port, None, None)
micropython.heap_lock()
try:
    ok = lk._read(lk.payload, n, 1000, proto.HEAD_SIZE, lk.payload_views)
    ok = ok and lk._read(lk.crc, 4, 1000, proto.HEAD_SIZE + n, lk.crc_views)
finally:
    micropython.heap_unlock()
assert ok
assert lk.payload == data[:n] and lk.crc == data[n:], "bytes landed in the wrong place"
print("receive ok without allocating")
