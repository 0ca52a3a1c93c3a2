"""The codecs' state array as the pendant's decoders read it.

predcodec.py and ricecodec.py fill one array("H") (predcodec.ST_SIZE
entries) that three other decoders read: the Thumb assembly on the pendant
(predcodec_thumb.py, ricecodec_thumb.py), which addresses it by byte offsets
written as literals in the instructions, and the viper decoders of the
simulator (predcodec_viper.py, ricecodec_viper.py), which keep their own
const() copies of the indices. CPython runs neither, so a moved field or a
wrong value would only show on a pendant; these tests pin the layout to the
offsets in the assembly (copied here from its header comments and
instructions, independently of the ST_ constants) and to the viper copies.
"""

import re
from array import array
from pathlib import Path

import predcodec  # firmware/ (pyproject's pythonpath), as the pendant imports it
import pytest
import ricecodec

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware"

# (R, G, B) = (20, 47, 19): three different values, so a swapped channel shows
BACKGROUND = 0b10100_101111_10011


def fresh_state():
    return array("H", bytes(2 * predcodec.ST_SIZE))


def u16(st, byte):
    """The halfword at a byte offset, as an ldrh on the (little-endian) chip."""
    assert byte % 2 == 0
    raw = st.tobytes()
    return raw[byte] | raw[byte + 1] << 8


def byte_at(st, byte):
    """One byte of the array, as an ldrb on the chip (array("H") is stored
    little-endian on the RP2040 as on this host)."""
    return st.tobytes()[byte]


def context(d):
    """docs/frame-format.md: how many of 2, 6, 16 are below the activity d."""
    return (d > 2) + (d > 6) + (d > 16)


# -- encoding 1 (predcodec_thumb.py) ---------------------------------------------------

# predcodec_thumb.py's header: "Byte offsets in st used here: 0 X0, 2 X1, 4 LEN,
# 12/14/16 background R/G/B, 18 POS, 20 GOT, 22 Y, 24 rows LEFT in the strip,
# 26 ROWOFF in dst, 30 row bytes, 56 BGOFF, 58 LASTOFF, 60 SPANOFF"; the
# blocks: "G at byte 96 of st, R at 256, B at 416", 160 bytes each.
PRED_FIELDS = {
    "ST_X0": 0, "ST_X1": 2, "ST_LEN": 4, "ST_BG_R": 12, "ST_BG_G": 14, "ST_BG_B": 16,
    "ST_POS": 18, "ST_GOT": 20, "ST_Y": 22, "ST_LEFT": 24, "ST_ROWOFF": 26, "ST_RB": 30,
    "ST_BGOFF": 56, "ST_LASTOFF": 58, "ST_SPANOFF": 60,
    "ST_TH": 96, "ST_BLOCK": 160, "ST_TH_CTX": 16, "ST_TH_AN": 144,
}
PRED_BLOCKS = (96, 256, 416)  # G, R, B


@pytest.mark.parametrize("name,byte", sorted(PRED_FIELDS.items()))
def test_pred_fields_are_where_the_assembly_reads_them(name, byte):
    assert 2 * getattr(predcodec, name) == byte


