"""End-to-end: the real `pendant` command against a simulated pendant running the
real firmware on the real MicroPython interpreter."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "host" / "pendant" / "samples"
PENDANT = str(Path(sys.executable).parent / "pendant")


def pendant(*args, timeout=120):
    """Run the installed console script; returns the CompletedProcess."""
    return subprocess.run([PENDANT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def one_line_error(proc):
    """The CLI failed cleanly: non-zero, exactly one line on stderr, no traceback."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), proc.stderr
    return lines[0]
