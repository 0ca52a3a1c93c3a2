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
# shared/readline/readline.c and pyexec_friendly_repl of MicroPython 1.26.1 as
# the rp2 port builds them (MICROPY_REPL_EMACS_KEYS; no auto-indent or tab
# completion here): a host's packet typed into this REPL is edited as on the
# chip, so the prompt it ends at ("... " after an unclosed bracket, "=== " in
# paste mode) is the chip's too.

HISTORY_SIZE = 8  # MICROPY_READLINE_HISTORY_SIZE
CTRL_F = 0x06  # cursor right
CTRL_K = 0x0B  # cut to the end of the line
CTRL_N = 0x0E  # next in history
CTRL_P = 0x10  # previous in history
CTRL_U = 0x15  # cut to the start of the line
COMPOUND = ("if", "while", "for", "try", "with", "def", "class", "async")
_history = []


def _isident(ch):
    return ch == "_" or ch.isalpha() or ch.isdigit()


def continues(text):
    """Whether the REPL asks for more lines ("... "): py/repl.c's
    mp_repl_continue_with_input, rule for rule."""
    if not text:
        return False
    compound = text[0] == "@" or any(
        text.startswith(w) and (len(text) == len(w) or not _isident(text[len(w)]))
        for w in COMPOUND)
    n_paren = n_brack = n_brace = 0
    quote = ""  # the open quote: one or three of ' or "
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            if quote in ("", ch * 3) and text[i + 1:i + 3] == ch * 2:
                quote = "" if quote else ch * 3
                i += 2
            elif quote in ("", ch):
                quote = "" if quote else ch
        elif ch == "\\" and text[i + 1:i + 2] in ("'", '"', "\\"):
            if quote:
                i += 1
        elif not quote:
            n_paren += (ch == "(") - (ch == ")")
            n_brack += (ch == "[") - (ch == "]")
            n_brace += (ch == "{") - (ch == "}")
        i += 1
    if len(quote) == 3:
        return True
    if (n_paren > 0 or n_brack > 0 or n_brace > 0) and not quote:
        return True
    if text[-1] == "\\":
        return True
    return compound and text[-1] != "\n"


def _back(n):
    """mp_hal_move_cursor_back."""
    if n > 0:
        write(b"\b" * n if n <= 4 else ("\x1b[%dD" % n).encode())


