# spidma.py's two calls a strip, in viper: a DMA channel's registers and the
# SPI's status register written and polled directly (RP2040 datasheet 2.5.7,
# 4.4.4). A module of its own because viper code does not import on CPython,
# where spidma.py is imported but never given a DMA channel.
import micropython
from micropython import const

SSPSR_BSY = const(0x10)  # busy: a frame is being sent or the TX FIFO is not empty
CH_READ_ADDR = const(0)  # 0x00 READ_ADDR (rp2.DMA.registers is indexed by word)
CH_CTRL_TRIG = const(3)  # 0x0c CTRL_TRIG: BUSY is bit 24
CH_AL1_TRANS_COUNT_TRIG = const(7)  # 0x1c alias 1: writing the count starts the channel
CTRL_BUSY = const(1 << 24)


@micropython.viper
def wait(regs, sr: int):
    ch = ptr32(regs)  # noqa: F821  (viper builtin)
    ssp = ptr32(sr)  # noqa: F821
    while ch[CH_CTRL_TRIG] & CTRL_BUSY:
        pass
    while ssp[0] & SSPSR_BSY:
        pass


@micropython.viper
def send(regs, sr: int, buf, n: int):
    ch = ptr32(regs)  # noqa: F821  (viper builtin)
    ssp = ptr32(sr)  # noqa: F821
    while ch[CH_CTRL_TRIG] & CTRL_BUSY:
        pass
    while ssp[0] & SSPSR_BSY:
        pass
    ch[CH_READ_ADDR] = int(ptr8(buf))  # noqa: F821
    ch[CH_AL1_TRANS_COUNT_TRIG] = n
