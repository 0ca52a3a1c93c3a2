# ruff: noqa: F821  (asm_thumb registers and instructions are names the assembler knows)
# The ENC_RICE decoder of ricecodec.py in Thumb-1 assembly for the RP2040's
# Cortex-M0+ (asm_thumb, armv6m subset): the same bitstream and the same
# pixels as ricecodec.decode_row (tests compare them on the emulated chip), a
# strip of rows per call.
#
# Why it is fast: a row is decoded one channel at a time, so each channel's
# loop keeps its left (a) and above-left (c) neighbours, the bit accumulator
# and its count in registers; the row above sits in per-column records (G, R,
# B: one byte load per neighbour, no unpacking); k is one table lookup by the
# activity d (the frame's k per context spread over d = 0..127 when the frame
# is opened); the unary part is one lookup of the accumulator's top byte; the
# accumulator is refilled 16 bits at a time. ~60 cycles a channel value.
#
# Importing this module fails where the inline assembler is missing (the unix
# port on x64, CPython); painter.py then decodes row by row with
# ricecodec.decode_row.
#
# decode_strip(mem, dst, n, st):
#   mem  the reader's buffer: file chunk at 0 (st[ST_GOT] bytes valid, next
#        row record at st[ST_POS]), background row at st[ST_BGOFF], span
#        table at st[ST_SPANOFF], the column records at st[ST_RECOFF] (8 bytes
#        per column from x = -1: G, R, B of the row above, then G's surprise
#        / 2 + 64 twice, for R and B), the tables at st[ST_TABOFF] (256 bytes:
#        leading one-bits of a byte; then per channel 128 bytes: d -> k)
#   dst  rows go to dst[0:], dst[row_bytes:], ...
#   n    rows to decode (a new strip), or 0 to go on after a refill
#   st   the state array (array("H"), ricecodec.ST_* and predcodec.ST_*)
# returns 0 done, 1 (NEED) the next row record is not all in the chunk: read
# the file from st[ST_POS] on into the chunk and call again with n = 0;
# anything else: bad data (2 a value out of range, 3 a row's length does not
# match its codes, 4 a row longer than its span, 5 a bad span).
#
# The records hold the row above only in the columns [DX0, DX1) (the last
# row's span) and the background elsewhere: after each row, the columns it
# did not cover go back to the background. The caller sets every record to
# the background when it opens a frame (row -1).
#
# Byte offsets in st: 0 X0, 2 X1, 4 LEN, 18 POS, 20 GOT, 22 Y, 24 rows LEFT
# in the strip, 26 ROWOFF in dst, 30 row bytes, 32 RECOFF, 34 TABOFF, 36/38/40
# step of G/R/B, 42 DX0, 44 DX1, 46/48/50 background G/R/B, 54 lossless
# (1 or 0), 56 BGOFF, 60 SPANOFF, 88 mem and 92 dst (32-bit, scratch).
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
    mov(r5, r3)  # r5: st, all through (the row decoder keeps it)
    cmp(r2, 0)
    beq(ROW)
    strh(r2, [r5, 24])  # LEFT
    mov(r2, 0)
    strh(r2, [r5, 26])  # ROWOFF
    label(ROW)
    ldrh(r0, [r5, 24])
    cmp(r0, 0)
    bne(ROW1)
    b(DONE1)  # r0 = 0
    label(ROW1)
    # the span: x0, x1 from the table, checked
    ldr(r0, [r5, 88])
    ldrh(r4, [r5, 60])
    add(r0, r0, r4)
    ldrh(r4, [r5, 22])  # y
    lsl(r4, r4, 2)
    add(r0, r0, r4)
    ldrh(r1, [r0, 0])
    ldrh(r2, [r0, 2])
    strh(r1, [r5, 0])
    strh(r2, [r5, 2])
    ldrh(r4, [r5, 30])
    lsr(r4, r4, 1)  # width
    cmp(r1, r2)
    bhi(BADSPAN)
    cmp(r2, r4)
    bls(SPANOK)
    label(BADSPAN)
    mov(r0, 5)
    b(DONE1)
    label(SPANOK)
    # background left of x0 and from x1 on
    ldr(r0, [r5, 88])
    ldrh(r4, [r5, 56])
    add(r0, r0, r4)  # background row
    ldr(r6, [r5, 92])
    ldrh(r4, [r5, 26])
    add(r6, r6, r4)  # this row in dst
    mov(r11, r6)
    mov(r2, r6)
    lsl(r4, r1, 1)
    bl(HCOPY)  # [0, x0)
    ldrh(r2, [r5, 2])
    lsl(r2, r2, 1)
    ldrh(r4, [r5, 30])
    sub(r4, r4, r2)  # bytes from x1 to the end
    ldr(r0, [r5, 88])
    ldrh(r7, [r5, 56])
    add(r0, r0, r7)
    add(r0, r0, r2)
    mov(r6, r11)
    add(r2, r2, r6)
    bl(HCOPY)  # [x1, width)
    # an empty span has no record
    ldrh(r1, [r5, 0])
    ldrh(r2, [r5, 2])
    cmp(r1, r2)
    bne(RECORD)
    b(ROWDONE)
    label(RECORD)
    # the record: u16 n, then n bytes; all of it must be in the chunk
    ldrh(r0, [r5, 18])  # POS
    ldrh(r4, [r5, 20])  # GOT
    add(r6, r0, 2)
    cmp(r6, r4)
    bhi(NEED)
    ldr(r7, [r5, 88])
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
    strh(r0, [r5, 18])  # POS past the record
    strh(r6, [r5, 4])  # LEN
    ldr(r4, [r5, 88])
    add(r4, r4, r0)
    sub(r4, r4, r6)  # the record's bytes
    cmp(r6, r7)
    beq(PLAIN)
    mov(r0, r4)
    bl(ROWDEC)
    cmp(r0, 0)
    beq(ROWDONE)
    b(DONE1)
    label(NEED)
    mov(r0, 1)
    b(DONE1)
    label(BADLEN)
    mov(r0, 4)
    b(DONE1)
    label(PLAIN)
    # stored as plain RGB565: n bytes to x0, and the values into the records
    mov(r0, r11)
    lsl(r1, r1, 1)
    add(r0, r0, r1)
    add(r6, r6, r4)  # end of the record's bytes
    ldr(r2, [r5, 88])
    ldrh(r7, [r5, 32])
    add(r2, r2, r7)
    lsl(r7, r1, 2)
    add(r2, r2, r7)
    add(r2, 8)  # the record of x0
    label(PLAINL)
    ldrb(r7, [r4, 0])  # high byte
    strb(r7, [r0, 0])
    ldrb(r1, [r4, 1])  # low byte
    strb(r1, [r0, 1])
    lsr(r3, r7, 3)
    strb(r3, [r2, 1])  # R
    lsl(r7, r7, 29)
    lsr(r7, r7, 26)
    lsr(r3, r1, 5)
    orr(r7, r3)
    strb(r7, [r2, 0])  # G
    lsl(r1, r1, 27)
    lsr(r1, r1, 27)
    strb(r1, [r2, 2])  # B
    add(r4, 2)
    add(r0, 2)
    add(r2, 8)
    cmp(r4, r6)
    bne(PLAINL)
    label(ROWDONE)
    # columns the last row covered and this one does not: back to the
    # background, [DX0, min(DX1, x0)) and [max(DX0, x1), DX1); then the
    # covered columns are [x0, x1)
    ldrh(r0, [r5, 42])
    ldrh(r1, [r5, 44])
    ldrh(r2, [r5, 0])
    cmp(r1, r2)
    bls(RD1)
    mov(r1, r2)
    label(RD1)
    bl(BGFILL)
    ldrh(r0, [r5, 42])
    ldrh(r1, [r5, 44])
    ldrh(r2, [r5, 2])
    cmp(r0, r2)
    bcs(RD2)
    mov(r0, r2)
    label(RD2)
    bl(BGFILL)
    ldrh(r0, [r5, 0])
    strh(r0, [r5, 42])
    ldrh(r0, [r5, 2])
    strh(r0, [r5, 44])
    # next row
    ldrh(r0, [r5, 22])
    add(r0, 1)
    strh(r0, [r5, 22])  # y
    ldrh(r0, [r5, 26])
    ldrh(r1, [r5, 30])
    add(r0, r0, r1)
    strh(r0, [r5, 26])  # ROWOFF
    ldrh(r0, [r5, 24])
    sub(r0, 1)
    strh(r0, [r5, 24])  # LEFT
    beq(STRIPDONE)
    b(ROW)
    label(STRIPDONE)
    b(DONE1)  # r0 = 0

    # HCOPY: r4 bytes (even) from r0 to r2 (both at the same offset mod 4),
    # by words; uses r6
    label(HCOPY)
    cmp(r4, 0)
    beq(HCEND)
    add(r4, r4, r2)  # the end
    mov(r6, 2)
    tst(r2, r6)
    beq(HCW)
    ldrh(r6, [r0, 0])  # a halfword up to a word boundary
    strh(r6, [r2, 0])
    add(r0, 2)
    add(r2, 2)
    label(HCW)
    add(r6, r2, 4)
    cmp(r6, r4)
    bhi(HCT)
    ldr(r6, [r0, 0])
    str(r6, [r2, 0])
    add(r0, 4)
    add(r2, 4)
    b(HCW)
    label(HCT)
    cmp(r2, r4)
    beq(HCEND)
    ldrh(r6, [r0, 0])  # the last halfword
    strh(r6, [r2, 0])
    label(HCEND)
    bx(lr)

    # BGFILL: the records of columns [r0, r1) to the background; uses r2-r4, r6
    label(BGFILL)
    cmp(r0, r1)
    bcs(BFEND)
    ldr(r2, [r5, 88])
    ldrh(r3, [r5, 32])
    add(r2, r2, r3)
    lsl(r0, r0, 3)
    add(r0, r0, r2)
    add(r0, 8)
    lsl(r1, r1, 3)
    add(r1, r1, r2)
    add(r1, 8)
    ldrh(r2, [r5, 46])  # G
    ldrh(r3, [r5, 48])  # R
    ldrh(r4, [r5, 50])  # B
    label(BFL)
    strb(r2, [r0, 0])
    strb(r3, [r0, 1])
    strb(r4, [r0, 2])
    add(r0, 8)
    cmp(r0, r1)
    bne(BFL)
    label(BFEND)
    bx(lr)

    label(DONE1)  # (DONE is past the row decoder, out of a branch's reach)
    b(DONE)

    # SETUP: channel r7 (0 G, 1 R, 2 B) of the row: r4 the record of x0 - 1
    # (+ channel), r11 where it ends, r12 the channel's ktab, r2 a (the
    # background), r3 c (the row above at x0 - 1), r6 the step. r5: st.
    label(SETUP)
    ldr(r6, [r5, 88])
    ldrh(r4, [r5, 32])
    add(r6, r6, r4)
    add(r6, r6, r7)  # records + channel
    ldrh(r4, [r5, 0])
    lsl(r4, r4, 3)
    add(r4, r4, r6)
    ldrh(r2, [r5, 2])
    lsl(r2, r2, 3)
    add(r2, r2, r6)
    mov(r11, r2)
    ldr(r6, [r5, 88])
    ldrh(r2, [r5, 34])
    add(r6, r6, r2)
    mov(r2, 17)
    lsl(r2, r2, 8)
    add(r6, r6, r2)  # the ktabs: after the code table (4,096) and the unary table (256)
    lsl(r2, r7, 7)
    add(r6, r6, r2)
    mov(r12, r6)
    lsl(r2, r7, 1)
    add(r2, r2, r5)
    ldrh(r6, [r2, 36])  # step
    ldrh(r2, [r2, 46])  # background: the a of x0
    ldrb(r3, [r4, 0])  # c of x0
    bx(lr)

    # ROWDEC: decode one coded row's span into the records, then into the row
    # (r11). r0 the codes; st[X0], st[X1], st[LEN] set; r5 st. Returns 0 or an
    # error in r0.
    # In the channel loops: r0 bit accumulator (MSB first), r1 bits in it,
    # r2 a, r3 c, r4 the record of x - 1, r5-r7 scratch; r8 next byte to
    # fetch, r9 end of the row's bytes, r10 the unary table, r11 the end of
    # the records, r12 the ktab, lr the step.
    label(ROWDEC)
    push({r5, lr})
    mov(r8, r0)
    ldrh(r4, [r5, 4])  # LEN
    add(r4, r4, r0)
    mov(r9, r4)
    ldr(r4, [r5, 88])
    ldrh(r6, [r5, 34])
    add(r6, r6, r4)
    mov(r10, r6)
    mov(r0, 0)
    mov(r1, 0)
    ldrh(r7, [r5, 54])  # lossless: loops without the multiply by the step
    cmp(r7, 0)
    beq(NEAR)
    b(LOSSLESS)
    label(NEAR)
    # -- near-lossless G: 0..63, its surprise kept for R and B --------
    mov(r7, 0)
    bl(SETUP)
    mov(lr, r6)
    label(NGL)
    cmp(r1, 16)
    blt(NGF)
    label(NGH)
    ldrb(r5, [r4, 8])  # b
    # MED(a, b, c) and the activity d from t1 = a - c, t2 = b - c
    sub(r6, r2, r3)
    bmi(NGT1N)
    sub(r7, r5, r3)
    bmi(NGMIX)
    # c <= a, c <= b: p = max(a, b), d = t1 + t2
    add(r6, r6, r7)
    mov(r7, r2)
    cmp(r2, r5)
    bge(NGKP)
    mov(r7, r5)
    b(NGKP)
    label(NGT1N)
    sub(r7, r5, r3)
    bpl(NGMIX)
    # c > a, c > b: p = min(a, b), d = -(t1 + t2)
    add(r6, r6, r7)
    neg(r6, r6)
    mov(r7, r2)
    cmp(r2, r5)
    ble(NGKP)
    mov(r7, r5)
    b(NGKP)
    label(NGMIX)
    # c between a and b: p = a + b - c, d = |t1 - t2|
    sub(r6, r6, r7)
    bpl(NGMX1)
    neg(r6, r6)
    label(NGMX1)
    add(r7, r2, r5)
    sub(r7, r7, r3)
    label(NGKP)
    data(2, 0x4400 | (12 << 3) | 6)  # add r6, r12: + the ktab
    ldrb(r6, [r6, 0])  # k
    mov(r3, r5)  # the next c
    # the code: one table lookup by k and the next 8 bits gives its
    # length and m, when it is at most 8 bits long (0: longer, or an escape)
    lsr(r5, r0, 24)
    lsl(r2, r6, 8)
    add(r5, r5, r2)
    lsl(r5, r5, 1)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10: + the code table
    ldrh(r5, [r5, 0])
    lsr(r2, r5, 8)  # the length
    beq(NGSLOW)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r5, 24)
    lsr(r5, r5, 24)  # m
    label(NGM)
    cmp(r5, 127)
    bhi(NGBAD)
    lsr(r5, r5, 1)  # zigzag
    bcc(NGEV)
    mvn(r5, r5)
    label(NGEV)
    mov(r6, lr)
    mul(r5, r6)  # q * step
    add(r2, r7, r5)  # v = clamp(p + q * step, 0, 63): the next a
    cmp(r2, 63)
    bhi(NGVFIX)
    label(NGVOK)
    strb(r2, [r4, 8])  # the row above, for the next row
    sub(r5, r2, r7)
    asr(r5, r5, 1)
    add(r5, 64)
    strb(r5, [r4, 11])  # G's surprise / 2 + 64, for R and B
    add(r4, 8)
    data(2, 0x4500 | (11 << 3) | 4)  # cmp r4, r11: the span's end?
    bne(NGL)
    b(NGEND)
    # refill 16 bits (fewer than 16 left; a code takes at most 15)
    label(NGF)
    mov(r5, r8)
    add(r6, r5, 2)
    mov(r8, r6)
    data(2, 0x4500 | (9 << 3) | 6)  # cmp r6, r9
    bhi(NGFS)
    ldrb(r6, [r5, 0])
    ldrb(r5, [r5, 1])
    label(NGFC)
    lsl(r6, r6, 8)
    orr(r6, r5)
    mov(r5, 16)
    sub(r5, r5, r1)
    lsl(r6, r5)
    orr(r0, r6)
    add(r1, 16)
    b(NGH)
    label(NGFS)  # at the row's end: past it, zeros (the length check fails)
    mov(r6, 0)
    data(2, 0x4500 | (9 << 3) | 5)  # cmp r5, r9
    bcs(NGFS1)
    ldrb(r6, [r5, 0])
    label(NGFS1)
    mov(r5, 0)
    b(NGFC)
    label(NGVFIX)  # below 0 or above 63
    cmp(r2, 0)
    blt(NGV0)
    mov(r2, 63)
    b(NGVOK)
    label(NGV0)
    mov(r2, 0)
    b(NGVOK)
    label(NGSLOW)  # the leading one-bits (8: an escape), then k bits
    lsr(r5, r0, 24)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10
    mov(r2, 1)
    lsl(r2, r2, 12)
    add(r5, r5, r2)  # the unary table follows the code table
    ldrb(r5, [r5, 0])
    cmp(r5, 8)
    beq(NGESC)
    add(r2, r5, 1)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r6)
    sub(r1, r1, r6)
    mov(r2, r0)
    lsl(r0, r6)
    neg(r6, r6)
    add(r6, 32)
    lsr(r2, r6)  # a shift by 32 (k = 0) gives 0
    orr(r5, r2)  # m
    b(NGM)
    label(NGESC)
    lsl(r0, r0, 8)
    lsr(r5, r0, 25)
    lsl(r0, r0, 7)
    sub(r1, 15)
    b(NGM)
    label(NGBAD)
    b(BAD)

    label(NGEND)
    # -- near-lossless R: 0..31, predicted with G's surprise ----------
    pop({r5})
    push({r5})
    mov(r7, 1)
    bl(SETUP)
    mov(lr, r6)
    label(NRL)
    cmp(r1, 16)
    blt(NRF)
    label(NRH)
    ldrb(r5, [r4, 8])  # b
    # MED(a, b, c) and the activity d from t1 = a - c, t2 = b - c
    sub(r6, r2, r3)
    bmi(NRT1N)
    sub(r7, r5, r3)
    bmi(NRMIX)
    # c <= a, c <= b: p = max(a, b), d = t1 + t2
    add(r6, r6, r7)
    mov(r7, r2)
    cmp(r2, r5)
    bge(NRKP)
    mov(r7, r5)
    b(NRKP)
    label(NRT1N)
    sub(r7, r5, r3)
    bpl(NRMIX)
    # c > a, c > b: p = min(a, b), d = -(t1 + t2)
    add(r6, r6, r7)
    neg(r6, r6)
    mov(r7, r2)
    cmp(r2, r5)
    ble(NRKP)
    mov(r7, r5)
    b(NRKP)
    label(NRMIX)
    # c between a and b: p = a + b - c, d = |t1 - t2|
    sub(r6, r6, r7)
    bpl(NRMX1)
    neg(r6, r6)
    label(NRMX1)
    add(r7, r2, r5)
    sub(r7, r7, r3)
    label(NRKP)
    data(2, 0x4400 | (12 << 3) | 6)  # add r6, r12: + the ktab
    ldrb(r6, [r6, 0])  # k
    mov(r3, r5)  # the next c
    ldrb(r5, [r4, 10])  # p + G's surprise / 2, clamped to 0..31
    sub(r5, 64)
    add(r7, r7, r5)
    cmp(r7, 31)
    bhi(NRPFIX)
    label(NRPOK)
    # the code: one table lookup by k and the next 8 bits gives its
    # length and m, when it is at most 8 bits long (0: longer, or an escape)
    lsr(r5, r0, 24)
    lsl(r2, r6, 8)
    add(r5, r5, r2)
    lsl(r5, r5, 1)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10: + the code table
    ldrh(r5, [r5, 0])
    lsr(r2, r5, 8)  # the length
    beq(NRSLOW)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r5, 24)
    lsr(r5, r5, 24)  # m
    label(NRM)
    cmp(r5, 63)
    bhi(NRBAD)
    lsr(r5, r5, 1)  # zigzag
    bcc(NREV)
    mvn(r5, r5)
    label(NREV)
    mov(r6, lr)
    mul(r5, r6)  # q * step
    add(r2, r7, r5)  # v = clamp(p + q * step, 0, 31): the next a
    cmp(r2, 31)
    bhi(NRVFIX)
    label(NRVOK)
    strb(r2, [r4, 8])  # the row above, for the next row
    add(r4, 8)
    data(2, 0x4500 | (11 << 3) | 4)  # cmp r4, r11: the span's end?
    bne(NRL)
    b(NREND)
    # refill 16 bits (fewer than 16 left; a code takes at most 15)
    label(NRF)
    mov(r5, r8)
    add(r6, r5, 2)
    mov(r8, r6)
    data(2, 0x4500 | (9 << 3) | 6)  # cmp r6, r9
    bhi(NRFS)
    ldrb(r6, [r5, 0])
    ldrb(r5, [r5, 1])
    label(NRFC)
    lsl(r6, r6, 8)
    orr(r6, r5)
    mov(r5, 16)
    sub(r5, r5, r1)
    lsl(r6, r5)
    orr(r0, r6)
    add(r1, 16)
    b(NRH)
    label(NRFS)  # at the row's end: past it, zeros (the length check fails)
    mov(r6, 0)
    data(2, 0x4500 | (9 << 3) | 5)  # cmp r5, r9
    bcs(NRFS1)
    ldrb(r6, [r5, 0])
    label(NRFS1)
    mov(r5, 0)
    b(NRFC)
    label(NRVFIX)  # below 0 or above 31
    cmp(r2, 0)
    blt(NRV0)
    mov(r2, 31)
    b(NRVOK)
    label(NRV0)
    mov(r2, 0)
    b(NRVOK)
    label(NRPFIX)
    cmp(r7, 0)
    blt(NRP0)
    mov(r7, 31)
    b(NRPOK)
    label(NRP0)
    mov(r7, 0)
    b(NRPOK)
    label(NRSLOW)  # the leading one-bits (8: an escape), then k bits
    lsr(r5, r0, 24)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10
    mov(r2, 1)
    lsl(r2, r2, 12)
    add(r5, r5, r2)  # the unary table follows the code table
    ldrb(r5, [r5, 0])
    cmp(r5, 8)
    beq(NRESC)
    add(r2, r5, 1)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r6)
    sub(r1, r1, r6)
    mov(r2, r0)
    lsl(r0, r6)
    neg(r6, r6)
    add(r6, 32)
    lsr(r2, r6)  # a shift by 32 (k = 0) gives 0
    orr(r5, r2)  # m
    b(NRM)
    label(NRESC)
    lsl(r0, r0, 8)
    lsr(r5, r0, 25)
    lsl(r0, r0, 7)
    sub(r1, 15)
    b(NRM)
    label(NRBAD)
    b(BAD)

    label(NREND)
    # -- near-lossless B: 0..31, predicted with G's surprise ----------
    pop({r5})
    push({r5})
    mov(r7, 2)
    bl(SETUP)
    mov(lr, r6)
    label(NBL)
    cmp(r1, 16)
    blt(NBF)
    label(NBH)
    ldrb(r5, [r4, 8])  # b
    # MED(a, b, c) and the activity d from t1 = a - c, t2 = b - c
    sub(r6, r2, r3)
    bmi(NBT1N)
    sub(r7, r5, r3)
    bmi(NBMIX)
    # c <= a, c <= b: p = max(a, b), d = t1 + t2
    add(r6, r6, r7)
    mov(r7, r2)
    cmp(r2, r5)
    bge(NBKP)
    mov(r7, r5)
    b(NBKP)
    label(NBT1N)
    sub(r7, r5, r3)
    bpl(NBMIX)
    # c > a, c > b: p = min(a, b), d = -(t1 + t2)
    add(r6, r6, r7)
    neg(r6, r6)
    mov(r7, r2)
    cmp(r2, r5)
    ble(NBKP)
    mov(r7, r5)
    b(NBKP)
    label(NBMIX)
    # c between a and b: p = a + b - c, d = |t1 - t2|
    sub(r6, r6, r7)
    bpl(NBMX1)
    neg(r6, r6)
    label(NBMX1)
    add(r7, r2, r5)
    sub(r7, r7, r3)
    label(NBKP)
    data(2, 0x4400 | (12 << 3) | 6)  # add r6, r12: + the ktab
    ldrb(r6, [r6, 0])  # k
    mov(r3, r5)  # the next c
    ldrb(r5, [r4, 9])  # p + G's surprise / 2, clamped to 0..31
    sub(r5, 64)
    add(r7, r7, r5)
    cmp(r7, 31)
    bhi(NBPFIX)
    label(NBPOK)
    # the code: one table lookup by k and the next 8 bits gives its
    # length and m, when it is at most 8 bits long (0: longer, or an escape)
    lsr(r5, r0, 24)
    lsl(r2, r6, 8)
    add(r5, r5, r2)
    lsl(r5, r5, 1)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10: + the code table
    ldrh(r5, [r5, 0])
    lsr(r2, r5, 8)  # the length
    beq(NBSLOW)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r5, 24)
    lsr(r5, r5, 24)  # m
    label(NBM)
    cmp(r5, 63)
    bhi(NBBAD)
    lsr(r5, r5, 1)  # zigzag
    bcc(NBEV)
    mvn(r5, r5)
    label(NBEV)
    mov(r6, lr)
    mul(r5, r6)  # q * step
    add(r2, r7, r5)  # v = clamp(p + q * step, 0, 31): the next a
    cmp(r2, 31)
    bhi(NBVFIX)
    label(NBVOK)
    strb(r2, [r4, 8])  # the row above, for the next row
    add(r4, 8)
    data(2, 0x4500 | (11 << 3) | 4)  # cmp r4, r11: the span's end?
    bne(NBL)
    b(NBEND)
    # refill 16 bits (fewer than 16 left; a code takes at most 15)
    label(NBF)
    mov(r5, r8)
    add(r6, r5, 2)
    mov(r8, r6)
    data(2, 0x4500 | (9 << 3) | 6)  # cmp r6, r9
    bhi(NBFS)
    ldrb(r6, [r5, 0])
    ldrb(r5, [r5, 1])
    label(NBFC)
    lsl(r6, r6, 8)
    orr(r6, r5)
    mov(r5, 16)
    sub(r5, r5, r1)
    lsl(r6, r5)
    orr(r0, r6)
    add(r1, 16)
    b(NBH)
    label(NBFS)  # at the row's end: past it, zeros (the length check fails)
    mov(r6, 0)
    data(2, 0x4500 | (9 << 3) | 5)  # cmp r5, r9
    bcs(NBFS1)
    ldrb(r6, [r5, 0])
    label(NBFS1)
    mov(r5, 0)
    b(NBFC)
    label(NBVFIX)  # below 0 or above 31
    cmp(r2, 0)
    blt(NBV0)
    mov(r2, 31)
    b(NBVOK)
    label(NBV0)
    mov(r2, 0)
    b(NBVOK)
    label(NBPFIX)
    cmp(r7, 0)
    blt(NBP0)
    mov(r7, 31)
    b(NBPOK)
    label(NBP0)
    mov(r7, 0)
    b(NBPOK)
    label(NBSLOW)  # the leading one-bits (8: an escape), then k bits
    lsr(r5, r0, 24)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10
    mov(r2, 1)
    lsl(r2, r2, 12)
    add(r5, r5, r2)  # the unary table follows the code table
    ldrb(r5, [r5, 0])
    cmp(r5, 8)
    beq(NBESC)
    add(r2, r5, 1)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r6)
    sub(r1, r1, r6)
    mov(r2, r0)
    lsl(r0, r6)
    neg(r6, r6)
    add(r6, 32)
    lsr(r2, r6)  # a shift by 32 (k = 0) gives 0
    orr(r5, r2)  # m
    b(NBM)
    label(NBESC)
    lsl(r0, r0, 8)
    lsr(r5, r0, 25)
    lsl(r0, r0, 7)
    sub(r1, 15)
    b(NBM)
    label(NBBAD)
    b(BAD)

    label(NBEND)
    b(CHECK)

    label(LOSSLESS)
    # -- lossless G: 0..63, its surprise kept for R and B -------------
    mov(r7, 0)
    bl(SETUP)
    label(LGL)
    cmp(r1, 16)
    blt(LGF)
    label(LGH)
    ldrb(r5, [r4, 8])  # b
    # MED(a, b, c) and the activity d from t1 = a - c, t2 = b - c
    sub(r6, r2, r3)
    bmi(LGT1N)
    sub(r7, r5, r3)
    bmi(LGMIX)
    # c <= a, c <= b: p = max(a, b), d = t1 + t2
    add(r6, r6, r7)
    mov(r7, r2)
    cmp(r2, r5)
    bge(LGKP)
    mov(r7, r5)
    b(LGKP)
    label(LGT1N)
    sub(r7, r5, r3)
    bpl(LGMIX)
    # c > a, c > b: p = min(a, b), d = -(t1 + t2)
    add(r6, r6, r7)
    neg(r6, r6)
    mov(r7, r2)
    cmp(r2, r5)
    ble(LGKP)
    mov(r7, r5)
    b(LGKP)
    label(LGMIX)
    # c between a and b: p = a + b - c, d = |t1 - t2|
    sub(r6, r6, r7)
    bpl(LGMX1)
    neg(r6, r6)
    label(LGMX1)
    add(r7, r2, r5)
    sub(r7, r7, r3)
    label(LGKP)
    data(2, 0x4400 | (12 << 3) | 6)  # add r6, r12: + the ktab
    ldrb(r6, [r6, 0])  # k
    mov(r3, r5)  # the next c
    # the code: one table lookup by k and the next 8 bits gives its
    # length and m, when it is at most 8 bits long (0: longer, or an escape)
    lsr(r5, r0, 24)
    lsl(r2, r6, 8)
    add(r5, r5, r2)
    lsl(r5, r5, 1)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10: + the code table
    ldrh(r5, [r5, 0])
    lsr(r2, r5, 8)  # the length
    beq(LGSLOW)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r5, 24)
    lsr(r5, r5, 24)  # m
    label(LGM)
    cmp(r5, 127)
    bhi(LGBAD)
    lsr(r5, r5, 1)  # zigzag
    bcc(LGEV)
    mvn(r5, r5)
    label(LGEV)
    add(r2, r7, r5)  # v = clamp(p + q, 0, 63): the next a
    cmp(r2, 63)
    bhi(LGVFIX)
    label(LGVOK)
    strb(r2, [r4, 8])  # the row above, for the next row
    sub(r5, r2, r7)
    asr(r5, r5, 1)
    add(r5, 64)
    strb(r5, [r4, 11])  # G's surprise / 2 + 64, for R and B
    add(r4, 8)
    data(2, 0x4500 | (11 << 3) | 4)  # cmp r4, r11: the span's end?
    bne(LGL)
    b(LGEND)
    # refill 16 bits (fewer than 16 left; a code takes at most 15)
    label(LGF)
    mov(r5, r8)
    add(r6, r5, 2)
    mov(r8, r6)
    data(2, 0x4500 | (9 << 3) | 6)  # cmp r6, r9
    bhi(LGFS)
    ldrb(r6, [r5, 0])
    ldrb(r5, [r5, 1])
    label(LGFC)
    lsl(r6, r6, 8)
    orr(r6, r5)
    mov(r5, 16)
    sub(r5, r5, r1)
    lsl(r6, r5)
    orr(r0, r6)
    add(r1, 16)
    b(LGH)
    label(LGFS)  # at the row's end: past it, zeros (the length check fails)
    mov(r6, 0)
    data(2, 0x4500 | (9 << 3) | 5)  # cmp r5, r9
    bcs(LGFS1)
    ldrb(r6, [r5, 0])
    label(LGFS1)
    mov(r5, 0)
    b(LGFC)
    label(LGVFIX)  # below 0 or above 63
    cmp(r2, 0)
    blt(LGV0)
    mov(r2, 63)
    b(LGVOK)
    label(LGV0)
    mov(r2, 0)
    b(LGVOK)
    label(LGSLOW)  # the leading one-bits (8: an escape), then k bits
    lsr(r5, r0, 24)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10
    mov(r2, 1)
    lsl(r2, r2, 12)
    add(r5, r5, r2)  # the unary table follows the code table
    ldrb(r5, [r5, 0])
    cmp(r5, 8)
    beq(LGESC)
    add(r2, r5, 1)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r6)
    sub(r1, r1, r6)
    mov(r2, r0)
    lsl(r0, r6)
    neg(r6, r6)
    add(r6, 32)
    lsr(r2, r6)  # a shift by 32 (k = 0) gives 0
    orr(r5, r2)  # m
    b(LGM)
    label(LGESC)
    lsl(r0, r0, 8)
    lsr(r5, r0, 25)
    lsl(r0, r0, 7)
    sub(r1, 15)
    b(LGM)
    label(LGBAD)
    b(BAD)

    label(LGEND)
    # -- lossless R: 0..31, predicted with G's surprise ---------------
    pop({r5})
    push({r5})
    mov(r7, 1)
    bl(SETUP)
    label(LRL)
    cmp(r1, 16)
    blt(LRF)
    label(LRH)
    ldrb(r5, [r4, 8])  # b
    # MED(a, b, c) and the activity d from t1 = a - c, t2 = b - c
    sub(r6, r2, r3)
    bmi(LRT1N)
    sub(r7, r5, r3)
    bmi(LRMIX)
    # c <= a, c <= b: p = max(a, b), d = t1 + t2
    add(r6, r6, r7)
    mov(r7, r2)
    cmp(r2, r5)
    bge(LRKP)
    mov(r7, r5)
    b(LRKP)
    label(LRT1N)
    sub(r7, r5, r3)
    bpl(LRMIX)
    # c > a, c > b: p = min(a, b), d = -(t1 + t2)
    add(r6, r6, r7)
    neg(r6, r6)
    mov(r7, r2)
    cmp(r2, r5)
    ble(LRKP)
    mov(r7, r5)
    b(LRKP)
    label(LRMIX)
    # c between a and b: p = a + b - c, d = |t1 - t2|
    sub(r6, r6, r7)
    bpl(LRMX1)
    neg(r6, r6)
    label(LRMX1)
    add(r7, r2, r5)
    sub(r7, r7, r3)
    label(LRKP)
    data(2, 0x4400 | (12 << 3) | 6)  # add r6, r12: + the ktab
    ldrb(r6, [r6, 0])  # k
    mov(r3, r5)  # the next c
    ldrb(r5, [r4, 10])  # p + G's surprise / 2, clamped to 0..31
    sub(r5, 64)
    add(r7, r7, r5)
    cmp(r7, 31)
    bhi(LRPFIX)
    label(LRPOK)
    # the code: one table lookup by k and the next 8 bits gives its
    # length and m, when it is at most 8 bits long (0: longer, or an escape)
    lsr(r5, r0, 24)
    lsl(r2, r6, 8)
    add(r5, r5, r2)
    lsl(r5, r5, 1)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10: + the code table
    ldrh(r5, [r5, 0])
    lsr(r2, r5, 8)  # the length
    beq(LRSLOW)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r5, 24)
    lsr(r5, r5, 24)  # m
    label(LRM)
    cmp(r5, 63)
    bhi(LRBAD)
    lsr(r5, r5, 1)  # zigzag
    bcc(LREV)
    mvn(r5, r5)
    label(LREV)
    add(r2, r7, r5)  # v = clamp(p + q, 0, 31): the next a
    cmp(r2, 31)
    bhi(LRVFIX)
    label(LRVOK)
    strb(r2, [r4, 8])  # the row above, for the next row
    add(r4, 8)
    data(2, 0x4500 | (11 << 3) | 4)  # cmp r4, r11: the span's end?
    bne(LRL)
    b(LREND)
    # refill 16 bits (fewer than 16 left; a code takes at most 15)
    label(LRF)
    mov(r5, r8)
    add(r6, r5, 2)
    mov(r8, r6)
    data(2, 0x4500 | (9 << 3) | 6)  # cmp r6, r9
    bhi(LRFS)
    ldrb(r6, [r5, 0])
    ldrb(r5, [r5, 1])
    label(LRFC)
    lsl(r6, r6, 8)
    orr(r6, r5)
    mov(r5, 16)
    sub(r5, r5, r1)
    lsl(r6, r5)
    orr(r0, r6)
    add(r1, 16)
    b(LRH)
    label(LRFS)  # at the row's end: past it, zeros (the length check fails)
    mov(r6, 0)
    data(2, 0x4500 | (9 << 3) | 5)  # cmp r5, r9
    bcs(LRFS1)
    ldrb(r6, [r5, 0])
    label(LRFS1)
    mov(r5, 0)
    b(LRFC)
    label(LRVFIX)  # below 0 or above 31
    cmp(r2, 0)
    blt(LRV0)
    mov(r2, 31)
    b(LRVOK)
    label(LRV0)
    mov(r2, 0)
    b(LRVOK)
    label(LRPFIX)
    cmp(r7, 0)
    blt(LRP0)
    mov(r7, 31)
    b(LRPOK)
    label(LRP0)
    mov(r7, 0)
    b(LRPOK)
    label(LRSLOW)  # the leading one-bits (8: an escape), then k bits
    lsr(r5, r0, 24)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10
    mov(r2, 1)
    lsl(r2, r2, 12)
    add(r5, r5, r2)  # the unary table follows the code table
    ldrb(r5, [r5, 0])
    cmp(r5, 8)
    beq(LRESC)
    add(r2, r5, 1)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r6)
    sub(r1, r1, r6)
    mov(r2, r0)
    lsl(r0, r6)
    neg(r6, r6)
    add(r6, 32)
    lsr(r2, r6)  # a shift by 32 (k = 0) gives 0
    orr(r5, r2)  # m
    b(LRM)
    label(LRESC)
    lsl(r0, r0, 8)
    lsr(r5, r0, 25)
    lsl(r0, r0, 7)
    sub(r1, 15)
    b(LRM)
    label(LRBAD)
    b(BAD)

    label(LREND)
    # -- lossless B: 0..31, predicted with G's surprise ---------------
    pop({r5})
    push({r5})
    mov(r7, 2)
    bl(SETUP)
    ldr(r6, [r5, 92])
    ldrh(r7, [r5, 26])
    add(r6, r6, r7)
    ldrh(r7, [r5, 0])
    lsl(r7, r7, 1)
    add(r6, r6, r7)
    mov(lr, r6)
    label(LBL)
    cmp(r1, 16)
    blt(LBF)
    label(LBH)
    ldrb(r5, [r4, 8])  # b
    # MED(a, b, c) and the activity d from t1 = a - c, t2 = b - c
    sub(r6, r2, r3)
    bmi(LBT1N)
    sub(r7, r5, r3)
    bmi(LBMIX)
    # c <= a, c <= b: p = max(a, b), d = t1 + t2
    add(r6, r6, r7)
    mov(r7, r2)
    cmp(r2, r5)
    bge(LBKP)
    mov(r7, r5)
    b(LBKP)
    label(LBT1N)
    sub(r7, r5, r3)
    bpl(LBMIX)
    # c > a, c > b: p = min(a, b), d = -(t1 + t2)
    add(r6, r6, r7)
    neg(r6, r6)
    mov(r7, r2)
    cmp(r2, r5)
    ble(LBKP)
    mov(r7, r5)
    b(LBKP)
    label(LBMIX)
    # c between a and b: p = a + b - c, d = |t1 - t2|
    sub(r6, r6, r7)
    bpl(LBMX1)
    neg(r6, r6)
    label(LBMX1)
    add(r7, r2, r5)
    sub(r7, r7, r3)
    label(LBKP)
    data(2, 0x4400 | (12 << 3) | 6)  # add r6, r12: + the ktab
    ldrb(r6, [r6, 0])  # k
    mov(r3, r5)  # the next c
    ldrb(r5, [r4, 9])  # p + G's surprise / 2, clamped to 0..31
    sub(r5, 64)
    add(r7, r7, r5)
    cmp(r7, 31)
    bhi(LBPFIX)
    label(LBPOK)
    # the code: one table lookup by k and the next 8 bits gives its
    # length and m, when it is at most 8 bits long (0: longer, or an escape)
    lsr(r5, r0, 24)
    lsl(r2, r6, 8)
    add(r5, r5, r2)
    lsl(r5, r5, 1)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10: + the code table
    ldrh(r5, [r5, 0])
    lsr(r2, r5, 8)  # the length
    beq(LBSLOW)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r5, 24)
    lsr(r5, r5, 24)  # m
    label(LBM)
    cmp(r5, 63)
    bhi(LBBAD)
    lsr(r5, r5, 1)  # zigzag
    bcc(LBEV)
    mvn(r5, r5)
    label(LBEV)
    add(r2, r7, r5)  # v = clamp(p + q, 0, 31): the next a
    cmp(r2, 31)
    bhi(LBVFIX)
    label(LBVOK)
    strb(r2, [r4, 8])  # the row above, for the next row
    ldrb(r5, [r4, 7])  # R of this pixel
    ldrb(r6, [r4, 6])  # G
    lsl(r5, r5, 11)
    lsl(r6, r6, 5)
    orr(r5, r6)
    orr(r5, r2)
    data(2, 0xBA40 | (5 << 3) | 5)  # rev16 r5, r5: big-endian
    mov(r6, lr)
    strh(r5, [r6, 0])
    add(r6, 2)
    mov(lr, r6)
    add(r4, 8)
    data(2, 0x4500 | (11 << 3) | 4)  # cmp r4, r11: the span's end?
    bne(LBL)
    b(LBEND)
    # refill 16 bits (fewer than 16 left; a code takes at most 15)
    label(LBF)
    mov(r5, r8)
    add(r6, r5, 2)
    mov(r8, r6)
    data(2, 0x4500 | (9 << 3) | 6)  # cmp r6, r9
    bhi(LBFS)
    ldrb(r6, [r5, 0])
    ldrb(r5, [r5, 1])
    label(LBFC)
    lsl(r6, r6, 8)
    orr(r6, r5)
    mov(r5, 16)
    sub(r5, r5, r1)
    lsl(r6, r5)
    orr(r0, r6)
    add(r1, 16)
    b(LBH)
    label(LBFS)  # at the row's end: past it, zeros (the length check fails)
    mov(r6, 0)
    data(2, 0x4500 | (9 << 3) | 5)  # cmp r5, r9
    bcs(LBFS1)
    ldrb(r6, [r5, 0])
    label(LBFS1)
    mov(r5, 0)
    b(LBFC)
    label(LBVFIX)  # below 0 or above 31
    cmp(r2, 0)
    blt(LBV0)
    mov(r2, 31)
    b(LBVOK)
    label(LBV0)
    mov(r2, 0)
    b(LBVOK)
    label(LBPFIX)
    cmp(r7, 0)
    blt(LBP0)
    mov(r7, 31)
    b(LBPOK)
    label(LBP0)
    mov(r7, 0)
    b(LBPOK)
    label(LBSLOW)  # the leading one-bits (8: an escape), then k bits
    lsr(r5, r0, 24)
    data(2, 0x4400 | (10 << 3) | 5)  # add r5, r10
    mov(r2, 1)
    lsl(r2, r2, 12)
    add(r5, r5, r2)  # the unary table follows the code table
    ldrb(r5, [r5, 0])
    cmp(r5, 8)
    beq(LBESC)
    add(r2, r5, 1)
    lsl(r0, r2)
    sub(r1, r1, r2)
    lsl(r5, r6)
    sub(r1, r1, r6)
    mov(r2, r0)
    lsl(r0, r6)
    neg(r6, r6)
    add(r6, 32)
    lsr(r2, r6)  # a shift by 32 (k = 0) gives 0
    orr(r5, r2)  # m
    b(LBM)
    label(LBESC)
    lsl(r0, r0, 8)
    lsr(r5, r0, 25)
    lsl(r0, r0, 7)
    sub(r1, 15)
    b(LBM)
    label(LBBAD)
    b(BAD)

    label(LBEND)

    # -- the end of a row ------------------------------------------------------------
    label(CHECK)
    pop({r5})
    push({r5})
    # every bit used must lie in the row, and no whole byte left over:
    # (bits read + 7) >> 3 == LEN, bits read = 8 * bytes fetched - bits left
    mov(r6, r8)
    mov(r7, r9)
    ldrh(r2, [r5, 4])  # LEN
    sub(r7, r7, r2)  # start of the row's bytes
    sub(r6, r6, r7)
    lsl(r6, r6, 3)
    sub(r6, r6, r1)
    add(r6, 7)
    lsr(r6, r6, 3)
    cmp(r6, r2)
    beq(LENOK)
    mov(r0, 3)  # the length does not match (or the codes overran it)
    pop({r5, pc})
    label(LENOK)
    ldrh(r0, [r5, 54])
    cmp(r0, 0)
    beq(PACK)
    mov(r0, 0)  # lossless: the B loop has written the pixels
    pop({r5, pc})
    label(BAD)
    mov(r0, 2)  # a value out of range
    pop({r5, pc})
    label(PACK)
    # the span's records into the row: big-endian RGB565
    ldr(r6, [r5, 88])
    ldrh(r4, [r5, 32])
    add(r6, r6, r4)
    ldrh(r1, [r5, 0])  # x0
    ldrh(r2, [r5, 2])  # x1
    lsl(r3, r1, 3)
    add(r3, r3, r6)
    add(r3, 8)  # the record of x0
    lsl(r2, r2, 3)
    add(r2, r2, r6)
    add(r2, 8)  # of x1
    ldr(r6, [r5, 92])
    ldrh(r4, [r5, 26])
    add(r6, r6, r4)
    lsl(r1, r1, 1)
    add(r6, r6, r1)  # the row at x0
    label(PK)
    ldrb(r4, [r3, 1])  # R
    ldrb(r7, [r3, 0])  # G
    lsl(r4, r4, 11)
    lsl(r7, r7, 5)
    orr(r4, r7)
    ldrb(r7, [r3, 2])  # B
    orr(r4, r7)
    data(2, 0xBA40 | (4 << 3) | 4)  # rev16 r4, r4: big-endian
    strh(r4, [r6, 0])
    add(r3, 8)
    add(r6, 2)
    cmp(r3, r2)
    bne(PK)
    mov(r0, 0)
    pop({r5, pc})

    label(DONE)
    pop({r4, r5, r6, r7})
    mov(r8, r4)
    mov(r9, r5)
    mov(r10, r6)
    mov(r11, r7)


