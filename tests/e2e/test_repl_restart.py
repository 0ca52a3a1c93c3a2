"""A pendant that mpremote left at its REPL, met by HELLOs whose random bytes
leave that REPL in each state they can (tests/fakes/typed_hello.py): the
next command still finds the REPL, restarts the app and succeeds. The
silicon suite replays the same cases on the emulated chip."""

import subprocess
import sys
from pathlib import Path

import pytest
from typed_hello import REPL_STATES, Nonces

from pendant import link

MPREMOTE = str(Path(sys.executable).parent / "mpremote")


@pytest.mark.parametrize("state", sorted(REPL_STATES))
def test_app_restarted_whatever_the_hello_typed_into_its_repl(sim, monkeypatch, state):
    typed, prompt = REPL_STATES[state]
    ls = subprocess.run([MPREMOTE, "connect", sim.port, "fs", "ls"], capture_output=True,
                        text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert ls.returncode == 0, ls.stderr
    monkeypatch.setattr(link, "secrets", Nonces(typed))
    with link.Client(sim.port) as c:
        assert c.restarted is True
        assert c.settings()["brightness"] >= 0  # the restarted app answers requests
        heard = bytes(c.heard)
    # the REPL was in the state the HELLO was chosen for (not a test of nothing)
    assert prompt in heard.split(b"soft reboot")[0], heard[-300:]
