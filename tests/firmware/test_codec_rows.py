"""The reference decoders' row functions (predcodec.decode_row,
ricecodec.decode_row) on rows written bit by bit from docs/frame-format.md:
a row whose codes fill its bytes exactly, the largest valid code, and each
kind of bad row with its result. The row is handed over as exactly its
bytes, so a decoder that read past them fails here with an IndexError (on
the pendant it would read the next row's bytes)."""

from array import array

import predcodec  # firmware/ (pyproject's pythonpath), as the pendant imports it
import pytest
import ricecodec


def bits_to_bytes(bits):
    """'0110...' (MSB first) -> bytes, zero-padded to a whole byte."""
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""


def pixel(r, g, b):
    return bytes(((r << 3) | (g >> 3), ((g & 7) << 5) | b))


def rice_row(bits, width, ks, near=(0, 0, 0), length=None):
    """Decode one row of `width` pixels (x0 = 0) on a background-0 picture's
    first row; returns (result, the row's RGB565 bytes)."""
    st = array("H", bytes(2 * predcodec.ST_SIZE))
    params = bytes(near) + b"\0" + bytes(ks)
    assert ricecodec.params_ok(params)
    ricecodec.reset_state(st, params, 0)
    src = bits_to_bytes(bits)
    st[ricecodec.ST_X0] = 0
    st[ricecodec.ST_X1] = width
    st[ricecodec.ST_LEN] = len(src) if length is None else length
    cur = bytearray(2 * width)
    err = ricecodec.decode_row(src, cur, bytearray(2 * width), st, bytearray(width))
    return err, bytes(cur)


def pred_row(bits, width, length=None):
    st = array("H", bytes(2 * predcodec.ST_SIZE))
    predcodec.reset_state(st, 0, 0, 0, 0)
    src = bits_to_bytes(bits)
    st[predcodec.ST_X0] = 0
    st[predcodec.ST_X1] = width
    st[predcodec.ST_LEN] = len(src) if length is None else length
    cur = bytearray(2 * width)
    err = predcodec.decode_row(src, cur, bytearray(2 * width), st)
    return err, bytes(cur)


@pytest.mark.parametrize("codec", [predcodec, ricecodec])
def test_results_are_distinct_and_ok_is_false(codec):
    # painter.py raises FrameError on any true result: OK must be 0, the rest not
    assert codec.OK == 0
    assert len({codec.OK, codec.ERR_OVERRUN, codec.ERR_VALUE, codec.ERR_LENGTH}) == 4


# -- encoding 2: every k is the frame's (G, R, B contexts 0..3) ---------------------------

K0 = (0,) * 12


def test_rice_codes_that_fill_the_row_exactly():
    # One pixel, all neighbours 0 (context 0). G with k = 5: "0" then m = 6 in
    # 5 bits: q = 3, G = 3. R, B with k = 0: p = 0 + (3 >> 1) = 1, "0": R = B = 1.
    # 8 bits: the row's one byte, not a bit to spare.
    ks = (5, 7, 7, 7, 0, 7, 7, 7, 0, 7, 7, 7)
    assert rice_row("0" "00110" "0" "0", 1, ks) == (ricecodec.OK, pixel(1, 3, 1))


def test_rice_largest_codes_are_accepted():
    # G m = 127 (2 x 63 + 1) and R, B m = 63 (2 x 31 + 1), as escapes (k = 0:
    # 8 one-bits, then m in 7 bits): q = -64 and -32, clamped to 0.
    bits = "1" * 8 + "1111111" + "1" * 8 + "0111111" + "1" * 8 + "0111111"
    assert rice_row(bits, 1, K0) == (ricecodec.OK, pixel(0, 0, 0))
    # m = 62: q = 31 on R: 0 + 31
    bits = "0" + "1" * 8 + "0111110" + "0"
    assert rice_row(bits, 1, K0) == (ricecodec.OK, pixel(31, 0, 0))


@pytest.mark.parametrize("bits", [
    "0" + "1" * 8 + "1000000",  # R m = 64 > 2 x 31 + 1
    "0" + "0" + "1" * 8 + "1000000",  # B m = 64
])
def test_rice_a_value_out_of_range_is_refused(bits):
    assert rice_row(bits, 1, K0)[0] == ricecodec.ERR_VALUE


def test_rice_a_row_that_runs_out_in_a_unary_code():
    # 3 pixels of k = 0: nine 1-bit codes, in one byte: the ninth has no bit
    assert rice_row("0" * 8, 3, K0)[0] == ricecodec.ERR_OVERRUN
    # eight one-bits and the row ends: the escape's 7 bits are missing
    assert rice_row("1" * 8, 1, K0)[0] == ricecodec.ERR_OVERRUN


