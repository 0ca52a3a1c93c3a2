# A photo received into RAM rather than straight to flash, read back as the
# painter reads a frame file (readinto, seek). A photo small enough to hold is
# verified and painted from here first, then written to flash: the wearer
# sees it ~0.6 s of chip time sooner than after the flash write (link.py).
import gc
import sys

try:
    from gc import mem_free
except ImportError:  # CPython (the host's unit tests): a heap that never runs short

    def mem_free() -> int:
        return 1 << 30

try:  # Thumb assembly on the RP2040 (memcopy_thumb.py), allocation-free
    from memcopy_thumb import copy_at
except (ImportError, SyntaxError, ValueError, TypeError) as e:  # no inline assembler
    if sys.platform == "rp2":  # expected elsewhere (the simulator's unix port, CPython)
        print("ramfile: Thumb copy unavailable (%s): copying slower" % e)

    def copy_at(dst, doff, src, soff, n):
        memoryview(dst)[doff : doff + n] = memoryview(src)[soff : soff + n]


class RamFile:
    """`size` bytes of RAM filled in order by put(); a read-only file over
    what has arrived (the painter's and verify's reads). data: a buffer of at
    least size bytes to use (one lent, see App.lend_ram) instead of a new one."""

    def __init__(self, size, data=None):
        # MemoryError where the heap cannot hold a new one
        self.data = bytearray(size) if data is None else data
        self.size = size
        self.filled = 0  # bytes put so far (they arrive in order)
        self.pos = 0

    def put(self, src, soff, n):
        """Append src[soff:soff + n]; the caller checks it fits."""
        copy_at(self.data, self.filled, src, soff, n)
        self.filled += n

    def seek(self, pos, whence=0):
        self.pos = pos if whence == 0 else (self.pos + pos if whence == 1 else self.filled + pos)
        return self.pos

    def readinto(self, buf, n=-1):
        if n < 0 or n > len(buf):
            n = len(buf)
        left = self.filled - self.pos
        if n > left:
            n = left if left > 0 else 0
        copy_at(buf, 0, self.data, self.pos, n)
        self.pos += n
        return n

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def hold(size, spare):
    """A RamFile of `size` bytes that leaves at least `spare` bytes of heap
    free, or None (too little free, or free but not in one piece). Collects
    only when the first look says it is short (a collect costs ~25 ms of chip
    time; an allocation that fails collects by itself)."""
    try:
        ram = RamFile(size)
    except MemoryError:
        return None
    if mem_free() < spare:
        gc.collect()  # what looked used may be garbage
        if mem_free() < spare:
            return None
    return ram