# start(mem, st): a frame is opened (ricecodec.reset_state has filled st):
# every column record (x = -1 .. width - 1) holds the background (the row
# above row 0), and the ktabs spread the frame's k per (channel, context)
# over the activity d = 0..127 (contexts: d <= 2, <= 6, <= 16, above).
# In assembly because the same in Python costs ~4 ms of the photo change.
@micropython.asm_thumb
def start(r0, r1):
    # the records: width + 1 of them, 8 bytes apart
    ldrh(r2, [r1, 32])  # RECOFF
    add(r2, r2, r0)
    ldrh(r3, [r1, 30])  # row bytes = 2 * width
    lsl(r3, r3, 2)
    add(r3, r3, r2)
    add(r3, 8)  # the end: 8 * (width + 1) on
    ldrh(r4, [r1, 46])  # G
    ldrh(r5, [r1, 48])  # R
    ldrh(r6, [r1, 50])  # B
    label(REC)
    strb(r4, [r2, 0])
    strb(r5, [r2, 1])
    strb(r6, [r2, 2])
    add(r2, 8)
    cmp(r2, r3)
    bne(REC)
    # the ktabs: 3 x 128 bytes
    ldrh(r2, [r1, 34])  # TABOFF
    add(r2, r2, r0)
    mov(r3, 17)
    lsl(r3, r3, 8)
    add(r2, r2, r3)  # 4,352 on: after the code and unary tables
    mov(r3, r1)
    add(r3, 64)  # ST_K: k of G context 0, then 1, 2, 3, then R, then B
    mov(r7, 0)  # channel
    label(CH)
    mov(r4, 0)  # d
    label(D)
    mov(r5, 0)  # context
    cmp(r4, 2)
    ble(CTX)
    add(r5, 2)
    cmp(r4, 6)
    ble(CTX)
    add(r5, 2)
    cmp(r4, 16)
    ble(CTX)
    add(r5, 2)
    label(CTX)
    add(r5, r5, r3)
    ldrh(r6, [r5, 0])
    strb(r6, [r2, 0])
    add(r2, 1)
    add(r4, 1)
    cmp(r4, 128)
    bne(D)
    add(r3, 8)  # the next channel's four k
    add(r7, 1)
    cmp(r7, 3)
    bne(CH)


