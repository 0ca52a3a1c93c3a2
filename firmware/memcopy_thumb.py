# ruff: noqa: F821  (asm_thumb registers and instructions are names the assembler knows)
# Byte copy between two buffers at offsets, in Thumb assembly for the RP2040's
# Cortex-M0+: ~6 cycles a byte, where viper's ptr8 loop takes ~63 (its index
# arithmetic and bounds live on the stack). It moves a photo received into
# RAM (ramfile.py): 4 KiB per DATA packet in, 2 KiB chunks out to the decoder.
#
# Importing this module fails where the inline assembler is missing (the unix
# port on x64, CPython); ramfile.py then copies with memoryview slices.
import micropython
from uctypes import addressof


@micropython.asm_thumb
def _copy(r0, r1, r2):  # r0 destination address, r1 source address, r2 bytes (> 0)
    label(LOOP)
    ldrb(r3, [r1, 0])
    strb(r3, [r0, 0])
    add(r0, 1)
    add(r1, 1)
    sub(r2, 1)
    bne(LOOP)


def copy_at(dst, doff, src, soff, n):
    """dst[doff:doff + n] = src[soff:soff + n], allocating nothing. The
    caller keeps the ranges inside both buffers (addresses are not checked)."""
    if n > 0:
        _copy(addressof(dst) + doff, addressof(src) + soff, n)


# compact(buf, rows, stride, off << 16 | nb): in a strip of `rows` rows of
# `stride` bytes, the bytes [off, off + nb) of each row moved to the front,
# one after another (row i's to i * nb): a narrow window's pixels, sent as
# one block (painter.py, a fade's narrow rows). Each byte moves forward
# (to an address no higher than its own), so the rows may overlap. nb > 0.
@micropython.asm_thumb
def compact(r0, r1, r2, r3):
    lsr(r4, r3, 16)
    add(r4, r4, r0)  # the first row's part
    lsl(r3, r3, 16)
    lsr(r3, r3, 16)  # nb
    label(ROW)
    cmp(r1, 0)
    beq(END)
    mov(r5, r4)
    mov(r6, r3)
    label(BYTE)
    ldrb(r7, [r5, 0])
    strb(r7, [r0, 0])
    add(r5, 1)
    add(r0, 1)
    sub(r6, 1)
    bne(BYTE)
    add(r4, r4, r2)
    sub(r1, 1)
    b(ROW)
    label(END)
