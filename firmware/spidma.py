# Pixels to the panel by DMA, so the CPU decodes the next strip while the
# last one is on the wire (rp2.DMA, MicroPython >= 1.21 on the RP2040).
#
# One DMA channel is claimed for good and pointed at the SPI's data register,
# paced by the SPI's TX request: start() hands it a buffer and returns at
# once; wait() returns when everything started has left the SPI (the DMA done
# and the SPI no longer busy), before the next buffer is reused or CS rises.
# Hardware as data: RP2040 datasheet 4.4.4 (SSP registers), 2.5.3.1 (DREQ).
from micropython import const

SPI_BASE = (0x4003C000, 0x40040000)  # SPI0, SPI1
SSPDR = const(0x008)  # data register
SSPSR = const(0x00C)  # status register
SSPSR_BSY = const(0x10)  # busy: a frame is being sent or the TX FIFO is not empty
DREQ_SPI_TX = (16, 18)  # DREQ_SPI0_TX, DREQ_SPI1_TX
DMA_SIZE_8 = const(0)


class SpiDma:
    def __init__(self, spi_id):
        import rp2  # ImportError where there is no rp2.DMA: see for_spi()
        from machine import mem32

        self._mem32 = mem32
        self._dma = rp2.DMA()
        self._sr = SPI_BASE[spi_id] + SSPSR
        ctrl = self._dma.pack_ctrl(size=DMA_SIZE_8, inc_read=True, inc_write=False,
                                   treq_sel=DREQ_SPI_TX[spi_id])
        self._dma.config(write=SPI_BASE[spi_id] + SSPDR, ctrl=ctrl)

    def start(self, buf):
        """Start sending buf (it must stay untouched until wait())."""
        self._dma.config(read=buf, count=len(buf), trigger=True)

    def wait(self):
        # Spins at most one strip's wire time (3,840 bytes: 0.5 ms at 62.5 MHz):
        # the caller decodes the next strip first, which takes longer.
        dma = self._dma
        while dma.active():
            pass
        sr = self._sr
        mem32 = self._mem32
        while mem32[sr] & SSPSR_BSY:
            pass


def for_spi(spi_id):
    """A SpiDma for SPI spi_id, or None where this port has no rp2.DMA."""
    try:
        return SpiDma(spi_id)
    except (ImportError, AttributeError, ValueError, OSError):
        return None
