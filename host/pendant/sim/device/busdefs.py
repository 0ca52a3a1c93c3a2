# Record types of the simulator's hardware bus: one definition, imported by
# the device side (machine.py, MicroPython) and the host side (bus.py).
# Each record is a "<BIQ" header (type, payload length, virtual time in us)
# and its payload; bus.py documents the payloads.

# device -> host
HELLO = 1
PIN_MODE = 2
PIN_SET = 3
SPI_INIT = 4
SPI_WRITE = 5
SPI_DEINIT = 6
PWM_SET = 7
PWM_DEINIT = 8
FREQ = 9
SLEEP = 10
WAKE = 11
WARN = 12
I2C_REQ = 13
RESET = 14
# host-made (the simulator's own events, never on the pipes)
POWER_OFF = 0x40  # a power latch let go: the board is unpowered from t_us
POWER_ON = 0x41  # a press powered it on again: a cold boot at t_us
# host -> device
CONFIG = 0x81
REPLY = 0x82
PIN_LEVEL = 0x83
ADC_LEVEL = 0x84

SLEEP_LIGHT = 1
SLEEP_DEEP = 2
