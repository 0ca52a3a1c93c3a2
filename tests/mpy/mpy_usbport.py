# UsbPort.wait on MicroPython: asked between strips of every paint (a host that
# starts talking stops a transition), so it must allocate nothing. select's
# poll() builds a list per call; ipoll() does not (checked on the emulated
# rp2 too: docs/firmware.md).
import micropython
import usbport


def check(wait):
    wait(0)  # a first call may allocate ipoll's one result tuple
    micropython.heap_lock()
    try:
        for _ in range(10):
            wait(0)
        ok = True
    except MemoryError:
        ok = False
    micropython.heap_unlock()
    return ok


if check(usbport.UsbPort().wait):
    print("wait ok without allocating")
