# ruff: noqa: F821  (asm_thumb registers and instructions are names the assembler knows)
# blend.py's RGB565 blend in Thumb-1 assembly for the RP2040's Cortex-M0+: the
# same values (tests compare them on the emulated chip), ~25 cycles a pixel
# where the viper loop takes several times that. Importing this module fails
# where the inline assembler is missing; painter.py then uses blend.py.
#
# blend_strip(dst, old, n, a): n big-endian RGB565 pixels of dst become
# (old * (32 - a) + dst * a) / 32 per channel, a in 0..32. With each pixel
# spread as 00000GGGGGG00000RRRRR000000BBBBB (blend.py), the sum
# new * a + old * (32 - a) is computed as (new - old) * a + old * 32: the same
# 32-bit integer, one multiply fewer and no register for 32 - a.
import micropython


@micropython.asm_thumb
def blend_strip(r0, r1, r2, r3):
    lsl(r2, r2, 1)
    add(r2, r2, r0)  # end of dst
    # mask 0x07E0F81F, built without a literal pool
    mov(r7, 0x07)
    lsl(r7, r7, 8)
    add(r7, 0xE0)
    lsl(r7, r7, 8)
    add(r7, 0xF8)
    lsl(r7, r7, 8)
    add(r7, 0x1F)
    cmp(r0, r2)
    beq(END)
    label(LOOP)
    ldrh(r4, [r0, 0])
    ldrh(r5, [r1, 0])
    data(2, 0xBA40 | (4 << 3) | 4)  # rev16 r4, r4: big-endian pixel
    data(2, 0xBA40 | (5 << 3) | 5)  # rev16 r5, r5
    lsl(r6, r4, 16)
    orr(r4, r6)
    and_(r4, r7)
    lsl(r6, r5, 16)
    orr(r5, r6)
    and_(r5, r7)
    sub(r4, r4, r5)
    mul(r4, r3)
    lsl(r5, r5, 5)
    add(r4, r4, r5)
    lsr(r4, r4, 5)
    and_(r4, r7)
    lsr(r6, r4, 16)
    orr(r4, r6)
    data(2, 0xBA40 | (4 << 3) | 4)  # rev16 r4, r4
    strh(r4, [r0, 0])
    add(r0, 2)
    add(r1, 2)
    cmp(r0, r2)
    bne(LOOP)
    label(END)
