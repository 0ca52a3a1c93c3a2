# The simulated pendant's `time`: a virtual clock in place of the RP2040 timer.
#
# This file shadows MicroPython's built-in `time` (it sits first on sys.path);
# `utime` still reaches the built-in. The clock is host wall time since boot
# plus whatever "fast" mode skipped, so in real mode it tracks real time and in
# fast mode a sleep of an hour returns at once with the clock an hour later.
#
# Waiting is delegated to `_waiter` (installed by the sim's machine.py) so a
# sleep can still deliver pin interrupts from the host while it waits.
import utime

# rp2 ticks wrap at 2**30 like every 32-bit port: firmware that forgets
# ticks_diff breaks here as it would on the device.
_TICKS_PERIOD = 1 << 30
_TICKS_MASK = _TICKS_PERIOD - 1
_TICKS_HALF = _TICKS_PERIOD >> 1

_start_ns = utime.time_ns()
_skip_us = 0  # virtual time added by fast-mode sleeps
fast = False  # set by simboot from PENDANT_SIM_SPEED
_waiter = None  # machine.py installs fn(us, wake_on_stdin) -> wake reason


def now_us():
    """Virtual microseconds since boot (an unbounded int)."""
    return (utime.time_ns() - _start_ns) // 1000 + _skip_us


def advance_us(us):
    """Fast mode: move the virtual clock forward without waiting."""
    global _skip_us
    if us > 0:
        _skip_us += us


def ticks_us():
    return now_us() & _TICKS_MASK


def ticks_ms():
    return (now_us() // 1000) & _TICKS_MASK


def ticks_cpu():
    return ticks_us()


def ticks_add(ticks, delta):
    if not -_TICKS_HALF <= delta < _TICKS_HALF:
        raise OverflowError("ticks interval overflow")
    return (ticks + delta) & _TICKS_MASK


def ticks_diff(end, start):
    return ((end - start + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def _sleep_us(us):
    if us <= 0:
        return
    if _waiter is not None:
        _waiter(us, False)
    elif fast:
        advance_us(us)
    else:
        utime.sleep_us(us)


def sleep_us(us):
    _sleep_us(int(us))


def sleep_ms(ms):
    _sleep_us(int(ms) * 1000)


def sleep(s):
    _sleep_us(int(s * 1000000))


# Wall clock: the host's time at boot moved on by the virtual clock, epoch 1970
# like current rp2 builds.
_boot_wall_ns = utime.time_ns()


def time_ns():
    return _boot_wall_ns + now_us() * 1000


def time():
    return time_ns() // 1000000000


def gmtime(secs=None):
    return utime.gmtime(time() if secs is None else secs)


def localtime(secs=None):
    return utime.localtime(time() if secs is None else secs)


def mktime(t):
    return utime.mktime(t)
