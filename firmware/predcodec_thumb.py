# ruff: noqa: F821  (asm_thumb registers and instructions are names the assembler knows)
# The ENC_PRED row decoder of predcodec.py in Thumb-1 assembly for the RP2040's
# Cortex-M0+ (asm_thumb, armv6m subset): the same bitstream and the same
# results as predcodec.decode_row (tests compare them on the emulated chip).
# The viper decoder kept most locals on the stack and read the code a bit at a
# time through several bounds checks: ~2,500 cycles a stored pixel on the
# M0+. This one keeps the bit reader in registers (a 32-bit accumulator
# refilled a byte at a time; the unary part is read off the carry flag) and
# each channel's neighbours, limits and statistics in one 32-byte block.
#
# Importing this module fails where the inline assembler is missing (the unix
# port on x64, CPython); painter.py then uses the viper or bytecode decoder.
#
# State: the decoders share predcodec's state array (array("H"), ST_SIZE);
# this one keeps a block per channel after the common fields, which
# predcodec.reset_state fills (predcodec.ST_TH, byte offsets in a block):
#   0 a (left), 2 b (above), 4 c (above-left), 6 max, 8 step = 2 * near + 1,
#   10 largest valid m = 2 * max + 1, 12 64 + half of G's surprise (R, B),
#   14 the prediction (scratch), 16 + 4 * ctx: A, 18 + 4 * ctx: N of context ctx
# Blocks: G at byte 96 of st, R at 128, B at 160.
# decode_row(src, cur, prev, st) -> 0 (OK) or non-zero (bad data), as predcodec's.
import micropython


