# Runs on the micropython binary: mounts a simulated pendant's flash image
# read-only-in-spirit and prints every file under / with its size and SHA-256,
# one "path size hexdigest" line each, so tests can check the store from outside.
import binascii
import hashlib
import os
import sys

import vfs

BLOCK_SIZE = 4096


class FileBlockDevice:
    def __init__(self, f, count):
        self.f = f
        self.count = count

    def readblocks(self, n, buf, off=0):
        self.f.seek(n * BLOCK_SIZE + off)
        self.f.readinto(buf)

    def writeblocks(self, n, buf, off=None):
        raise OSError(30)  # EROFS: looking must not change the image

    def ioctl(self, op, arg):
        if op == 4:
            return self.count
        if op == 5:
            return BLOCK_SIZE
        return 0


def walk(path):
    for name in sorted(os.listdir(path)):
        full = path.rstrip("/") + "/" + name
        if os.stat(full)[0] & 0x4000:
            walk(full)
            continue
        h = hashlib.sha256()
        size = 0
        with open(full, "rb") as f:
            while True:
                b = f.read(4096)
                if not b:
                    break
                h.update(b)
                size += len(b)
        print(full[len("/img"):], size, binascii.hexlify(h.digest()).decode())


f = open(sys.argv[1], "rb")
f.seek(0, 2)
dev = FileBlockDevice(f, f.tell() // BLOCK_SIZE)
os.mount(vfs.VfsLfs2(dev, readsize=BLOCK_SIZE, progsize=BLOCK_SIZE, lookahead=32), "/img")
walk("/img")