def test_rice_a_row_that_runs_out_in_the_low_bits():
    # G "0", R with k = 7: "0" and 7 low bits, 9 bits in a one-byte row
    ks = (0, 0, 0, 0, 7, 7, 7, 7, 0, 0, 0, 0)
    assert rice_row("0" "0" + "000000", 1, ks, length=1)[0] == ricecodec.ERR_OVERRUN


def test_rice_a_row_with_a_byte_to_spare_is_refused():
    assert rice_row("000", 1, K0) == (ricecodec.OK, pixel(0, 0, 0))
    assert rice_row("000" + "0" * 8, 1, K0)[0] == ricecodec.ERR_LENGTH


# -- encoding 1: k adapts; the first is 2 (A = 4, N = 1) -----------------------------------


def test_pred_first_pixel_codes_fill_their_bits():
    # G "0" + "11": m = 3, q = -2: 0 - 2 clamped to 0; R p = 0 + (0 >> 1), "0" +
    # "10": m = 2, q = 1: R = 1; B "0" + "00": 0. 9 bits: two bytes.
    assert pred_row("011" "010" "000", 1) == (predcodec.OK, pixel(1, 0, 0))


def test_pred_codes_that_fill_the_row_exactly():
    # G "000", R "000" (k = 2, m = 0), then B with u = 7: "11111110" and the
    # low bits "00": m = 28, q = 14, B = 0 + 14. 16 bits: the row's two bytes.
    assert pred_row("000" "000" "11111110" "00", 1) == (predcodec.OK, pixel(0, 0, 14))


def test_pred_largest_codes_are_accepted():
    # escapes: 14 one-bits, then m in 7 bits: G 127, R 62 (q = 31), B "000"
    bits = "1" * 14 + "1111111" + "1" * 14 + "0111110" + "000"
    assert pred_row(bits, 1) == (predcodec.OK, pixel(31, 0, 0))
    bits = "000" + "1" * 14 + "0111111" + "000"  # R m = 63: q = -32, clamped
    assert pred_row(bits, 1) == (predcodec.OK, pixel(0, 0, 0))


@pytest.mark.parametrize("bits", [
    "000" + "1" * 14 + "1000000",  # R m = 64 > 2 x 31 + 1
    "000" "000" + "1" * 14 + "1000000",  # B m = 64
])
def test_pred_a_value_out_of_range_is_refused(bits):
    assert pred_row(bits, 1)[0] == predcodec.ERR_VALUE


def test_pred_a_row_that_runs_out():
    assert pred_row("1" * 8, 1)[0] == predcodec.ERR_OVERRUN  # in the unary part
    assert pred_row("1" * 14 + "00", 1)[0] == predcodec.ERR_OVERRUN  # in an escape's m
    assert pred_row("000" "000" "00", 1)[0] == predcodec.ERR_OVERRUN  # in B's low bits


def test_pred_a_row_with_a_byte_to_spare_is_refused():
    assert pred_row("000" * 3, 1)[0] == predcodec.OK
    assert pred_row("000" * 3 + "0" * 8, 1)[0] == predcodec.ERR_LENGTH


# -- encoding 2's parameter bytes: near R, G, B (0..3), a zero, 12 k (0..7) ------------------


def test_rice_parameters_at_their_limits_are_accepted():
    assert ricecodec.params_ok(bytes((3, 3, 3, 0)) + bytes((7,)) * 12)
    assert ricecodec.params_ok(bytes(16))


@pytest.mark.parametrize("index,value", [
    (0, 4), (1, 4), (2, 4), (3, 1), (4, 8), (9, 8), (15, 8), (15, 255),
])
def test_rice_each_parameter_byte_is_checked(index, value):
    params = bytearray(16)
    params[index] = value
    assert not ricecodec.params_ok(params)


def test_pred_a_span_past_x0_starts_from_the_background():
    # Span x = 1..2 on row 0 of a picture whose background is (R, G, B) =
    # (20, 47, 19): a (left, outside the span), b and c (the row above) are all
    # the background, so p is the background; three "000" codes (m = 0)
    # leave it so.
    bg = 0b10100_101111_10011
    st = array("H", bytes(2 * predcodec.ST_SIZE))
    predcodec.reset_state(st, 0, 0, 0, bg)
    row = bytes((bg >> 8, bg & 0xFF)) * 2
    st[predcodec.ST_X0], st[predcodec.ST_X1], st[predcodec.ST_LEN] = 1, 2, 2
    cur = bytearray(row)
    assert predcodec.decode_row(bits_to_bytes("0" * 9), cur, bytearray(row), st) == predcodec.OK
    assert bytes(cur) == row
