"""ramfile: a photo held in RAM, read as the painter reads a frame file."""

import ramfile
from ramfile import RamFile


def test_reads_only_what_has_arrived_in_order():
    f = RamFile(10)
    f.put(b"xxabcdef", 2, 4)  # "abcd"
    buf = bytearray(8)
    assert f.readinto(buf) == 4 and bytes(buf[:4]) == b"abcd"
    assert f.readinto(buf) == 0  # nothing more has arrived
    f.put(b"efghij", 0, 6)
    assert f.readinto(buf, 3) == 3 and bytes(buf[:3]) == b"efg"
    f.seek(2)
    assert f.readinto(buf) == 8 and bytes(buf) == b"cdefghij"
    assert f.filled == f.size == 10


def test_seek_from_the_current_position_and_from_the_end():
    f = RamFile(6)
    f.put(b"012345", 0, 6)
    f.seek(1)
    assert f.seek(2, 1) == 3
    assert f.seek(-2, 2) == 4
    buf = bytearray(4)
    assert f.readinto(buf) == 2 and bytes(buf[:2]) == b"45"


class Heap:
    """gc.mem_free() as a heap reports it: garbage counts as used until a
    collect frees it."""

    def __init__(self, free, garbage):
        self.free = free
        self.garbage = garbage
        self.collects = 0

    def mem_free(self):
        return self.free

    def collect(self):
        self.collects += 1
        self.free += self.garbage
        self.garbage = 0


def test_hold_does_not_collect_when_there_is_room(monkeypatch):
    heap = Heap(free=50_000, garbage=0)
    monkeypatch.setattr(ramfile, "mem_free", heap.mem_free)
    monkeypatch.setattr(ramfile.gc, "collect", heap.collect)
    assert isinstance(ramfile.hold(1000, 24_000), RamFile)
    assert heap.collects == 0  # a collect costs ~25 ms of chip time


def test_hold_collects_once_when_garbage_hides_the_room(monkeypatch):
    heap = Heap(free=10_000, garbage=30_000)
    monkeypatch.setattr(ramfile, "mem_free", heap.mem_free)
    monkeypatch.setattr(ramfile.gc, "collect", heap.collect)
    assert isinstance(ramfile.hold(1000, 24_000), RamFile)
    assert heap.collects == 1


def test_hold_refuses_when_the_spare_would_be_gone(monkeypatch):
    heap = Heap(free=10_000, garbage=5_000)
    monkeypatch.setattr(ramfile, "mem_free", heap.mem_free)
    monkeypatch.setattr(ramfile.gc, "collect", heap.collect)
    assert ramfile.hold(1000, 24_000) is None


def test_hold_refuses_what_the_heap_cannot_allocate(monkeypatch):
    def no_room(size):
        raise MemoryError

    monkeypatch.setattr(ramfile.RamFile, "__init__", lambda self, size: no_room(size))
    assert ramfile.hold(1000, 0) is None
