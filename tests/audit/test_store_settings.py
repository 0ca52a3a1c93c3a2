"""The pendant's photo store and settings, on CPython in a temporary folder
(firmware/store.py, firmware/settings.py): what the slideshow and the host
rely on, each rule checked at its edges."""

import json
import os

import pytest
import settings as settings_mod
import store as store_mod
from settings import SPEC, Settings, check
from store import Store

A, B, C = "0123456789abcdef", "fedcba9876543210", "00000000000000aa"


def put(st, photo_id, data=b"frame"):
    with open(st.part_path(photo_id), "wb") as f:
        f.write(data)
    st.commit(photo_id)


@pytest.fixture
def st(tmp_path):
    return Store(str(tmp_path / "photos"))


def order_file(st):
    with open(st.root + "/order") as f:
        return f.read().split()


# -- store -------------------------------------------------------------------


def test_the_store_makes_its_folder_once(tmp_path):
    Store(str(tmp_path / "photos"))
    put(Store(str(tmp_path / "photos")), A)  # an existing folder is kept as it is
    assert Store(str(tmp_path / "photos")).ids() == [A]


def test_paths_are_built_only_from_valid_ids(st):
    assert st.path(A) == st.root + "/" + A + ".frm"
    assert st.path(A.encode()) == st.path(A)
    assert st.part_path(A) == st.root + "/" + A + ".part"
    for bad in ("../../main.py", A[:-1], A.upper(), A + "0", "/photos/x"):
        with pytest.raises(ValueError):
            st.path(bad)


def test_commit_makes_the_photo_visible_last_and_remembers_the_order(st):
    put(st, B)
    put(st, A.encode())  # the link passes ids as bytes too
    assert st.ids() == [B, A]
    assert not os.path.exists(st.part_path(A))
    assert order_file(st) == [B, A]
    assert Store(st.root).ids() == [B, A]


def test_committing_twice_lists_a_photo_once(st):
    put(st, A)
    put(st, A)
    assert st.ids() == [A] and order_file(st) == [A]


def test_order_file_is_reconciled_with_the_photos_on_flash(st):
    for i in (C, B, A):
        open(st.path(i), "wb").close()
    open(st.root + "/junk.txt", "wb").close()
    open(st.root + "/NOT-AN-ID-0000.frm", "wb").close()
    with open(st.root + "/order", "w") as f:
        f.write(f"{B}\n\n{'9' * 16}\n{B}\n  {C}  \n")  # blank, gone, twice, padded
    assert Store(st.root).ids() == [B, C, A]  # listed first, the rest sorted


def test_no_order_file_means_sorted_ids(st):
    for i in (B, A, C):
        open(st.path(i), "wb").close()
    assert Store(st.root).ids() == sorted([A, B, C])


def test_reorder_puts_the_given_ids_first_and_keeps_the_rest(st):
    for i in (A, B, C):
        put(st, i)
    st.reorder([C, A])
    assert st.ids() == [C, A, B]
    assert Store(st.root).ids() == [C, A, B]


def test_reorder_with_an_unknown_id_changes_nothing(st):
    for i in (A, B):
        put(st, i)
    with pytest.raises(KeyError):
        st.reorder([B, C])
    assert st.ids() == [A, B] and order_file(st) == [A, B]


def test_len_contains_and_size(st):
    assert len(st) == 0 and A not in st
    put(st, A, b"x" * 1234)
    assert len(st) == 1 and A in st and B not in st
    assert st.size(A) == 1234


def test_remove_deletes_the_photo_and_its_place_in_the_order(st):
    for i in (A, B, C):
        put(st, i)
    st.remove(B)
    assert st.ids() == [A, C] and not os.path.exists(st.path(B))
    assert Store(st.root).ids() == [A, C]
    with pytest.raises(KeyError):
        st.remove(B)
    assert st.ids() == [A, C]


def test_part_size_and_drop_part(st):
    assert st.part_size(A) == 0
    with open(st.part_path(A), "wb") as f:
        f.write(b"12345")
    assert st.part_size(A) == 5
    st.drop_part(A)
    assert st.part_size(A) == 0 and not os.path.exists(st.part_path(A))
    st.drop_part(A)  # nothing there: no error


def test_clean_parts_keeps_only_the_upload_in_progress_and_the_photos(st):
    put(st, C)
    for i in (A, B):
        open(st.part_path(i), "wb").close()
    st.clean_parts(keep=A)
    assert sorted(os.listdir(st.root)) == sorted([A + ".part", C + ".frm", "order"])
    st.clean_parts()
    assert sorted(os.listdir(st.root)) == sorted([C + ".frm", "order"])


class FakeStatvfs:
    """os.statvfs of a filesystem with `blocks` free blocks of `size` bytes."""

    def __init__(self, size, blocks):
        self.size, self.blocks = size, blocks

    def __call__(self, path):
        return (self.size, self.size, 352, self.blocks, self.blocks, 0, 0, 0, 0, 255)