def test_pred_state_holds_the_three_blocks():
    # the B block ends at byte 416 + 160: the array must hold it
    assert 2 * predcodec.ST_SIZE >= 416 + 160
    fresh_state()[(416 + 160) // 2 - 1] = 1


def test_pred_reset_fills_the_blocks_the_assembly_reads():
    st = fresh_state()
    predcodec.reset_state(st, 2, 1, 3, BACKGROUND)  # near R, G, B
    assert [u16(st, b) for b in (12, 14, 16)] == [20, 47, 19]  # background R, G, B
    # per block: 6 max, 8 step = 2 * near + 1, 10 largest m = 2 * max + 1,
    # 12 64 + half of G's surprise (none yet); 144 + 4 * ctx A, 146 + 4 * ctx N
    for block, mx, near in zip(PRED_BLOCKS, (63, 31, 31), (1, 2, 3), strict=True):
        assert [u16(st, block + o) for o in (6, 8, 10, 12)] == [mx, 2 * near + 1,
                                                                 2 * mx + 1, 64]
        for ctx in range(4):
            assert u16(st, block + 144 + 4 * ctx) == 4  # A_INIT: the first k is 2
            assert u16(st, block + 146 + 4 * ctx) == 1


def test_pred_reset_starts_every_frame_afresh():
    st = fresh_state()
    predcodec.reset_state(st, 3, 3, 3, 0xFFFF)
    for i in range(len(st)):
        st[i] = 0x5555 if i > 8 else st[i]
    predcodec.reset_state(st, 0, 0, 0, 0)
    for block, mx in zip(PRED_BLOCKS, (63, 31, 31), strict=True):
        assert [u16(st, block + o) for o in (6, 8, 10, 12)] == [mx, 1, 2 * mx + 1, 64]
        assert [u16(st, block + 144 + 2 * i) for i in range(8)] == [4, 1] * 4
    # the bytecode and viper decoders' statistics (ST_A, ST_N: A = 4, N = 1)
    assert list(st[16:28]) == [4] * 12 and list(st[32:44]) == [1] * 12
    assert list(st[3:9]) == [0] * 6  # near R, G, B; background R, G, B


def test_pred_thumb_tables_map_activity_to_its_statistics():
    st = fresh_state()
    predcodec.thumb_tables(st)
    for block in PRED_BLOCKS:
        got = [byte_at(st, block + 16 + d) for d in range(128)]
        assert got == [144 + 4 * context(d) for d in range(128)]
    # nothing else written: the tables leave the rest of the state alone
    assert u16(st, 96 + 144) == 0 and u16(st, 96 + 14) == 0 and u16(st, 256 + 14) == 0


def test_pred_thumb_tables_survive_a_reset():
    st = fresh_state()
    predcodec.thumb_tables(st)  # once per reader, then a reset per frame
    predcodec.reset_state(st, 1, 2, 3, BACKGROUND)
    assert [byte_at(st, 256 + 16 + d) for d in (0, 2, 3, 6, 7, 16, 17, 127)] == \
        [144, 144, 148, 148, 152, 152, 156, 156]


# -- encoding 2 (ricecodec_thumb.py) --------------------------------------------------

# ricecodec_thumb.py's header: "Byte offsets in st: 0 X0, 2 X1, 4 LEN, 18 POS,
# 20 GOT, 22 Y, 24 rows LEFT in the strip, 26 ROWOFF in dst, 30 row bytes, 32
# RECOFF, 34 TABOFF, 36/38/40 step of G/R/B, 42 DX0, 44 DX1, 46/48/50
# background G/R/B, 54 lossless (1 or 0), 56 BGOFF, 60 SPANOFF"; span_copy:
# "st byte 52: 0 ram -> strip, ... st byte 28: the next row's offset in ram";
# start: "add(r3, 64)  # ST_K".
RICE_FIELDS = {
    "ST_X0": 0, "ST_X1": 2, "ST_LEN": 4, "ST_RAMPOS": 28, "ST_RECOFF": 32, "ST_TABOFF": 34,
    "ST_STEP": 36, "ST_DX0": 42, "ST_DX1": 44, "ST_BG": 46, "ST_DIR": 52, "ST_LOSSLESS": 54,
    "ST_K": 64,
}


@pytest.mark.parametrize("name,byte", sorted(RICE_FIELDS.items()))
def test_rice_fields_are_where_the_assembly_reads_them(name, byte):
    assert 2 * getattr(ricecodec, name) == byte


def test_rice_buffer_sizes_are_the_assembly_s():
    # start(): "the records: width + 1 of them, 8 bytes apart"; tables(): the
    # code table (8 x 256 halfwords), the unary table (256 bytes) at 4,096,
    # then start()'s three 128-byte ktabs at 4,352
    assert ricecodec.REC_BYTES == 8
    assert ricecodec.TAB_SIZE == 8 * 256 * 2 + 256 + 3 * 128


def test_rice_reset_fills_what_the_assembly_reads():
    st = fresh_state()
    ks = (0, 1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 0)
    ricecodec.reset_state(st, bytes((2, 1, 3, 0)) + bytes(ks), BACKGROUND)
    assert [u16(st, b) for b in (36, 38, 40)] == [3, 5, 7]  # step G, R, B
    assert [u16(st, b) for b in (46, 48, 50)] == [47, 20, 19]  # background G, R, B
    assert u16(st, 54) == 0  # not lossless
    assert [u16(st, 64 + 2 * i) for i in range(12)] == list(ks)
    # the bytecode and viper decoders: near R, G, B at 3..5, background R, G, B at 6..8
    assert list(st[3:9]) == [2, 1, 3, 20, 47, 19]


@pytest.mark.parametrize("near,lossless", [
    ((0, 0, 0), 1), ((1, 0, 0), 0), ((0, 1, 0), 0), ((0, 0, 1), 0), ((3, 3, 3), 0),
])
def test_rice_lossless_flag(near, lossless):
    st = fresh_state()
    st[27] = 7  # left over from another frame
    ricecodec.reset_state(st, bytes(near) + bytes(13), 0)
    assert u16(st, 54) == lossless


# -- the viper decoders' copies of the indices ------------------------------------------


def viper_constants(name):
    text = (FIRMWARE / name).read_text()
    return {k: int(v) for k, v in re.findall(r"^(ST_\w+) = const\((\d+)\)", text, re.M)}


@pytest.mark.parametrize("viper,module", [
    ("predcodec_viper.py", predcodec), ("ricecodec_viper.py", ricecodec),
])
def test_viper_decoders_use_the_same_indices(viper, module):
    copies = viper_constants(viper)
    assert len(copies) >= 9  # X0, X1, LEN, near and background R, G, B at least
    for name, value in copies.items():
        assert getattr(module, name) == value, name
    # fields the two encodings share must not move apart either
    for name in ("ST_X0", "ST_X1", "ST_LEN", "ST_NEAR_R", "ST_NEAR_G", "ST_NEAR_B",
                 "ST_BG_R", "ST_BG_G", "ST_BG_B"):
        assert getattr(ricecodec, name) == getattr(predcodec, name)
