"""Power manager and battery gauge on CPython, with fakes on a virtual clock."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT / "tests" / "fakes", ROOT / "firmware"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import pytest  # noqa: E402
import vclock  # noqa: E402


@pytest.fixture
def clock(monkeypatch):
    return vclock.install(monkeypatch)
