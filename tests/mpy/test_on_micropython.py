"""Firmware modules on the real MicroPython interpreter (unix port, 190 KB heap)."""

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def test_contracts_match_golden_vectors_on_micropython(run_mpy):
    assert "contracts ok" in run_mpy("mpy_contracts.py", VECTORS)


def test_painting_allocates_nothing(run_mpy):
    out = run_mpy("mpy_paint.py")
    assert "paint ok without allocating" in out
    assert "trim scans agree" in out


def test_receiving_a_packet_allocates_nothing(run_mpy):
    assert "receive ok without allocating" in run_mpy("mpy_receive.py")


def test_waiting_on_the_port_allocates_nothing(run_mpy):
    assert "wait ok without allocating" in run_mpy("mpy_usbport.py")