def test_free_space_keeps_an_8_kib_reserve(st, monkeypatch):
    monkeypatch.setattr(store_mod.os, "statvfs", FakeStatvfs(4096, 10))
    assert st.free() == 4096 * 10 - 8192
    monkeypatch.setattr(store_mod.os, "statvfs", FakeStatvfs(4096, 2))
    assert st.free() == 0  # at the reserve: nothing
    monkeypatch.setattr(store_mod.os, "statvfs", FakeStatvfs(4096, 1))
    assert st.free() == 0  # below it: still nothing, never negative
    monkeypatch.setattr(store_mod.os, "statvfs", FakeStatvfs(512, 17))
    assert st.free() == 512 * 17 - 8192


# -- settings ------------------------------------------------------------------


def test_stored_values_are_loaded_and_bad_ones_fall_back_to_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"brightness": 40, "interval_s": 1, "rotation": 45,
                                "transition": "fade", "colour": "red"}))
    s = Settings(str(path))
    assert s["brightness"] == 40 and s["transition"] == "fade"
    assert s["interval_s"] == 15 and s["rotation"] == -1  # out of range: default
    assert "colour" not in s.values


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"brightness"'])
def test_a_damaged_settings_file_means_defaults(tmp_path, text):
    path = tmp_path / "settings.json"
    path.write_text(text)
    assert Settings(str(path)).values == Settings(str(tmp_path / "none.json")).values


# The contract with the host, written out here (not read from SPEC): default,
# lowest and highest value of every number setting.
NUMBERS = {
    "rotation": (-1, -1, 270),
    "interval_s": (15, 2, 86400),
    "brightness": (70, 5, 100),
    "dim_after_s": (30, 0, 86400),
    "sleep_after_s": (40, 0, 86400),
    "dim_percent": (10, 1, 100),
    "deep_after_s": (0, 0, 86400),
}
STRINGS = {"board": "", "transition": "wipe"}


def test_the_settings_and_their_defaults(tmp_path):
    s = Settings(str(tmp_path / "settings.json"))
    assert s.values == {**{n: v[0] for n, v in NUMBERS.items()}, **STRINGS}


def test_the_readme_shows_the_firmwares_defaults(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    s = Settings(str(tmp_path / "settings.json"))
    shown = 0
    for line in readme.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        names = [n.strip(" `") for n in cells[0].split(",")]
        defaults = [d.strip() for d in cells[2].split(",")]
        if all(n in SPEC for n in names):
            assert [str(s[n]) for n in names] == defaults, line
            shown += len(names)
    assert shown == len(SPEC) - 1  # all but `board`, which `pendant install` sets


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_each_number_setting_takes_its_whole_range_and_nothing_past_it(name):
    _, lo, hi = NUMBERS[name]
    if name == "rotation":
        assert [check(name, v) for v in (-1, 0, 90, 180, 270)] == [-1, 0, 90, 180, 270]
    else:
        assert check(name, lo) == lo and check(name, hi) == hi
    for bad in (lo - 1, hi + 1):
        with pytest.raises(ValueError) as e:
            check(name, bad)
        assert str(e.value) == "%s must be between %d and %d" % (name, lo, hi)
    for bad in (True, 1.5, "30", None):
        with pytest.raises(ValueError, match="must be a whole number"):
            check(name, bad)


def test_rotation_is_a_quarter_turn_or_the_boards_own():
    for bad in (1, 45, 89, 91, 269):
        with pytest.raises(ValueError, match="rotation must be -1, 0, 90, 180 or 270"):
            check("rotation", bad)


def test_string_settings():
    assert check("transition", "none") == "none" and check("transition", "fade") == "fade"
    with pytest.raises(ValueError, match="transition must be one of none, wipe, fade"):
        check("transition", "dissolve")
    assert check("board", "x" * 40) == "x" * 40
    for bad in ("x" * 41, 3, None):
        with pytest.raises(ValueError, match="board must be a short string"):
            check("board", bad)
    with pytest.raises(ValueError, match="unknown setting 'colour'"):
        check("colour", 1)


def test_update_saves_every_change_or_none(tmp_path):
    path = tmp_path / "settings.json"
    s = Settings(str(path))
    s.update({"brightness": 50, "interval_s": 60})
    assert json.loads(path.read_text()) == s.values
    assert Settings(str(path))["interval_s"] == 60
    with pytest.raises(ValueError):
        s.update({"brightness": 20, "interval_s": 0})
    assert s["brightness"] == 50 and json.loads(path.read_text())["brightness"] == 50
    assert sorted(os.listdir(tmp_path)) == ["settings.json"]  # no .tmp left behind


def test_a_board_must_be_one_the_firmware_knows(tmp_path):
    import boards

    s = Settings(str(tmp_path / "settings.json"))
    known = sorted(boards.BOARDS)[0]
    s.update({"board": known})
    assert s["board"] == known
    s.update({"board": ""})  # back to the default board
    assert s["board"] == ""
    with pytest.raises(ValueError) as e:
        s.update({"board": "toaster", "brightness": 20})
    assert str(e.value).startswith("unknown board 'toaster'; known boards: ")
    assert str(e.value).endswith(", ".join(sorted(boards.BOARDS)))
    assert s["board"] == "" and s["brightness"] == 70


def test_the_default_path_is_the_flash_root():
    assert settings_mod.PATH == "/settings.json" and store_mod.ROOT == "/photos"
