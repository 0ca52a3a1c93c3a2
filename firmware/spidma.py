# Pixels to the panel by DMA, so the CPU decodes the next strip while the
# last one is on the wire (rp2.DMA, MicroPython >= 1.21 on the RP2040).
#
# One DMA channel is claimed for good and pointed at the SPI's data register,
# paced by the SPI's TX request: send() waits for the last buffer to leave,
# hands it the next and returns at once; wait() returns when everything sent
# has left the SPI (the DMA done and the SPI no longer busy), before a buffer
# is reused or CS rises.
#
# send() runs 30 times a frame, so it is one viper call on the channel's
# registers rather than rp2.DMA's config() and active(): config() with
# keywords took ~70 us of chip time a strip, 2.1 ms a frame, and the wait
# through Python ~36 us more (the emulated RP2040, 2026-12-03).
# Hardware as data: RP2040 datasheet 2.5.7 (DMA channel registers and their
# aliases), 2.5.3.1 (DREQ), 4.4.4 (SSP registers).
from micropython import const

SPI_BASE = (0x4003C000, 0x40040000)  # SPI0, SPI1
SSPDR = const(0x008)  # data register
SSPSR = const(0x00C)  # status register
DREQ_SPI_TX = (16, 18)  # DREQ_SPI0_TX, DREQ_SPI1_TX
DMA_SIZE_8 = const(0)


class SpiDma:
    def __init__(self, spi_id):
        import rp2  # ImportError where there is no rp2.DMA: see for_spi()
        from spidma_viper import send, wait

        self._vsend = send
        self._vwait = wait
        self._dma = rp2.DMA()
        self._regs = self._dma.registers  # a uint32 array over the channel's registers
        self._sr = SPI_BASE[spi_id] + SSPSR
        ctrl = self._dma.pack_ctrl(size=DMA_SIZE_8, inc_read=True, inc_write=False,
                                   treq_sel=DREQ_SPI_TX[spi_id])
        # CTRL (not CTRL_TRIG): the channel is armed, each send() triggers it
        self._dma.config(write=SPI_BASE[spi_id] + SSPDR, ctrl=ctrl)

    def send(self, buf):
        """Once everything sent before has left the SPI, start sending buf
        and return at once (buf must stay untouched until the next send()
        or wait() returns). The caller decodes the next strip meanwhile,
        which mostly takes longer than a strip's wire time (1 ms at 31.25 MHz)."""
        self._vsend(self._regs, self._sr, buf, len(buf))

    def send_part(self, buf, n):
        """send() of buf's first n bytes."""
        self._vsend(self._regs, self._sr, buf, n)

    def wait(self):
        """Until everything sent has left the SPI (the DMA done, the SPI idle)."""
        self._vwait(self._regs, self._sr)


def for_spi(spi_id):
    """A SpiDma for SPI spi_id, or None where this port has no rp2.DMA."""
    try:
        return SpiDma(spi_id)
    except (ImportError, AttributeError, ValueError, OSError, SyntaxError):
        return None
