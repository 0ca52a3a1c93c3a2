# ruff: noqa: F821  (asm_thumb registers and instructions are names the assembler knows)
# The ENC_PRED decoder of predcodec.py in Thumb-1 assembly for the RP2040's
# Cortex-M0+ (asm_thumb, armv6m subset): the same bitstream and the same
# pixels as predcodec.decode_row (tests compare them on the emulated chip),
# a strip of rows per call.
#
# Why assembly: viper code on the M0+ keeps most locals on the stack and read
# the code a bit at a time through bounds checks, ~2,500 cycles a stored
# pixel; and the Python around it (a file read, slices and a call per row)
# cost ~200 us a row. Here the bit reader lives in registers (a 32-bit
# accumulator refilled a byte at a time; the unary part is read off the carry
# flag), each channel's neighbours, limits, context table and statistics
# sit in one block, and whole rows (background, plain rows, coded rows) are done here
# from a chunk of the file that the caller refills when asked.
#
# Importing this module fails where the inline assembler is missing (the unix
# port on x64, CPython); painter.py then decodes row by row with the viper or
# bytecode decoder.
#
# decode_strip(mem, dst, n, st):
#   mem  the reader's buffer: file chunk at 0 (st[ST_GOT] bytes valid, next
#        row record at st[ST_POS]), background row at st[ST_BGOFF], the last
#        decoded row at st[ST_LASTOFF], span table at st[ST_SPANOFF]
#   dst  rows go to dst[0:], dst[row_bytes:], ...
#   n    rows to decode (a new strip), or 0 to go on after a refill
#   st   predcodec's state array (array("H"), predcodec.ST_*)
# returns 0 done, 1 (NEED) the next row record is not all in the chunk: read
# the file from st[ST_POS] on into the chunk and call again with n = 0;
# anything else: bad data (2 a value out of range, 3 a row's length does not
# match its codes, 4 a row longer than its span, 5 a bad span).
#
# State: the header fields below, then one 160-byte block per channel (G at
# byte 96 of st, R at 256, B at 416; predcodec.reset_state and
# predcodec.thumb_tables fill them):
#   0 a (left), 2 b (above), 4 c (above-left), 6 max, 8 step = 2 * near + 1,
#   10 largest valid m = 2 * max + 1, 12 64 + half of G's surprise (R, B),
#   14 the prediction (scratch), 16 + d: the byte offset in the block of the
#   statistics of the context of activity d (0..127), 144 + 4 * ctx: A,
#   146 + 4 * ctx: N of context ctx
# Byte offsets in st used here: 0 X0, 2 X1, 4 LEN, 12/14/16 background R/G/B,
# 18 POS, 20 GOT, 22 Y, 24 rows LEFT in the strip, 26 ROWOFF in dst, 30 row
# bytes, 56 BGOFF, 58 LASTOFF, 60 SPANOFF, 88 mem and 92 dst (32-bit, scratch).
import micropython


