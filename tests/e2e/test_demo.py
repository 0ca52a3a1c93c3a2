"""`pendant demo` (what `make demo` runs) works, and the README's picture of it
is what it really shows today."""

from pathlib import Path

from e2e_helpers import ROOT, pendant
from PIL import Image, ImageChops


def test_demo_screen_matches_the_readme_picture(tmp_path):
    out = tmp_path / "screen.png"
    proc = pendant("demo", "--screen", out)
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout
    shown = Image.open(out).convert("RGB")
    readme = Image.open(Path(ROOT) / "docs" / "img" / "demo-screen.png").convert("RGB")
    diff = ImageChops.difference(shown, readme).getbbox()
    assert diff is None, (
        f"docs/img/demo-screen.png is stale (differs inside {diff}): "
        "regenerate it with `pendant demo --screen docs/img/demo-screen.png`")
    # A photo in a heart: dark corners, a lit, detailed middle.
    assert shown.getpixel((2, 2)) == (0, 0, 0)
    assert len(shown.crop((80, 80, 160, 160)).getcolors(1 << 16)) > 500
