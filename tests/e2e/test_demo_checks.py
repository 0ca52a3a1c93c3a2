"""`pendant demo` fails loudly when it did not show a photo: no sample photos
in the install, an upload that left nothing on the pendant, a screen that
stayed dark. (Issue: a wheel without the samples made a black demo.png and
reported success.)"""

import pytest
from click.testing import CliRunner

import pendant.sim
from pendant import cli


def run_demo(tmp_path):
    result = CliRunner().invoke(cli.main, ["demo", "--screen", str(tmp_path / "s.png")])
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    return result, lines


def test_no_sample_photos_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "SAMPLES", tmp_path / "samples")  # an install without them
    result, lines = run_demo(tmp_path)
    assert result.exit_code == 1
    assert lines == [f"error: no sample photos in {tmp_path / 'samples'}: this install of "
                     "heart-pendant is incomplete"]


def test_an_upload_that_stored_nothing_is_an_error(tmp_path, monkeypatch):
    # The link reports success but nothing was sent: the pendant holds no photo.
    monkeypatch.setattr(cli, "upload_photos", lambda *a, **kw: 0)
    result, lines = run_demo(tmp_path)
    assert result.exit_code == 1, result.output
    assert lines == ["error: only 0 of 2 sample photos reached the simulated pendant"]


class DarkSimulator(pendant.sim.Simulator):
    """A pendant whose backlight never comes on: the panel's RAM has the photo,
    but the glass shows nothing."""

    def screenshot(self):
        with self._lock:
            return self.panel.render(brightness=0.0)


def test_a_screen_that_stayed_dark_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(pendant.sim, "Simulator", DarkSimulator)
    result, lines = run_demo(tmp_path)
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith(
        f"error: the simulated pendant's screen stayed blank ({tmp_path / 's.png'})"), lines


@pytest.mark.parametrize("board", ["waveshare-rp2040-lcd-1.28", "pico-st7789"])
def test_the_demo_shows_a_photo(tmp_path, board):
    result = CliRunner().invoke(cli.main, ["demo", "--screen", str(tmp_path / "s.png"),
                                           "--board", board])
    assert result.exit_code == 0, result.output
    assert "reached" not in result.stderr and "blank" not in result.stderr
