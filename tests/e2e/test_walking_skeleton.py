"""A photo travels from a JPEG to the simulated pendant's screen, end to end."""

import time

from e2e_helpers import SAMPLES, one_line_error, pendant
from PIL import Image, ImageChops

ASTRONAUT = SAMPLES / "astronaut.jpg"
CHELSEA = SAMPLES / "chelsea.jpg"


def ids_on(port):
    proc = pendant("list", "--port", port)
    assert proc.returncode == 0, proc.stderr
    return [line.split()[1] for line in proc.stdout.splitlines() if line.strip()[:1].isdigit()]


def screen_equals(sim, expected, timeout=15.0):
    """Wait until the panel, at full backlight, shows exactly `expected`."""
    deadline = time.monotonic() + timeout
    diff = None
    while time.monotonic() < deadline:
        shown = sim.panel.render(brightness=1.0)
        diff = ImageChops.difference(shown, expected).getbbox()
        if diff is None:
            return True
        time.sleep(0.1)
    raise AssertionError(f"screen differs from the preview inside {diff}")


def test_upload_two_photos_and_the_screen_shows_the_preview(sim, tmp_path):
    up = pendant("upload", ASTRONAUT, CHELSEA, "--port", sim.port)
    assert up.returncode == 0, up.stderr
    assert "2 of 2 photos done" in up.stdout

    # The last photo uploaded is on screen, pixel for pixel what preview rendered.
    out = tmp_path / "preview.png"
    pv = pendant("preview", CHELSEA, "-o", out)
    assert pv.returncode == 0, pv.stderr
    expected = Image.open(out).convert("RGB")
    assert screen_equals(sim, expected)
    # ...and it is a real picture, not a blank screen.
    assert len(expected.getcolors(maxcolors=1 << 24)) > 1000

    ids = ids_on(sim.port)
    assert len(ids) == 2
    st = pendant("status", "--port", sim.port)
    assert st.returncode == 0 and "photos     2" in st.stdout

    # Showing the other photo puts its preview on the screen.
    pendant("preview", ASTRONAUT, "-o", out)
    rm = pendant("remove", ids[1], "--port", sim.port)
    assert rm.returncode == 0, rm.stderr
    assert ids_on(sim.port) == ids[:1]
    assert screen_equals(sim, Image.open(out).convert("RGB"))


def test_uploading_again_is_skipped_by_hash(sim):
    assert pendant("upload", CHELSEA, "--port", sim.port).returncode == 0
    again = pendant("upload", CHELSEA, "--port", sim.port)
    assert again.returncode == 0
    assert "already on the pendant" in again.stdout
    assert len(ids_on(sim.port)) == 1


def test_bad_inputs_fail_cleanly_and_leave_the_store_alone(sim, tmp_path):
    assert pendant("upload", CHELSEA, "--port", sim.port).returncode == 0
    before = ids_on(sim.port)

    not_image = tmp_path / "notes.jpg"
    not_image.write_text("this is not a photo")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    missing = tmp_path / "missing.jpg"
    for bad in (not_image, empty, missing):
        proc = pendant("upload", bad, "--port", sim.port)
        line = one_line_error(proc)
        assert bad.name in line
    assert ids_on(sim.port) == before


def test_several_photos_with_one_bad_still_upload_the_good(sim, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 nope")
    proc = pendant("upload", bad, CHELSEA, "--port", sim.port)
    assert proc.returncode == 1
    assert "bad.jpg" in proc.stderr and "Traceback" not in proc.stderr
    assert "1 of 2 photos done, 1 failed" in proc.stdout
    assert len(ids_on(sim.port)) == 1


def test_wrong_port_is_one_line(tmp_path):
    proc = pendant("list", "--port", tmp_path / "ttyNOPE")
    assert "does not exist" in one_line_error(proc)


def test_no_port_names_the_simulator(monkeypatch):
    monkeypatch.delenv("PENDANT_PORT", raising=False)
    proc = pendant("status")
    assert "pendant sim" in one_line_error(proc)


def test_convert_writes_a_frame_file(tmp_path):
    out = tmp_path / "c.frm"
    proc = pendant("convert", CHELSEA, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"PHRT"


def test_st7789_pendant_gets_frames_for_its_panel(tmp_path):
    from pendant.sim import Simulator

    with Simulator(tmp_path / "flash", board="pico-st7789") as s:
        st = pendant("status", "--port", s.port)
        assert "pico-st7789 (st7789" in st.stdout, st.stdout + st.stderr
        up = pendant("upload", CHELSEA, "--port", s.port)
        assert up.returncode == 0, up.stderr
        out = tmp_path / "p.png"
        assert pendant("preview", CHELSEA, "--panel", "st7789", "-o", out).returncode == 0
        expected = Image.open(out).convert("RGB")
        assert screen_equals(s, expected)
        # The square panel shows its corners: they belong to the picture.
        assert s.panel.render(brightness=1.0).getpixel((2, 2)) == expected.getpixel((2, 2))


def test_sim_command_with_a_relative_flash_folder(tmp_path):
    """`pendant sim` prints its port first, serves it, keeps its flash in the
    folder given (relative to where it was started), and stops on SIGTERM."""
    import signal
    import subprocess

    from e2e_helpers import PENDANT

    proc = subprocess.Popen([PENDANT, "sim", "--flash", "fl", "--screen", "s.png"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    try:
        first = proc.stdout.readline().strip()
        assert first.startswith("port: /dev/pts/"), first + proc.stderr.read()
        port = first.split()[1]
        up = pendant("upload", CHELSEA, "--port", port)
        assert up.returncode == 0, up.stderr
        assert (tmp_path / "fl" / "flash.img").stat().st_size == 352 * 4096
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert (tmp_path / "s.png").exists()
