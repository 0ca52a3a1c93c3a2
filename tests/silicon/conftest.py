"""The silicon suite: the user's own commands against the official MicroPython
rp2 firmware on an emulated RP2040 (../shared/rp2emu; PENDANT_RP2EMU
overrides). Where the emulator or node is missing, every test here is skipped
with one line saying what is needed, so a clone elsewhere passes the rest."""

import pytest
from emu import missing

HERE = __file__.rsplit("/", 1)[0]


def pytest_collection_modifyitems(config, items):
    why = missing()
    if why is None:
        return
    skip = pytest.mark.skip(reason=why)
    for item in items:
        if str(item.fspath).startswith(HERE):
            item.add_marker(skip)