@micropython.asm_thumb
def decode_strip(r0, r1, r2, r3):
    # r8..r11 belong to the caller
    mov(r4, r8)
    mov(r5, r9)
    mov(r6, r10)
    mov(r7, r11)
    push({r4, r5, r6, r7})
    str(r0, [r3, 88])
    str(r1, [r3, 92])
    mov(r5, r3)
    add(r5, 96)  # r5: the G block, all through
    cmp(r2, 0)
    beq(ROW)
    strh(r2, [r3, 24])  # LEFT
    mov(r2, 0)
    strh(r2, [r3, 26])  # ROWOFF
    label(ROW)
    mov(r3, r5)
    sub(r3, 96)
    ldrh(r0, [r3, 24])
    cmp(r0, 0)
    bne(ROW1)
    b(DONE)  # r0 = 0
    label(ROW1)
    # the span: x0, x1 from the table, checked
    ldr(r0, [r3, 88])
    ldrh(r4, [r3, 60])
    add(r0, r0, r4)
    ldrh(r4, [r3, 22])  # y
    lsl(r4, r4, 2)
    add(r0, r0, r4)
    ldrh(r1, [r0, 0])
    ldrh(r2, [r0, 2])
    strh(r1, [r3, 0])
    strh(r2, [r3, 2])
    ldrh(r4, [r3, 30])
    lsr(r4, r4, 1)  # width
    cmp(r1, r2)
    bhi(BADSPAN)
    cmp(r2, r4)
    bls(SPANOK)
    label(BADSPAN)
    mov(r0, 5)
    b(DONE)
    label(SPANOK)
    # background left of x0 and from x1 on
    ldr(r0, [r3, 88])
    ldrh(r4, [r3, 56])
    add(r0, r0, r4)  # background row
    ldr(r6, [r3, 92])
    ldrh(r4, [r3, 26])
    add(r6, r6, r4)  # this row in dst
    mov(r11, r6)
    mov(r2, r6)
    lsl(r4, r1, 1)
    bl(HCOPY)  # [0, x0)
    ldrh(r2, [r3, 2])
    lsl(r2, r2, 1)
    ldrh(r4, [r3, 30])
    sub(r4, r4, r2)  # bytes from x1 to the end
    ldr(r0, [r3, 88])
    ldrh(r7, [r3, 56])
    add(r0, r0, r7)
    add(r0, r0, r2)
    mov(r6, r11)
    add(r2, r2, r6)
    bl(HCOPY)  # [x1, width)
    # the row above: the previous row in dst, or the last row of the strip before
    ldrh(r4, [r3, 26])
    cmp(r4, 0)
    bne(PREVDST)
    ldr(r2, [r3, 88])
    ldrh(r4, [r3, 58])
    add(r2, r2, r4)
    b(PREVOK)
    label(PREVDST)
    ldrh(r4, [r3, 30])
    mov(r6, r11)
    sub(r2, r6, r4)
    label(PREVOK)
    mov(r10, r2)
    # an empty span has no record
    ldrh(r1, [r3, 0])
    ldrh(r2, [r3, 2])
    cmp(r1, r2)
    bne(RECORD)
    b(ROWDONE)
    label(RECORD)
    # the record: u16 n, then n bytes; all of it must be in the chunk
    ldrh(r0, [r3, 18])  # POS
    ldrh(r4, [r3, 20])  # GOT
    add(r6, r0, 2)
    cmp(r6, r4)
    bhi(NEED)
    ldr(r7, [r3, 88])
    add(r7, r7, r0)
    ldrb(r6, [r7, 0])
    ldrb(r7, [r7, 1])
    lsl(r7, r7, 8)
    orr(r6, r7)  # n
    sub(r7, r2, r1)
    lsl(r7, r7, 1)  # raw = 2 * (x1 - x0)
    cmp(r6, r7)
    bhi(BADLEN)
    add(r0, 2)
    add(r0, r0, r6)
    cmp(r0, r4)
    bhi(NEED)
    strh(r0, [r3, 18])  # POS past the record
    strh(r6, [r3, 4])  # LEN
    ldr(r4, [r3, 88])
    add(r4, r4, r0)
    sub(r4, r4, r6)  # the record's bytes
    cmp(r6, r7)
    beq(PLAIN)
    mov(r0, r4)
    mov(r1, r11)
    mov(r2, r10)
    bl(ROWDEC)
    cmp(r0, 0)
    beq(ROWDONE)
    b(DONE)
    label(NEED)
    mov(r0, 1)
    b(DONE)
    label(BADLEN)
    mov(r0, 4)
    b(DONE)
    label(PLAIN)
    # stored as plain RGB565: copy n bytes to x0
    mov(r0, r11)
    lsl(r1, r1, 1)
    add(r0, r0, r1)
    add(r6, r6, r4)
    label(PLAINL)
    ldrb(r7, [r4, 0])
    strb(r7, [r0, 0])
    add(r4, 1)
    add(r0, 1)
    cmp(r4, r6)
    bne(PLAINL)
    label(ROWDONE)
    mov(r3, r5)
    sub(r3, 96)
    ldrh(r0, [r3, 22])
    add(r0, 1)
    strh(r0, [r3, 22])  # y
    ldrh(r0, [r3, 26])
    ldrh(r1, [r3, 30])
    add(r0, r0, r1)
    strh(r0, [r3, 26])  # ROWOFF
    ldrh(r0, [r3, 24])
    sub(r0, 1)
    strh(r0, [r3, 24])  # LEFT
    beq(LASTROW)
    b(ROW)
    label(LASTROW)
    # keep the strip's last row: the next strip predicts its first row from it
    ldr(r0, [r3, 92])
    ldrh(r4, [r3, 26])
    add(r0, r0, r4)
    sub(r0, r0, r1)
    ldr(r2, [r3, 88])
    ldrh(r4, [r3, 58])
    add(r2, r2, r4)
    mov(r4, r1)
    bl(HCOPY)
    mov(r0, 0)
    b(DONE)

    # HCOPY: r4 bytes (even) from r0 to r2, by halfwords; uses r6
    label(HCOPY)
    cmp(r4, 0)
    beq(HCEND)
    add(r4, r4, r2)
    label(HCL)
    ldrh(r6, [r0, 0])
    strh(r6, [r2, 0])
    add(r0, 2)
    add(r2, 2)
    cmp(r2, r4)
    bne(HCL)
    label(HCEND)
    bx(lr)

    # ROWDEC: decode one coded row's span. r0 the codes, r1 the row, r2 the
    # row above, st[X0], st[X1], st[LEN] set; r5 the G block. Returns 0 or an
    # error in r0.
    label(ROWDEC)
    push({lr})
    mov(r3, r5)
    sub(r3, 96)
    # r8 next byte to fetch, r9 end of the row's bytes; r10, r11: prev and cur
    # at pixel x; r12 pixels left; r6 bit accumulator (MSB first), r7 bits in it
    mov(r8, r0)
    ldrh(r4, [r3, 4])  # LEN
    add(r4, r4, r0)
    mov(r9, r4)
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
    ldrh(r2, [r3, 14])  # background G
    ldrh(r4, [r3, 16])  # background B
    ldrh(r3, [r3, 12])  # background R
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
    add(r0, 160)
    strh(r3, [r0, 0])
    add(r0, 160)
    strh(r4, [r0, 0])
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
    mov(r1, r10)  # b: the pixel above, into each block
    ldrb(r0, [r1, 0])
    ldrb(r1, [r1, 1])
    mov(r2, 7)
    and_(r2, r0)
    lsl(r2, r2, 3)
    lsr(r3, r1, 5)
    orr(r2, r3)
    strh(r2, [r5, 2])  # G
    lsr(r3, r0, 3)
    mov(r4, 31)
    and_(r4, r1)
    mov(r0, r5)
    add(r0, 160)
    strh(r3, [r0, 2])  # R
    add(r0, 160)
    strh(r4, [r0, 2])  # B
    bl(CHANNEL)  # G
    asr(r1, r1, 1)  # half of G's surprise, for R and B
    add(r1, 64)
    add(r5, 160)
    strh(r1, [r5, 12])
    mov(r0, r5)
    add(r0, 160)
    strh(r1, [r0, 12])
    bl(CHANNEL)  # R
    add(r5, 160)
    bl(CHANNEL)  # B
    mov(r4, r0)
    sub(r5, 160)
    ldrh(r0, [r5, 0])  # R (its a is now the decoded value)
    sub(r5, 160)
    ldrh(r1, [r5, 0])  # G
    # cur = R << 11 | G << 5 | B, big-endian
    lsl(r0, r0, 3)
    lsr(r2, r1, 3)
    orr(r0, r2)
    mov(r3, r11)
    strb(r0, [r3, 0])
    mov(r2, 7)
    and_(r1, r2)
    lsl(r1, r1, 5)
    orr(r1, r4)
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
    # context from d = |a - c| + |b - c| (at most 126): the block's table
    # gives the offset of that context's statistics
    sub(r0, r1, r3)
    bpl(D1)
    neg(r0, r0)
    label(D1)
    sub(r4, r2, r3)
    bpl(D2)
    neg(r4, r4)
    label(D2)
    add(r0, r0, r4)
    add(r0, r0, r5)
    ldrb(r4, [r0, 16])
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

    # -- the end of a row ----------------------------------------------------------
    label(BAD)
    mov(r0, 2)  # a value out of range
    pop({pc})
    label(ROWEND)
    # every bit used must lie in the row, and no whole byte left over:
    # (bits read + 7) >> 3 == LEN, bits read = 8 * bytes fetched - bits left
    mov(r0, r8)
    mov(r1, r9)
    mov(r3, r5)
    sub(r3, 96)
    ldrh(r2, [r3, 4])  # LEN
    sub(r1, r1, r2)  # start of the row's bytes
    sub(r0, r0, r1)
    lsl(r0, r0, 3)
    sub(r0, r0, r7)
    add(r0, 7)
    lsr(r0, r0, 3)
    sub(r0, r0, r2)
    beq(ROWOK)
    mov(r0, 3)  # the length does not match (or the codes overran it)
    label(ROWOK)
    pop({pc})

    label(DONE)
    pop({r4, r5, r6, r7})
    mov(r8, r4)
    mov(r9, r5)
    mov(r10, r6)
    mov(r11, r7)