@micropython.asm_thumb
def decode_row(r0, r1, r2, r3):
    # r8..r11 belong to the caller
    mov(r4, r8)
    mov(r5, r9)
    mov(r6, r10)
    mov(r7, r11)
    push({r4, r5, r6, r7})
    # r8 next byte to fetch, r9 end of the row's bytes; r10, r11: prev and cur
    # at pixel x; r12 pixels left; r5 the G block; r6 bit accumulator (MSB
    # first), r7 bits in it
    mov(r8, r0)
    ldrh(r4, [r3, 4])  # ST_LEN
    add(r4, r4, r0)
    mov(r9, r4)
    mov(r5, r3)
    add(r5, 96)
    ldrh(r4, [r3, 0])  # x0
    ldrh(r0, [r3, 2])  # x1
    sub(r0, r0, r4)
    mov(r12, r0)
    lsl(r4, r4, 1)
    add(r1, r1, r4)
    add(r2, r2, r4)
    mov(r10, r2)
    mov(r11, r1)
    mov(r6, 0)
    mov(r7, 0)
    # a and c: the pixel left of x0 in cur and prev, or the background
    cmp(r4, 0)
    beq(BGSTART)
    sub(r1, 2)
    ldrb(r0, [r1, 0])
    ldrb(r1, [r1, 1])
    bl(UNPACK)
    mov(r0, 0)
    bl(PUTA)
    mov(r1, r10)
    sub(r1, 2)
    ldrb(r0, [r1, 0])
    ldrb(r1, [r1, 1])
    bl(UNPACK)
    mov(r0, 4)
    bl(PUTA)
    b(PIXELS)
    label(BGSTART)
    ldrh(r2, [r3, 14])  # ST_BG_G
    ldrh(r3, [r3, 12])  # ST_BG_R (r3 = st until here)
    sub(r5, 96)
    ldrh(r4, [r5, 16])  # ST_BG_B
    add(r5, 96)
    mov(r0, 0)
    bl(PUTA)
    mov(r0, 4)
    bl(PUTA)
    b(PIXELS)

    # -- helpers ------------------------------------------------------------
    # UNPACK: r0 high byte, r1 low byte -> r2 G, r3 R, r4 B
    label(UNPACK)
    lsr(r3, r0, 3)
    mov(r2, 7)
    and_(r2, r0)
    lsl(r2, r2, 3)
    lsr(r4, r1, 5)
    orr(r2, r4)
    mov(r4, 31)
    and_(r4, r1)
    bx(lr)
    # PUTA: G r2, R r3, B r4 into field r0 (0 a, 2 b, 4 c) of the three blocks
    label(PUTA)
    add(r0, r0, r5)
    strh(r2, [r0, 0])
    strh(r3, [r0, 32])
    add(r0, 32)
    strh(r4, [r0, 32])
    bx(lr)

    # -- the pixels -----------------------------------------------------------
    label(PIXELS)
    mov(r0, r12)
    cmp(r0, 0)
    bne(PIXEL)
    b(ROWEND)
    label(PIXEL)
    sub(r0, 1)
    mov(r12, r0)
    mov(r1, r10)  # b: the pixel above
    ldrb(r0, [r1, 0])
    ldrb(r1, [r1, 1])
    bl(UNPACK)
    mov(r0, 2)
    bl(PUTA)
    bl(CHANNEL)  # G
    asr(r1, r1, 1)  # half of G's surprise, for R and B
    add(r1, 64)
    strh(r1, [r5, 32 + 12])
    add(r5, 32)
    strh(r1, [r5, 32 + 12])
    bl(CHANNEL)  # R
    add(r5, 32)
    bl(CHANNEL)  # B
    sub(r5, 64)
    # cur = R << 11 | G << 5 | B, big-endian
    ldrh(r0, [r5, 32])  # R (its a is now the decoded value)
    ldrh(r1, [r5, 0])  # G
    lsl(r0, r0, 3)
    lsr(r2, r1, 3)
    orr(r0, r2)
    mov(r3, r11)
    strb(r0, [r3, 0])
    mov(r2, 7)
    and_(r1, r2)
    lsl(r1, r1, 5)
    add(r5, 64)
    ldrh(r2, [r5, 0])  # B
    sub(r5, 64)
    orr(r1, r2)
    strb(r1, [r3, 1])
    add(r3, 2)
    mov(r11, r3)
    mov(r0, r10)
    add(r0, 2)
    mov(r10, r0)
    b(PIXELS)

    # -- one channel value ------------------------------------------------------
    # r5: its block (a, b, c set); r6/r7 the bit reader; r8/r9 the source.
    # Returns the value in r0 (also stored as the next a) and v - p in r1.
    label(CHANNEL)
    cmp(r7, 24)
    bgt(FULL)
    label(FILL)
    mov(r0, r8)
    add(r1, r0, 1)
    mov(r8, r1)
    mov(r1, r9)
    cmp(r0, r1)
    bcs(PAST)  # past the row's bytes: zeros (the length check at the end fails)
    ldrb(r1, [r0, 0])
    mov(r2, 24)
    sub(r2, r2, r7)
    lsl(r1, r2)
    orr(r6, r1)
    label(PAST)
    add(r7, 8)
    cmp(r7, 24)
    ble(FILL)
    label(FULL)
    ldrh(r1, [r5, 0])  # a
    ldrh(r2, [r5, 2])  # b
    ldrh(r3, [r5, 4])  # c
    # context from d = |a - c| + |b - c| against CTX_T1..3 = 2, 6, 16
    sub(r0, r1, r3)
    bpl(D1)
    neg(r0, r0)
    label(D1)
    sub(r4, r2, r3)
    bpl(D2)
    neg(r4, r4)
    label(D2)
    add(r0, r0, r4)
    mov(r4, 16)
    cmp(r0, 2)
    ble(CTXD)
    add(r4, 4)
    cmp(r0, 6)
    ble(CTXD)
    add(r4, 4)
    cmp(r0, 16)
    ble(CTXD)
    add(r4, 4)
    label(CTXD)
    add(r4, r4, r5)  # r4: A of the context, N at +2
    # MED(a, b, c)
    cmp(r1, r2)
    blt(ALB)
    cmp(r3, r1)
    bge(PB)
    cmp(r3, r2)
    ble(PA)
    b(PG)
    label(ALB)
    cmp(r3, r2)
    bge(PA)
    cmp(r3, r1)
    ble(PB)
    label(PG)
    add(r0, r1, r2)
    sub(r0, r0, r3)
    b(PD)
    label(PA)
    mov(r0, r1)
    b(PD)
    label(PB)
    mov(r0, r2)
    label(PD)
    # R and B: + half of G's surprise, clamped (G: + 0, already in range)
    ldrh(r1, [r5, 12])
    sub(r1, 64)
    add(r0, r0, r1)
    bpl(P0)
    mov(r0, 0)
    label(P0)
    ldrh(r1, [r5, 6])
    cmp(r0, r1)
    ble(P1)
    mov(r0, r1)
    label(P1)
    strh(r0, [r5, 14])
    # k: the smallest with N << k >= A
    ldrh(r2, [r4, 0])
    ldrh(r3, [r4, 2])
    mov(r1, 0)
    cmp(r3, r2)
    bge(KD)
    label(KL)
    add(r1, 1)
    lsl(r3, r3, 1)
    cmp(r3, r2)
    blt(KL)
    label(KD)
    # unary part: ones until a zero, or LIMIT = 14 ones (then m in 7 bits)
    mov(r0, 0)
    label(UL)
    lsl(r6, r6, 1)
    bcc(UD)
    add(r0, 1)
    cmp(r0, 14)
    bne(UL)
    sub(r7, 14)
    mov(r0, 0)
    mov(r1, 7)
    b(LOW)
    label(UD)
    sub(r7, r7, r0)
    sub(r7, 1)
    lsl(r0, r1)
    label(LOW)
    # m = u << k | the next k bits
    mov(r3, 32)
    sub(r3, r3, r1)
    mov(r2, r6)
    lsr(r2, r3)
    lsl(r6, r1)
    sub(r7, r7, r1)
    orr(r0, r2)
    ldrh(r3, [r5, 10])
    cmp(r0, r3)
    bls(MOK)
    b(BAD)
    label(MOK)
    # statistics: A += m, N += 1, both halve when N reaches RESET = 32
    ldrh(r2, [r4, 0])
    ldrh(r3, [r4, 2])
    add(r2, r2, r0)
    add(r3, 1)
    cmp(r3, 32)
    blt(NR)
    lsr(r2, r2, 1)
    lsr(r3, r3, 1)
    label(NR)
    strh(r2, [r4, 0])
    strh(r3, [r4, 2])
    # q from m (zigzag), v = clamp(p + q * step, 0, max)
    lsr(r0, r0, 1)
    bcc(EVEN)
    mvn(r0, r0)
    label(EVEN)
    ldrh(r1, [r5, 8])
    mul(r0, r1)
    ldrh(r1, [r5, 14])
    add(r0, r0, r1)
    bpl(V0)
    mov(r0, 0)
    label(V0)
    ldrh(r2, [r5, 6])
    cmp(r0, r2)
    ble(V1)
    mov(r0, r2)
    label(V1)
    sub(r1, r0, r1)
    strh(r0, [r5, 0])  # the next pixel's a
    ldrh(r2, [r5, 2])
    strh(r2, [r5, 4])  # and its c
    bx(lr)

    # -- the end ----------------------------------------------------------------
    label(BAD)
    mov(r0, 2)  # ERR_VALUE
    b(DONE)
    label(ROWEND)
    # every bit used must lie in the row, and no whole byte left over:
    # (bits read + 7) >> 3 == LEN, bits read = 8 * bytes fetched - bits left
    mov(r0, r8)
    mov(r1, r9)
    sub(r5, 96)
    ldrh(r2, [r5, 4])  # ST_LEN
    sub(r1, r1, r2)  # start of the row's bytes
    sub(r0, r0, r1)
    lsl(r0, r0, 3)
    sub(r0, r0, r7)
    add(r0, 7)
    lsr(r0, r0, 3)
    sub(r0, r0, r2)
    beq(DONE)
    mov(r0, 3)  # ERR_LENGTH (or an overrun)
    label(DONE)
    pop({r4, r5, r6, r7})
    mov(r8, r4)
    mov(r9, r5)
    mov(r10, r6)
    mov(r11, r7)
