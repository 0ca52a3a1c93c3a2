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


# blend_rows(dst, old, ust, a): blend_strip over each row's part that can
# differ. ust, u16 little-endian: [0] rows, [1] bytes a row, [2] the first
# row's y, [3] 1 when old is a photo's spans in RAM (painter.RamRows, the
# spans being these columns), 0 when it is a strip like dst, [4] the next
# row's offset in that RAM, [5] 0, then per row y of the picture the columns
# [x0, x1) to blend (a cross-fade's two photos: the union of their spans;
# outside it both are the same background).
@micropython.asm_thumb
def blend_rows(r0, r1, r2, r3):
    mov(r4, r8)
    mov(r5, r9)
    mov(r6, r10)
    mov(r7, r11)
    push({r4, r5, r6, r7})
    mov(r8, r0)
    mov(r9, r1)
    mov(r10, r2)
    mov(r5, 0)
    mov(r11, r5)  # the row in the strip
    label(ROW)
    mov(r2, r10)
    ldrh(r4, [r2, 0])
    mov(r5, r11)
    cmp(r5, r4)
    bne(ROW1)
    b(END)
    label(ROW1)
    ldrh(r4, [r2, 4])
    add(r4, r4, r5)  # y
    lsl(r4, r4, 2)
    add(r4, r4, r2)
    ldrh(r6, [r4, 12])  # x0
    ldrh(r7, [r4, 14])  # x1
    lsl(r6, r6, 1)
    lsl(r7, r7, 1)
    ldrh(r0, [r2, 6])
    cmp(r0, 0)
    beq(STRIP)
    # old in RAM: the row's span at the next offset with its offset mod 4
    ldrh(r1, [r2, 8])
    mov(r0, r1)
    eor(r0, r6)
    mov(r4, 2)
    and_(r0, r4)
    add(r1, r1, r0)
    sub(r4, r7, r6)
    add(r4, r4, r1)
    strh(r4, [r2, 8])  # the next row's
    mov(r0, r9)
    add(r1, r1, r0)
    b(DST)
    label(STRIP)
    ldrh(r4, [r2, 2])
    mul(r4, r5)
    mov(r1, r9)
    add(r1, r1, r4)
    add(r1, r1, r6)
    label(DST)
    ldrh(r4, [r2, 2])
    mul(r4, r5)  # the row's offset
    add(r6, r6, r4)
    add(r7, r7, r4)
    mov(r0, r8)
    add(r0, r0, r6)
    mov(r2, r8)
    add(r2, r2, r7)  # the end
    add(r5, 1)
    mov(r11, r5)
    mov(r7, 0x07)  # mask 0x07E0F81F
    lsl(r7, r7, 8)
    add(r7, 0xE0)
    lsl(r7, r7, 8)
    add(r7, 0xF8)
    lsl(r7, r7, 8)
    add(r7, 0x1F)
    cmp(r0, r2)
    beq(ROW)
    label(LOOP)
    ldrh(r4, [r0, 0])
    ldrh(r5, [r1, 0])
    data(2, 0xBA40 | (4 << 3) | 4)  # rev16 r4, r4
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
    b(ROW)
    label(END)
    pop({r4, r5, r6, r7})
    mov(r8, r4)
    mov(r9, r5)
    mov(r10, r6)
    mov(r11, r7)
