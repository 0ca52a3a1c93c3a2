# ENC_RICE and ENC_PRED on MicroPython: the viper decoders and the bytecode
# fallbacks turn the host's frame files into exactly the host's pixels, streaming from
# a file with the heap locked (nothing allocated per frame or per row), and
# bad data ends in frame.FrameError.
#
#   micropython mpy_codec.py VECTORS_DIR FRAMES_DIR NAME...
# FRAMES_DIR/NAME.frm is a frame file, FRAMES_DIR/NAME.rgb its 240x240 pixels.
import binascii
import gc
import io
import sys
import time

import frame
import micropython
import painter
import predcodec
import ricecodec

vectors = sys.argv[1]
folder = sys.argv[2]
names = sys.argv[3:]
VIPER = painter.decode_row is not predcodec.decode_row
assert VIPER == (painter.rice_row is not ricecodec.decode_row)
print("viper decoder:", VIPER)


def vector(name):
    with open(vectors + "/" + name) as f:
        return binascii.unhexlify(f.read().strip())


def decode_all(data, w, h):
    r = painter.FrameReader(w, h)
    f = io.BytesIO(data)
    r.open(f)
    out = bytearray(w * h * 2)
    for y in range(h):
        r.row_into(out, y * w * 2)
    return out


def check_golden():
    assert decode_all(vector("frame_pred_6x2.hex"), 6, 2) == (
        b"\x00" * 10 + b"\xff\xff\xf8\x00" + b"\x00" * 10)
    assert decode_all(vector("frame_pred_near1_2x1.hex"), 2, 1) == b"\x09\x24\x21\x24"
    picture = vector("picture_branches_24x12.hex")
    assert decode_all(vector("frame_pred_branches_lossless_24x12.hex"), 24, 12) == picture
    near = decode_all(vector("frame_pred_branches_near213_24x12.hex"), 24, 12)
    assert near != picture and len(near) == len(picture)
    assert decode_all(vector("frame_rice_6x2.hex"), 6, 2) == (
        b"\x00" * 10 + b"\xff\xff\xf8\x00" + b"\x00" * 10)
    assert decode_all(vector("frame_rice_branches_lossless_24x12.hex"), 24, 12) == picture
    near2 = decode_all(vector("frame_rice_branches_near213_24x12.hex"), 24, 12)
    assert near2 != picture and len(near2) == len(picture)


def stream_compare(reader, f, g, row, want):
    """Decode every row from file f and compare with g's rows; heap locked
    (open() parses the header into a small tuple, as for ENC_SPANS: once per
    photo, before the lock)."""
    reader.open(f)
    micropython.heap_lock()
    try:
        same = True
        for _ in range(reader.height):
            reader.row_into(row, 0)
            g.readinto(want)
            if row != want:
                same = False
    finally:
        micropython.heap_unlock()
    return same


def timed_rows(reader, f, row):
    reader.open(f)
    t = time.ticks_us()
    for _ in range(reader.height):
        reader.row_into(row, 0)
    return time.ticks_diff(time.ticks_us(), t)


reader = painter.FrameReader(240, 240)
row = bytearray(480)
want = bytearray(480)
decoders = [("viper", painter.decode_row, painter.rice_row)] if VIPER else []
decoders.append(("bytecode", predcodec.decode_row, ricecodec.decode_row))
for name, fn, rfn in decoders:
    painter.decode_row = fn
    painter.rice_row = rfn
    check_golden()
    for n in names:
        with open(folder + "/" + n + ".frm", "rb") as f, open(folder + "/" + n + ".rgb", "rb") as g:
            assert stream_compare(reader, f, g, row, want), (name, n)
        with open(folder + "/" + n + ".frm", "rb") as f:
            us = timed_rows(reader, f, row)
        print("decode %s %s %d us" % (name, n, us))
    print("%s decoder matches the host" % name)

# Corrupt or cut data: FrameError, nothing else, and it ends.
painter.decode_row = decoders[0][1]
painter.rice_row = decoders[0][2]
gc.collect()
with open(folder + "/" + names[0] + ".frm", "rb") as f:
    data = f.read()
seed = 12345
bad_seen = 0
for trial in range(60):
    bad = None
    gc.collect()
    bad = bytearray(memoryview(data)[: len(data) - trial * 97])  # one copy, not two
    for _ in range(3):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        i = 32 + 960 + seed % (len(bad) - 32 - 960)
        bad[i] ^= 1 << (seed >> 8) % 8
    with open(folder + "/bad.frm", "wb") as g:  # a file, not a second 26 KB copy in RAM
        g.write(bad)
    try:
        with open(folder + "/bad.frm", "rb") as g:
            reader.open(g)
            for _ in range(240):
                reader.row_into(row, 0)
    except frame.FrameError:
        bad_seen += 1
assert bad_seen >= 55, bad_seen
print("corrupt data raises FrameError")
print("codec ok")
