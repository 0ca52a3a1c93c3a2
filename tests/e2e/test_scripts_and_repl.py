"""What scripts and mpremote users meet: `--json` output, and a pendant that
mpremote left stopped at its REPL (the next command restarts its app)."""

import json
import subprocess
import sys
from pathlib import Path

from e2e_helpers import SAMPLES, pendant

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


def test_json_for_scripts(sim):
    up = pendant("upload", "--port", sim.port, SAMPLES / "astronaut.jpg")
    assert up.returncode == 0, up.stderr
    photos = json.loads(pendant("list", "--json", "--port", sim.port).stdout)
    assert len(photos) == 1 and set(photos[0]) == {"id", "size"}
    assert len(photos[0]["id"]) == 16 and photos[0]["size"] > 1000
    info = json.loads(pendant("status", "--json", "--port", sim.port).stdout)
    assert info["photos"] == 1 and info["panel"] == "gc9a01"
    assert "nonce" not in info  # a session detail, not the pendant's
    settings = json.loads(pendant("settings", "--json", "brightness=55",
                                  "--port", sim.port).stdout)
    assert settings["brightness"] == 55
    again = json.loads(pendant("settings", "--json", "--port", sim.port).stdout)
    assert again == settings


def test_app_stopped_by_mpremote_is_restarted(sim):
    ls = subprocess.run([MPREMOTE, "connect", sim.port, "fs", "ls"], capture_output=True,
                        text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert ls.returncode == 0, ls.stderr
    assert "main.py" in ls.stdout  # mpremote stopped the app and left it at the REPL
    st = pendant("status", "--port", sim.port)
    assert st.returncode == 0, st.stderr
    assert "restarting its app" in st.stderr and "REPL" in st.stderr
    assert "firmware" in st.stdout
    # The app is running again: the next command needs no restart.
    st2 = pendant("status", "--port", sim.port)
    assert st2.returncode == 0 and "restarting" not in st2.stderr, st2.stderr
