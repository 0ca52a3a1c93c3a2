# The simulated pendant's REPL: what the rp2 port runs once main.py has ended
# or was interrupted, so mpremote, Thonny or a terminal find the same board.
#
# MicroPython code (runs inside the unix port under simboot.py). It follows
# shared/runtime/pyexec.c of MicroPython as mpremote's transport_serial.py
# drives it:
#   friendly REPL  banner, ">>> " prompt, line editing with echo; Ctrl-A raw
#                  REPL, Ctrl-B banner, Ctrl-C cancel, Ctrl-D soft reset,
#                  Ctrl-E paste mode
#   raw REPL       "raw REPL; CTRL-B to exit\r\n>", code until Ctrl-D, then
#                  "OK" + stdout + "\x04" + exception + "\x04" + ">"; an empty
#                  command is a soft reset; Ctrl-B back to friendly
#   raw paste      Ctrl-E 'A' Ctrl-A: "R\x01", a flow-control window, code
#                  until Ctrl-D (acknowledged with "\x04"), then as raw REPL
#
# Differences from silicon, none of which mpremote notices: output written by
# the code run here keeps bare "\n" (the rp2 port sends "\r\n"), and a
# running program can only be interrupted where it reads the serial port
# itself (the firmware's link does), because the pty delivers no SIGINT.
import io
import select
import sys

import machine

CTRL_A = 0x01
CTRL_B = 0x02
CTRL_C = 0x03
CTRL_D = 0x04
CTRL_E = 0x05
BACKSPACE = 0x08
ESC = 0x1B
DEL = 0x7F
CR = 0x0D
LF = 0x0A

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
PASTE_BANNER = b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
# rp2: MICROPY_REPL_STDIN_BUFFER_MAX = 256; the window is half of it.
PASTE_WINDOW = 128

# simboot's exit codes, read by the host Simulator (host/pendant/sim/simulator.py)
RESET_EXIT = 75  # machine.reset(): hard reset, the panel resets too
SOFT_RESET_EXIT = 76  # soft reset from the friendly REPL: boot.py, main.py
SOFT_RESET_RAW_EXIT = 77  # soft reset from the raw REPL: boot.py, then raw REPL

FRIENDLY = "friendly"
RAW = "raw"


class SoftReset(Exception):
    """Leave the REPL for a soft reset (the exit code picks the next mode)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


_out = sys.stdout.buffer
_inp = sys.stdin.buffer
_one = bytearray(1)
_poller = select.poll()
_poller.register(sys.stdin, select.POLLIN)
_bus_inp = getattr(machine, "_bus", None) and machine._bus.inp
if _bus_inp is not None:
    _poller.register(_bus_inp, select.POLLIN)


def write(data):
    _out.write(data)


def getc():
    """The next byte from the serial port; host pushes (pin levels, battery)
    are handled while waiting, as the rp2 port runs IRQs at its prompt."""
    while True:
        for obj, _ev in _poller.poll(-1):
            if obj is _bus_inp:
                machine._bus.drain()
            elif _inp.readinto(_one, 1) == 1:
                return _one[0]
            else:
                raise SystemExit(0)  # the host closed the port: power off


def banner():
    v = sys.implementation.version
    date = sys.version.split(" on ")[-1] if " on " in sys.version else ""
    write(("MicroPython v%d.%d.%d on %s; simulated pendant with RP2040\r\n"
           "Type \"help()\" for more information.\r\n" % (v[0], v[1], v[2], date)).encode())


_HERE = __file__.rsplit("/", 1)[0] + "/"  # the sim's own files, not the device's


def format_exception(e):
    """The traceback as the device prints it: without the simulator's frames."""
    buf = io.StringIO()
    sys.print_exception(e, buf)
    return "".join(line + "\n" for line in buf.getvalue().split("\n")
                   if line and _HERE not in line)


def print_exception(e, out=None):
    text = format_exception(e)
    if out is None:
        write(text.encode())
    else:
        out.write(text)


def run_code(source, mode, g):
    """Compile and run code typed or sent at the REPL; errors never escape:
    returns the traceback text, or "" if it ran to the end.

    machine.reset() (SystemExit RESET_EXIT) leaves the interpreter for the
    simulator to boot it again; machine.soft_reset() style exits end in a
    soft reset; a plain sys.exit() just returns, as on rp2.
    """
    try:
        exec(compile(source, "<stdin>", mode), g)
    except SystemExit as e:
        code = e.args[0] if e.args else 0
        if code == RESET_EXIT:
            raise
        if code in (SOFT_RESET_EXIT, SOFT_RESET_RAW_EXIT):
            raise SoftReset(code) from None
    except BaseException as e:  # noqa: BLE001 - the REPL prints and carries on
        return format_exception(e)
    return ""


def run_raw(source, g):
    """Raw REPL execution: stdout, Ctrl-D, the error text, Ctrl-D."""
    err = run_code(source, "exec", g)
    write(b"\x04")
    write(err.encode())
    write(b"\x04")


