"""Host end of the simulated pendant's hardware event channel ("bus").

The device side (sim/device/machine.py) writes binary records to one pipe and
reads replies and host pushes from another. Every record, both ways, is a
13-byte little-endian header ``<BIQ`` (type, payload length, virtual time in
microseconds) followed by the payload. Payloads:

device -> host
  HELLO       board name (utf-8)                        host answers CONFIG
  PIN_MODE    <BbbB  gpio, mode, pull, driven level (255 = not driving)
  PIN_SET     <BB    gpio, level
  SPI_INIT    <BIIBBBBBB  id, requested baud, real baud, polarity, phase,
                     bits, sck, mosi, miso (255 = none); also sent when a
                     clk_peri change moves the real rate
  SPI_WRITE   <B + bytes   id, then the bytes exactly as written
  SPI_DEINIT  <B     id
  PWM_SET     <BIH   gpio, freq, duty_u16
  PWM_DEINIT  <B     gpio
  FREQ        <II    clk_sys, clk_peri
  SLEEP       <BI    kind (1 light, 2 deep), ms (0xFFFFFFFF = no timeout)
  WAKE        <BB    kind, reason (0 timeout, 1 serial input, 2 pin IRQ)
  WARN        utf-8 text: a firmware mistake the silicon would punish silently
  I2C_REQ     <BBBH + bytes  id, op (0 scan, 1 transfer), addr, bytes to read,
                     bytes to write; host answers REPLY: status (0 or errno)
                     + bytes read (scan: the addresses)
  RESET       <B     0 hard (reset/deepsleep), 1 soft
host-made (simulator.py, for its listeners; never on the pipes)
  POWER_OFF   (none)  a power latch let go: unpowered from t_us
  POWER_ON    (none)  a press powered it on: a cold boot at t_us
host -> device
  CONFIG      JSON {"pins": {gpio: level}, "adc": {channel: u16}, ...}; "t0_us":
              the virtual time the process boots at (a latch build's clock
              runs on across power cycles)
  REPLY       answer to the last request
  PIN_LEVEL   <BB    gpio, level   (may fire the pin's IRQ handler)
  ADC_LEVEL   <BH    channel, u16
"""

from __future__ import annotations

import errno
import json
import os
import struct
from collections.abc import Iterator
from typing import NamedTuple

from pendant.sim.device.busdefs import (  # noqa: F401  (the record types, shared)
    ADC_LEVEL,
    CONFIG,
    FREQ,
    HELLO,
    I2C_REQ,
    PIN_LEVEL,
    PIN_MODE,
    PIN_SET,
    POWER_OFF,
    POWER_ON,
    PWM_DEINIT,
    PWM_SET,
    REPLY,
    RESET,
    SLEEP,
    SLEEP_DEEP,
    SLEEP_LIGHT,
    SPI_DEINIT,
    SPI_INIT,
    SPI_WRITE,
    WAKE,
    WARN,
)

HEADER = struct.Struct("<BIQ")
NONE_PIN = 255

I2C_SCAN = 0
I2C_XFER = 1

NAMES = {v: k for k, v in list(globals().items()) if k.isupper() and isinstance(v, int)
         and k not in ("SLEEP_LIGHT", "SLEEP_DEEP", "NONE_PIN", "I2C_SCAN", "I2C_XFER")}


class Record(NamedTuple):
    kind: int
    t_us: int
    payload: bytes

    @property
    def name(self) -> str:
        return NAMES.get(self.kind, str(self.kind))


class RecordReader:
    """Splits the byte stream from the device into Records."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[Record]:
        buf = self._buf
        buf += data
        pos = 0
        end = len(buf)
        while end - pos >= HEADER.size:
            kind, n, t_us = HEADER.unpack_from(buf, pos)
            if end - pos - HEADER.size < n:
                break
            start = pos + HEADER.size
            yield Record(kind, t_us, bytes(buf[start:start + n]))
            pos = start + n
        del buf[:pos]


def encode(kind: int, payload: bytes = b"", t_us: int = 0) -> bytes:
    return HEADER.pack(kind, len(payload), t_us) + payload


def config(pins: dict[int, int], adc: dict[int, int], **extra: object) -> bytes:
    body = {"pins": {str(k): v for k, v in pins.items()},
            "adc": {str(k): v for k, v in adc.items()}, **extra}
    return encode(CONFIG, json.dumps(body).encode())


def pin_level(gpio: int, level: int, t_us: int = 0) -> bytes:
    """t_us > 0 (fast mode): the level changes when the device's clock gets there."""
    return encode(PIN_LEVEL, bytes((gpio, 1 if level else 0)), t_us)


def adc_level(channel: int, value: int, t_us: int = 0) -> bytes:
    return encode(ADC_LEVEL, struct.pack("<BH", channel, max(0, min(65535, value))), t_us)


def adc_counts(volts: float, ratio: float = 1.0, vref: float = 3.3) -> int:
    """What read_u16 returns for `volts` behind a divider of `ratio`."""
    return max(0, min(65535, round(volts / ratio / vref * 65535)))


class I2CDevice:
    """A register-file I2C target: writes set the register pointer then data."""

    def __init__(self, registers: dict[int, int] | None = None) -> None:
        self.regs = bytearray(256)
        for reg, value in (registers or {}).items():
            self.regs[reg] = value
        self.pointer = 0

    def transfer(self, wdata: bytes, nread: int) -> bytes:
        if wdata:
            self.pointer = wdata[0]
            for i, b in enumerate(wdata[1:]):
                self.regs[(self.pointer + i) & 0xFF] = b
        p = self.pointer
        return bytes(self.regs[(p + i) & 0xFF] for i in range(nread))


def qmi8658() -> I2CDevice:
    """The Waveshare board's IMU, enough to be found: WHO_AM_I 0x05, rev 0x7C."""
    return I2CDevice({0x00: 0x05, 0x01: 0x7C})


def answer_i2c(payload: bytes, devices: dict[tuple[int, int], I2CDevice]) -> bytes:
    """Build the REPLY record for an I2C_REQ against the host's devices."""
    bus_id, op, addr, nread = struct.unpack_from("<BBBH", payload)
    if op == I2C_SCAN:
        found = sorted(a for (b, a) in devices if b == bus_id)
        return encode(REPLY, b"\x00" + bytes(found))
    dev = devices.get((bus_id, addr))
    if dev is None:
        return encode(REPLY, bytes((errno.ENODEV,)))
    return encode(REPLY, b"\x00" + dev.transfer(payload[5:], nread))


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