class Readline:
    """readline(): the line is buf[orig:] (buf starts with a block's earlier
    lines, each ended by "\\n"). read() returns 0 on Enter, or the control
    character: Ctrl-A..Ctrl-E on an empty line, Ctrl-C anywhere."""

    def __init__(self, buf, prompt):
        self.buf = bytes(buf)
        self.orig = len(buf)
        self.cursor = self.orig
        self.hist = -1
        write(prompt)

    def read(self):
        esc = None
        while True:
            c = getc()
            if esc is not None:
                esc = self._escape(esc, c)
            elif CTRL_A <= c <= CTRL_E and len(self.buf) == self.orig:
                return c
            elif c == CTRL_C:
                return c
            elif c == CR:  # 1.26.1 ends a line on CR only
                write(b"\r\n")
                self._push_history()
                return 0
            elif c == ESC:
                esc = ""
            elif c in (CTRL_A, CTRL_B, CTRL_D, CTRL_E, CTRL_F, CTRL_K, CTRL_N, CTRL_P, CTRL_U):
                self._key(c)
            elif c == BACKSPACE or c == DEL:
                if self.cursor > self.orig:
                    self._cut(self.cursor - 1, 1, back=1)
            elif 32 <= c <= 126:
                self.buf = self.buf[:self.cursor] + bytes((c,)) + self.buf[self.cursor:]
                self._redraw(forward=1)
            # anything else (LF, tab, bytes from 0x80) changes nothing

    def _key(self, c):
        if c == CTRL_A:  # home
            self._move(self.orig - self.cursor)
        elif c == CTRL_E:  # end
            self._move(len(self.buf) - self.cursor)
        elif c == CTRL_B:
            if self.cursor > self.orig:
                self._move(-1)
        elif c == CTRL_F:
            if self.cursor < len(self.buf):
                self._move(1)
        elif c == CTRL_D:  # delete under the cursor
            if self.cursor < len(self.buf):
                self._cut(self.cursor, 1)
        elif c == CTRL_K:
            self._cut(self.cursor, len(self.buf) - self.cursor)
        elif c == CTRL_U:
            self._cut(self.orig, self.cursor - self.orig, back=self.cursor - self.orig)
        else:
            self._recall(1 if c == CTRL_P else -1)

    def _escape(self, esc, c):
        """Arrow, Home, End and Delete keys; the next state, None when done."""
        if esc == "":
            return "[" if c == 0x5B else ("O" if c == 0x4F else None)
        if esc == "[" and 0x30 <= c <= 0x39:
            return chr(c)
        if esc == "[":
            keys = {0x41: CTRL_P, 0x42: CTRL_N, 0x43: CTRL_F, 0x44: CTRL_B,
                    0x48: CTRL_A, 0x46: CTRL_E}
        elif esc == "O":
            keys = {0x48: CTRL_A, 0x46: CTRL_E}
        else:  # ESC [ digit ~: Home (1, 7), End (4, 8), Delete (3)
            keys = {0x31: CTRL_A, 0x37: CTRL_A, 0x34: CTRL_E, 0x38: CTRL_E, 0x33: CTRL_D}
            c = ord(esc) if c == 0x7E else 0
        if c in keys:
            self._key(keys[c])
        return None

    def _move(self, n):
        if n < 0:
            _back(-n)
        else:
            write(self.buf[self.cursor:self.cursor + n])
        self.cursor += n

    def _cut(self, at, n, back=0):
        last = len(self.buf)
        self.buf = self.buf[:at] + self.buf[at + n:]
        _back(back)
        self.cursor -= back
        self._redraw(last=last)

    def _redraw(self, forward=0, last=0):
        """Redraw from the cursor, as readline does after an edit."""
        if len(self.buf) < last:
            write(b"\x1b[K")
        write(self.buf[self.cursor:])
        _back(len(self.buf) - (self.cursor + forward))
        self.cursor += forward

    def _recall(self, step):
        h = self.hist + step
        if h < -1 or h >= len(_history):
            return
        self.hist = h
        _back(self.cursor - self.orig)
        self.cursor = self.orig
        last = len(self.buf)
        self.buf = self.buf[:self.orig] + (_history[h] if h >= 0 else b"")
        self._redraw(forward=len(self.buf) - self.orig, last=last)

    def _push_history(self):
        line = self.buf[self.orig:]
        if line and (not _history or _history[0] != line):
            _history.insert(0, line)
            if len(_history) > HISTORY_SIZE:
                _history.pop()


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
    """pyexec_friendly_repl: returns RAW on Ctrl-A; raises SoftReset for
    Ctrl-D on an empty line."""
    banner()
    while True:
        rl = Readline(b"", b">>> ")
        ret = rl.read()
        if ret == CTRL_A:
            write(b"\r\n")
            return RAW
        if ret == CTRL_B:
            write(b"\r\n")
            banner()
            continue
        if ret == CTRL_C:
            write(b"\r\n")
            continue
        if ret == CTRL_D:
            write(b"\r\n")
            raise SoftReset(SOFT_RESET_EXIT)
        if ret == CTRL_E:
            paste_mode(g)
            continue
        text = rl.buf
        if not text:
            continue
        # a block: more lines while it is open; Ctrl-C drops it, Ctrl-D (or
        # Ctrl-A..Ctrl-E, which only end the wait) runs what there is
        while continues(text.decode()):
            rl = Readline(text + b"\n", b"... ")
            ret = rl.read()
            text = rl.buf
            if ret == CTRL_C:
                write(b"\r\n")
                text = None
                break
            if ret == CTRL_D:
                break
        if text is not None:
            write(run_code(text.decode(), "single", g).encode())


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