# ---------------------------------------------------------------- raw REPL


def raw_paste(g):
    """Raw-paste mode: flow-controlled code until Ctrl-D, then run it."""
    write(b"R\x01" + bytes((PASTE_WINDOW & 0xFF, PASTE_WINDOW >> 8, CTRL_A)))
    code = bytearray()
    remain = PASTE_WINDOW
    interrupted = False
    while True:
        c = getc()
        if c == CTRL_C or c == CTRL_D:
            write(b"\x04")  # acknowledge the end
            interrupted = c == CTRL_C
            break
        code.append(c)
        remain -= 1
        if remain == 0:
            write(b"\x01")  # another window is free
            remain = PASTE_WINDOW
    if interrupted:
        write(b"\x04KeyboardInterrupt: \r\n\x04")
        return
    run_raw(bytes(code), g)


def raw_repl(g):
    """Returns FRIENDLY on Ctrl-B; raises SoftReset for Ctrl-D on no code."""
    write(RAW_BANNER)
    while True:
        line = bytearray()
        write(b">")
        while True:
            c = getc()
            if c == CTRL_A:
                if len(line) == 2 and line[0] == CTRL_E:
                    if line[1] == ord("A"):
                        raw_paste(g)
                    else:
                        write(b"R\x00")  # a raw-paste variant we do not know
                    line = bytearray()
                    write(b">")
                    continue
                write(RAW_BANNER)  # Ctrl-A again: reset the raw REPL
                line = bytearray()
                write(b">")
            elif c == CTRL_B:
                write(b"\r\n")
                return FRIENDLY
            elif c == CTRL_C:
                line = bytearray()
            elif c == CTRL_D:
                break
            else:
                line.append(c)
        write(b"OK")
        if not line:
            write(b"\r\n")
            raise SoftReset(SOFT_RESET_RAW_EXIT)
        run_raw(bytes(line), g)


# ---------------------------------------------------------------- friendly REPL


def continues(text):
    """Whether the REPL should ask for more lines ("... "), like
    mp_repl_continue_with_input: an open block, bracket or backslash."""
    if text.endswith("\\"):
        return True
    depth = 0
    quote = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    if depth > 0:
        return True
    last = text.split("\n")[-1].rstrip()
    return last.endswith(":")


def skip_escape():
    """Swallow a terminal escape sequence (arrow keys): no history here."""
    c = getc()
    if c != ord("["):
        return
    while True:
        c = getc()
        if 0x40 <= c <= 0x7E:
            return


def paste_mode(g):
    write(PASTE_BANNER)
    text = bytearray()
    while True:
        c = getc()
        if c == CTRL_C:
            write(b"\r\n")
            return
        if c == CTRL_D:
            write(b"\r\n")
            break
        text.append(LF if c == CR else c)
        write(b"\r\n=== " if c == CR else bytes((c,)))
    write(run_code(bytes(text), "exec", g).encode())


def friendly_repl(g):
    """Returns RAW on Ctrl-A; raises SoftReset for Ctrl-D on an empty line."""
    banner()
    lines = []
    while True:
        line = bytearray()
        write(b"... " if lines else b">>> ")
        while True:
            c = getc()
            if c == CR:
                write(b"\r\n")
                break
            if c == LF:
                continue  # rp2 ends a line on CR only
            if c == CTRL_C:
                write(b"\r\n")
                lines = []
                line = None
                break
            if not line and not lines:
                if c == CTRL_A:
                    write(b"\r\n")
                    return RAW
                if c == CTRL_B:
                    write(b"\r\n")
                    banner()
                    write(b">>> ")
                    continue
                if c == CTRL_D:
                    write(b"\r\n")
                    raise SoftReset(SOFT_RESET_EXIT)
                if c == CTRL_E:
                    paste_mode(g)
                    write(b">>> ")
                    continue
            if c == BACKSPACE or c == DEL:
                if line:
                    line = line[:-1]  # MicroPython's bytearray has no pop()
                    write(b"\b \b")
            elif c == ESC:
                skip_escape()
            elif c >= 0x20:
                line.append(c)
                write(bytes((c,)))
        if line is None:
            continue
        text = bytes(line).decode()
        if lines:
            lines.append(text)
            if text.strip():
                continue  # a block ends with an empty line
            source = "\n".join(lines)
            lines = []
        elif not text.strip():
            continue
        elif continues(text):
            lines = [text]
            continue
        else:
            source = text
        write(run_code(source, "single", g).encode())


def main(g, mode=FRIENDLY):
    """Serve the REPL until a soft or hard reset; returns the exit code."""
    while True:
        try:
            if mode == RAW:
                mode = raw_repl(g)
            else:
                mode = friendly_repl(g)
        except SoftReset as e:
            write(b"MPY: soft reboot\r\n")
            return e.code
        except Exception as e:  # a bug here must not take the pendant down
            print_exception(e, sys.stderr)
            write(b"\r\n")
            mode = FRIENDLY
