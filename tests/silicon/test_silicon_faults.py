"""A hard reset and a power cut in the middle of an upload, on the emulated
chip: the flash (read back from the emulator's LittleFS image, outside the
firmware) holds only whole photos, and a retry completes."""

import re
import signal
import subprocess
import time

import pytest
from emu import PENDANT, Bridge, Installed, flash_files, make_photos, pendant, photo_ids

from pendant import install as inst

BOARD = "waveshare-rp2040-lcd-1.28"
N = 4


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    b = Installed(tmp_path_factory.mktemp("faults"), BOARD)
    b.work = tmp_path_factory.mktemp("faults-work")
    yield b
    if b.bridge.proc is not None:
        b.bridge.stop()


def start_upload(port, photos):
    return subprocess.Popen([PENDANT, "upload", "--port", port, *map(str, photos)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


def after_first_photo(proc, timeout=300):
    """Block until the upload reports its first photo stored; then it is in
    the middle of the second."""
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline()
    while "uploaded" not in line:
        assert proc.poll() is None and time.monotonic() < deadline, \
            "upload ended before its first photo: " + line + proc.stderr.read()
        line = proc.stdout.readline()
    time.sleep(1.0)  # into the next photo's DATA
    assert proc.poll() is None, "the upload finished before it could be cut"


def whole_photos(files):
    """Ids of the /photos/*.frm on flash; every one must be complete: a
    photo's id is the start of its frame's SHA-256."""
    ids = []
    for path, (size, digest) in files.items():
        if path.startswith("/photos/") and path.endswith(".frm"):
            pid = path[len("/photos/"):-4]
            assert digest.startswith(pid), f"{path} is not whole ({size} bytes)"
            ids.append(pid)
    return ids


def test_hard_reset_in_the_middle_of_an_upload(board, tmp_path):
    board.check()
    photos = make_photos(tmp_path / "in", N, seed=11)
    up = start_upload(board.port, photos)
    after_first_photo(up)
    up.send_signal(signal.SIGKILL)  # the host is gone mid-photo...
    up.wait()
    # ...and the pendant is reset (machine.reset() over mpremote's transport,
    # as `mpremote reset` does) with the .part of the cut photo on flash.
    resets = board.bridge.resets()
    t = inst.connect(board.port)
    t.exec_raw_no_follow("import machine\nmachine.reset()")
    t.close()
    board.bridge.wait_lit(after_reset=resets + 1)  # it rebooted and shows a photo
    ids = photo_ids(board.port)
    assert 1 <= len(ids) < N
    retry = pendant("upload", "--port", board.port, *photos)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert f"{N} of {N} photos done" in retry.stdout
    assert retry.stdout.count("already on the pendant") == len(ids)
    assert len(photo_ids(board.port)) == N


def test_power_cut_in_the_middle_of_an_upload(board, tmp_path):
    board.check()
    before = set(photo_ids(board.port))
    photos = make_photos(tmp_path / "in", N, seed=12)
    up = start_upload(board.port, photos)
    after_first_photo(up)
    board.bridge.stop()  # the plug is pulled: the emulator saves its flash as it is
    up.wait(timeout=120)
    assert up.returncode != 0  # the host saw the pendant go
    on_flash = whole_photos(flash_files(board.bridge.saved_fs))
    new = set(on_flash) - before
    assert len(new) == 1  # the photo before the cut; the cut one is not in the slideshow
    # Power comes back: the same flash boots, the slideshow has only whole
    # photos, and the retry completes.
    board.bridge = Bridge(board.work, BOARD, fs_img=board.bridge.saved_fs).start()
    board.port = board.bridge.port
    board.bridge.wait_lit()  # it is up and showing a photo
    assert set(photo_ids(board.port)) == set(on_flash)
    retry = pendant("upload", "--port", board.port, *photos)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert f"{N} of {N} photos done" in retry.stdout
    uploaded = set(re.findall(r"\(id ([0-9a-f]+)\)", retry.stdout))
    assert len(uploaded) == N
    assert set(photo_ids(board.port)) == before | uploaded
    assert len(photo_ids(board.port)) == len(before) + N
    board.bridge.stop()
    files = flash_files(board.bridge.saved_fs)
    assert len(whole_photos(files)) == len(before) + N
    assert not [p for p in files if p.endswith(".part")]  # the retry finished the cut one
