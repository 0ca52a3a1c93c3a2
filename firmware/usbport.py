# The USB serial port as the link sees it: binary stdin/stdout plus a wait.
#
# Only the .buffer streams are used: the text streams translate line endings.
import select
import sys


class UsbPort:
    def __init__(self, inp=None, out=None):
        self.inp = inp or sys.stdin.buffer
        self.out = out or sys.stdout.buffer
        self._poll = select.poll()
        self._poll.register(self.inp, select.POLLIN)

    def wait(self, ms):
        """True when a byte can be read within ms milliseconds (ms=0: now).

        ipoll, not poll: poll() builds a new list every call, and the draw
        path asks this between strips (a host waiting stops a transition),
        where nothing may be allocated."""
        for _ in self._poll.ipoll(ms):
            return True
        return False

    def readinto(self, buf, n):
        return self.inp.readinto(buf, n)

    def write(self, buf):
        self.out.write(buf)