# tables(tab): the decoder's fixed tables, once per reader: at tab + 4,096 the
# unary table (256 bytes: the leading one-bits of a byte, 8 for 0xFF); at tab
# the code table, 8 x 256 halfwords: for k and the next 8 bits of the stream,
# (length << 8) | m of the code they start with when it is at most 8 bits
# long, else 0.
@micropython.asm_thumb
def tables(r0):
    mov(r1, 1)
    lsl(r1, r1, 12)
    add(r1, r1, r0)  # the unary table
    mov(r3, 0)  # the byte
    label(U)
    mov(r4, 0)  # its leading one-bits
    lsl(r5, r3, 24)
    label(UL)
    lsl(r5, r5, 1)
    bcc(UD)
    add(r4, 1)
    cmp(r4, 8)
    bne(UL)
    label(UD)
    add(r6, r1, r3)
    strb(r4, [r6, 0])
    add(r3, 1)
    lsr(r6, r3, 8)
    beq(U)
    mov(r2, 0)  # k
    label(K)
    mov(r3, 0)  # the next 8 bits
    label(B)
    add(r4, r1, r3)
    ldrb(r4, [r4, 0])  # u
    add(r5, r4, 1)
    add(r5, r5, r2)  # the length u + 1 + k
    mov(r6, 0)
    cmp(r4, 8)
    beq(STORE)
    cmp(r5, 8)
    bgt(STORE)
    add(r7, r4, 1)
    mov(r6, r3)
    lsl(r6, r7)
    lsl(r6, r6, 24)
    lsr(r6, r6, 24)  # the bits after the unary part
    mov(r7, 8)
    sub(r7, r7, r2)
    lsr(r6, r7)  # their first k
    lsl(r4, r2)
    orr(r6, r4)  # m = u << k | those
    lsl(r5, r5, 8)
    orr(r6, r5)
    label(STORE)
    lsl(r7, r2, 8)
    add(r7, r7, r3)
    lsl(r7, r7, 1)
    add(r7, r7, r0)
    strh(r6, [r7, 0])
    add(r3, 1)
    lsr(r7, r3, 8)
    beq(B)
    add(r2, 1)
    cmp(r2, 8)
    bne(K)


