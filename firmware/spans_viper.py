# painter.Painter.trim()'s scan of two span tables, in viper: one call where a
# loop of Python calls took ~2.4 ms of chip time a photo change. Importing
# this module fails where the emitter is missing (CPython); painter.py then
# runs its trim_rows_py, the same scan in Python.
import micropython


@micropython.viper
def trim_rows(a, b, h: int, out):
    # a, b: span tables of h rows (u16 x0, x1 per row). out, u16: in, [0]
    # rows a strip, [1] the widest narrow run, [6] [7] [8] [9] a box x0, y0,
    # x1, y1 (ends exclusive; y0 >= y1: none) counted as a span on its rows;
    # out, [2] the first row of the first strip with a span (0xFFFF: none),
    # [3] the first row of the largest run of strips at the bottom, past [2],
    # whose spans all lie within [1] columns (0: none), [4] [5] those columns.
    p = ptr16(a)  # noqa: F821  (viper builtin)
    q = ptr16(b)  # noqa: F821
    o = ptr16(out)  # noqa: F821
    rows = int(o[0])
    wide = int(o[1])
    bx0 = int(o[6])
    by0 = int(o[7])
    bx1 = int(o[8])
    by1 = int(o[9])
    o[3] = 0
    y = 0
    while y < h:
        if p[2 * y] < p[2 * y + 1] or q[2 * y] < q[2 * y + 1] or (by0 <= y and y < by1):
            break
        y += 1
    if y == h:
        o[2] = 0xFFFF
        return
    first = y // rows * rows
    o[2] = first
    x0 = 0x7FFF
    x1 = 0
    y = (h - 1) // rows * rows  # the last strip's first row
    end = h
    while y > first:  # upwards, the box of rows [y, h) growing a strip a time
        i = y
        while i < end:
            u = int(p[2 * i])
            v = int(p[2 * i + 1])
            if u < v:
                if u < x0:
                    x0 = u
                if v > x1:
                    x1 = v
            u = int(q[2 * i])
            v = int(q[2 * i + 1])
            if u < v:
                if u < x0:
                    x0 = u
                if v > x1:
                    x1 = v
            if by0 <= i and i < by1:
                if bx0 < x0:
                    x0 = bx0
                if bx1 > x1:
                    x1 = bx1
            i += 1
        if x1 - x0 > wide:
            break
        if x1 > x0:
            o[3] = y
            o[4] = x0
            o[5] = x1
        end = y
        y -= rows
