"""Keys typed at MicroPython's friendly REPL and what it must answer, written
by hand from readline.c and pyexec.c of MicroPython 1.26.1 (the rp2 port's:
Emacs keys on). tests/sim/test_repl.py holds the simulator to them and the
silicon suite the emulated chip, so the two cannot drift apart.

Each case is a list of steps: (bytes sent, what the answer ends with), where
an answer is read up to the next prompt (">>> " or "... ") and compared with
every "\\r\\n" as "\\n" (the simulator keeps a program's bare "\\n").
"""

REPL_LINES = {
    "Ctrl-A goes home": [(b"3)\x01(2+\r", b"\n5\n>>> ")],
    "Ctrl-B goes left, not past the start": [(b"2\x02\x021\r", b"\n12\n>>> ")],
    "bytes from 0x80 and LF are dropped": [(b"1\xa5\n\xff2\r", b"\n12\n>>> ")],
    "Ctrl-D deletes under the cursor": [(b"12345\x01\x04\x04\r", b"\n345\n>>> ")],
    "Ctrl-F goes right, Ctrl-K cuts the rest": [(b"99100\x01\x06\x06\x0b\r", b"\n99\n>>> ")],
    "Ctrl-E goes to the end": [(b"4\x01\x055\r", b"\n45\n>>> ")],
    "the left arrow key": [(b"7\x1b[D8\r", b"\n87\n>>> ")],
    "an open bracket asks for more": [(b"print((1,\r", b"\n... "),
                                      (b"2))\r", b"\n(1, 2)\n>>> ")],
    "a bracket inside quotes does not": [(b"'(' + 'x'\r", b"\n'(x'\n>>> ")],
    "a trailing colon alone does not": [(b"x = 5:\r", b"SyntaxError: invalid syntax\n>>> ")],
    "a compound statement ends at an empty line": [(b"if 1: print(7)\r", b"\n... "),
                                                  (b"\r", b"\n7\n>>> ")],
    "a backslash at the end asks for more": [(b"1 + \\\r", b"\n... "),
                                             (b"2\r", b"\n3\n>>> ")],
    "Ctrl-P recalls the last line": [(b"6*7\r", b"\n42\n>>> "),
                                     (b"\x10\r", b"6*7\n42\n>>> ")],
    "Ctrl-C drops an open block": [(b"(1,\r", b"\n... "), (b"\x03", b"\n>>> ")],
}