# span_copy(mem, strip, ram, st): the spans of st[ST_LEFT] rows from row
# st[ST_Y] on, between a strip and ram (a photo's span pixels kept in RAM for
# a cross-fade, each row placed at the same offset mod 4 as in a panel row,
# so rows copy by words). st byte 52: 0 ram -> strip (the background outside
# the spans), 1 strip -> ram, 2 ram -> strip, the spans only. st byte 28: the
# next row's offset in ram.
# mem, st: a FrameReader's (span table, background row, row bytes).
@micropython.asm_thumb
def span_copy(r0, r1, r2, r3):
    mov(r4, r8)
    mov(r5, r9)
    mov(r6, r10)
    mov(r7, r11)
    push({r4, r5, r6, r7})
    str(r0, [r3, 88])
    str(r1, [r3, 92])
    mov(r8, r2)  # ram
    mov(r5, r3)  # st
    mov(r0, 0)
    strh(r0, [r5, 26])  # ROWOFF
    label(ROW)
    ldrh(r0, [r5, 24])  # rows left
    cmp(r0, 0)
    bne(ROW1)
    b(END)
    label(ROW1)
    ldr(r0, [r5, 88])
    ldrh(r4, [r5, 60])
    add(r0, r0, r4)
    ldrh(r4, [r5, 22])  # y
    lsl(r4, r4, 2)
    add(r0, r0, r4)
    ldrh(r1, [r0, 0])  # x0
    ldrh(r2, [r0, 2])  # x1
    lsl(r1, r1, 1)
    lsl(r2, r2, 1)
    strh(r1, [r5, 0])
    strh(r2, [r5, 2])
    ldr(r3, [r5, 92])
    ldrh(r4, [r5, 26])
    add(r3, r3, r4)
    mov(r9, r3)  # this row in the strip
    ldrh(r4, [r5, 52])
    cmp(r4, 0)
    bne(SPAN)
    # to the strip: the background left of x0 and from x1 on
    ldr(r0, [r5, 88])
    ldrh(r4, [r5, 56])
    add(r0, r0, r4)
    mov(r10, r0)  # the background row
    mov(r2, r3)
    mov(r4, r1)
    bl(COPY)
    ldrh(r2, [r5, 2])
    ldrh(r4, [r5, 30])
    sub(r4, r4, r2)
    mov(r0, r10)
    add(r0, r0, r2)
    mov(r3, r9)
    add(r2, r2, r3)
    bl(COPY)
    label(SPAN)
    ldrh(r1, [r5, 0])  # 2 * x0
    ldrh(r2, [r5, 2])  # 2 * x1
    sub(r4, r2, r1)  # the span's bytes
    beq(NEXT)
    ldrh(r6, [r5, 28])  # its place in ram, at the row's offset mod 4
    mov(r7, r6)
    eor(r7, r1)
    mov(r0, 2)
    and_(r7, r0)
    add(r6, r6, r7)
    add(r7, r6, r4)
    strh(r7, [r5, 28])  # the next row's
    data(2, 0x4400 | (8 << 3) | 6)  # add r6, r8: + ram
    mov(r3, r9)
    add(r3, r3, r1)  # the row at x0
    ldrh(r0, [r5, 52])
    cmp(r0, 1)
    beq(GATHER)
    mov(r0, r6)  # ram -> strip
    mov(r2, r3)
    bl(COPY)
    b(NEXT)
    label(GATHER)
    mov(r0, r3)  # strip -> ram
    mov(r2, r6)
    bl(COPY)
    label(NEXT)
    ldrh(r0, [r5, 22])
    add(r0, 1)
    strh(r0, [r5, 22])  # y
    ldrh(r0, [r5, 26])
    ldrh(r1, [r5, 30])
    add(r0, r0, r1)
    strh(r0, [r5, 26])  # ROWOFF
    ldrh(r0, [r5, 24])
    sub(r0, 1)
    strh(r0, [r5, 24])  # rows left
    b(ROW)

    # COPY: r4 bytes (even) from r0 to r2 (both at the same offset mod 4)
    label(COPY)
    cmp(r4, 0)
    beq(CEND)
    add(r4, r4, r2)
    mov(r6, 2)
    tst(r2, r6)
    beq(CW)
    ldrh(r6, [r0, 0])
    strh(r6, [r2, 0])
    add(r0, 2)
    add(r2, 2)
    label(CW)
    add(r6, r2, 4)
    cmp(r6, r4)
    bhi(CT)
    ldr(r6, [r0, 0])
    str(r6, [r2, 0])
    add(r0, 4)
    add(r2, 4)
    b(CW)
    label(CT)
    cmp(r2, r4)
    beq(CEND)
    ldrh(r6, [r0, 0])
    strh(r6, [r2, 0])
    label(CEND)
    bx(lr)

    label(END)
    pop({r4, r5, r6, r7})
    mov(r8, r4)
    mov(r9, r5)
    mov(r10, r6)
    mov(r11, r7)
