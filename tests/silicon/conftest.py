"""The silicon suite: the user's own commands against the official MicroPython
rp2 firmware on an emulated RP2040 (../shared/rp2emu; PENDANT_RP2EMU
overrides). Where the emulator or node is missing the whole suite is skipped
with one line saying what is needed (its first test is skipped with the
reason, the others deselected), so a clone elsewhere passes the rest."""

import pytest
from emu import missing

HERE = __file__.rsplit("/", 1)[0] + "/"


def pytest_collection_modifyitems(config, items):
    why = missing()
    if why is None:
        return
    ours = [item for item in items if str(item.fspath).startswith(HERE)]
    if not ours:
        return
    ours[0].add_marker(pytest.mark.skip(reason=why))
    rest = set(ours[1:])
    config.hook.pytest_deselected(items=list(rest))
    items[:] = [item for item in items if item not in rest]
