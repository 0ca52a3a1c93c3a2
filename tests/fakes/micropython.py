"""CPython stand-in for MicroPython's `micropython` module (firmware unit tests)."""

kbd_intr_calls: list[int] = []


def const(x):
    return x


def kbd_intr(c):
    kbd_intr_calls.append(c)


def viper(f):  # no native emitter on CPython: fastcopy.py must not be used
    raise SyntaxError("viper is not available on CPython")


def asm_thumb(f):  # no inline assembler on CPython: predcodec_thumb.py must not be used
    raise SyntaxError("asm_thumb is not available on CPython")
