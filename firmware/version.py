# The firmware's version, reported by HELLO; `pendant install` checks it.
VERSION = "0.1.0"
