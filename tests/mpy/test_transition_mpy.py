"""Transitions on the real MicroPython interpreter (unix port, 190 KB heap)."""


def test_transition_step_allocates_nothing(run_mpy):
    assert "transition ok without allocating" in run_mpy("mpy_transition.py")
