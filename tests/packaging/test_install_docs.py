"""The README's Install section stays true to pyproject.toml."""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[2]
from pendant.extras import DEV_ONLY  # noqa: E402  (extras for working on the project)


def install_section():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^## Install\n(.*?)^## ", text, re.M | re.S)
    assert m, "README.md has no '## Install' section"
    return text[:m.start()], m.group(1)


def test_install_comes_after_the_quick_start_and_before_the_makers_section():
    before, _ = install_section()
    assert "    make demo" in before and "    make test" in before
    assert "## Building one" not in before


def test_every_extra_is_documented_with_pip_and_pipx():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"]) - DEV_ONLY
    _, section = install_section()
    rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M))
    assert rows == extras, "the Install section's table of extras differs from pyproject.toml"
    assert f"pipx install '{project['name']}[sim]'" in section
    assert f"pip install '{project['name']}[sim]'" in section
